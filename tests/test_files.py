"""The atomic writers: whole files or none, permissions kept, no temporary file left, dead writers cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import files
from dashboard.files import remove_stale_temp_files, temp_files_of, write_bytes_atomic, write_text_atomic

REPO = Path(__file__).resolve().parents[1]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_writes_bytes_and_utf8_text(tmp_path):
    target = tmp_path / "out.csv"
    write_bytes_atomic(target, b"a,b\n")
    assert target.read_bytes() == b"a,b\n"
    write_text_atomic(target, "Hagåtña, Guam\n")
    assert target.read_bytes() == "Hagåtña, Guam\n".encode()
    assert names(tmp_path) == ["out.csv"]


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "events.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert names(tmp_path) == ["events.csv"]


def test_a_new_file_gets_the_usual_permissions_not_mkstemps_0600(tmp_path):
    old_umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "new.geojson", "{}")
    finally:
        os.umask(old_umask)
    assert (tmp_path / "new.geojson").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()], ids=["os-error", "ctrl-c"])
@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, failure, step):
    """Whether writing or renaming fails, the old content stays, the error goes on, nothing is left over."""
    target = tmp_path / "events.csv"
    target.write_text("old", encoding="utf-8")

    def fail(*args):
        assert temp_files_of(target), "the temporary file should exist at this point"
        raise failure

    monkeypatch.setattr(files.os, step, fail)
    with pytest.raises(type(failure)):
        write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert names(tmp_path) == ["events.csv"]


def test_the_temporary_file_is_beside_the_target_and_named_after_it_and_the_writer(tmp_path, monkeypatch):
    target = tmp_path / "events.csv"
    seen = []

    def record_replace(src, dst):
        seen.append(Path(src))
        os.rename(src, dst)

    monkeypatch.setattr(files.os, "replace", record_replace)
    write_text_atomic(target, "x")
    assert len(seen) == 1 and seen[0].parent == tmp_path
    assert seen[0].name.startswith(f".events.csv.{os.getpid()}.") and seen[0].name.endswith(".tmp")


def test_temporary_files_of_dead_writers_are_removed_and_no_others(tmp_path):
    """Only this target's temporary files whose writer is gone; live writers', other files' and own stay."""
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = dead_pid()
        kept = [
            f".events.csv.{live.pid}.k3j_x9ab.tmp",  # a live writer: it may be writing now
            f".events.csv.{os.getpid()}.a1b2c3d4.tmp",  # this process (another thread may be writing)
            f".other.csv.{dead}.a1b2c3d4.tmp",  # another target's
            ".events.csv.a1b2c3d4.tmp",  # no process id: not made by this writer
            f"events.csv.{dead}.a1b2c3d4.tmp",  # not hidden: not a temporary file of this writer
            "events.csv",
        ]
        stale = [f".events.csv.{dead}.a1b2c3d4.tmp", f".events.csv.{dead}.zz_00000.tmp"]
        for name in kept + stale:
            (tmp_path / name).write_text("x", encoding="utf-8")
        assert sorted(p.name for p in temp_files_of(tmp_path / "events.csv")) == sorted(stale + kept[:2])

        write_text_atomic(tmp_path / "events.csv", "new")
        assert names(tmp_path) == sorted(kept)
        assert (tmp_path / "events.csv").read_text(encoding="utf-8") == "new"
        assert remove_stale_temp_files(tmp_path / "events.csv") == []
    finally:
        live.kill()
        live.wait()


WRITER = """
import sys
from dashboard.files import write_bytes_atomic
path, fill, times = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
for _ in range(times):
    write_bytes_atomic(path, fill * 1_000_000 + b"\\n")
"""


def test_two_writer_processes_at_once_never_show_a_reader_a_partial_file(tmp_path):
    """Two processes rewrite one file many times while this one reads it: every read is one whole file."""
    target = tmp_path / "shared.txt"
    wholes = {fill * 1_000_000 + b"\n" for fill in (b"a", b"b")}
    target.write_bytes(b"a" * 1_000_000 + b"\n")
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(target), fill, "30"], cwd=REPO, stderr=subprocess.PIPE)
        for fill in ("a", "b")
    ]
    reads = partial = 0
    while any(w.poll() is None for w in writers):
        reads += 1
        partial += target.read_bytes() not in wholes
    errors = [w.stderr.read().decode() for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    assert partial == 0, f"{partial} of {reads} reads saw a partial file"
    assert reads > 10 and target.read_bytes() in wholes
    assert names(tmp_path) == ["shared.txt"]
