"""Data files into typed DataFrames and zones; the only place GeoJSON's (lon, lat) becomes (lat, lon)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import Settings
from .errors import DataError
from .geocoding import Gazetteer, read_cache, resolve_places
from .schema import (
    EVENT_COLUMNS,
    EVENT_TYPES,
    EVENTS_FILE,
    GEOCODE_CACHE_FILE,
    LOCATION_COLUMNS,
    LOCATIONS_FILE,
    TYPE_COLUMNS,
    TYPES_FILE,
    ZONES_FILE,
    Column,
    EventType,
)
from .validation import (
    Problem,
    check_header,
    errors_only,
    validate_events,
    validate_locations,
    validate_types,
    validate_zones,
)

LatLon = tuple[float, float]


@dataclass(frozen=True)
class Zone:
    """A drill area: its event, name, how approximate it is, and polygons as rings of (lat, lon)."""

    event_id: str
    name: str
    note: str
    polygons: list[list[list[LatLon]]]
    geometry: dict  # the GeoJSON geometry as read, for export


@dataclass
class Dataset:
    """Everything the dashboard shows, loaded and checked; `warnings` did not stop the load."""

    events: pd.DataFrame
    locations: pd.DataFrame
    zones: list[Zone]
    data_dir: Path
    warnings: list[Problem] = field(default_factory=list)
    # every event type the data may use: the built-in four, then those declared in types.csv (file order)
    types: dict[str, EventType] = field(default_factory=lambda: dict(EVENT_TYPES))


def read_text_file(path: Path, settings: Settings) -> tuple[str | None, list[Problem]]:
    """A data file as text, or the reason it cannot be read: missing, too big, empty, not UTF-8."""
    name = path.name
    if not path.is_file():
        return None, [Problem(name, None, None, str(path), "file not found")]
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        limit = settings.max_file_bytes // (1024 * 1024)
        return None, [
            Problem(
                name,
                None,
                None,
                f"{size:,} bytes",
                f"file is larger than the {limit} MB limit (set DASHBOARD_MAX_FILE_MB to raise it)",
            )
        ]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 4]
        return None, [
            Problem(name, line, None, repr(bad), f"not UTF-8 text (byte {exc.start}): save the file as UTF-8")
        ]
    if not text.strip():
        return None, [Problem(name, None, None, "", "file is empty")]
    return text, []


def read_csv_strings(
    path: Path, settings: Settings, schema: tuple[Column, ...]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """A CSV as a frame of stripped-nothing strings ('' for blanks), with header problems."""
    text, problems = read_text_file(path, settings)
    if text is None:
        return None, problems
    name = path.name
    # pandas skips blank lines before the header and renames a repeated column "x.1": read it raw
    header = [h.strip() for h in next((r for r in csv.reader(io.StringIO(text)) if r), [])]
    if len(header) == 1:
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if delimiter in header[0]:
                return None, [
                    Problem(
                        name,
                        1,
                        None,
                        header[0],
                        f"the header is separated by {label}: save the file as comma-separated CSV",
                    )
                ]
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, csv.Error) as exc:
        return None, [_parser_problem(name, text, exc)]
    frame.columns = [str(c).strip() for c in frame.columns]
    problems = check_header(header, schema, name)
    return frame, problems


def _parser_problem(name: str, text: str, exc: Exception) -> Problem:
    """Turn pandas' tokenizer message into a located problem."""
    message = str(exc).strip()
    match = re.search(r"(row|line) (\d+)", message)
    # the C tokenizer counts "row"s from 0 (the header is row 0) but "line"s from 1, as a spreadsheet does
    row = int(match.group(2)) + (match.group(1) == "row") if match else None
    if "EOF inside string" in message:
        return Problem(name, row, None, "", 'a quote (") opened here is never closed')
    if "Expected" in message and "fields" in message:
        return Problem(name, row, None, "", "this row has more fields than the header: " + message.split(". ")[-1])
    return Problem(name, row, None, "", "cannot parse the CSV: " + message)


def read_zones(path: Path, settings: Settings, event_ids: set[str] | None) -> tuple[list[Zone], list[Problem]]:
    """The drill zones; a missing zones file means no zones, not an error. `event_ids`: see validate_zones."""
    if not path.exists():
        return [], []
    text, problems = read_text_file(path, settings)
    if text is None:
        return [], problems
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [
            Problem(path.name, exc.lineno, None, exc.msg, f"not valid JSON (line {exc.lineno}, column {exc.colno})")
        ]
    problems = validate_zones(data, path.name, event_ids)
    if errors_only(problems):
        return [], problems
    zones = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        zones.append(
            Zone(
                event_id=str(feature["properties"]["event_id"]).strip(),
                name=str(feature["properties"]["name"]),
                note=str(feature["properties"]["note"]),
                polygons=[[[(float(lat), float(lon)) for lon, lat, *_ in ring] for ring in poly] for poly in polygons],
                geometry=geometry,
            )
        )
    return zones, problems


def read_types(path: Path, settings: Settings) -> tuple[dict[str, EventType], list[Problem]]:
    """The built-in event types plus those declared in the optional types.csv, with its problems."""
    types = dict(EVENT_TYPES)
    if not path.exists():
        return types, []
    raw, problems = read_csv_strings(path, settings, TYPE_COLUMNS)
    if raw is None or errors_only(problems):
        return types, problems
    declared, found = validate_types(raw, path.name)
    types.update(declared)
    return types, problems + found


def load_dataset(settings: Settings) -> Dataset:
    """Read and check every file in the data folder; raise DataError with *all* problems found."""
    data_dir = settings.data_dir
    problems: list[Problem] = []
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, None, str(data_dir), "data folder not found")])

    raw_locations, found = read_csv_strings(data_dir / LOCATIONS_FILE, settings, LOCATION_COLUMNS)
    problems += found
    locations = pd.DataFrame(columns=["name", "latitude", "longitude", "country", "aliases"])
    if raw_locations is not None and not errors_only(found):
        locations, found = validate_locations(raw_locations, LOCATIONS_FILE)
        problems += found

    types, found = read_types(data_dir / TYPES_FILE, settings)
    problems += found

    raw_events, found = read_csv_strings(data_dir / EVENTS_FILE, settings, EVENT_COLUMNS)
    problems += found
    events = None
    if raw_events is not None and not errors_only(found):
        events, found = validate_events(raw_events, EVENTS_FILE, types)
        problems += found
        problems += fill_coordinates(events, Gazetteer(locations), read_cache(data_dir / GEOCODE_CACHE_FILE))

    # without events every zone would be "unknown event": noise; other zone problems are still real
    event_ids = set(events["event_id"]) if events is not None else None
    zones, found = read_zones(data_dir / ZONES_FILE, settings, event_ids)
    problems += found

    if errors_only(problems) or events is None:
        raise DataError(problems)
    return Dataset(
        events=events.reset_index(drop=True),
        locations=locations,
        zones=zones,
        data_dir=data_dir,
        warnings=problems,
        types=types,
    )


def fill_coordinates(events: pd.DataFrame, gazetteer: Gazetteer, cache: dict) -> list[Problem]:
    """Fill blank coordinates from the gazetteer or cache, in place; a problem for each row left blank."""
    blank = events["latitude"].isna() & events["longitude"].isna()
    if not blank.any():
        return []
    resolved, _missing = resolve_places(events.loc[blank, "location"], gazetteer, cache)
    problems = []
    for index in events.index[blank]:
        place = resolved.get(events.at[index, "location"])
        if place is None:
            if events.at[index, "location"]:  # a blank location is reported already
                problems.append(
                    Problem(
                        EVENTS_FILE,
                        int(index) + 2,
                        "location",
                        events.at[index, "location"],
                        "coordinates are blank and this place is not in locations.csv or the geocoding cache: add it "
                        "to locations.csv, fill latitude/longitude, or run `python -m dashboard geocode --online`",
                    )
                )
            continue
        events.at[index, "latitude"] = place.lat
        events.at[index, "longitude"] = place.lon
    return problems
