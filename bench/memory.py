"""Peak memory of a process and its descendants, read from /proc (Linux), for the benchmarks."""

from __future__ import annotations

import threading
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):  # the process ended while it was read
        pass
    return 0


class TreeMemory:
    """Peak resident memory of a process and its children: the largest sum of their VmRSS seen (sampled
    every `every` seconds), or the main process's own high-water mark (VmHWM) if that is larger."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every, self.peak_kb, self._stop = pid, every, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(status_kb(p, "VmRSS") for p in process_tree(self.pid)))
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max(self.peak_kb, status_kb(self.pid, "VmHWM")) / 1024
