"""Imports built for big files: events kept in a temporary file, events.csv merged and checked as a stream."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from helpers import read_rows, write_rows

from dashboard import loading
from dashboard.config import load_settings
from dashboard.importers import ImportRefused, common, import_files
from dashboard.importers.common import ImportBatch, SpooledEvents
from dashboard.loading import load_dataset
from dashboard.validation import Problem

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"
V2_FILE = FIXTURES / "20241210083000.export.CSV"
V1_FILE = FIXTURES / "gdelt_v1_backfile_and_daily.CSV"
ACLED_FILES = [FIXTURES / n for n in ("acled_2023_actor_based.csv", "acled_2019_previous.csv", "acled_2017_older.csv")]


def test_spooled_events_behave_as_a_dict_in_insertion_order():
    """A replaced event keeps its place and takes the later line, as in a dict; lines keep any text."""
    events, expected = SpooledEvents(), {}
    for key, line in [("a", "first,a"), ("b", 'Taipei → Majuro,"x, y"'), ("c", "c"), ("a", "later,a"), ("d", "")]:
        events.put(key, line)
        expected[key] = line
    assert events == expected and list(events) == ["a", "b", "c", "d"] and len(events) == 4
    assert events["a"] == "later,a" and "b" in events and "z" not in events
    assert [(key, data) for key, _slot, data in events.items_bytes()] == [
        (key, (line + "\n").encode("utf-8")) for key, line in expected.items()
    ]
    events.put("e", "after reading")  # writing again after reading goes to the end, not over a line
    assert events["e"] == "after reading" and events["b"] == expected["b"]


def test_the_batch_counts_the_bytes_of_its_lines_and_what_later_files_replace():
    """The early size stop compares bytes, as the loader's size limit does (→ is three of them)."""
    batch = ImportBatch("test")
    batch.add("x", "Taipei → Majuro")
    batch.add("y", "y")
    batch.add("y", "→")
    assert batch.events_bytes == len("Taipei → Majuro\n→\n".encode()) and batch.replaced_by_later_file == 1


def test_extra_columns_of_the_folder_are_kept_through_the_streamed_merge(tmp_path):
    """A column the contract does not know stays, with its values, also on the rows an import replaces."""
    into = tmp_path / "folder"
    import_files("gdelt", [V2_FILE], into, load_settings(into))
    rows = read_rows(into / "events.csv")
    write_rows(into / "events.csv", [rows[0] + ["reviewer"]] + [row + [f"r{n}"] for n, row in enumerate(rows[1:])])
    _batch, report = import_files("gdelt", [V2_FILE, V1_FILE], into, load_settings(into))
    assert (report.unchanged, report.new) == (3, 3)
    merged = read_rows(into / "events.csv")
    assert merged[0][-1] == "reviewer"
    assert [row[-1] for row in merged[1:]] == ["r0", "r1", "r2", "", "", ""]
    assert len(load_dataset(load_settings(into)).events) == 6
    assert [(p.column, p.severity) for p in report.warnings] == [("reviewer", "warning")]
    _batch, again = import_files("gdelt", [V2_FILE, V1_FILE], into, load_settings(into))
    assert again.files_written == [] and again.warnings == report.warnings  # unchanged: warned all the same


def test_the_merged_folder_is_checked_in_pieces_before_anything_is_written(tmp_path, monkeypatch):
    """The check runs on the merged files in a scratch folder inside the data folder, 2 rows at a time."""
    monkeypatch.setattr(loading, "EVENT_CHUNK_ROWS", 2)
    checked = []
    real = common.check_dataset

    def spy(settings):
        checked.append((settings.data_dir, len(read_rows(settings.data_dir / "events.csv")) - 1))
        return real(settings)

    monkeypatch.setattr(common, "check_dataset", spy)
    into = tmp_path / "folder"
    import_files("acled", ACLED_FILES, into, load_settings(into))
    assert [(path.parent, count) for path, count in checked] == [(into, 9)]
    assert checked[0][0].name.startswith(common.SCRATCH_PREFIX) and not checked[0][0].exists()
    import_files("gdelt", [V2_FILE], into, load_settings(into))
    assert [count for _path, count in checked[1:]] == [9, 12]  # the folder as it was, then merged
    assert sorted(p.name for p in into.iterdir()) == ["events.csv", "locations.csv", "types.csv"]
    # the same file again: the merged folder is the folder just checked, byte for byte; not checked twice
    _batch, report = import_files("gdelt", [V2_FILE], into, load_settings(into))
    assert [path for path, _count in checked[3:]] == [into] and report.files_written == []


def test_a_merged_folder_that_fails_its_check_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    into = tmp_path / "folder"
    import_files("acled", ACLED_FILES, into, load_settings(into))
    before = {p.name: p.read_bytes() for p in into.iterdir()}
    broken = Problem("events.csv", 12, "event_id", "x", "duplicate event_id")
    monkeypatch.setattr(common, "check_dataset", lambda s: [broken] if s.data_dir != into else [])
    with pytest.raises(ImportRefused) as refused:
        import_files("gdelt", [V2_FILE], into, load_settings(into))
    assert refused.value.problems == [broken]
    assert {p.name: p.read_bytes() for p in into.iterdir()} == before  # no scratch folder left either


def test_a_merge_over_the_size_limit_is_refused(tmp_path):
    """Each import fits the limit, but together they would not: refused before anything is written."""
    into = tmp_path / "folder"
    import_files("gdelt", [V1_FILE], into, load_settings(into))
    before = {p.name: p.read_bytes() for p in into.iterdir()}
    limit = (into / "events.csv").stat().st_size + 200  # room for one more event, not three
    settings = dataclasses.replace(load_settings(into), max_file_bytes=limit)
    with pytest.raises(ImportRefused) as refused:
        import_files("gdelt", [V2_FILE], into, settings)
    [problem] = refused.value.problems
    assert (problem.file, problem.value) == ("events.csv", "6 events")
    assert "the merged events.csv would be larger than" in problem.message and "--bbox" in problem.message
    assert {p.name: p.read_bytes() for p in into.iterdir()} == before


def test_scratch_folders_of_killed_imports_are_removed(tmp_path):
    into = tmp_path / "folder"
    import_files("gdelt", [V2_FILE], into, load_settings(into))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = into / f"{common.SCRATCH_PREFIX}{dead.stdout.strip()}.abc123"
    live = into / f"{common.SCRATCH_PREFIX}{os.getppid()}.def456"  # the process that started this test
    for folder in (stale, live):
        folder.mkdir()
        (folder / "events.csv").write_text("half-written", encoding="utf-8")
    import_files("gdelt", [V1_FILE], into, load_settings(into))
    assert not stale.exists() and live.exists()


def test_the_lines_of_a_batch_are_not_held_in_memory():
    """20,000 lines of 500 bytes (10 MB) cost the batch their ids, not their lines."""
    tracemalloc.start()
    try:
        batch = ImportBatch("test")
        for number in range(20_000):
            batch.add(f"gdelt-{1_220_000_000 + number}", f"{number:06d}" + "x" * 493)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(batch.events) == 20_000 and batch.events_bytes == 20_000 * 500
    assert peak < 4_000_000, peak
    assert batch.events["gdelt-1220019999"] == "019999" + "x" * 493


# the benchmark's generator and harness -------------------------------------------------------------------


def test_the_benchmark_input_is_seeded_and_in_gdelts_2_0_layout(tmp_path):
    from bench import import_bench

    first, second = tmp_path / "a.CSV", tmp_path / "b.CSV"
    import_bench.write_gdelt_export(first, 300)
    import_bench.write_gdelt_export(second, 300)
    assert first.read_bytes() == second.read_bytes()
    rows = list(csv.reader(io.StringIO(first.read_text(encoding="utf-8")), delimiter="\t"))
    assert len(rows) == 300 and {len(row) for row in rows} == {61}
    into = tmp_path / "folder"
    batch, report = import_files("gdelt", [first], into, load_settings(into))
    assert batch.problems == [] and report.new == 300  # every row has an action geography
    assert len(load_dataset(load_settings(into)).events) == 300


def test_the_benchmark_measures_the_import_and_the_validation(tmp_path, monkeypatch, capsys):
    from bench import import_bench

    monkeypatch.setattr(import_bench, "WORK", tmp_path)
    monkeypatch.setattr(import_bench, "REPORT", tmp_path / "import_bench.md")
    assert import_bench.main(["--rows", "500", "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("import: exit 0") == 2 and out.count("validate: exit 0") == 2 and "again: exit 0" in out
    assert "targets met" in out
    report = (tmp_path / "import_bench.md").read_text(encoding="utf-8")
    assert "| import: wall time | under 60 s |" in report and "**not met**" not in report
    assert "events.csv now 500 events (500 new" in report and "OK: 500 events" in report
    measured = [line for line in report.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert len(measured) == 5 and all("| exit 0 |" in line for line in measured)  # 2 imports, 2 validates, again
    assert "| `python -m dashboard import gdelt FILE --into DIR` | into a new folder | exit 0 |" in report
    assert "0 new, 0 updated, 500 unchanged" in report and str(REPO) not in report
