"""Nothing is lost: writers are atomic under kill -9 and under a second writer; readers never write;
a huge file is refused by its size before it is read."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# 20,000 rows: a run reaches its write after about 0.6 s and the write takes a few milliseconds, long enough
# to be caught by a watcher polling every 0.2 ms, short enough that a dozen runs take seconds.
ROWS = 20_000
KILLS_MID_WRITE = 5  # kills that must land while the temporary file exists, before its rename
MAX_RUNS = 20  # a kill that lands after the rename is a legal outcome, not a test failure: try again
# When to kill, in turn: once the run's own temporary file exists, after a wait, or the moment the data
# file changes in any way. Measured here: the temporary file holds all the data 1-2 ms after it appears and
# is renamed after 2-5 ms, so the kills land on an empty temporary file, a partly written one, a complete one
# being flushed, and on the first change to the data file (a writer that touches it before its rename is caught).
KILL_PLAN = (("temporary", 0.0), ("temporary", 0.001), ("data file", 0.0), ("temporary", 0.002), ("temporary", 0.0))
NAIVE_GEOCODE = """
import sys
from dashboard import cli

def write_in_place(path, text):  # the bug this script stands for: no temporary file, no rename
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)

cli.write_text_atomic = write_in_place
sys.exit(cli.main(sys.argv[1:]))
"""


def geocode_cmd(folder: Path) -> list[str]:
    return [sys.executable, "-m", "dashboard", "geocode", "--data-dir", str(folder)]


@pytest.fixture
def big_folder(data_copy) -> Path:
    """A data folder whose events.csv has many rows with blank coordinates of a gazetteer place."""
    header = (data_copy / "events.csv").read_text(encoding="utf-8").splitlines()[0]
    lines = [header] + [
        f'e{i},diplomatic,2024-12-01,,Event {i},"Honolulu, Hawaii",,,https://example.org/{i}' + "," * 8
        for i in range(ROWS)
    ]
    (data_copy / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data_copy / "zones.geojson").unlink()
    return data_copy


def read_state(path: Path) -> str:
    """'original' (no coordinates filled), 'geocoded' (all filled); anything else fails."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == ROWS, f"{len(rows)} rows: the file was truncated or half-written"
    filled = {bool(r["latitude"]) for r in rows}
    assert len(filled) == 1, "some rows geocoded and some not: a half-written file"
    return "geocoded" if filled.pop() else "original"


def temp_names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.endswith(".tmp")}


def temp_names_of(folder: Path, pid: int) -> set[str]:
    """The temporary files of events.csv that process `pid` made (the writer puts its pid in the name)."""
    return {name for name in temp_names(folder) if name.startswith(f".events.csv.{pid}.")}


def fingerprint(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def when_temp_file_exists(folder: Path) -> Callable[[int], bool]:
    """A watch that fires once the watched process's own temporary file exists."""
    return lambda pid: bool(temp_names_of(folder, pid))


def when_changed(path: Path) -> Callable[[int], bool]:
    """A watch that fires once `path` differs in any way from now: rewritten, truncated or replaced."""
    before = fingerprint(path)
    return lambda pid: fingerprint(path) != before


def run_and_kill(cmd: list[str], watch: Callable[[int], bool], delay: float = 0.0) -> tuple[bool, int]:
    """Start `cmd`, poll until `watch(pid)`, wait `delay`, kill -9 it: (whether the kill hit it, its pid)."""
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None:
            if watch(proc.pid):
                if delay:
                    time.sleep(delay)
                proc.send_signal(signal.SIGKILL)  # not sent if it has already ended
                return proc.wait() == -signal.SIGKILL, proc.pid
            assert time.monotonic() < deadline, "the command neither wrote nor ended within a minute"
            time.sleep(0.0002)
        return False, proc.pid
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_killing_geocode_mid_write_never_leaves_a_half_written_file(big_folder):
    """kill -9 lands while the temporary file exists, again and again; the data file is always whole.

    After each kill the file is all original (the rename had not happened) or all geocoded (it had);
    the temporary files that kill -9 leaves are removed by the next run, and none is left at the end.
    """
    events = big_folder / "events.csv"
    original = events.read_bytes()
    outcomes: list[str] = []

    def mid_write() -> int:
        return sum(outcome.startswith("mid-write") for outcome in outcomes)

    while mid_write() < KILLS_MID_WRITE and len(outcomes) < MAX_RUNS:
        stale = temp_names(big_folder)  # left by the runs killed before this one
        trigger, delay = KILL_PLAN[len(outcomes) % len(KILL_PLAN)]
        watch = when_temp_file_exists(big_folder) if trigger == "temporary" else when_changed(events)
        killed, pid = run_and_kill(geocode_cmd(big_folder), watch, delay)
        state = read_state(events)  # fails the test on a half-written file
        left = temp_names_of(big_folder, pid)
        if killed and left:
            assert events.read_bytes() == original, "killed before its rename, yet the data file changed"
            size = sum((big_folder / name).stat().st_size for name in left)
            outcomes.append(f"mid-write (temporary file at {size:,} bytes)")
        else:
            assert state == "geocoded" and not left
            outcomes.append(f"after the rename (watching the {trigger})" if killed else "finished first")
            events.write_bytes(original)  # so that the next run has something to write again
        assert not stale & temp_names(big_folder), "a dead writer's temporary file survived the next write"
    assert mid_write() >= KILLS_MID_WRITE, f"too few kills landed mid-write: {outcomes}"

    result = subprocess.run(geocode_cmd(big_folder), cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert read_state(events) == "geocoded"
    assert temp_names(big_folder) == set(), "temporary files were left after a complete run"


def test_the_kill_check_catches_a_writer_that_is_not_atomic(big_folder):
    """The same watch, kill and check against geocode with an in-place writer find a half-written file."""
    events = big_folder / "events.csv"
    original = events.read_bytes()
    cmd = [sys.executable, "-c", NAIVE_GEOCODE, "geocode", "--data-dir", str(big_folder)]
    said = []
    for _attempt in range(3):  # a kill can land just after the last byte; then the file is whole: again
        killed, _pid = run_and_kill(cmd, when_changed(events))
        try:
            read_state(events)
        except AssertionError as failure:
            said.append(str(failure).splitlines()[0])
            break
        events.write_bytes(original)
    assert said and "half-written" in said[0], f"killed: {killed}, the check said: {said}"


def test_two_geocodes_at_once_both_write_whole_files(big_folder):
    procs = [subprocess.Popen(geocode_cmd(big_folder), cwd=REPO, stderr=subprocess.PIPE) for _ in range(2)]
    for proc in procs:
        proc.wait(timeout=120)
    assert all(p.returncode == 0 for p in procs), [p.stderr.read() for p in procs]
    assert read_state(big_folder / "events.csv") == "geocoded"
    assert not [p for p in big_folder.iterdir() if p.name.endswith(".tmp")], "a temporary file was left"


def snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_reading_commands_write_nothing_in_the_data_folder(data_copy, tmp_path):
    before = snapshot(data_copy)
    for args in (["validate"], ["export", "-o", str(tmp_path / "out.geojson")]):
        result = subprocess.run(
            [sys.executable, "-m", "dashboard", *args, "--data-dir", str(data_copy)],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    assert snapshot(data_copy) == before


@pytest.mark.parametrize(
    ("name", "variable"), [("events.csv", "DASHBOARD_MAX_EVENTS_MB"), ("zones.geojson", "DASHBOARD_MAX_FILE_MB")]
)
def test_a_file_over_the_size_limit_is_refused_by_its_size(data_copy, name, variable):
    """The events have their own limit (they are streamed, never held), the other files the default 512 MB."""
    limit_mb = 512
    size = (limit_mb + 100) * 1024 * 1024  # 100 MB over the limit
    with open(data_copy / name, "r+b") as handle:  # sparse: big on paper, nothing to read
        handle.truncate(size)
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "validate", "--data-dir", str(data_copy)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DASHBOARD_MAX_EVENTS_MB": str(limit_mb), "DASHBOARD_MAX_FILE_MB": str(limit_mb)},
    )
    assert result.returncode == 1
    assert (
        f"{name}:-: -: '{size:,} bytes': file is larger than the {limit_mb} MB limit (set {variable}" in result.stderr
    )
    assert time.monotonic() - start < 10
