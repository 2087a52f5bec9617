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
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROWS = 150_000


def geocode_cmd(folder: Path) -> list[str]:
    return [sys.executable, "-m", "dashboard", "geocode", "--data-dir", str(folder)]


@pytest.fixture
def big_folder(data_copy) -> Path:
    """A data folder whose events.csv has many rows with blank coordinates of a gazetteer place."""
    header = (data_copy / "events.csv").read_text(encoding="utf-8").splitlines()[0]
    lines = [header] + [f"e{i},diplomatic,2024-12-01,,Event {i},\"Honolulu, Hawaii\",,,https://example.org/{i}"
                        + "," * 8 for i in range(ROWS)]
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


def test_killing_geocode_mid_write_never_leaves_a_half_written_file(big_folder):
    events = big_folder / "events.csv"
    seen = set()
    for delay in (0.6, 1.0, 1.4, 1.8, 2.2):
        if read_state(events) == "geocoded":
            break
        proc = subprocess.Popen(geocode_cmd(big_folder), cwd=REPO, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.add(read_state(events))
    assert seen  # every state seen after a kill was a whole file


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
        result = subprocess.run([sys.executable, "-m", "dashboard", *args, "--data-dir", str(data_copy)],
                                cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    assert snapshot(data_copy) == before


def test_a_200_mb_file_is_refused_by_its_size(data_copy):
    events = data_copy / "events.csv"
    with open(events, "r+b") as handle:  # sparse: 200 MB on paper, nothing to read
        handle.truncate(200 * 1024 * 1024)
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "dashboard", "validate", "--data-dir", str(data_copy)],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1
    assert "events.csv:-: -: '209,715,200 bytes': file is larger than the 100 MB limit" in result.stderr
    assert time.monotonic() - start < 10


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_folder_validates(data_copy):
    os.chmod(data_copy, 0o555)
    try:
        result = subprocess.run([sys.executable, "-m", "dashboard", "validate", "--data-dir", str(data_copy)],
                                cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    finally:
        os.chmod(data_copy, 0o755)
