"""Data files into typed DataFrames and zones; the only place GeoJSON's (lon, lat) becomes (lat, lon)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Collection, Iterator
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
    EVENTS_PARQUET_FILE,
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
    FREE_TEXT_COLUMNS,
    EventsCheck,
    Problem,
    check_header,
    errors_only,
    validate_locations,
    validate_types,
    validate_zones,
)

LatLon = tuple[float, float]
# events.csv is parsed and checked this many records at a time: the parser holds one piece's Python strings
# at once (about 100 MB for 100,000 GDELT rows), not the whole file's; the frame kept is pyarrow strings.
EVENT_CHUNK_ROWS = 100_000
# Bytes read at a time to check that a big file is UTF-8 without holding it (or its text) whole.
READ_BLOCK = 4 * 1024 * 1024


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
        return None, [_too_big(name, size, settings)]
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


def _too_big(name: str, size: int, settings: Settings, events: bool = False) -> Problem:
    limit = (settings.max_events_bytes if events else settings.max_file_bytes) // (1024 * 1024)
    variable = "DASHBOARD_MAX_EVENTS_MB" if events else "DASHBOARD_MAX_FILE_MB"
    return Problem(
        name,
        None,
        None,
        f"{size:,} bytes",
        f"file is larger than the {limit:,} MB limit (set {variable} to raise it)",
    )


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
    problem = _delimiter_problem(name, header)
    if problem is not None:
        return None, [problem]
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


# Which of some event ids exist: a set of every id, a Series of them, or a lookup (a query of the events).
IdLookup = Collection[str] | pd.Series | Callable[[set[str]], set[str]]


def read_zones(path: Path, settings: Settings, event_ids: IdLookup | None) -> tuple[list[Zone], list[Problem]]:
    """The drill zones; a missing zones file means no zones, not an error. `event_ids`: see validate_zones
    (a Series of a million ids, or a lookup, is asked once for the zones' ids, never turned into a set)."""
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
    if isinstance(event_ids, pd.Series) or callable(event_ids):
        event_ids = _ids_present(data, event_ids)
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


def _ids_present(data: object, event_ids: pd.Series | Callable[[set[str]], set[str]]) -> set[str]:
    """The event_ids the zones name (as validate_zones reads them) that are among `event_ids`."""
    features = data.get("features") if isinstance(data, dict) else None
    named = set()
    for feature in features if isinstance(features, list) else []:
        props = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(props, dict):
            named.add(str(props.get("event_id") or "").strip())
    named.discard("")
    if not named:
        return set()
    if callable(event_ids):
        return event_ids(named)
    candidates = pd.Series(sorted(named), dtype=str)
    return set(candidates[candidates.isin(event_ids)])


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
    dataset, problems = _read_folder(settings, keep_events=True)
    if dataset is None:
        raise DataError(problems)
    return dataset


def check_dataset(settings: Settings) -> list[Problem]:
    """Every problem (errors and warnings) that `load_dataset` would report for the folder, found the same way.

    The events are checked piece by piece and not kept (nor are the free-text columns, which no check
    reads, copied): a folder of a million events is checked in a few hundred MB. The importer checks
    a merged folder with this before it writes anything.
    """
    _dataset, problems = _read_folder(settings, keep_events=False)
    return problems


EventSink = Callable[[pd.DataFrame], None]


def stream_dataset(settings: Settings, sink: EventSink) -> tuple[Dataset | None, list[Problem]]:
    """Check the folder as `load_dataset` does, handing each checked, typed piece of the events to `sink`
    (in file order, the index being each event's record number) instead of keeping them: the dataset comes
    back without its events. None if an error stops it, with every problem found."""
    return _read_folder(settings, keep_events=False, sink=sink)


def _read_places_and_types(settings: Settings) -> tuple[pd.DataFrame, dict[str, EventType], list[Problem]]:
    """locations.csv and types.csv, checked."""
    data_dir = settings.data_dir
    problems: list[Problem] = []
    raw_locations, found = read_csv_strings(data_dir / LOCATIONS_FILE, settings, LOCATION_COLUMNS)
    problems += found
    locations = pd.DataFrame(columns=["name", "latitude", "longitude", "country", "aliases"])
    if raw_locations is not None and not errors_only(found):
        locations, found = validate_locations(raw_locations, LOCATIONS_FILE)
        problems += found

    types, found = read_types(data_dir / TYPES_FILE, settings)
    problems += found

    return locations, types, problems


def load_folder_without_events(settings: Settings, event_ids: IdLookup) -> Dataset:
    """Everything but the events (whose checked copy the engine queries): places, types and zones, the
    zones checked against `event_ids`. Raises DataError with every problem."""
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, None, str(data_dir), "data folder not found")])
    locations, types, problems = _read_places_and_types(settings)
    zones, found = read_zones(data_dir / ZONES_FILE, settings, event_ids)
    problems += found
    if errors_only(problems):
        raise DataError(problems)
    return Dataset(pd.DataFrame(), locations, zones, data_dir, problems, types)


def _read_folder(
    settings: Settings, keep_events: bool, sink: EventSink | None = None
) -> tuple[Dataset | None, list[Problem]]:
    """The dataset (None if an error stops it, or if neither `keep_events` nor `sink`) and every problem found."""
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        return None, [Problem(str(data_dir), None, None, str(data_dir), "data folder not found")]

    locations, types, problems = _read_places_and_types(settings)
    gazetteer, cache = Gazetteer(locations), read_cache(data_dir / GEOCODE_CACHE_FILE)
    events, event_ids, found = read_events(events_path(data_dir), settings, types, gazetteer, cache, keep_events, sink)
    problems += found

    # without events every zone would be "unknown event": noise; other zone problems are still real
    zones, found = read_zones(data_dir / ZONES_FILE, settings, event_ids)
    problems += found

    if errors_only(problems) or (events is None and sink is None):
        return None, problems
    dataset = Dataset(
        events=events.reset_index(drop=True) if events is not None else pd.DataFrame(),
        locations=locations,
        zones=zones,
        data_dir=data_dir,
        warnings=problems,
        types=types,
    )
    return dataset, problems


def events_path(data_dir: Path) -> Path:
    """The folder's events: events.parquet (as `import --format parquet` writes it) or events.csv."""
    parquet = data_dir / EVENTS_PARQUET_FILE
    return parquet if parquet.exists() else data_dir / EVENTS_FILE


def read_events(
    path: Path,
    settings: Settings,
    types: Collection[str],
    gazetteer: Gazetteer,
    cache: dict,
    keep: bool = True,
    sink: EventSink | None = None,
) -> tuple[pd.DataFrame | None, pd.Series | None, list[Problem]]:
    """events.csv (or events.parquet) checked and typed, EVENT_CHUNK_ROWS records at a time, with blank
    coordinates filled.

    Returns the typed frame (None when `keep` is false or the file cannot be read), every event_id (for
    the zones; None when the file cannot be read) and the problems: the same ones, found the same way,
    whether the frame is kept or not. Without `keep` or a `sink`, the free-text columns are dropped piece
    by piece; a `sink` gets every typed piece, whole, and nothing is kept.
    """
    name = path.name
    if path.suffix == ".parquet" and (path.parent / EVENTS_FILE).exists():
        return None, None, [Problem(name, None, None, str(path.parent), BOTH_EVENT_FILES)]
    header, pieces_of_text, problems = _event_pieces(path, settings)
    if header is None:
        return None, None, problems
    check = EventsCheck(name, types)
    pieces: list[pd.DataFrame] = []
    try:
        for raw in pieces_of_text:
            if not keep and sink is None:  # nothing checks the free text: drop it before the checks copy it
                raw = raw.drop(columns=[c for c in FREE_TEXT_COLUMNS if c in raw.columns])
            typed, found = check.chunk(raw)
            problems += found
            problems += fill_coordinates(typed, gazetteer, cache, name)
            if sink is not None:
                sink(typed)
            elif keep:
                pieces.append(typed)
    except (pd.errors.ParserError, csv.Error) as exc:
        return None, None, [_parser_problem(name, "", exc)]
    except ParquetProblem as exc:
        return None, None, [exc.problem]
    problems += check.finish()
    if not keep:
        return None, check.ids, problems
    if len(pieces) == 1:
        events = pieces[0]
    else:  # several pieces; or none, for a file with a header and no records
        events = pd.concat(pieces) if pieces else check.chunk(pd.DataFrame(columns=header, dtype=str))[0]
    return events, events["event_id"], problems


BOTH_EVENT_FILES = (
    "the folder holds both events.csv and events.parquet: keep one (`import --format parquet` replaces the CSV)"
)


class ParquetProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _event_pieces(path: Path, settings: Settings) -> tuple[list[str] | None, Iterator[pd.DataFrame], list[Problem]]:
    """The events file's header and its records as string frames of EVENT_CHUNK_ROWS, each indexed by record
    number; or no header and the problems that stop the read. A Parquet file's rows are numbered as in the
    events.csv it stands for (the first event is row 2), so a message reads the same from either."""
    name = path.name
    if path.suffix == ".parquet":
        return _parquet_pieces(path, settings)
    problems = check_text_file(path, settings, events=True)
    if problems:
        return None, iter(()), problems
    header, problem = read_header(path)
    if problem is not None:
        return None, iter(()), [problem]
    problems = check_header(header, EVENT_COLUMNS, name)
    if errors_only(problems):
        return None, iter(()), problems

    def pieces() -> Iterator[pd.DataFrame]:
        # every column is parsed (with usecols the parser would let a row with too many fields pass)
        with pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            chunksize=EVENT_CHUNK_ROWS,
        ) as reader:
            for raw in reader:
                raw.columns = [str(c).strip() for c in raw.columns]
                yield raw

    return header, pieces(), problems


def _parquet_pieces(path: Path, settings: Settings) -> tuple[list[str] | None, Iterator[pd.DataFrame], list[Problem]]:
    import pyarrow.parquet as pq

    name = path.name
    if not path.is_file():
        return None, iter(()), [Problem(name, None, None, str(path), "file not found")]
    size = path.stat().st_size
    if size > settings.max_events_bytes:
        return None, iter(()), [_too_big(name, size, settings, events=True)]
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        return None, iter(()), [Problem(name, None, None, str(path), f"not a readable Parquet file ({exc})")]
    header = list(parquet.schema_arrow.names)
    problems = check_header(header, EVENT_COLUMNS, name)
    if errors_only(problems):
        return None, iter(()), problems

    def pieces() -> Iterator[pd.DataFrame]:
        first = 0
        try:
            for batch in parquet.iter_batches(batch_size=EVENT_CHUNK_ROWS):
                # as the CSV's text: every value a string, a missing one blank
                raw = batch.to_pandas().astype(object).fillna("").astype(str)
                raw.index = pd.RangeIndex(first, first + len(raw))
                first += len(raw)
                yield raw
        except OSError as exc:
            raise ParquetProblem(Problem(name, first + 2, None, str(path), f"unreadable Parquet data ({exc})")) from exc

    return header, pieces(), problems


def check_text_file(path: Path, settings: Settings, events: bool = False) -> list[Problem]:
    """`read_text_file`'s checks (missing, too big, not UTF-8, empty) without holding the file in memory."""
    name = path.name
    if not path.is_file():
        return [Problem(name, None, None, str(path), "file not found")]
    size = path.stat().st_size
    if size > (settings.max_events_bytes if events else settings.max_file_bytes):
        return [_too_big(name, size, settings, events)]
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    offset = lines = 0
    blank, first = True, True
    with path.open("rb") as handle:
        while True:
            block = handle.read(READ_BLOCK)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                held = len(exc.object) - len(block)  # bytes of a character begun in the block before
                line = lines + exc.object[: exc.start].count(b"\n") + 1
                bad = exc.object[exc.start : exc.start + 4]
                start = offset - held + exc.start
                return [Problem(name, line, None, repr(bad), f"not UTF-8 text (byte {start}): save the file as UTF-8")]
            if first and text:  # a byte-order mark is not content (it may come in a block of its own)
                text, first = text.removeprefix("\ufeff"), False
            if blank:
                blank = not text.strip()
            if not block:
                break
            lines += block.count(b"\n")
            offset += len(block)
    if blank:
        return [Problem(name, None, None, "", "file is empty")]
    return []


def read_header(path: Path) -> tuple[list[str], Problem | None]:
    """The header row of a CSV file (its first row that is not blank), names stripped; or why it is not one.

    The header is read raw: pandas skips blank lines before it and renames a repeated column "x.1".
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = [h.strip() for h in next((r for r in csv.reader(handle) if r), [])]
    return header, _delimiter_problem(path.name, header)


def _delimiter_problem(name: str, header: list[str]) -> Problem | None:
    """A header that is one cell holding semicolons, tabs or '|': a file saved with another separator."""
    if len(header) == 1:
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if delimiter in header[0]:
                return Problem(
                    name,
                    1,
                    None,
                    header[0],
                    f"the header is separated by {label}: save the file as comma-separated CSV",
                )
    return None


def fill_coordinates(events: pd.DataFrame, gazetteer: Gazetteer, cache: dict, file: str = EVENTS_FILE) -> list[Problem]:
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
                        file,
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
