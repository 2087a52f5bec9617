"""validate_events, check_header and validate_zones: each broken field is reported exactly where it is."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from helpers import located

from dashboard.schema import EVENT_COLUMNS, LOCATION_COLUMNS
from dashboard.validation import Problem, check_header, errors_only, validate_events, validate_locations, validate_zones

FILE = "events.csv"

VALID_ROW = {
    "event_id": "evt-1",
    "event_type": "diplomatic",
    "start_date": "2024-11-30",
    "end_date": "",
    "title": "Lai departs Taiwan",
    "location": "Taoyuan International Airport, Taiwan",
    "latitude": "25.0797",
    "longitude": "121.2342",
    "source_url": "https://english.president.gov.tw/NEWS/6849",
    "description": "",
    "actor": "Taiwan",
    "route_id": "",
    "route_seq": "",
    "amount_usd": "",
    "geo_precision": "",
    "source_name": "",
    "notes": "",
}


def frame(*changes: dict) -> pd.DataFrame:
    """A string-typed events frame: one row per dict of changes to VALID_ROW (ids made unique)."""
    rows = []
    for number, change in enumerate(changes, start=1):
        row = dict(VALID_ROW, event_id=f"evt-{number}")
        row.update(change)
        rows.append(row)
    return pd.DataFrame(rows, dtype=str)


# (changes per row, expected [(row, column, value)]); row 2 is the first record, as in a spreadsheet.
BROKEN = {
    "unknown-event-type": ([{"event_type": "parade"}], [(2, "event_type", "parade")]),
    "blank-event-type": ([{"event_type": ""}], [(2, "event_type", "")]),
    "bad-date-month-13": ([{"start_date": "2024-13-01"}], [(2, "start_date", "2024-13-01")]),
    "bad-date-30-february": ([{"start_date": "2024-02-30"}], [(2, "start_date", "2024-02-30")]),
    "bad-date-day-first": ([{"start_date": "30/11/2024"}], [(2, "start_date", "30/11/2024")]),
    "blank-start-date": ([{"start_date": ""}], [(2, "start_date", "")]),
    "bad-end-date": ([{"end_date": "2024-12-32"}], [(2, "end_date", "2024-12-32")]),
    "end-before-start": ([{"end_date": "2024-11-29"}], [(2, "end_date", "2024-11-29")]),
    "latitude-91": ([{"latitude": "91"}], [(2, "latitude", "91")]),
    "longitude-minus-181": ([{"longitude": "-181"}], [(2, "longitude", "-181")]),
    "longitude-abc": ([{"longitude": "abc"}], [(2, "longitude", "abc")]),
    "latitude-without-longitude": ([{"longitude": ""}], [(2, "longitude", "")]),
    "longitude-without-latitude": ([{"latitude": ""}], [(2, "latitude", "")]),
    "duplicate-event-id": (
        [{"event_id": "same"}, {"event_id": "same"}],
        [(2, "event_id", "same"), (3, "event_id", "same")],
    ),
    "bad-id-with-space": ([{"event_id": "evt 1"}], [(2, "event_id", "evt 1")]),
    "bad-id-leading-dash": ([{"event_id": "-evt"}], [(2, "event_id", "-evt")]),
    "bad-id-too-long": ([{"event_id": "e" * 129}], [(2, "event_id", "e" * 129)]),
    "blank-event-id": ([{"event_id": ""}], [(2, "event_id", "")]),
    "route-seq-duplicated-in-route": (
        [{"route_id": "tour", "route_seq": "1"}, {"route_id": "tour", "route_seq": "1"}],
        [(2, "route_seq", "1"), (3, "route_seq", "1")],
    ),
    "route-seq-not-a-number": ([{"route_id": "tour", "route_seq": "first"}], [(2, "route_seq", "first")]),
    "route-seq-fraction": ([{"route_id": "tour", "route_seq": "1.5"}], [(2, "route_seq", "1.5")]),
    "route-seq-negative": ([{"route_id": "tour", "route_seq": "-1"}], [(2, "route_seq", "-1")]),
    "route-seq-without-route-id": ([{"route_seq": "1"}], [(2, "route_id", "")]),
    "route-id-without-route-seq": ([{"route_id": "tour"}], [(2, "route_seq", "")]),
    "amount-lots": ([{"amount_usd": "lots"}], [(2, "amount_usd", "lots")]),
    "amount-negative": ([{"amount_usd": "-5"}], [(2, "amount_usd", "-5")]),
    "geo-precision-4": ([{"geo_precision": "4"}], [(2, "geo_precision", "4")]),
    "geo-precision-word": ([{"geo_precision": "exact"}], [(2, "geo_precision", "exact")]),
    "url-javascript": ([{"source_url": "javascript:alert(1)"}], [(2, "source_url", "javascript:alert(1)")]),
    "url-data": ([{"source_url": "data:text/html,x"}], [(2, "source_url", "data:text/html,x")]),
    "url-ftp": ([{"source_url": "ftp://x"}], [(2, "source_url", "ftp://x")]),
    "url-no-host": ([{"source_url": "https://"}], [(2, "source_url", "https://")]),
    "url-with-space": ([{"source_url": "https://example.org/a b"}], [(2, "source_url", "https://example.org/a b")]),
    "url-credentials": (
        [{"source_url": "https://user@evil.example"}],
        [(2, "source_url", "https://user@evil.example")],
    ),
    "blank-source-url": ([{"source_url": ""}], [(2, "source_url", "")]),
    "blank-title": ([{"title": ""}], [(2, "title", "")]),
    "whitespace-title": ([{"title": "   "}], [(2, "title", "   ")]),
    "blank-location": ([{"location": ""}], [(2, "location", "")]),
    "broken-second-row-only": ([{}, {"latitude": "-90.5"}], [(3, "latitude", "-90.5")]),
}


@pytest.mark.parametrize("changes, expected", list(BROKEN.values()), ids=list(BROKEN))
def test_validate_events_reports_each_broken_field_where_it_is(changes, expected):
    """Exactly the expected (row, column, value) problems, all errors with a message."""
    _typed, problems = validate_events(frame(*changes), FILE)
    assert sorted(located(problems)) == sorted((FILE, *where) for where in expected)
    for problem in problems:
        assert problem.file == FILE
        assert problem.is_error
        assert problem.message


VALID = {
    "base-row": [{}],
    "end-equals-start": [{"end_date": "2024-11-30"}],
    "multi-day": [{"end_date": "2024-12-06"}],
    "blank-coordinates-left-to-geocoder": [{"latitude": "", "longitude": ""}],
    "negative-longitude": [{"latitude": "21.3187", "longitude": "-157.9225"}],
    "extreme-coordinates": [{"latitude": "-90", "longitude": "180"}],
    "route-stops": [{"route_id": "tour", "route_seq": "1"}, {"route_id": "tour", "route_seq": "2"}],
    "same-seq-in-different-routes": [{"route_id": "a", "route_seq": "1"}, {"route_id": "b", "route_seq": "1"}],
    "route-seq-zero": [{"route_id": "tour", "route_seq": "0"}],
    "amount-with-commas": [{"event_type": "arms_sale", "amount_usd": "385,000,000"}],
    "http-url-uppercase-scheme": [{"source_url": "HTTP://example.org"}],
    "id-with-punctuation": [{"event_id": "a.b:c_d-1"}],
    "geo-precision-3": [{"geo_precision": "3"}],
    "values-with-spaces": [{"event_type": " tour_stop ", "start_date": " 2024-11-30 "}],
}


@pytest.mark.parametrize("changes", list(VALID.values()), ids=list(VALID))
def test_validate_events_accepts_valid_rows(changes):
    """Valid rows yield no problems at all."""
    _typed, problems = validate_events(frame(*changes), FILE)
    assert problems == []


SOURCE_RULE = {
    # (source_url, source_name) -> the problems: a row needs an http(s) link or a named source
    "url-only": ("https://example.org/report", "", []),
    "name-only": ("", "Ministry of National Defense (Taiwan)", []),
    "both": ("https://example.org/report", "Example", []),
    "neither": ("", "", [(2, "source_url", "")]),
    "neither-only-spaces": ("  ", "   ", [(2, "source_url", "  ")]),
    "javascript-url-with-a-name": ("javascript:alert(1)", "Example", [(2, "source_url", "javascript:alert(1)")]),
    "ftp-url-with-a-name": ("ftp://example.org/x", "Example", [(2, "source_url", "ftp://example.org/x")]),
}


@pytest.mark.parametrize("url, name, expected", list(SOURCE_RULE.values()), ids=list(SOURCE_RULE))
def test_a_row_needs_a_link_or_a_named_source(url, name, expected):
    """source_url (http or https) or, where the publisher gives no link, source_name; a bad link is an error
    even when a source is named."""
    typed, problems = validate_events(frame({"source_url": url, "source_name": name}), FILE)
    assert located(problems) == [(FILE, *where) for where in expected]
    assert all(p.is_error for p in problems)
    if expected and not url.strip():
        assert "source_name" in problems[0].message
    if not expected:
        assert (typed.at[0, "source_url"], typed.at[0, "source_name"]) == (url, name)


def test_a_row_without_the_source_name_column_still_needs_its_link():
    """Leaving out the optional source_name column means every row needs its source_url."""
    raw = frame({"source_url": ""}, {}).drop(columns=["source_name"])
    _typed, problems = validate_events(raw, FILE)
    assert located(problems) == [(FILE, 2, "source_url", "")]


def test_validate_events_returns_typed_frame():
    """Dates become timestamps, a blank end_date is the start, numbers are numbers."""
    typed, problems = validate_events(
        frame({"route_id": "tour", "route_seq": "2", "amount_usd": "1,000", "event_type": " arms_sale "}), FILE
    )
    assert problems == []
    row = typed.iloc[0]
    assert row["start_date"] == pd.Timestamp("2024-11-30")
    assert row["end_date"] == pd.Timestamp("2024-11-30")
    assert row["latitude"] == pytest.approx(25.0797) and row["longitude"] == pytest.approx(121.2342)
    assert row["route_seq"] == 2
    assert row["amount_usd"] == 1000.0
    assert row["geo_precision"] == 1  # blank means exact place
    assert row["event_type"] == "arms_sale"
    assert list(typed.columns) == [c.name for c in EVENT_COLUMNS]


def test_validate_events_reports_every_problem_of_a_row():
    """One row with three faults gives three problems, not just the first."""
    _typed, problems = validate_events(frame({"event_type": "parade", "latitude": "91", "amount_usd": "lots"}), FILE)
    assert {(p.row, p.column) for p in problems} == {(2, "event_type"), (2, "latitude"), (2, "amount_usd")}


def test_validate_events_fills_missing_optional_columns():
    """A frame with only the required columns is valid."""
    required = [c.name for c in EVENT_COLUMNS if c.required]
    _typed, problems = validate_events(frame({})[required], FILE)
    assert problems == []


def test_problem_format_is_file_row_column_value_message():
    """The CLI's line format, with the value repr'd so blanks are visible."""
    _typed, problems = validate_events(frame({"latitude": "91"}), FILE)
    assert [p.format() for p in problems] == ["events.csv:2: latitude: '91': out of range -90 to 90"]
    assert Problem("zones.geojson", None, None, None, "x").format() == "zones.geojson:-: -: -: x"


# check_header ------------------------------------------------------------------------------------

ALL_EVENT_COLUMNS = [c.name for c in EVENT_COLUMNS]


@pytest.mark.parametrize("missing", [c.name for c in EVENT_COLUMNS if c.required])
def test_check_header_missing_required_column_is_an_error_naming_it(missing):
    """A required column absent from the header is an error on row 1, in that column."""
    columns = [c for c in ALL_EVENT_COLUMNS if c != missing]
    problems = check_header(columns, EVENT_COLUMNS, FILE)
    assert [(p.row, p.column, p.severity) for p in problems] == [(1, missing, "error")]
    assert missing in problems[0].format()


@pytest.mark.parametrize("optional", [c.name for c in EVENT_COLUMNS if not c.required])
def test_check_header_optional_column_may_be_left_out(optional):
    """Leaving out an optional column is no problem at all."""
    assert check_header([c for c in ALL_EVENT_COLUMNS if c != optional], EVENT_COLUMNS, FILE) == []


def test_check_header_unknown_column_is_only_a_warning():
    """An extra column is reported as a warning naming it; no errors."""
    problems = check_header(ALL_EVENT_COLUMNS + ["colour"], EVENT_COLUMNS, FILE)
    assert [(p.row, p.column, p.value, p.severity) for p in problems] == [(1, "colour", "colour", "warning")]
    assert errors_only(problems) == []


def test_check_header_duplicate_column_is_an_error():
    """A column named twice is an error."""
    problems = check_header(ALL_EVENT_COLUMNS + ["latitude"], EVENT_COLUMNS, FILE)
    assert [(p.row, p.column, p.severity) for p in problems] == [(1, "latitude", "error")]


def test_check_header_locations():
    """The same rules apply to locations.csv."""
    problems = check_header(["name", "latitude", "country"], LOCATION_COLUMNS, "locations.csv")
    assert [(p.file, p.row, p.column) for p in errors_only(problems)] == [("locations.csv", 1, "longitude")]


# validate_locations ------------------------------------------------------------------------------


def locations(*rows: dict) -> pd.DataFrame:
    base = {
        "name": "Koror, Palau",
        "latitude": "7.3419",
        "longitude": "134.4792",
        "country": "Palau",
        "aliases": "Koror",
    }
    return pd.DataFrame([dict(base, **row) for row in rows], dtype=str)


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([{}], []),
        ([{"latitude": "95"}], [(2, "latitude", "95")]),
        ([{"longitude": ""}], [(2, "longitude", "")]),
        ([{"name": ""}], [(2, "name", "")]),
        ([{}, {"name": "Ngerulmud, Palau", "aliases": "KOROR"}], [(3, "name", "KOROR")]),
        ([{}, {"name": "koror,  palau", "aliases": ""}], [(3, "name", "koror,  palau")]),
    ],
    ids=["valid", "latitude-95", "blank-longitude", "blank-name", "alias-reused", "name-reused-other-case"],
)
def test_validate_locations(rows, expected):
    """Names and aliases are unique ignoring case and spacing; coordinates are checked."""
    _typed, problems = validate_locations(locations(*rows), "locations.csv")
    # a blank coordinate may be reported twice (blank, and half a pair): the cells matter
    assert {(p.row, p.column, p.value) for p in problems} == set(expected)
    assert all(p.is_error for p in problems)


# validate_zones ----------------------------------------------------------------------------------

SQUARE = [[119.0, 22.0], [123.0, 22.0], [123.0, 26.0], [119.0, 26.0], [119.0, 22.0]]
EVENT_IDS = {"pla-joint-sword-2024a"}


def zones(**changes) -> dict:
    """A valid one-feature collection with some properties or the geometry replaced."""
    feature = {
        "type": "Feature",
        "properties": {
            "event_id": "pla-joint-sword-2024a",
            "name": "Taiwan Strait",
            "note": "Hand-drawn approximation.",
        },
        "geometry": {"type": "Polygon", "coordinates": [copy.deepcopy(SQUARE)]},
    }
    if "geometry" in changes:
        feature["geometry"] = changes.pop("geometry")
    feature["properties"].update(changes)
    for key, value in list(feature["properties"].items()):
        if value is None:
            del feature["properties"][key]
    return {"type": "FeatureCollection", "features": [feature]}


def test_validate_zones_accepts_a_valid_collection():
    """A closed Polygon ring and a MultiPolygon, both linked to a known event: no problems."""
    data = zones()
    data["features"].append(
        {
            "type": "Feature",
            "properties": dict(data["features"][0]["properties"]),
            "geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]},
        }
    )
    assert validate_zones(data, "zones.geojson", EVENT_IDS) == []


ZONE_CASES = {
    "point-geometry": (
        zones(geometry={"type": "Point", "coordinates": [121.0, 23.7]}),
        (1, "geometry.type", "Point"),
        "Polygon or MultiPolygon",
    ),
    "no-geometry": (zones(geometry=None), (1, "geometry.type", None), "Polygon or MultiPolygon"),
    "unclosed-ring": (
        zones(geometry={"type": "Polygon", "coordinates": [SQUARE[:-1] + [[119.0, 22.5]]]}),
        (1, "geometry.coordinates", "[119.0, 22.5]"),
        "not closed",
    ),
    "ring-with-3-positions": (
        zones(geometry={"type": "Polygon", "coordinates": [SQUARE[:2] + [SQUARE[0]]]}),
        (1, "geometry.coordinates", None),
        "at least 4 positions",
    ),
    "longitude-out-of-range": (
        zones(geometry={"type": "Polygon", "coordinates": [[[200.0, 22.0]] + SQUARE[1:-1] + [[200.0, 22.0]]]}),
        (1, "geometry.coordinates", "[200.0, 22.0]"),
        "out of range",
    ),
    "latitude-longitude-swapped": (
        zones(geometry={"type": "Polygon", "coordinates": [[[p[1], p[0]] for p in SQUARE]]}),
        (1, "geometry.coordinates", "[22.0, 119.0]"),
        "[longitude, latitude]",
    ),
    "position-not-numbers": (
        zones(geometry={"type": "Polygon", "coordinates": [[["121", "23"]] + SQUARE[1:]]}),
        (1, "geometry.coordinates", None),
        "numbers",
    ),
    "unknown-event-id": (
        zones(event_id="no-such-drill"),
        (1, "properties.event_id", "no-such-drill"),
        "no event with this event_id",
    ),
    "missing-note": (zones(note=None), (1, "properties.note", None), "required value is blank"),
    "blank-name": (zones(name="  "), (1, "properties.name", "  "), "required value is blank"),
}


@pytest.mark.parametrize("data, where, message", list(ZONE_CASES.values()), ids=list(ZONE_CASES))
def test_validate_zones_reports_each_broken_feature(data, where, message):
    """One problem, on feature 1 in the named field, with a helpful message."""
    problems = validate_zones(data, "zones.geojson", EVENT_IDS)
    assert len(problems) == 1, problems
    problem = problems[0]
    row, column, value = where
    assert (problem.file, problem.row, problem.column) == ("zones.geojson", row, column)
    if value is not None:
        assert problem.value == value
    assert message in problem.message
    assert problem.is_error


@pytest.mark.parametrize(
    "data, found",
    [({"type": "Feature"}, "Feature"), ([], "list"), ({"features": []}, None)],
    ids=["a-single-feature", "a-list", "no-type"],
)
def test_validate_zones_rejects_what_is_not_a_feature_collection(data, found):
    """Anything but a FeatureCollection is one problem, with no row."""
    problems = validate_zones(data, "zones.geojson", EVENT_IDS)
    assert [(p.row, p.column, p.value) for p in problems] == [(None, "type", found)]
    assert "FeatureCollection" in problems[0].message


def test_validate_zones_reports_every_feature_and_numbers_them():
    """Problems in features 2 and 3 are both reported, each with its feature number."""
    data = zones()
    good = data["features"][0]
    data["features"].append(dict(good, properties=dict(good["properties"], event_id="unknown")))
    data["features"].append(dict(good, geometry={"type": "LineString", "coordinates": SQUARE}))
    problems = validate_zones(data, "zones.geojson", EVENT_IDS)
    assert [(p.row, p.column) for p in problems] == [(2, "properties.event_id"), (3, "geometry.type")]


def test_validate_zones_without_events_skips_only_the_event_link():
    """event_ids None (events unreadable): unknown ids are not noise, other problems still count."""
    data = zones(event_id="no-such-drill", note=None)
    assert [(p.row, p.column) for p in validate_zones(data, "zones.geojson", None)] == [(1, "properties.note")]
