"""GeoJSON export: events as Points, legs split at ±180, zones as read, strict JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import all_events

from dashboard.config import load_settings
from dashboard.export import EVENT_PROPERTIES, build_feature_collection, events_csv, to_geojson_text
from dashboard.loading import load_dataset
from dashboard.routes import build_legs

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(load_settings(DATA_DIR))


@pytest.fixture(scope="module")
def collection(dataset):
    return build_feature_collection(dataset.events, build_legs(dataset.events), dataset.zones)


def features_of(collection, kind):
    return [f for f in collection["features"] if f["properties"]["kind"] == kind]


def all_positions(geometry):
    """Every [lon, lat] position in a geometry, however deeply nested."""

    def walk(value):
        if value and isinstance(value[0], (int, float)):
            yield value
        else:
            for item in value:
                yield from walk(item)

    yield from walk(geometry["coordinates"])


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def test_collection_is_a_feature_collection(collection, dataset):
    assert collection["type"] == "FeatureCollection"
    assert len(features_of(collection, "event")) == len(dataset.events)
    assert len(features_of(collection, "route_leg")) == 6
    assert len(features_of(collection, "zone")) == len(dataset.zones) > 0
    assert all(f["type"] == "Feature" for f in collection["features"])


def test_event_features_are_points_with_their_properties(collection, dataset):
    """Each event: a Point at [lon, lat] with id, type, dates, title and source."""
    events = dataset.events.set_index("event_id")
    for feature in features_of(collection, "event"):
        props = feature["properties"]
        assert set(EVENT_PROPERTIES) <= set(props)
        for key in ("event_id", "event_type", "start_date", "end_date", "title", "source_url"):
            assert props[key], (props["event_id"], key)
        assert feature["id"] == props["event_id"]
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        row = events.loc[props["event_id"]]
        assert (lat, lon) == (pytest.approx(row["latitude"], abs=1e-6), pytest.approx(row["longitude"], abs=1e-6))
        assert props["start_date"] == row["start_date"].date().isoformat()
        assert props["end_date"] == row["end_date"].date().isoformat()


def test_event_properties_are_plain_json_values(collection):
    """Blank numbers are null; numbers are numbers; dates are ISO text."""
    by_id = {f["id"]: f["properties"] for f in features_of(collection, "event")}
    honolulu = by_id["lai-2024-honolulu"]
    assert (honolulu["start_date"], honolulu["end_date"]) == ("2024-11-30", "2024-12-02")
    assert honolulu["route_seq"] == 2 and honolulu["amount_usd"] is None and honolulu["geo_precision"] == 2
    assert by_id["arms-2024-11-imse"]["amount_usd"] == 65_000_000
    assert by_id["arms-2024-11-imse"]["route_seq"] is None


def test_legs_crossing_the_antimeridian_are_multilinestrings(collection):
    """Taoyuan-Honolulu and Honolulu-Majuro are split at ±180; every longitude is in range."""
    legs = {
        (f["properties"]["from_event_id"], f["properties"]["to_event_id"]): f
        for f in features_of(collection, "route_leg")
    }
    crossing = {k for k, f in legs.items() if f["geometry"]["type"] == "MultiLineString"}
    assert crossing == {("lai-2024-depart-taoyuan", "lai-2024-honolulu"), ("lai-2024-honolulu", "lai-2024-majuro")}
    for feature in legs.values():
        assert feature["geometry"]["type"] in ("LineString", "MultiLineString")
        for lon, lat in all_positions(feature["geometry"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    pacific = legs[("lai-2024-depart-taoyuan", "lai-2024-honolulu")]
    first, second = pacific["geometry"]["coordinates"]
    assert first[-1][0] == 180 and second[0][0] == -180 and first[-1][1] == second[0][1]
    assert pacific["properties"]["depart_date"] == pacific["properties"]["arrive_date"] == "2024-11-30"
    assert pacific["properties"]["distance_km"] == pytest.approx(8157, rel=0.01)


def test_zone_features_are_the_zones_as_read(collection, dataset):
    zones = features_of(collection, "zone")
    assert [z["properties"]["event_id"] for z in zones] == [z.event_id for z in dataset.zones]
    for feature, zone in zip(zones, dataset.zones, strict=True):
        assert feature["geometry"] == zone.geometry
        assert feature["properties"]["note"] == zone.note
    drills = {z["properties"]["event_id"] for z in zones}
    assert {"pla-joint-sword-2024a", "pla-joint-sword-2024b", "pla-justice-mission-2025"} <= drills


def test_geojson_text_is_strict_json_without_nan(collection):
    """The serialized text parses with NaN/Infinity refused, and round-trips."""
    text = to_geojson_text(collection)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text, parse_constant=reject_constant) == collection


def test_geojson_text_refuses_nan():
    """A NaN that slipped through is an error, never invalid JSON on disk."""
    with pytest.raises(ValueError):
        to_geojson_text({"type": "FeatureCollection", "features": [{"x": math.nan}]})


def test_export_of_an_empty_selection(dataset):
    collection = build_feature_collection(dataset.events.iloc[0:0], [], [])
    assert json.loads(to_geojson_text(collection)) == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tcmd"])
def test_csv_download_defuses_spreadsheet_formulas(prepared, title):
    events = all_events(prepared).head(1).copy()
    events.loc[:, "title"] = title
    text = events_csv(events).decode()
    assert f"'{title}" in text.replace('""', '"')


def test_csv_download_loads_back_as_a_data_folder(prepared, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "events.csv").write_bytes(events_csv(all_events(prepared)))
    for name in ("locations.csv", "zones.geojson", "types.csv"):  # the CSV names declared types too
        (folder / name).write_bytes((prepared.folder.data_dir / name).read_bytes())
    again = load_dataset(load_settings(folder)).events
    assert again["event_id"].tolist() == all_events(prepared)["event_id"].tolist()
