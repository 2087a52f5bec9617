"""Events, route legs and zones as one RFC 7946 GeoJSON FeatureCollection (for QGIS, kepler.gl, geojson.io)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from .loading import Zone
from .routes import Leg, split_at_antimeridian
from .schema import EVENT_COLUMNS

EVENT_PROPERTIES = (
    "event_id",
    "event_type",
    "start_date",
    "end_date",
    "title",
    "location",
    "description",
    "actor",
    "route_id",
    "route_seq",
    "amount_usd",
    "geo_precision",
    "source_name",
    "source_url",
    "notes",
)
DECIMALS = 6  # RFC 7946 recommends no more precision than needed: 6 decimals is about 10 cm


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: dates as ISO text, NaN/NA as null, numpy numbers as Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def event_features(events: pd.DataFrame) -> list[dict]:
    """One Point feature per event with coordinates."""
    features = []
    located = events[events["latitude"].notna() & events["longitude"].notna()]
    for row in located.to_dict("records"):
        features.append(
            {
                "type": "Feature",
                "id": row["event_id"],
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(row["longitude"], DECIMALS), round(row["latitude"], DECIMALS)],
                },
                "properties": {"kind": "event", **{k: _plain(row.get(k)) for k in EVENT_PROPERTIES}},
            }
        )
    return features


def leg_features(legs: list[Leg]) -> list[dict]:
    """One feature per leg; a leg crossing ±180 becomes a MultiLineString split there."""
    features = []
    for leg in legs:
        parts = [
            [[round(lon, DECIMALS), round(lat, DECIMALS)] for lat, lon in part]
            for part in split_at_antimeridian(leg.path)
        ]
        geometry = (
            {"type": "LineString", "coordinates": parts[0]}
            if len(parts) == 1
            else {"type": "MultiLineString", "coordinates": parts}
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kind": "route_leg",
                    "route_id": leg.route_id,
                    "from_event_id": leg.from_event_id,
                    "to_event_id": leg.to_event_id,
                    "from": leg.from_name,
                    "to": leg.to_name,
                    "depart_date": leg.depart_date.isoformat(),
                    "arrive_date": leg.arrive_date.isoformat(),
                    "distance_km": round(leg.distance_km, 1),
                },
            }
        )
    return features


def zone_features(zones: list[Zone]) -> list[dict]:
    """Zones exactly as read (they are already GeoJSON), tagged with their event."""
    return [
        {
            "type": "Feature",
            "geometry": z.geometry,
            "properties": {"kind": "zone", "event_id": z.event_id, "name": z.name, "note": z.note},
        }
        for z in zones
    ]


def build_feature_collection(events: pd.DataFrame, legs: list[Leg], zones: list[Zone]) -> dict:
    """Events, legs and zones as one FeatureCollection."""
    return {"type": "FeatureCollection", "features": event_features(events) + leg_features(legs) + zone_features(zones)}


def geojson_pieces(event_frames: Iterable[pd.DataFrame], legs: list[Leg], zones: list[Zone]) -> Iterator[bytes]:
    """`build_feature_collection` as UTF-8 pieces, the events a frame at a time (as the engine streams them):
    the same features, never the whole collection in memory."""
    yield b'{"type": "FeatureCollection", "features": [\n'
    first = True

    def feature_lines(features: list[dict]) -> bytes:
        nonlocal first
        text = ",\n".join(json.dumps(f, ensure_ascii=False, allow_nan=False) for f in features)
        if text and not first:
            text = ",\n" + text
        first = first and not text
        return text.encode("utf-8")

    for frame in event_frames:
        yield feature_lines(event_features(frame))
    yield feature_lines(leg_features(legs) + zone_features(zones))
    yield b"\n]}\n"


def to_geojson_text(collection: dict) -> str:
    """Serialized GeoJSON: UTF-8 text, no NaN (which is not JSON)."""
    return json.dumps(collection, ensure_ascii=False, allow_nan=False, indent=1)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # cells a spreadsheet would run as formulas


def _defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    frame = frame.copy()
    for col in EVENT_COLUMNS:
        if col.kind == "text" and col.name in frame:
            values = frame[col.name].astype(str)
            frame[col.name] = values.where(~values.str.startswith(FORMULA_PREFIXES), "'" + values)
    return frame


def events_csv(events: pd.DataFrame) -> bytes:
    """Events in the data contract's own columns (so the file loads back as a data folder), with cells a
    spreadsheet would run as formulas defused."""
    frame = _defuse_formulas(events[[c.name for c in EVENT_COLUMNS]])
    for name in ("start_date", "end_date"):
        frame[name] = frame[name].dt.strftime("%Y-%m-%d")
    return frame.to_csv(index=False).encode("utf-8")
