"""The benchmark's synthetic data: generated on demand, identical every time, valid, and never committed."""

import subprocess

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from helpers import EVENTS_HEADER

from bench.generate import REPO, check_reproducible, folder_hashes, generated_folder, write_folder
from dashboard import loading
from dashboard.config import load_settings
from dashboard.importers.events_parquet import EventsParquetWriter
from dashboard.loading import load_dataset


def test_generating_twice_gives_identical_files():
    hashes = check_reproducible(1000)
    assert set(hashes) == {"events.csv", "locations.csv", "zones.geojson"}
    # the rows this generator version writes: a change to them must bump GENERATOR_VERSION (and this hash)
    assert hashes["events.csv"] == "6b074930446e617ea91ab492ca02b3c1d315432c5442eb63de1c6786ea0a0681"


def test_a_generated_folder_is_valid_and_reused(tmp_path):
    folder = generated_folder(1000, tmp_path)
    dataset = load_dataset(load_settings(folder))
    assert len(dataset.events) == 1000
    assert set(dataset.events["event_type"]) == {"tour_stop", "military_drill", "arms_sale", "diplomatic"}
    assert dataset.zones, "some drills have zones"
    stamp = (folder / ".generated").stat().st_mtime_ns
    assert generated_folder(1000, tmp_path) == folder
    assert (folder / ".generated").stat().st_mtime_ns == stamp, "an up-to-date folder is not written again"
    assert folder_hashes(folder) == check_reproducible(1000)


def test_generated_folders_are_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", "bench/generated/1000/events.csv"], cwd=REPO)
    assert ignored.returncode == 0
    tracked = subprocess.run(
        ["git", "ls-files", "bench/data", "bench/generated"], cwd=REPO, capture_output=True, text=True
    )
    assert tracked.stdout == ""


def test_a_parquet_folder_holds_the_rows_of_the_csv_folder(tmp_path):
    """The same rows, as the importer's events.parquet: every column text, never null; the other files the same."""
    as_csv, as_parquet = generated_folder(1000, tmp_path), generated_folder(1000, tmp_path, "parquet")
    assert as_parquet == tmp_path / "1000-parquet" and as_csv == tmp_path / "1000"
    assert sorted(p.name for p in as_parquet.iterdir()) == [
        ".generated",
        "events.parquet",
        "locations.csv",
        "zones.geojson",
    ]
    table = pq.read_table(as_parquet / "events.parquet")
    assert table.column_names == list(EVENTS_HEADER)
    assert all(field.type == pa.string() and not field.nullable for field in table.schema)
    expected = pd.read_csv(as_csv / "events.csv", dtype=str, keep_default_na=False, na_filter=False)
    pd.testing.assert_frame_equal(table.to_pandas().astype(object), expected.astype(object))
    for name in ("locations.csv", "zones.geojson"):
        assert (as_parquet / name).read_bytes() == (as_csv / name).read_bytes()
    assert folder_hashes(as_parquet) == check_reproducible(1000, "parquet")
    stamp = (as_parquet / ".generated").stat().st_mtime_ns
    assert generated_folder(1000, tmp_path, "parquet") == as_parquet
    assert (as_parquet / ".generated").stat().st_mtime_ns == stamp, "an up-to-date folder is not written again"


def test_parquet_events_are_generated_and_written_a_row_group_at_a_time(tmp_path, monkeypatch):
    """Ten million events never sit in memory: rows are made and written one row group's worth at a time."""
    monkeypatch.setattr(loading, "EVENT_CHUNK_ROWS", 300)
    pieces = []
    real = EventsParquetWriter.write_rows

    def spy(self, rows):
        pieces.append(len(rows))
        real(self, rows)

    monkeypatch.setattr(EventsParquetWriter, "write_rows", spy)
    write_folder(1000, tmp_path, "parquet")
    assert pieces == [300, 300, 300, 100]
    metadata = pq.ParquetFile(tmp_path / "events.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [300, 300, 300, 100]
