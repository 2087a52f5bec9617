"""`import --format parquet`: events.parquet holds the text events.csv would hold, merged, written atomically."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import EVENTS_HEADER, edit_event, read_rows, write_rows

from dashboard import cli, loading
from dashboard.config import load_settings
from dashboard.importers import ImportRefused, common, events_parquet, import_files
from dashboard.validation import Problem

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"
V2_FILE = FIXTURES / "20241210083000.export.CSV"
V1_FILE = FIXTURES / "gdelt_v1_backfile_and_daily.CSV"
ACLED_FILES = [FIXTURES / n for n in ("acled_2023_actor_based.csv", "acled_2019_previous.csv", "acled_2017_older.csv")]
NAVWARNINGS = FIXTURES / "navwarnings.csv"
# every format, with files that give blank cells, quotes, commas, line breaks and non-ASCII text
INPUTS = {
    "acled": ("acled", ACLED_FILES),
    "gdelt": ("gdelt", [V2_FILE, V1_FILE]),
    "navwarnings": ("navwarnings", [NAVWARNINGS]),
}
TEMP_NAME = re.compile(r"\.events\.parquet\.(\d+)\.[a-z0-9_]+\.tmp")


def run_import(source: str, files: list[Path], into: Path, events_format: str | None = None):
    return import_files(source, files, into, load_settings(into), events_format=events_format)


def csv_frame(path: Path) -> pd.DataFrame:
    """events.csv as the loader reads it: every cell a string, a blank one ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False).astype(object)


def parquet_frame(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas().astype(object)


def contents(folder: Path) -> dict[str, bytes]:
    """The files of a folder (not its scratch folders) and their bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("source, files", INPUTS.values(), ids=INPUTS.keys())
def test_the_parquet_holds_the_strings_the_csv_import_writes(tmp_path, source, files):
    as_csv, as_parquet = tmp_path / "csv", tmp_path / "parquet"
    _batch, csv_report = run_import(source, files, as_csv)
    _batch, report = run_import(source, files, as_parquet, "parquet")
    assert report.files_written == [name.replace("events.csv", "events.parquet") for name in csv_report.files_written]
    assert (report.new, report.total, report.events_file) == (csv_report.new, csv_report.total, "events.parquet")

    table = pq.read_table(as_parquet / "events.parquet")
    assert table.column_names == list(EVENTS_HEADER)
    assert all(field.type == pa.string() and not field.nullable for field in table.schema)
    assert all(column.null_count == 0 for column in table.columns)
    expected = csv_frame(as_csv / "events.csv")
    pd.testing.assert_frame_equal(parquet_frame(as_parquet / "events.parquet"), expected)
    assert (expected == "").any().any(), "the inputs give blank cells: they must be '' in the Parquet too"
    # the other files are the CSV import's, byte for byte; the folder holds its events once
    others = contents(as_csv)
    del others["events.csv"]
    written = contents(as_parquet)
    del written["events.parquet"]
    assert written == others


def test_kept_rows_keep_their_exact_text_and_the_folders_extra_columns(tmp_path, data_copy):
    """Rows already in the folder (here the bundled data, with an edited row and a column the contract does
    not know) are kept as their text was: spaces, quotes, line breaks and all."""
    rows = read_rows(data_copy / "events.csv")
    write_rows(
        data_copy / "events.csv", [rows[0] + ["reviewer"]] + [row + [f" r{n} "] for n, row in enumerate(rows[1:])]
    )
    edit_event(
        data_copy,
        "pla-joint-sword-2024a",
        title='  Joint Sword-2024A,  "spaced"  ',
        notes="First line,\r\nsecond line\n  indented, 台灣 → Majuro  ",
    )
    as_csv = tmp_path / "as_csv"
    shutil.copytree(data_copy, as_csv)
    _batch, csv_report = run_import("acled", ACLED_FILES, as_csv)
    _batch, report = run_import("acled", ACLED_FILES, data_copy, "parquet")
    assert (report.kept, report.new) == (csv_report.kept, csv_report.new) and report.kept > 50
    assert report.files_removed == ["events.csv"]
    table = pq.read_table(data_copy / "events.parquet")
    assert table.column_names == [*EVENTS_HEADER, "reviewer"]
    expected = csv_frame(as_csv / "events.csv")
    pd.testing.assert_frame_equal(parquet_frame(data_copy / "events.parquet"), expected)
    edited = expected.set_index("event_id").loc["pla-joint-sword-2024a"]
    assert edited["title"] == '  Joint Sword-2024A,  "spaced"  ' and edited["reviewer"] == " r0 "
    assert edited["notes"] == "First line,\r\nsecond line\n  indented, 台灣 → Majuro  "


def test_row_groups_are_the_loaders_pieces(tmp_path, monkeypatch):
    assert loading.EVENT_CHUNK_ROWS == 100_000
    path = tmp_path / "one_column.parquet"
    with events_parquet.EventsParquetWriter(path, ["event_id"]) as writer:
        for start in range(0, 200_001, 70_000):  # pieces that do not line up with the groups
            writer.write_columns([[f"e{n}" for n in range(start, min(start + 70_000, 200_001))]])
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [100_000, 100_000, 1]
    assert pq.read_table(path).column("event_id").to_pylist() == [f"e{n}" for n in range(200_001)]

    monkeypatch.setattr(loading, "EVENT_CHUNK_ROWS", 2)
    into = tmp_path / "acled"
    run_import("acled", ACLED_FILES, into, "parquet")
    metadata = pq.ParquetFile(into / "events.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 2, 2, 2, 1]


def test_columns_may_come_as_lists_series_or_chunked_arrays(tmp_path):
    """pandas keeps the strings of a big CSV piece in several Arrow chunks: they are one column all the same."""
    chunked = pd.concat([pd.Series(["a", ""], dtype="str"), pd.Series(["c"], dtype="str")], ignore_index=True)
    assert pa.array(chunked, type=pa.string()).num_chunks == 2
    path = tmp_path / "x.parquet"
    with events_parquet.EventsParquetWriter(path, ["a", "b", "c", "d"]) as writer:
        writer.write_columns([["1", "2", "3"], chunked, pa.chunked_array([["x"], ["y", "z"]]), pa.array(["", "", ""])])
    assert pq.read_table(path).to_pylist() == [
        {"a": "1", "b": "a", "c": "x", "d": ""},
        {"a": "2", "b": "", "c": "y", "d": ""},
        {"a": "3", "b": "c", "c": "z", "d": ""},
    ]


def test_a_missing_value_is_refused_by_the_writer(tmp_path):
    with pytest.raises(ValueError, match="'b' has 1 missing"):
        with events_parquet.EventsParquetWriter(tmp_path / "x.parquet", ["a", "b"]) as writer:
            writer.write_columns([["1", "2"], ["x", None]])


@pytest.mark.parametrize("source, files", INPUTS.values(), ids=INPUTS.keys())
def test_importing_the_same_files_again_changes_nothing(tmp_path, source, files):
    into = tmp_path / "folder"
    run_import(source, files, into, "parquet")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in into.iterdir()}
    _batch, report = run_import(source, files, into, "parquet")
    assert report.files_written == [] and report.files_removed == []
    assert report.unchanged == report.total and report.new == report.updated == 0
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in into.iterdir()} == before


@pytest.mark.parametrize(
    "first, then, before, after",
    [
        ("parquet", "parquet", "events.parquet", "events.parquet"),
        ("parquet", None, "events.parquet", "events.parquet"),  # without --format a folder keeps its format
        (None, "parquet", "events.csv", "events.parquet"),  # a CSV folder becomes parquet
        ("parquet", "csv", "events.parquet", "events.csv"),  # and back
        (None, None, "events.csv", "events.csv"),
    ],
    ids=["parquet-parquet", "parquet-default", "csv-parquet", "parquet-csv", "csv-default"],
)
def test_new_rows_merge_by_event_id_across_formats(tmp_path, first, then, before, after):
    """The merged events are those of importing both files into a CSV folder, whatever the formats."""
    reference = tmp_path / "reference"
    run_import("gdelt", [V2_FILE], reference)
    _batch, expected = run_import("gdelt", [V2_FILE, V1_FILE], reference)
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into, first)
    assert (into / before).exists()
    _batch, report = run_import("gdelt", [V2_FILE, V1_FILE], into, then)
    assert sorted(p.name for p in into.iterdir()) == sorted([after, "locations.csv", "types.csv"])
    assert (report.new, report.unchanged, report.kept) == (expected.new, expected.unchanged, 0) == (3, 3, 0)
    assert report.events_file == after and after in report.files_written
    assert report.files_removed == ([before] if before != after else [])
    merged = parquet_frame(into / after) if after == "events.parquet" else csv_frame(into / after)
    pd.testing.assert_frame_equal(merged, csv_frame(reference / "events.csv"))
    if after == "events.csv":
        assert (into / "events.csv").read_bytes() == (reference / "events.csv").read_bytes()
    assert (into / "types.csv").read_bytes() == (reference / "types.csv").read_bytes()


def test_the_command_says_where_the_events_went_and_what_it_removed(tmp_path, capsys):
    into = tmp_path / "folder"
    assert cli.main(["import", "gdelt", str(V2_FILE), "--into", str(into)]) == 0
    capsys.readouterr()
    assert cli.main(["import", "gdelt", str(V1_FILE), "--into", str(into), "--format", "parquet"]) == 0
    out = capsys.readouterr().out
    assert "events.parquet now 6 events (3 new, 0 updated, 0 unchanged, 3 kept from before)" in out
    assert "written: types.csv, events.parquet;" in out
    assert "removed: events.csv (the events are in events.parquet now" in out
    assert not (into / "events.csv").exists()
    assert cli.main(["import", "gdelt", str(V1_FILE), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert "events.parquet now 6 events (0 new, 0 updated, 3 unchanged, 3 kept" in out and "removed" not in out


def test_help_lists_the_format_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["import", "--help"])
    assert "--format {csv,parquet}" in capsys.readouterr().out


def test_a_folder_with_both_files_is_refused_before_the_inputs_are_read(tmp_path, capsys):
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into, "parquet")
    run_import("gdelt", [V2_FILE], tmp_path / "other")
    shutil.copyfile(tmp_path / "other" / "events.csv", into / "events.csv")
    before = contents(into)
    with pytest.raises(ImportRefused) as refused:
        run_import("gdelt", [tmp_path / "no such file.CSV"], into, "parquet")  # not read: refused first
    [problem] = refused.value.problems
    assert problem.file == "events.parquet" and "holds both events.csv and events.parquet" in problem.message
    assert "delete the one that is out of date" in problem.message
    for events_format in (None, "csv", "parquet"):
        assert (
            cli.main(
                ["import", "gdelt", str(V1_FILE), "--into", str(into)]
                + (["--format", events_format] if events_format else [])
            )
            == 1
        )
        err = capsys.readouterr().err
        assert "holds both events.csv and events.parquet" in err and f"{into} was not changed" in err
    assert contents(into) == before
    with pytest.raises(ImportRefused) as refused:  # also when the writer is called directly
        common.write_into(common.ImportBatch("test"), into, load_settings(into), "parquet")
    assert refused.value.reason == f"{into} holds its events twice; nothing was written"
    assert contents(into) == before


def test_the_merged_folder_is_checked_before_the_parquet_is_written(tmp_path, monkeypatch):
    """The check runs on the merged events as CSV text in the scratch folder; its problems name events.parquet."""
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into, "parquet")
    before = contents(into)
    checked = []
    broken = Problem("events.csv", 5, "latitude", "91", "out of range -90 to 90")

    def check(settings):
        checked.append(sorted(p.name for p in settings.data_dir.iterdir() if p.is_file()))
        return [broken] if settings.data_dir.name.startswith(common.SCRATCH_PREFIX) else []

    monkeypatch.setattr(common, "check_dataset", check)
    with pytest.raises(ImportRefused) as refused:
        run_import("gdelt", [V1_FILE], into, "parquet")
    assert refused.value.problems == [Problem("events.parquet", 5, "latitude", "91", "out of range -90 to 90")]
    assert checked == [
        ["events.parquet", "locations.csv", "types.csv"],  # the folder as it was
        ["events.csv", "locations.csv", "types.csv"],  # the merged folder: its events as the CSV text to write
    ]
    assert contents(into) == before


def edit_parquet_event(path: Path, index: int, **changes: str) -> None:
    """Change cells of the index-th event of an events.parquet, written back with the importer's writer."""
    table = pq.read_table(path)
    for column, value in changes.items():
        values = table.column(column).to_pylist()
        values[index] = value
        table = table.set_column(table.column_names.index(column), table.schema.field(column), [values])
    with events_parquet.write_atomically(path, table.column_names) as writer:
        writer.write_columns(table.columns)


@pytest.mark.parametrize("events_format", ["csv", "parquet"])
def test_an_event_whose_text_changed_is_rewritten_even_if_it_counts_as_unchanged(tmp_path, events_format):
    """Spaces around a value make no other event, but the file is written back as the import gives it."""
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into, events_format)
    clean = contents(into)
    events = into / f"events.{events_format}"
    if events_format == "parquet":
        edit_parquet_event(events, 1, title=" " + pq.read_table(events).column("title")[1].as_py() + "  ")
    else:
        rows = read_rows(events)
        rows[2][EVENTS_HEADER.index("title")] = " " + rows[2][EVENTS_HEADER.index("title")] + "  "
        write_rows(events, rows)
    assert contents(into) != clean
    _batch, report = run_import("gdelt", [V2_FILE], into)
    assert (report.unchanged, report.updated, report.files_written) == (3, 0, [events.name])
    assert contents(into) == clean


def test_an_existing_parquet_with_problems_is_refused_naming_its_rows(tmp_path):
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into, "parquet")
    edit_parquet_event(into / "events.parquet", 1, latitude="91")
    before = contents(into)
    with pytest.raises(ImportRefused) as refused:
        run_import("gdelt", [V1_FILE], into)
    assert [(p.file, p.row, p.column, p.value) for p in refused.value.problems] == [
        ("events.parquet", 3, "latitude", "91")
    ]
    assert "fix them first" in refused.value.reason
    assert contents(into) == before


def test_an_unreadable_parquet_is_refused(tmp_path):
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into, "parquet")
    (into / "events.parquet").write_bytes(b"PAR1 this is not Parquet")
    before = contents(into)
    with pytest.raises(ImportRefused) as refused:
        run_import("gdelt", [V1_FILE], into)
    [problem] = refused.value.problems
    assert problem.file == "events.parquet" and "not a readable Parquet file" in problem.message
    assert contents(into) == before


def test_a_write_that_fails_midway_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into)
    before = contents(into)
    monkeypatch.setattr(loading, "EVENT_CHUNK_ROWS", 2)
    real = events_parquet.EventsParquetWriter._flush

    def fail_after_one_group(self, count):
        real(self, count)
        raise OSError("disk full")

    monkeypatch.setattr(events_parquet.EventsParquetWriter, "_flush", fail_after_one_group)
    with pytest.raises(OSError, match="disk full"):
        run_import("gdelt", [V1_FILE], into, "parquet")
    assert contents(into) == before  # no temporary file left, events.csv not removed


KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
from dashboard import loading
from dashboard.config import load_settings
from dashboard.importers import events_parquet, import_files

loading.EVENT_CHUNK_ROWS = 2
real = events_parquet.EventsParquetWriter._flush

def flush_then_die(self, count):
    real(self, count)
    os.kill(os.getpid(), signal.SIGKILL)  # a power cut, or kill -9, after one row group is on disk

events_parquet.EventsParquetWriter._flush = flush_then_die
into = Path(sys.argv[1])
import_files("acled", [Path(p) for p in sys.argv[2:]], into, load_settings(into), events_format="parquet")
"""


@pytest.mark.parametrize("before", [None, "csv", "parquet"], ids=["new-folder", "csv-folder", "parquet-folder"])
def test_an_import_killed_while_writing_leaves_no_half_file(tmp_path, before):
    into = tmp_path / "folder"
    if before:
        run_import("gdelt", [V2_FILE], into, before)
    else:
        into.mkdir()
    was = contents(into)
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_IMPORT), str(into), *map(str, ACLED_FILES)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = contents(into)
    [temp] = [name for name in left if TEMP_NAME.fullmatch(name)]  # the half file, under another name
    assert int(TEMP_NAME.fullmatch(temp).group(1)) != os.getpid()
    with pytest.raises(pa.ArrowException):
        pq.read_table(into / temp)  # it is half a file: no footer
    del left[temp]
    assert {name: data for name, data in left.items() if not name.startswith(".import.")} == {
        name: data for name, data in was.items() if not name.startswith(".import.")
    }
    # the next import removes what the killed one left and writes the whole file
    _batch, report = run_import("acled", ACLED_FILES, into, "parquet")
    assert not [p for p in into.iterdir() if p.name.startswith(".")]
    assert len(pq.read_table(into / "events.parquet")) == report.total == 9 + (3 if before else 0)
    assert not (into / "events.csv").exists()


def test_a_new_parquet_gets_the_permissions_of_the_csv_it_replaces(tmp_path):
    into = tmp_path / "folder"
    run_import("gdelt", [V2_FILE], into)
    os.chmod(into / "events.csv", 0o640)
    run_import("gdelt", [V1_FILE], into, "parquet")
    assert (into / "events.parquet").stat().st_mode & 0o777 == 0o640
