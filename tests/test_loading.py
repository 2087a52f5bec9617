"""load_dataset on copies of the bundled data with one thing broken: every problem located and reported."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from helpers import edit_event, located, read_rows, write_rows

from dashboard.config import Settings, load_settings
from dashboard.errors import DataError
from dashboard.loading import load_dataset
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


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["zero-bytes", "only-blank-lines"])
def test_events_file_empty(data_dir, content):
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
    """Files over the limit are refused before parsing, each one reported with its size."""
    limit = 10_000  # events.csv and zones.geojson are bigger; locations.csv is smaller
    assert (data_dir / "locations.csv").stat().st_size < limit
    problems = problems_of(data_dir, max_file_bytes=limit)
    sizes = {name: (data_dir / name).stat().st_size for name in ("events.csv", "zones.geojson")}
    assert located(problems) == [(name, None, None, f"{size:,} bytes") for name, size in sizes.items()]
    assert all("DASHBOARD_MAX_FILE_MB" in p.message for p in problems)


def test_size_limit_from_environment(monkeypatch):
    """DASHBOARD_MAX_FILE_MB sets the limit in whole megabytes; the default is 100 MB."""
    monkeypatch.delenv("DASHBOARD_MAX_FILE_MB", raising=False)
    assert load_settings().max_file_bytes == Settings().max_file_bytes == 100 * 1024 * 1024
    monkeypatch.setenv("DASHBOARD_MAX_FILE_MB", "3")
    assert load_settings().max_file_bytes == 3 * 1024 * 1024


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
