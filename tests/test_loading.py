"""load_dataset on copies of the bundled data with one thing broken: every problem located and reported."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import edit_event, located, read_rows, write_rows

from dashboard import loading
from dashboard.config import Settings, load_settings
from dashboard.errors import DataError
from dashboard.loading import check_dataset, load_dataset
from dashboard.validation import Problem

BUNDLED = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def data_dir(data_copy: Path) -> Path:
    """A private copy of the bundled data folder."""
    return data_copy


def load(data_dir: Path, **overrides):
    return load_dataset(dataclasses.replace(load_settings(data_dir), **overrides))


def problems_of(data_dir: Path, **overrides) -> list[Problem]:
    with pytest.raises(DataError) as caught:
        load(data_dir, **overrides)
    assert caught.value.problems, "a DataError must carry its problems"
    return caught.value.problems


def test_copy_of_bundled_data_loads(data_dir):
    """The unbroken copy loads, with the folder it came from."""
    dataset = load(data_dir)
    assert len(dataset.events) == len(read_rows(data_dir / "events.csv")) - 1
    assert dataset.data_dir == data_dir.resolve()


def test_data_folder_missing(tmp_path):
    """A folder that does not exist is one problem naming it."""
    problems = problems_of(tmp_path / "nowhere")
    assert [p.message for p in problems] == ["data folder not found"]
    assert problems[0].value == str((tmp_path / "nowhere").resolve())


def test_events_file_missing(data_dir):
    (data_dir / "events.csv").unlink()
    problems = problems_of(data_dir)
    assert located(problems) == [("events.csv", None, None, str(data_dir.resolve() / "events.csv"))]
    assert problems[0].message == "file not found"


@pytest.mark.parametrize(
    "content", ["", "\n\n  \n", "\ufeff\n"], ids=["zero-bytes", "only-blank-lines", "only-a-byte-order-mark"]
)
@pytest.mark.parametrize("block", [None, 1], ids=["one-block", "1-byte-blocks"])
def test_events_file_empty(data_dir, content, block, monkeypatch):
    if block:
        monkeypatch.setattr(loading, "READ_BLOCK", block)
    (data_dir / "events.csv").write_text(content, encoding="utf-8")
    problems = problems_of(data_dir)
    assert [(p.file, p.message) for p in problems] == [("events.csv", "file is empty")]


def test_events_file_not_utf8(data_dir):
    """Latin-1 bytes are reported on the line where they are, with the bytes shown."""
    path = data_dir / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("lai-2024-depart-taoyuan,"))
    lines[line - 1] = lines[line - 1].replace("Lai departs Taiwan", "Lai d\u00e9parts Taiwan")
    path.write_bytes("".join(lines).encode("utf-8").replace("d\u00e9parts".encode(), b"d\xe9parts"))
    problems = problems_of(data_dir)
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.row, problem.column) == ("events.csv", line, None)
    assert "\\xe9" in problem.value
    assert "UTF-8" in problem.message


def test_utf8_with_byte_order_mark_loads(data_dir):
    """A spreadsheet's UTF-8 BOM is not part of the first column name."""
    path = data_dir / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load(data_dir).events) == len(read_rows(path)) - 1


def test_broken_quote_is_located_on_its_row(data_dir):
    """A quote never closed is reported on the row where it opens (header = row 1)."""
    path = data_dir / "events.csv"
    records = len(read_rows(path))  # header included; multi-line cells count once
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            'broken-row,diplomatic,2024-01-01,,"Unclosed title,Taipei,,,https://example.org\n'
            "after,diplomatic,2024-01-02,,Title,Taipei,,,https://example.org\n"
        )
    problems = problems_of(data_dir)
    assert len(problems) == 1
    assert (problems[0].file, problems[0].row) == ("events.csv", records + 1)
    assert "quote" in problems[0].message


def test_row_with_too_many_fields_is_located(data_dir):
    """An extra cell on a row is reported on that row."""
    row = edit_event(data_dir, "lai-2024-majuro")
    path = data_dir / "events.csv"
    rows = read_rows(path)
    rows[row - 1].append("stray")
    write_rows(path, rows)
    problems = problems_of(data_dir)
    assert [(p.file, p.row) for p in problems] == [("events.csv", row)]
    assert "more fields than the header" in problems[0].message


@pytest.mark.parametrize("delimiter, label", [(";", "semicolons"), ("\t", "tabs")])
def test_events_file_with_other_delimiter(data_dir, delimiter, label):
    """A file saved with semicolons (or tabs) says so on row 1."""
    path = data_dir / "events.csv"
    rows = read_rows(path)
    write_rows(path, rows, delimiter=delimiter)
    problems = problems_of(data_dir)
    assert located(problems) == [("events.csv", 1, None, delimiter.join(rows[0]))]
    assert label in problems[0].message


def test_required_column_missing(data_dir):
    """Dropping source_url is an error on row 1 naming the column; zones are not blamed for it."""
    path = data_dir / "events.csv"
    rows = read_rows(path)
    index = rows[0].index("source_url")
    write_rows(path, [row[:index] + row[index + 1 :] for row in rows])
    problems = problems_of(data_dir)
    assert located(problems) == [("events.csv", 1, "source_url", "")]
    assert "required column" in problems[0].message


def test_duplicate_column_is_an_error(data_dir):
    """A header naming latitude twice is an error, not a silently renamed 'latitude.1'."""
    path = data_dir / "events.csv"
    rows = read_rows(path)
    rows[0][rows[0].index("notes")] = "latitude"
    write_rows(path, rows)
    problems = problems_of(data_dir)
    assert [(p.file, p.row, p.column, p.severity) for p in problems] == [("events.csv", 1, "latitude", "error")]
    assert "twice" in problems[0].message


def test_unknown_extra_column_is_a_warning_and_data_still_loads(data_dir):
    path = data_dir / "events.csv"
    rows = read_rows(path)
    write_rows(path, [rows[0] + ["colour"]] + [row + ["red"] for row in rows[1:]])
    dataset = load(data_dir)
    assert located(dataset.warnings) == [("events.csv", 1, "colour", "colour")]
    assert dataset.warnings[0].severity == "warning"
    assert "colour" not in dataset.events.columns
    assert len(dataset.events) == len(rows) - 1


def test_zones_not_json(data_dir):
    (data_dir / "zones.geojson").write_text('{"type": "FeatureCollection",\n "features": [\n', encoding="utf-8")
    problems = problems_of(data_dir)
    assert len(problems) == 1
    assert (problems[0].file, problems[0].row, problems[0].column) == ("zones.geojson", 3, None)
    assert "not valid JSON" in problems[0].message


def test_zone_with_unknown_event_is_located_by_feature_number(data_dir):
    path = data_dir / "zones.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][2]["properties"]["event_id"] = "pla-no-such-drill"
    path.write_text(json.dumps(data), encoding="utf-8")
    problems = problems_of(data_dir)
    assert located(problems) == [("zones.geojson", 3, "properties.event_id", "pla-no-such-drill")]


def test_zones_file_is_optional(data_dir):
    (data_dir / "zones.geojson").unlink()
    dataset = load(data_dir)
    assert dataset.zones == [] and dataset.warnings == []


def test_file_over_size_limit(data_dir):
    """Files over the limit are refused before parsing, each one reported with its size and its own limit:
    the events (streamed) have one, the files read whole another."""
    limit = 10_000  # events.csv and zones.geojson are bigger; locations.csv is smaller
    assert (data_dir / "locations.csv").stat().st_size < limit
    problems = problems_of(data_dir, max_file_bytes=limit, max_events_bytes=limit)
    sizes = {name: (data_dir / name).stat().st_size for name in ("events.csv", "zones.geojson")}
    assert located(problems) == [(name, None, None, f"{size:,} bytes") for name, size in sizes.items()]
    assert ["DASHBOARD_MAX_EVENTS_MB" in p.message for p in problems] == [True, False]
    assert "DASHBOARD_MAX_FILE_MB" in problems[1].message
    only_zones = problems_of(data_dir, max_file_bytes=limit)
    assert located(only_zones) == [("zones.geojson", None, None, f"{sizes['zones.geojson']:,} bytes")]


@pytest.mark.parametrize(
    ("variable", "field", "default_mb"),
    [("DASHBOARD_MAX_FILE_MB", "max_file_bytes", 512), ("DASHBOARD_MAX_EVENTS_MB", "max_events_bytes", 16 * 1024)],
)
def test_size_limits_from_environment(monkeypatch, variable, field, default_mb):
    """Each limit is set in whole megabytes; the events' default takes 10,000,000 events as CSV (1.6 GB)."""
    monkeypatch.delenv(variable, raising=False)
    assert getattr(load_settings(), field) == getattr(Settings(), field) == default_mb * 1024 * 1024
    monkeypatch.setenv(variable, "3")
    assert getattr(load_settings(), field) == 3 * 1024 * 1024


def test_blank_coordinates_with_unknown_location(data_dir):
    """A place found nowhere is an error naming it, on its row, in the location column."""
    row = edit_event(data_dir, "lai-2024-honolulu", location="Atlantis Harbour")
    problems = problems_of(data_dir)
    assert located(problems) == [("events.csv", row, "location", "Atlantis Harbour")]
    assert "locations.csv" in problems[0].message and "geocode --online" in problems[0].message


def test_blank_coordinates_with_blank_location_is_reported_not_a_crash(data_dir):
    """No location and no coordinates: one 'required value is blank' problem."""
    row = edit_event(data_dir, "lai-2024-trip-announced", location="")
    problems = problems_of(data_dir)
    assert located(problems) == [("events.csv", row, "location", "")]
    assert problems[0].message == "required value is blank"


@pytest.mark.parametrize(
    "location, lat, lon",
    [("TPE", 25.0797, 121.2342), ("  hagatna ", 13.4757, 144.7489), ("FORMOSA STRAIT", 24.2, 119.6)],
    ids=["alias", "alias-other-case-and-spaces", "alias-upper-case"],
)
def test_blank_coordinates_with_gazetteer_alias_are_filled(data_dir, location, lat, lon):
    edit_event(data_dir, "lai-2024-trip-announced", location=location)
    events = load(data_dir).events.set_index("event_id")
    assert events.at["lai-2024-trip-announced", "latitude"] == pytest.approx(lat)
    assert events.at["lai-2024-trip-announced", "longitude"] == pytest.approx(lon)


def test_blank_coordinates_from_geocode_cache(data_dir):
    """A place only in geocode_cache.csv resolves from it."""
    edit_event(data_dir, "lai-2024-trip-announced", location="Kaohsiung, Taiwan")
    (data_dir / "geocode_cache.csv").write_text(
        "name,latitude,longitude,display_name,source\nKaohsiung, Taiwan,22.6273,120.3014,Kaohsiung,geocoder\n".replace(
            "Kaohsiung, Taiwan,", '"Kaohsiung, Taiwan",'
        ),
        encoding="utf-8",
    )
    events = load(data_dir).events.set_index("event_id")
    assert events.at["lai-2024-trip-announced", "latitude"] == pytest.approx(22.6273)


def test_several_problems_in_one_file_are_all_reported(data_dir):
    """Three broken rows give three problems, each with its own row, column and value."""
    rows = [
        edit_event(data_dir, "pla-joint-sword-2024a", latitude="91"),
        edit_event(data_dir, "lai-2024-majuro", start_date="2024-12-33"),
        edit_event(data_dir, "arms-2024-11-imse", source_url="javascript:alert(1)"),
    ]
    problems = problems_of(data_dir)
    assert sorted(located(problems)) == sorted(
        [
            ("events.csv", rows[0], "latitude", "91"),
            ("events.csv", rows[1], "start_date", "2024-12-33"),
            ("events.csv", rows[2], "source_url", "javascript:alert(1)"),
        ]
    )
    assert f"{len(problems)} problems" in str(DataError(problems))


def test_problems_in_several_files_are_all_reported(data_dir):
    """A broken gazetteer and a broken events file are reported together."""
    path = data_dir / "locations.csv"
    rows = read_rows(path)
    rows[3][1] = "north"  # Honolulu's latitude
    write_rows(path, rows)
    row = edit_event(data_dir, "lai-2024-guam", end_date="2024-12-01")
    problems = problems_of(data_dir)
    assert ("locations.csv", 4, "latitude", "north") in located(problems)
    assert ("events.csv", row, "end_date", "2024-12-01") in located(problems)


# events.csv read in pieces ------------------------------------------------------------------------


def test_reading_in_pieces_gives_the_same_frame(data_dir, monkeypatch):
    """Pieces of 7 records (the bundled file has several times that) make exactly the one-piece frame."""
    whole = load(data_dir).events
    monkeypatch.setattr(loading, "EVENT_CHUNK_ROWS", 7)
    pieces = load(data_dir).events
    assert len(whole) > 3 * 7
    pd.testing.assert_frame_equal(pieces, whole)


def set_cells(data_dir: Path, row: int, **changes: str) -> None:
    """Change cells of events.csv's spreadsheet row `row` (the header is row 1)."""
    path = data_dir / "events.csv"
    rows = read_rows(path)
    for column, value in changes.items():
        rows[row - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def test_rows_repeated_in_other_pieces_are_reported(data_dir, monkeypatch):
    """An event_id and a route's route_seq repeated far apart (other pieces) give the same problems as when
    the file is read whole; a repeat inside one piece is not reported twice."""
    rows = read_rows(data_dir / "events.csv")
    header = rows[0]
    last = len(rows)
    first_id = rows[1][header.index("event_id")]
    set_cells(data_dir, last, event_id=first_id)  # row 2's id on the last row, in another piece
    set_cells(data_dir, 3, event_id=first_id)  # and on row 3, in row 2's piece
    stop = next(n for n, row in enumerate(rows[1:], start=2) if row[header.index("route_id")])
    route, seq = rows[stop - 1][header.index("route_id")], rows[stop - 1][header.index("route_seq")]
    set_cells(data_dir, last - 1, route_id=route, route_seq=seq)
    whole = problems_of(data_dir)
    monkeypatch.setattr(loading, "EVENT_CHUNK_ROWS", 7)
    pieces = problems_of(data_dir)
    assert last - 1 > 3 * 7 and stop < last - 8
    assert sorted(located(pieces)) == sorted(located(whole))
    found = {(p.file, p.row, p.column) for p in pieces}
    assert {("events.csv", 2, "event_id"), ("events.csv", 3, "event_id"), ("events.csv", last, "event_id")} <= found
    assert {("events.csv", stop, "route_seq"), ("events.csv", last - 1, "route_seq")} <= found
    assert len(pieces) == len(whole) == len(set(located(pieces)))


def rename_event(data_dir: Path, old: str, new: str) -> None:
    set_cells(data_dir, edit_event(data_dir, old), event_id=new)


def append_line(data_dir: Path, line: bytes) -> None:
    path = data_dir / "events.csv"
    path.write_bytes(path.read_bytes() + line)


def drop_column(data_dir: Path, name: str) -> None:
    rows = read_rows(data_dir / "events.csv")
    at = rows[0].index(name)
    write_rows(data_dir / "events.csv", [row[:at] + row[at + 1 :] for row in rows])


BREAKAGES = {
    "latitude-91": lambda d: edit_event(d, "pla-joint-sword-2024a", latitude="91"),
    "no-source": lambda d: edit_event(d, "lai-2024-majuro", source_url="", source_name=""),
    "javascript-source": lambda d: edit_event(d, "lai-2024-majuro", source_url="javascript:alert(1)"),
    "duplicate-id": lambda d: rename_event(d, "lai-2024-majuro", "lai-2024-honolulu"),
    "unknown-place": lambda d: edit_event(d, "lai-2024-honolulu", location="Atlantis Harbour"),
    "zone-of-no-event": lambda d: rename_event(d, "pla-joint-sword-2024a", "pla-renamed"),
    "extra-field": lambda d: append_line(d, b"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s\n"),
    "not-utf8": lambda d: append_line(d, b"x,\xff\n"),
    "no-source-url-column": lambda d: drop_column(d, "source_url"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES.values()), ids=list(BREAKAGES))
def test_check_dataset_finds_what_load_dataset_finds(data_dir, breakage, monkeypatch):
    """The importer's check (events in pieces, free text not read) reports what loading reports, in order."""
    breakage(data_dir)
    expected = problems_of(data_dir)
    assert check_dataset(load_settings(data_dir)) == expected
    monkeypatch.setattr(loading, "EVENT_CHUNK_ROWS", 5)
    assert sorted(located(check_dataset(load_settings(data_dir)))) == sorted(located(expected))


def test_check_dataset_of_a_good_folder_gives_its_warnings(data_dir):
    path = data_dir / "events.csv"
    rows = read_rows(path)
    write_rows(path, [rows[0] + ["colour"]] + [row + ["red"] for row in rows[1:]])
    assert check_dataset(load_settings(data_dir)) == load(data_dir).warnings != []


def test_a_row_with_a_named_source_and_no_link_loads_with_both_as_given(data_dir):
    """What the details panel and the map card receive for a source without a link: '' and the name."""
    edit_event(data_dir, "lai-2024-majuro", source_url="", source_name="  Presidential Office (Taiwan) ")
    row = load(data_dir).events.set_index("event_id").loc["lai-2024-majuro"]
    assert (row["source_url"], row["source_name"]) == ("", "Presidential Office (Taiwan)")


def test_a_row_with_no_source_at_all_is_an_error_naming_it(data_dir):
    row = edit_event(data_dir, "lai-2024-majuro", source_url="", source_name="")
    problems = problems_of(data_dir)
    assert located(problems) == [("events.csv", row, "source_url", "")]
    assert "source_name" in problems[0].message
    assert problems[0].format().startswith(f"events.csv:{row}: source_url: '': blank, and so is source_name")


@pytest.mark.parametrize("block", ["whole", "7-bytes", "split-in-the-bad-bytes"])
def test_not_utf8_is_located_when_the_file_is_read_in_blocks(data_dir, monkeypatch, block):
    """The file is checked in blocks: a character split across two blocks is fine, a bad byte is found on its
    line with its byte offset in the file, also when the bad sequence starts in one block and ends in the next."""
    edit_event(data_dir, "lai-2024-majuro", title="Majuro — 馬久羅")
    path = data_dir / "events.csv"
    lines = path.read_bytes().split(b"\n")
    bad = b"\xe4\xb8X"  # a three-byte character cut short
    lines[10] = lines[10].replace(b"a", bad, 1)
    path.write_bytes(b"\n".join(lines))
    offset = len(b"\n".join(lines[:10])) + 1 + lines[10].index(bad)
    sizes = {"whole": loading.READ_BLOCK, "7-bytes": 7, "split-in-the-bad-bytes": offset + 2}
    monkeypatch.setattr(loading, "READ_BLOCK", sizes[block])
    [problem] = problems_of(data_dir)
    assert (problem.file, problem.row, problem.column) == ("events.csv", 11, None)
    assert problem.value == repr(lines[10][lines[10].index(bad) :][:4])
    assert f"(byte {offset})" in problem.message and "UTF-8" in problem.message


def test_a_character_split_between_blocks_is_read(data_dir, monkeypatch):
    edit_event(data_dir, "lai-2024-majuro", title="Majuro — 馬久羅")
    whole = load(data_dir).events
    for size in (1, 2, 3, 7):
        monkeypatch.setattr(loading, "READ_BLOCK", size)
        pd.testing.assert_frame_equal(load(data_dir).events, whole)
