"""Pure checks of the data contract; every check returns all of its problems, never just the first.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .schema import (
    COLOR_PATTERN,
    EVENT_COLUMNS,
    EVENT_TYPES,
    EXTRA_RADIUS_RANGE,
    EXTRA_TYPE_PALETTE,
    PRECISION_LABELS,
    TYPE_KEY_PATTERN,
    Column,
    EventType,
    declared_type,
)

ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
# http(s), a host, no spaces, quotes or angle brackets (they must be %-encoded): javascript:, data: never pass.
URL_PATTERN = r"(?i)https?://[^\s/?#@<>\"'\\]+(?:[/?#][^\s<>\"'\\]*)?"
MAX_VALUE_SHOWN = 80


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, located as precisely as the file allows."""

    file: str
    row: int | None
    column: str | None
    value: Any
    message: str
    severity: str = "error"  # or "warning": reported, but the data still loads

    def format(self) -> str:
        """`file:row: column: value: message`, the form the CLI prints."""
        row = "-" if self.row is None else str(self.row)
        column = self.column or "-"
        return f"{self.file}:{row}: {column}: {shorten(self.value)}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def shorten(value: Any) -> str:
    """A value as shown in a message: repr'd so blanks and quotes are visible, cut to a sane length."""
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        value = ""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_SHOWN else text[: MAX_VALUE_SHOWN - 3] + "..."


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop the data from loading."""
    return [p for p in problems if p.is_error]


def check_header(columns: list[str], schema: tuple[Column, ...], file: str) -> list[Problem]:
    """Missing required columns are errors; unknown extra columns are warnings; duplicates are errors."""
    problems = []
    known = {c.name for c in schema}
    for col in schema:
        if col.required and col.name not in columns:
            problems.append(Problem(file, 1, col.name, "", "required column is missing from the header row"))
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            problems.append(Problem(file, 1, name, name, "column appears twice in the header row"))
        seen.add(name)
        if name not in known:
            problems.append(
                Problem(
                    file, 1, name, name, "unknown column, ignored (known: " + ", ".join(sorted(known)) + ")", "warning"
                )
            )
    return problems


class _RowChecker:
    """Collects problems for the rows selected by boolean masks over one string-typed frame."""

    def __init__(self, frame: pd.DataFrame, file: str):
        self.frame = frame
        self.file = file
        self.problems: list[Problem] = []

    def flag(self, mask: pd.Series, column: str, message: str) -> None:
        if not mask.any():
            return
        values = self.frame[column][mask] if column in self.frame else pd.Series("", index=mask[mask].index)
        for index, value in values.items():
            self.problems.append(Problem(self.file, int(index) + 2, column, value, message))


def _numbers(raw: pd.Series) -> pd.Series:
    text = raw.str.strip()
    return pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")


def _dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parsed dates and a mask of non-blank values that are not real ISO dates."""
    text = raw.str.strip()
    parsed = pd.to_datetime(text.where(text.str.fullmatch(DATE_PATTERN)), format="%Y-%m-%d", errors="coerce")
    return parsed, (text != "") & parsed.isna()


def check_coordinates(frame: pd.DataFrame, checker: _RowChecker) -> tuple[pd.Series, pd.Series]:
    """Parse latitude/longitude; flag non-numbers, out-of-range values and half-given pairs."""
    out = []
    for column, limit in (("latitude", 90), ("longitude", 180)):
        raw = frame[column].str.strip()
        number = _numbers(raw)
        checker.flag((raw != "") & number.isna(), column, "not a number")
        checker.flag(number.notna() & ~number.between(-limit, limit), column, f"out of range -{limit} to {limit}")
        out.append(number.where(number.between(-limit, limit)))
    lat, lon = out
    blank_lat, blank_lon = frame["latitude"].str.strip() == "", frame["longitude"].str.strip() == ""
    checker.flag(blank_lat & ~blank_lon, "latitude", "blank while longitude is given: give both or neither")
    checker.flag(blank_lon & ~blank_lat, "longitude", "blank while latitude is given: give both or neither")
    return lat, lon


# Free text that validation only strips: a check that keeps no frame (the importer's) need not read it.
FREE_TEXT_COLUMNS = ("description", "actor", "notes")
SOURCE_MISSING = (
    "blank, and so is source_name: give the http(s) page that supports the row, "
    "or name the source in source_name when it has no link"
)
ROUTE_SEQ_TWICE = "the same route_seq appears twice in this route"


def validate_events(
    raw: pd.DataFrame, file: str, types: Collection[str] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check a string-typed events frame; return it typed (dates, floats) with every problem found.

    `types` are the event type keys allowed: the built-in four unless the folder declares more in types.csv.
    Coordinates left blank stay NaN here: resolving them is the geocoder's job.
    """
    check = EventsCheck(file, types)
    typed, problems = check.chunk(raw)
    return typed, problems + check.finish()


class EventsCheck:
    """`validate_events` over a file read in chunks, with the same problems as over the whole file.

    `chunk` checks each row of a chunk (whose index is the record number, counting from 0) and the rows of
    the chunk against each other; `finish` then reports what only the whole file shows: an event_id, or a
    route's route_seq, that a row of another chunk repeats. A file read as one chunk gets nothing more
    from `finish`, so its problems come in the order validate_events has always given them.
    """

    def __init__(self, file: str, types: Collection[str] | None = None):
        self.file = file
        self.known_types = list(EVENT_TYPES if types is None else types)
        self._ids: list[pd.Series] = []  # each chunk's event_id values as written
        self._id_flagged: list[pd.Series] = []  # rows already reported as duplicates within their chunk
        self._routes: list[pd.DataFrame] = []  # routed rows: route, seq, the value as written, flagged
        self.ids: pd.Series | None = None  # every event_id, stripped, once `finish` has run

    def chunk(self, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
        """The chunk typed (dates, floats), with the problems of its rows."""
        known_types = self.known_types
        frame = raw.copy()
        for col in EVENT_COLUMNS:
            if col.name not in frame:
                frame[col.name] = ""
        frame = frame.fillna("")
        checker = _RowChecker(frame, self.file)
        # source_url may be blank when source_name names the source: checked with it below
        required_text = [c.name for c in EVENT_COLUMNS if c.required and c.kind in ("id", "text", "event_type")]
        for name in required_text + ["start_date"]:
            checker.flag(frame[name].str.strip() == "", name, "required value is blank")

        ids = frame["event_id"].str.strip()
        checker.flag(
            (ids != "") & ~ids.str.fullmatch(ID_PATTERN),
            "event_id",
            "not a valid id: use letters, digits, '-', '_', '.', ':' (at most 128)",
        )
        dup_ids = (ids != "") & ids.duplicated(keep=False)
        checker.flag(dup_ids, "event_id", "duplicate event_id")
        self._ids.append(frame["event_id"])
        self._id_flagged.append(dup_ids)

        types = frame["event_type"].str.strip()
        checker.flag(
            (types != "") & ~types.isin(known_types),
            "event_type",
            "unknown event type (expected one of: " + ", ".join(known_types) + "; or declare it in types.csv)",
        )

        start, bad_start = _dates(frame["start_date"])
        end, bad_end = _dates(frame["end_date"])
        checker.flag(bad_start, "start_date", "not a date in the form YYYY-MM-DD")
        checker.flag(bad_end, "end_date", "not a date in the form YYYY-MM-DD")
        end = end.fillna(start)
        checker.flag(start.notna() & (end < start), "end_date", "ends before its start_date")

        lat, lon = check_coordinates(frame, checker)

        # A row needs a source: an http(s) page, or (where the publisher gives no link) a named source.
        urls = frame["source_url"].str.strip()
        names = frame["source_name"].str.strip()
        checker.flag(
            (urls != "") & ~urls.str.fullmatch(URL_PATTERN), "source_url", "not an http:// or https:// address"
        )
        checker.flag((urls == "") & (names == ""), "source_url", SOURCE_MISSING)

        route = frame["route_id"].str.strip()
        seq_raw = frame["route_seq"].str.strip()
        seq = _numbers(seq_raw)
        checker.flag(
            (seq_raw != "") & (seq.isna() | (seq % 1 != 0) | (seq < 0)),
            "route_seq",
            "not a whole number of 0 or more",
        )
        checker.flag((route != "") & (seq_raw == ""), "route_seq", "blank, but route_id is set: give the stop's order")
        checker.flag((route == "") & (seq_raw != ""), "route_id", "blank, but route_seq is set")
        routed = (route != "") & seq.notna()
        dup_seq = pd.Series(False, index=frame.index)
        dup_seq[routed] = pd.DataFrame({"r": route[routed], "s": seq[routed]}).duplicated(keep=False)
        checker.flag(dup_seq, "route_seq", ROUTE_SEQ_TWICE)
        if routed.any():
            self._routes.append(
                pd.DataFrame(
                    {
                        "r": route[routed],
                        "s": seq[routed],
                        "value": frame["route_seq"][routed],
                        "flagged": dup_seq[routed],
                    }
                )
            )

        amount_raw = frame["amount_usd"].str.strip()
        amount = _numbers(amount_raw.str.replace(",", "", regex=False))
        checker.flag((amount_raw != "") & amount.isna(), "amount_usd", "not a number (digits only, e.g. 320000000)")
        checker.flag(amount < 0, "amount_usd", "negative amount")

        precision_raw = frame["geo_precision"].str.strip()
        precision = _numbers(precision_raw)
        checker.flag(
            (precision_raw != "") & ~precision.isin(list(PRECISION_LABELS)),
            "geo_precision",
            "must be 1 (exact place), 2 (near a place) or 3 (region only)",
        )

        typed = frame[[c.name for c in EVENT_COLUMNS]].copy()
        for col in EVENT_COLUMNS:
            if col.kind in ("id", "text", "event_type", "url"):
                typed[col.name] = typed[col.name].str.strip()
        typed["start_date"] = start
        typed["end_date"] = end
        typed["latitude"] = lat
        typed["longitude"] = lon
        typed["route_seq"] = seq.where(seq % 1 == 0).astype("Int64")
        typed["amount_usd"] = amount.where(amount >= 0)
        typed["geo_precision"] = precision.where(precision.isin(list(PRECISION_LABELS))).fillna(1).astype("int64")
        return typed, checker.problems

    def finish(self) -> list[Problem]:
        """What rows of different chunks show together: repeated event_ids and route_seqs in a route."""
        problems: list[Problem] = []
        raw_ids = pd.concat(self._ids) if self._ids else pd.Series([], dtype=str)
        self.ids = raw_ids.str.strip()
        if len(self._ids) > 1:
            dup = (self.ids != "") & self.ids.duplicated(keep=False) & ~pd.concat(self._id_flagged)
            for index, value in raw_ids[dup].items():
                problems.append(Problem(self.file, int(index) + 2, "event_id", value, "duplicate event_id"))
        if len(self._routes) > 1:
            routes = pd.concat(self._routes)
            dup = routes[["r", "s"]].duplicated(keep=False) & ~routes["flagged"]
            for index, value in routes["value"][dup].items():
                problems.append(Problem(self.file, int(index) + 2, "route_seq", value, ROUTE_SEQ_TWICE))
        self._ids, self._id_flagged, self._routes = [], [], []
        return problems


def validate_types(raw: pd.DataFrame, file: str) -> tuple[dict[str, EventType], list[Problem]]:
    """Check a string-typed types.csv frame; return the types it declares (in file order) and every problem.

    A row whose key and label are good declares its type even when its colour or radius is wrong (that is
    still an error), so that the events of that type are not reported a second time as unknown.
    """
    frame = raw.copy().fillna("")
    for name in ("event_type", "label", "description", "color", "radius"):
        if name not in frame:
            frame[name] = ""
    frame = frame.map(str.strip)
    checker = _RowChecker(frame, file)
    keys, labels = frame["event_type"], frame["label"]
    checker.flag(keys == "", "event_type", "required value is blank")
    checker.flag(labels == "", "label", "required value is blank")
    bad_key = (keys != "") & ~keys.str.fullmatch(TYPE_KEY_PATTERN)
    checker.flag(
        bad_key,
        "event_type",
        "not a valid type key: start with a lower-case letter, then lower-case letters, digits or '_' (at most 64)",
    )
    checker.flag((keys != "") & keys.duplicated(keep="first"), "event_type", "this type is declared twice")
    builtin = keys.isin(list(EVENT_TYPES))
    for index in frame.index[builtin]:
        checker.problems.append(
            Problem(
                file,
                int(index) + 2,
                "event_type",
                keys[index],
                "a built-in type keeps its own look: this row is ignored",
                "warning",
            )
        )
    colors = frame["color"]
    checker.flag(
        (colors != "") & ~colors.str.fullmatch(COLOR_PATTERN),
        "color",
        "not a hex colour: write #rrggbb (e.g. #e69f00) or #rgb",
    )
    low, high = EXTRA_RADIUS_RANGE
    radius_raw = frame["radius"]
    radius = _numbers(radius_raw)
    bad_radius = (radius_raw != "") & (radius.isna() | (radius % 1 != 0) | ~radius.between(low, high))
    checker.flag(bad_radius, "radius", f"not a whole number of pixels from {low} to {high}")

    declared: dict[str, EventType] = {}
    usable = (keys != "") & (labels != "") & ~bad_key & ~builtin & ~keys.duplicated(keep="first")
    # a type without a colour takes the next palette colour that no other type (built-in or given) uses
    taken = {t.color for t in EVENT_TYPES.values()} | {c.lower() for c in colors if re.fullmatch(COLOR_PATTERN, c)}
    spare = iter([c for c in EXTRA_TYPE_PALETTE if c not in taken])
    for position, index in enumerate(frame.index[usable]):
        good_color = colors[index] if re.fullmatch(COLOR_PATTERN, colors[index]) else next(spare, "")
        size = None if bad_radius[index] or pd.isna(radius[index]) else int(radius[index])
        declared[keys[index]] = declared_type(
            keys[index], labels[index], frame.at[index, "description"], good_color, size, position
        )
    return declared, checker.problems


def validate_locations(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check the gazetteer: names present and unique (aliases included), coordinates in range."""
    frame = raw.copy().fillna("")
    for name in ("name", "latitude", "longitude", "country", "aliases"):
        if name not in frame:
            frame[name] = ""
    checker = _RowChecker(frame, file)
    checker.flag(frame["name"].str.strip() == "", "name", "required value is blank")
    for name in ("latitude", "longitude"):
        checker.flag(frame[name].str.strip() == "", name, "required value is blank")
    lat, lon = check_coordinates(frame, checker)
    seen: dict[str, int] = {}
    for index, row in frame.iterrows():
        for place in [row["name"], *str(row["aliases"]).split(";")]:
            key = normalize_place(place)
            if not key:
                continue
            if key in seen and seen[key] != index:
                checker.problems.append(
                    Problem(file, int(index) + 2, "name", place, f"name or alias already used on row {seen[key] + 2}")
                )
            seen.setdefault(key, index)
    typed = pd.DataFrame(
        {
            "name": frame["name"].str.strip(),
            "latitude": lat,
            "longitude": lon,
            "country": frame["country"].str.strip(),
            "aliases": frame["aliases"].str.strip(),
        }
    )
    return typed, checker.problems


def normalize_place(name: str) -> str:
    """Key for matching place names: case-folded, accents and spacing kept simple."""
    return " ".join(str(name).casefold().split())


ZONE_GEOMETRIES = ("Polygon", "MultiPolygon")


def validate_zones(data: Any, file: str, event_ids: set[str] | None) -> list[Problem]:
    """Check a parsed zones GeoJSON: a FeatureCollection of (Multi)Polygons with closed rings,
    coordinates in range, and properties naming an existing event. Row = feature number (1-based).
    `event_ids` None means the events could not be read: the link to them is then not checked."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        return [Problem(file, None, "type", found, "not a GeoJSON FeatureCollection")]
    features = data.get("features")
    if not isinstance(features, list):
        return [Problem(file, None, "features", type(features).__name__, "'features' must be a list")]
    problems: list[Problem] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(file, number, "type", shorten(feature), "not a GeoJSON Feature"))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            problems.append(Problem(file, number, "properties", type(props).__name__, "must be an object"))
            props = {}
        for key in ("event_id", "name", "note"):
            if not str(props.get(key) or "").strip():
                problems.append(Problem(file, number, f"properties.{key}", props.get(key), "required value is blank"))
        event_id = str(props.get("event_id") or "").strip()
        if event_id and event_ids is not None and event_id not in event_ids:
            problems.append(
                Problem(file, number, "properties.event_id", event_id, "no event with this event_id in events.csv")
            )
        problems.extend(_check_geometry(feature.get("geometry"), file, number))
    return problems


def _check_geometry(geometry: Any, file: str, number: int) -> list[Problem]:
    if not isinstance(geometry, dict) or geometry.get("type") not in ZONE_GEOMETRIES:
        found = geometry.get("type") if isinstance(geometry, dict) else geometry
        return [Problem(file, number, "geometry.type", found, "must be a Polygon or MultiPolygon")]
    coords = geometry.get("coordinates")
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return [Problem(file, number, "geometry.coordinates", shorten(coords), "no polygons")]
    problems = []
    for poly in polygons:
        if not isinstance(poly, list) or not poly:
            problems.append(
                Problem(file, number, "geometry.coordinates", shorten(poly), "a polygon needs at least one ring")
            )
            continue
        for ring in poly:
            problems.extend(_check_ring(ring, file, number))
    return problems


def _check_ring(ring: Any, file: str, number: int) -> list[Problem]:
    column = "geometry.coordinates"
    if not isinstance(ring, list) or len(ring) < 4:
        return [Problem(file, number, column, shorten(ring), "a ring needs at least 4 positions")]
    for pos in ring:
        if (
            not isinstance(pos, list)
            or len(pos) < 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos[:2])
        ):
            return [Problem(file, number, column, shorten(pos), "a position must be [longitude, latitude] numbers")]
        lon, lat = pos[0], pos[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return [
                Problem(
                    file, number, column, shorten(pos), "position out of range (GeoJSON order is [longitude, latitude])"
                )
            ]
    if ring[0][:2] != ring[-1][:2]:
        return [
            Problem(
                file,
                number,
                column,
                shorten(ring[-1]),
                f"ring is not closed: last position must equal the first {ring[0]}",
            )
        ]
    return []
