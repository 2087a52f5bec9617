"""`python -m dashboard import navwarnings`: warning areas as warnings write them, each a drill with its zone."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from helpers import EVENTS_HEADER

from dashboard import cli
from dashboard.config import load_settings
from dashboard.importers import ImportOptions, ImportRefused, import_files, navwarnings
from dashboard.importers.common import RowError
from dashboard.loading import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "import"
STANDARD = FIXTURES / "navwarnings.csv"
SCRAPER = FIXTURES / "navwarnings_scraper.csv"
SCRAPER_MAP = {
    "id": "warning_no",
    "title": "warning_title",
    "start_date": "valid_from",
    "end_date": "valid_to",
    "area": "coordinates_raw",
    "url": "link",
    "source_name": "issuer",
}
A = (21 + 23 / 60, 108 + 47.4 / 60)  # 21°23.00'N 108°47.40'E
B = (21 + 23 / 60, 108 + 58 / 60)
C = (21 + 15 / 60, 108 + 58 / 60)

# How the same three corners are written; every form must give the same points.
WRITTEN = {
    "degrees-minutes-hyphen": "21-23.00N 108-47.40E; 21-23.00N 108-58.00E; 21-15.00N 108-58.00E",
    "degrees-minutes-no-decimals": "21-23N 108-47.4E; 21-23N 108-58E; 21-15N 108-58E",
    "degrees-minutes-spaces": "21 23.00N 108 47.40E, 21 23.00N 108 58.00E, 21 15.00N 108 58.00E",
    "slash-between-lat-and-lon": "21-23.00N/108-47.40E 21-23.00N/108-58.00E 21-15.00N/108-58.00E",
    "degree-symbols": "21°23.0'N 108°47.4'E; 21°23.0'N 108°58.0'E; 21°15.0'N 108°58.0'E",
    "degree-symbols-primes": "21°23.0′N 108°47.4′E; 21°23.0′N 108°58.0′E; 21°15.0′N 108°58.0′E",
    "with-seconds": "21°23'00\"N 108°47'24\"E; 21°23'00\"N 108°58'00\"E; 21°15'00\"N 108°58'00\"E",
    "seconds-as-two-quotes": "21°23'00''N 108°47'24''E; 21°23'00''N 108°58'00''E; 21°15'00''N 108°58'00''E",
    "decimal-with-hemisphere": "21.383333N 108.79E; 21.383333N 108.966667E; 21.25N 108.966667E",
    "decimal-pairs": "21.383333,108.79; 21.383333,108.966667; 21.25,108.966667",
    "longitude-first": "108-47.40E 21-23.00N; 108-58.00E 21-23.00N; 108-58.00E 21-15.00N",
    "words-around": "Area bounded by 21-23.00N 108-47.40E, 21-23.00N 108-58.00E and 21-15.00N 108-58.00E.",
    "closed-already": "21-23.00N 108-47.40E; 21-23.00N 108-58.00E; 21-15.00N 108-58.00E; 21-23.00N 108-47.40E",
}


def close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-5 and abs(a[1] - b[1]) < 1e-5


@pytest.mark.parametrize("text", WRITTEN.values(), ids=WRITTEN.keys())
def test_every_written_form_gives_the_same_area(text):
    [ring] = navwarnings.parse_area(text, "area")
    assert close(ring[0], ring[-1]) and len(ring) == 4
    corners = ring[:-1]
    for expected in (A, B, C):
        assert any(close(point, expected) for point in corners), (expected, corners)
    twice_area = sum(a[1] * b[0] - b[1] * a[0] for a, b in zip(ring, ring[1:], strict=False))
    assert twice_area > 0  # counter-clockwise, as RFC 7946 asks of an exterior ring


def test_southern_and_western_hemispheres_are_negative():
    [ring] = navwarnings.parse_area("13-30.00S 172-10.00W; 13-30.00S 172-00.00W; 13-40.00S 172-00.00W", "area")
    assert all(lat < 0 and lon < 0 for lat, lon in ring)
    [ring] = navwarnings.parse_area("-13.5,-172.1; -13.5,-172.0; -13.6,-172.0", "area")
    assert all(lat < 0 and lon < 0 for lat, lon in ring)


def test_several_areas_of_one_warning():
    rings = navwarnings.parse_area(f"{WRITTEN['degrees-minutes-hyphen']} | {WRITTEN['decimal-pairs']}", "area")
    assert len(rings) == 2
    rings = navwarnings.parse_area(f"{WRITTEN['degree-symbols']}\n{WRITTEN['decimal-pairs']}", "area")
    assert len(rings) == 2


@pytest.mark.parametrize(
    "written, radius_km",
    [
        ("within 5 nm of 24-50.00N 119-10.00E", 5 * 1.852),
        ("24°50.0'N 119°10.0'E radius 3 km", 3.0),
        ("以24-50.00N 119-10.00E为中心半径2海里", 2 * 1.852),
    ],
    ids=["nautical-miles", "kilometres", "chinese-haili"],
)
def test_a_centre_and_a_radius_is_a_circle(written, radius_km):
    [ring] = navwarnings.parse_area(written, "area")
    centre = (24 + 50 / 60, 119 + 10 / 60)
    assert close(ring[0], ring[-1]) and len(ring) == navwarnings.CIRCLE_POINTS + 1
    for lat, lon in ring:
        distance = (
            6371.0088
            * 2
            * math.asin(
                math.sqrt(
                    math.sin(math.radians(lat - centre[0]) / 2) ** 2
                    + math.cos(math.radians(lat))
                    * math.cos(math.radians(centre[0]))
                    * math.sin(math.radians(lon - centre[1]) / 2) ** 2
                )
            )
        )
        assert distance == pytest.approx(radius_km, rel=1e-3)


# an area that must stop its row, and words of the message
UNREADABLE = {
    "hemisphere-missing": ("21-23.00N 108-47.40E; 21-23.00N 108-58.0; 21-15.00N 108-58.00E", "pairs"),
    "stray-number": ("21-23.00N 108-47.40E; 21-23.00N 108-58.00E; 21-15.00N 108-58.00E; 7", "'7'"),
    "minutes-60": ("21-60.00N 108-47.40E; 21-23.00N 108-58.00E; 21-15.00N 108-58.00E", "not a valid"),
    "latitude-over-90": ("91-00.00N 108-47.40E; 21-23.00N 108-58.00E; 21-15.00N 108-58.00E", "out of range"),
    "two-latitudes": ("21-23.00N 21-24.00N; 21-23.00N 108-58.00E", "pairs"),
    "two-points": ("21-23.00N 108-47.40E; 21-23.00N 108-58.00E", "at least 3"),
    "decimal-out-of-range": ("21.3,108.7; 21.3,190.2; 21.2,108.9", "'21.3,190.2'"),
    "nothing-readable": ("north of Taiwan", "at least 3"),
    "radius-with-two-points": ("within 5 nm of 21-23.00N 108-47.40E, 21-23.00N 108-58.00E", "one centre"),
}


@pytest.mark.parametrize("text, words", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_area_stops_with_a_message(text, words):
    with pytest.raises(RowError) as error:
        navwarnings.parse_area(text, "area")
    assert error.value.column == "area" and error.value.value == text
    assert words in error.value.message


def rows_of(batch) -> dict[str, dict[str, str]]:
    return {
        event_id: dict(zip(EVENTS_HEADER, next(csv.reader([line])), strict=True))
        for event_id, line in batch.events.items()
    }


def test_each_warning_is_a_military_drill_with_its_zones():
    batch = navwarnings.read([STANDARD], ImportOptions())
    assert batch.problems == [] and len(batch.events) == 5
    rows = list(rows_of(batch).values())
    assert {row["event_type"] for row in rows} == {"military_drill"} and batch.types == {}
    first = rows[0]
    assert (first["start_date"], first["end_date"], first["geo_precision"], first["source_name"]) == (
        "2024-12-09",
        "2024-12-11",
        "2",
        "msa.gov.cn",
    )
    assert rows[2]["end_date"] == ""  # the same day as the start
    assert sum(len(zones) for zones in batch.zones.values()) == 6  # the Kinmen warning has two areas
    zone = batch.zones[first["event_id"]][0]
    assert zone["properties"]["name"] == first["title"]
    assert "Published coordinates" in zone["properties"]["note"] and "21-23.00N" in zone["properties"]["note"]


def test_a_scrapers_columns_are_named_with_map():
    with pytest.raises(ImportRefused) as refused:
        navwarnings.read([SCRAPER], ImportOptions())
    assert {p.column for p in refused.value.problems if p.column} == {"title", "start_date", "area", "url"}
    batch = navwarnings.read([SCRAPER], ImportOptions(column_map=SCRAPER_MAP))
    rows = rows_of(batch)
    assert batch.problems == [] and len(rows) == 2
    assert all(event_id.startswith("navwarn-1234-24-") or event_id.startswith("navwarn-1240-24-") for event_id in rows)
    row = next(r for r in rows.values() if r["title"].endswith("north of Pingtan"))
    assert (row["start_date"], row["end_date"], row["source_name"]) == ("2024-12-09", "2024-12-11", "Fujian MSA")


def test_a_bad_row_is_reported_by_the_files_own_column_name(tmp_path):
    text = SCRAPER.read_text(encoding="utf-8").replace("09 Dec 2024", "9 Decembre 2024")
    (tmp_path / "scraped.csv").write_text(text, encoding="utf-8")
    batch = navwarnings.read([tmp_path / "scraped.csv"], ImportOptions(column_map=SCRAPER_MAP))
    [problem] = batch.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "scraped.csv",
        2,
        "valid_from",
        "9 Decembre 2024",
    )


@pytest.mark.parametrize(
    "change, column, words",
    [
        ({"url": "javascript:alert(1)"}, "url", "not an http"),
        ({"url": ""}, "url", "needs the link"),
        ({"end_date": "2024-12-01"}, "end_date", "before its start_date"),
        ({"title": ""}, "title", "blank"),
        ({"area": ""}, "area", "blank"),
    ],
    ids=["script-link", "no-link", "ends-before-start", "no-title", "no-area"],
)
def test_a_warning_that_cannot_be_shown_is_skipped(tmp_path, change, column, words):
    row = {
        "title": "Drill",
        "start_date": "2024-12-09",
        "end_date": "",
        "area": WRITTEN["decimal-pairs"],
        "url": "https://example.org/w",
        **change,
    }
    path = tmp_path / "w.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    batch = navwarnings.read([path], ImportOptions())
    [problem] = batch.problems
    assert (problem.row, problem.column) == (2, column) and words in problem.message
    assert batch.events == {}


def test_round_trip_import_load_validate_and_import_again(tmp_path, capsys):
    into = tmp_path / "warnings"
    assert cli.main(["import", "navwarnings", str(STANDARD), "--into", str(into)]) == 0
    map_args = [f"{field}={column}" for field, column in SCRAPER_MAP.items()]
    assert cli.main(["import", "navwarnings", str(SCRAPER), "--into", str(into), "--map", *map_args]) == 0
    capsys.readouterr()
    dataset = load_dataset(load_settings(into))
    assert len(dataset.events) == 7 and len(dataset.zones) == 8 and dataset.warnings == []
    assert {zone.event_id for zone in dataset.zones} == set(dataset.events["event_id"])
    assert cli.main(["validate", "--data-dir", str(into)]) == 0
    zones_before = (into / "zones.geojson").read_bytes()
    _batch, report = import_files("navwarnings", [STANDARD], into, load_settings(into))
    assert (report.new, report.unchanged, report.kept) == (0, 5, 2)
    assert (into / "zones.geojson").read_bytes() == zones_before
    json.loads(zones_before)  # plain GeoJSON


def test_a_reimported_warning_replaces_its_zones(tmp_path):
    into = tmp_path / "warnings"
    import_files("navwarnings", [SCRAPER], into, load_settings(into), ImportOptions(column_map=SCRAPER_MAP))
    moved = SCRAPER.read_text(encoding="utf-8").replace(
        "24.4000N 118.2000E; 24.4000N 118.3000E", "24.4500N 118.2000E; 24.4500N 118.3000E"
    )
    (tmp_path / "corrected.csv").write_text(moved, encoding="utf-8")
    _batch, report = import_files(
        "navwarnings", [tmp_path / "corrected.csv"], into, load_settings(into), ImportOptions(column_map=SCRAPER_MAP)
    )
    assert (report.updated, report.unchanged) == (1, 1)
    zones = load_dataset(load_settings(into)).zones
    assert len(zones) == 2
    assert any(abs(lat - 24.45) < 1e-9 for zone in zones for ring in zone.polygons[0] for lat, _lon in ring)
