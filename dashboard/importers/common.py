"""What the importers share: published files read as streams, their dates and columns, and one writer.

An importer turns each input row into an events.csv row (and, for warnings, zones). `write_into` merges
them into the data folder by event id, checks the merged folder exactly as `python -m dashboard validate`
would, and only then replaces the files, each atomically: a bad file or a bad merge leaves the folder as
it was. The events are written as events.csv or, with `--format parquet`, as events.parquet (the same
columns and text; see `events_parquet`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import filecmp
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

from ..config import Settings
from ..errors import DashboardError, DataError
from ..loading import check_dataset
from ..schema import (
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
    EventType,
)
from ..validation import ID_PATTERN, URL_PATTERN, Problem, errors_only
from . import events_parquet

EVENT_FIELDS: tuple[str, ...] = tuple(c.name for c in EVENT_COLUMNS)
assert EVENT_FIELDS[0] == "event_id"  # _merge_events relies on it
# Problems kept to print: a million-row file with a systematic fault would otherwise print a million lines;
# the rest are counted in the summary.
MAX_PROBLEMS_KEPT = 200
# How often the progress line is redrawn, in seconds.
PROGRESS_EVERY = 0.25
PROBLEM_ROWS = "each with a problem (listed above)"
# --format: the file a data folder's events are written to
EVENT_FORMATS = {"csv": EVENTS_FILE, "parquet": EVENTS_PARQUET_FILE}


class ImportRefused(DataError):
    """Nothing was written: the input or the merged folder has problems (all of them are carried)."""

    def __init__(self, problems: list[Problem], reason: str):
        super().__init__(problems)
        self.reason = reason


class UsageError(DashboardError, ValueError):
    """A command-line choice that cannot work (an unknown --map field, a bad --bbox)."""


@dataclass(frozen=True)
class ImportOptions:
    """How to read the inputs: renamed columns, their encoding, a box to keep, whether bad rows stop it."""

    column_map: dict[str, str] = field(default_factory=dict)  # the format's field -> the file's column
    encoding: str = "utf-8"
    bbox: tuple[float, float, float, float] | None = None  # south, west, north, east (degrees)
    strict: bool = False  # a row with a problem refuses the whole import instead of being skipped
    progress: Callable[[int, int, str], None] | None = None  # (bytes read, bytes in all, file name)
    # stop reading once the events read would make an events.csv bigger than this (the loader's size limit)
    max_events_bytes: int | None = None


class SpooledEvents(Mapping[str, str]):
    """event_id -> its events.csv line (contract column order, no newline), in the order first added, as a dict.

    The lines are kept in an unnamed temporary file (deleted when closed or when the process ends), only the
    ids in memory: a million GDELT events are about 450 MB of lines, but their ids about 150 MB. An id
    added again keeps its place and takes the new line (the later export wins), as in a dict.
    """

    def __init__(self) -> None:
        self._slots: dict[str, int] = {}  # event_id -> slot, in the order first added
        self._offsets = array("q")  # slot -> where its line starts in the file
        self._lengths = array("q")  # slot -> its length in bytes, newline included
        self._file = None  # opened on the first event
        self._end = 0
        self._reading = False  # the file position is somewhere a line was read, not at the end
        self._at = 0  # where the next read starts, when reading

    def put(self, event_id: str, line: str) -> tuple[int, int | None]:
        """Add or replace an event's line; (its size in bytes with the newline, the replaced line's size or None)."""
        data = line.encode("utf-8") + b"\n"
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="dashboard-import-")
        if self._reading:
            self._file.seek(self._end)
            self._reading = False
        self._file.write(data)
        slot = self._slots.get(event_id)
        old = None
        if slot is None:
            self._slots[event_id] = len(self._offsets)
            self._offsets.append(self._end)
            self._lengths.append(len(data))
        else:
            old = self._lengths[slot]
            self._offsets[slot], self._lengths[slot] = self._end, len(data)
        self._end += len(data)
        return len(data), old

    def line_bytes(self, event_id: str) -> bytes:
        """The event's line as UTF-8, with its newline."""
        return self._read(self._slots[event_id])

    def items_bytes(self) -> Iterator[tuple[str, int, bytes]]:
        """(event_id, slot, line as UTF-8 with its newline) in order: the file is read front to back unless a
        later file replaced an event."""
        for event_id, slot in self._slots.items():
            yield event_id, slot, self._read(slot)

    def slot(self, event_id: str) -> int | None:
        return self._slots.get(event_id)

    def _read(self, slot: int) -> bytes:
        offset, length = self._offsets[slot], self._lengths[slot]
        if not self._reading or self._at != offset:  # lines read in order need no seek (nor its system call)
            self._file.seek(offset)
            self._reading = True
        self._at = offset + length
        return self._file.read(length)

    def __getitem__(self, event_id: str) -> str:
        return self.line_bytes(event_id)[:-1].decode("utf-8")

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._slots

    def __iter__(self) -> Iterator[str]:
        return iter(self._slots)

    def __len__(self) -> int:
        return len(self._slots)

    def __repr__(self) -> str:
        return f"<SpooledEvents of {len(self):,} events>"


@dataclass
class ImportBatch:
    """Everything read from the input files, ready to merge into a data folder."""

    format_name: str
    max_events_bytes: int | None = None
    events_bytes: int = 0  # the size in bytes of the events.csv lines these events make
    # event_id -> its events.csv line: kept in a temporary file, so that a million events fit in memory
    events: SpooledEvents = field(default_factory=SpooledEvents)
    zones: dict[str, list[dict]] = field(default_factory=dict)  # event_id -> GeoJSON features
    types: dict[str, EventType] = field(default_factory=dict)  # declared types the events use
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS_KEPT
    problem_count: int = 0
    files_read: int = 0
    rows_read: int = 0
    skipped: Counter = field(default_factory=Counter)  # why -> rows
    layouts: Counter = field(default_factory=Counter)  # file layout or version -> rows
    examples: dict = field(default_factory=dict)  # why -> a few rows skipped for it ("file:row")
    rows_folded: int = 0  # rows that added to an event read before (one actor per row)
    replaced_by_later_file: int = 0

    def report(self, problem: Problem) -> None:
        """Keep a problem (an error skips its row; a warning does not)."""
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    def skip(self, problem: Problem) -> None:
        """A row that cannot become an event: reported with its file, row, column and value, then skipped."""
        self.skipped[PROBLEM_ROWS] += 1
        self.report(
            Problem(problem.file, problem.row, problem.column, problem.value, problem.message + "; row skipped")
        )

    def skip_counted(self, reason: str, where: str) -> None:
        """A row left out on purpose (no place, outside --bbox): counted, with the first few named."""
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3:
            shown.append(where)

    @property
    def rows_with_problems(self) -> int:
        return self.skipped[PROBLEM_ROWS]

    def add(self, event_id: str, row: str, zones: list[dict] | None = None) -> None:
        """Add an event; one that an earlier file gave already is replaced (the later export wins)."""
        size, old = self.events.put(event_id, row)
        if old is not None:
            self.replaced_by_later_file += 1
            self.events_bytes -= old
        self.events_bytes += size
        if self.max_events_bytes is not None and self.events_bytes > self.max_events_bytes:
            limit = self.max_events_bytes // (1024 * 1024)
            raise ImportRefused(
                [
                    Problem(
                        EVENTS_FILE,
                        None,
                        None,
                        f"{len(self.events):,} events after {self.rows_read:,} rows",
                        f"these events alone already make events.csv larger than the {limit} MB limit the "
                        "dashboard loads: keep a region with --bbox SOUTH,WEST,NORTH,EAST, import fewer files, or "
                        "raise DASHBOARD_MAX_FILE_MB",
                    )
                ],
                "the data would be too big for the dashboard; reading stopped",
            )
        if zones:
            self.zones[event_id] = zones
        else:
            self.zones.pop(event_id, None)


class RowError(ValueError):
    """One bad value in a row: the column and value that are wrong, and why."""

    def __init__(self, column: str, value: str, message: str):
        super().__init__(message)
        self.column, self.value, self.message = column, value, message


# ---------------------------------------------------------------------------------------------------------
# values


_SPACES = re.compile(r"\s+")
_FIELD_INDEX = {name: index for index, name in enumerate(EVENT_FIELDS)}
_MULTILINE_FIELDS = ("description", "notes")  # may keep their line breaks; the other fields are one line


def csv_field(value: str) -> str:
    """One CSV field as the csv module writes it (quoted only when it holds a comma, quote or line break)."""
    # four scans in C are quicker than a regular expression, and this runs for every field of a million rows
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(values: Sequence[str]) -> str:
    return ",".join([csv_field(value) if value else "" for value in values])


def one_line(value: str) -> str:
    """A value stripped, with its runs of spaces, tabs and line breaks made one space."""
    value = value.strip()
    if "  " in value or "\n" in value or "\t" in value or "\r" in value:
        value = _SPACES.sub(" ", value)
    return value


def event_row(**values: str) -> str:
    """An events.csv line in contract order: values stripped, one-line fields with their spaces collapsed."""
    row = [""] * len(EVENT_FIELDS)
    for name, value in values.items():
        # an unknown name is a programming error: KeyError
        row[_FIELD_INDEX[name]] = value.strip() if name in _MULTILINE_FIELDS else one_line(value)
    return csv_line(row)


def make_id(prefix: str, raw: str, column: str) -> str:
    """`prefix-raw` as an event_id, or a RowError naming the value."""
    raw = raw.strip()
    if not raw:
        raise RowError(column, raw, "required value is blank")
    event_id = f"{prefix}-{raw}"
    if not re.fullmatch(ID_PATTERN, event_id):
        raise RowError(column, raw, "cannot make an event_id of it: use letters, digits, '-', '_', '.', ':'")
    return event_id


def slug(text: str) -> str:
    """`Explosions/Remote violence` -> `explosions_remote_violence`."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:48]


def parse_number(text: str, column: str, low: float, high: float) -> float:
    """A decimal number within [low, high], or a RowError."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        raise RowError(column, text, "not a number") from None
    if not math.isfinite(number):
        raise RowError(column, text, "not a number")
    if not low <= number <= high:
        raise RowError(column, text, f"out of range {low:g} to {high:g}")
    return number


def format_coordinate(value: float) -> str:
    """Up to 6 decimals (about 10 cm), no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def check_coordinates(lat_text: str, lon_text: str, lat_column: str, lon_column: str) -> tuple[float, float]:
    """Latitude and longitude as numbers in range, or a RowError naming the bad one."""
    return (parse_number(lat_text, lat_column, -90, 90), parse_number(lon_text, lon_column, -180, 180))


def inside_bbox(lat: float, lon: float, bbox: tuple[float, float, float, float] | None) -> bool:
    """Whether (lat, lon) is in the box south, west, north, east; west > east crosses the antimeridian."""
    if bbox is None:
        return True
    south, west, north, east = bbox
    if not south <= lat <= north:
        return False
    return west <= lon <= east if west <= east else (lon >= west or lon <= east)


_HTTP = re.compile(r"(?i)https?://")
_URL = re.compile(URL_PATTERN)


def clean_url(text: str) -> str | None:
    """An http(s) address that passes the contract's check (unsafe characters %-encoded), else None."""
    url = text.strip()
    if not _HTTP.match(url):
        return None
    if _URL.fullmatch(url):
        return url
    url = quote(url, safe=":/?#[]@!$&()*+,;=%~-._")
    return url if _URL.fullmatch(url) else None


def host_of(url: str) -> str:
    """The site of an address, without `www.`: what a reader recognises as the publisher."""
    host = url.partition("://")[2]
    for stop in "/?#":
        host = host.partition(stop)[0]
    host = host.rpartition("@")[2].partition(":")[0].lower()
    return host[4:] if host.startswith("www.") else host


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            (),
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_ISO = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[-\s]+([A-Za-z]+)\.?[-\s,]+(\d{4}|\d{2})")  # 5-Aug-24, 21 March 2020
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")  # March 21, 2020
_DAY_FIRST_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")  # 21/03/2020, as ACLED's older files wrote it
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")  # 20200321, GDELT's SQLDATE
DATE_FORMS = "2020-03-21, 21-Mar-20, 21 March 2020 or March 21, 2020"


def parse_date(text: str, column: str, *, day_first_slash: bool = False, compact: bool = False) -> date:
    """A calendar date in one of the forms published files use (see DATE_FORMS), or a RowError."""
    value = text.strip()
    forms = DATE_FORMS + (" or 21/03/2020 (day first)" if day_first_slash else "") + (" or 20200321" if compact else "")
    if not value:
        raise RowError(column, text, "required value is blank")
    try:
        if match := _ISO.fullmatch(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DAY_MONTH_YEAR.fullmatch(value):
            return date(_year(match[3]), _month(match[2]), int(match[1]))
        if match := _MONTH_DAY_YEAR.fullmatch(value):
            return date(int(match[3]), _month(match[1]), int(match[2]))
        if day_first_slash and (match := _DAY_FIRST_SLASH.fullmatch(value)):
            return date(int(match[3]), int(match[2]), int(match[1]))
        if compact and (match := _COMPACT.fullmatch(value)):
            return date(int(match[1]), int(match[2]), int(match[3]))
    except (ValueError, KeyError):
        raise RowError(column, text, f"not a real date (expected {forms})") from None
    raise RowError(column, text, f"not a date in a form this importer reads ({forms})")


def _month(name: str) -> int:
    return _MONTHS[name.casefold()]


def _year(text: str) -> int:
    # a spreadsheet's two-digit year, read as Python's %y does: 69-99 are 1969-1999, 00-68 are 2000-2068
    if len(text) == 4:
        return int(text)
    return (1900 if int(text) >= 69 else 2000) + int(text)


# ---------------------------------------------------------------------------------------------------------
# files


def parse_column_map(pairs: Sequence[str]) -> dict[str, str]:
    """`["area=coordinates_raw"]` -> `{"area": "coordinates_raw"}`; a pair without '=' is a UsageError."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise UsageError(f"--map expects FIELD=COLUMN, got {pair!r}")
        mapping[name.strip()] = column.strip()
    return mapping


def check_column_map(column_map: dict[str, str], fields: Sequence[str], format_name: str) -> None:
    """Every --map FIELD must be one this format reads."""
    unknown = [name for name in column_map if name not in fields]
    if unknown:
        raise UsageError(
            f"--map names {', '.join(map(repr, unknown))}, not a field of {format_name} files; "
            f"its fields are: {', '.join(fields)}"
        )


class _CountingLines:
    """The text lines of a binary stream, decoded line by line so that a decoding error has its line number.

    Counts characters read for the progress line. Lines keep their line ends, as the csv module wants.
    """

    def __init__(self, binary, codec: str, name: str, encoding: str):
        self.binary = binary
        self.decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        self.name, self.encoding = name, encoding
        self.chars = 0
        self.line = 0  # raw lines read

    def __iter__(self) -> Iterator[str]:
        pending = ""
        for raw in self.binary:
            self.line += 1
            try:
                text = self.decoder.decode(raw)
            except UnicodeDecodeError as exc:
                bad = bytes(exc.object[exc.start : exc.start + 4])
                raise ImportRefused(
                    [
                        Problem(
                            self.name,
                            self.line,
                            None,
                            repr(bad),
                            f"not {self.encoding} text: save the file as UTF-8, or name its "
                            "encoding with --encoding (e.g. cp1252 for a spreadsheet's CSV)",
                        )
                    ],
                    "cannot read the input",
                ) from None
            self.chars += len(text)
            if not pending and text.endswith("\n"):  # the usual case: one raw line is one text line
                yield text
                continue
            pending += text
            while (end := pending.find("\n")) >= 0:
                yield pending[: end + 1]
                pending = pending[end + 1 :]
        pending += self.decoder.decode(b"", final=True)
        if pending:
            yield pending


@contextlib.contextmanager
def open_lines(path: Path, encoding: str) -> Iterator[tuple[_CountingLines, int]]:
    """The lines of a text file, or of the one data file inside a .zip, with the size to read.

    A byte-order mark is dropped. Raises ImportRefused when the file is missing or the zip is not one file.
    """
    name = path.name
    if not path.is_file():
        raise ImportRefused([Problem(name, None, None, str(path), "file not found")], "cannot read the input")
    codec = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    with contextlib.ExitStack() as stack:
        if zipfile.is_zipfile(path):
            archive = stack.enter_context(zipfile.ZipFile(path))
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                listed = ", ".join(m.filename for m in members[:5]) or "nothing"
                raise ImportRefused(
                    [Problem(name, None, None, listed, f"the zip holds {len(members)} files; give the one to import")],
                    "cannot read the input",
                )
            binary = stack.enter_context(archive.open(members[0]))
            size = members[0].file_size
        else:
            binary = stack.enter_context(path.open("rb"))
            size = path.stat().st_size
        try:
            codecs.lookup(codec)
        except LookupError:
            raise UsageError(f"unknown --encoding {encoding!r} (try utf-8, cp1252 or latin-1)") from None
        yield _CountingLines(binary, codec, name, encoding), size


class Progress:
    """Reports bytes read across all input files to options.progress, at most every PROGRESS_EVERY seconds."""

    def __init__(self, options: ImportOptions, paths: Sequence[Path]):
        self.callback = options.progress
        self.total = sum(p.stat().st_size for p in paths if p.is_file())
        self.done_before = 0
        self.last = 0.0

    def update(self, path: Path, lines: _CountingLines, size: int) -> None:
        """`size` is the length of the text being read (a zip's is its unpacked size), to scale to the file."""
        if self.callback is None:
            return
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        fraction = min(1.0, lines.chars / size) if size else 1.0
        self.callback(self.done_before + int(fraction * path.stat().st_size), self.total, path.name)

    def finish_file(self, path: Path) -> None:
        self.done_before += path.stat().st_size
        if self.callback is not None:
            self.callback(self.done_before, self.total, path.name)


def header_key(text: str) -> str:
    """How a header cell is matched: case, spaces and a stray byte-order mark do not matter."""
    return text.replace("\ufeff", "").strip().strip('"').casefold()


def find_columns(
    header: list[str], fields: Sequence[str], required: Sequence[str], column_map: dict[str, str], file: str
) -> dict[str, int]:
    """Field -> position in the header (by name, or by --map), or ImportRefused naming what is missing."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell)
        if key and key not in positions:
            positions[key] = index
    found: dict[str, int] = {}
    problems = []
    for name in fields:
        column = column_map.get(name, name)
        if header_key(column) in positions:
            found[name] = positions[header_key(column)]
        elif name in column_map:
            problems.append(
                Problem(file, 1, column, column, f"column given by --map {name}={column} is not in the header row")
            )
        elif name in required:
            problems.append(
                Problem(
                    file,
                    1,
                    name,
                    "",
                    "required column is missing from the header row"
                    + (f" (if the file names it otherwise, add --map {name}=COLUMN)"),
                )
            )
    if problems:
        shown = ", ".join(cell for cell in header if cell.strip())
        problems.append(Problem(file, 1, None, shown[:200], "the header row this file has"))
        raise ImportRefused(problems, "the file is not in the expected layout")
    return found


def sniff_delimiter(first_line: str, wanted: Sequence[str]) -> str:
    """The delimiter (comma, semicolon, tab or '|') under which the header holds most of the wanted names."""
    best, best_count = ",", -1
    for delimiter in (",", ";", "\t", "|"):
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        count = sum(1 for cell in cells if header_key(cell) in wanted)
        if count > best_count:
            best, best_count = delimiter, count
    return best


def read_csv_records(
    path: Path,
    options: ImportOptions,
    fields: Sequence[str],
    required: Sequence[str],
    progress: Progress,
    batch: ImportBatch,
) -> Iterator[tuple[int, list[str], dict[str, int]]]:
    """(row number, cells, field -> position) for each record of a CSV file with a header row.

    Rows are numbered as a spreadsheet shows them (the header is row 1). Blank rows are passed over; a
    record with fewer cells than the header, or more that are not blank, is reported to the batch and skipped.
    """
    with open_lines(path, options.encoding) as (lines, size):
        iterator = iter(lines)
        first = next((line for line in iterator if line.strip()), None)
        if first is None:
            raise ImportRefused([Problem(path.name, None, None, "", "file is empty")], "cannot read the input")
        wanted = {header_key(options.column_map.get(name, name)) for name in fields}
        delimiter = sniff_delimiter(first, wanted)
        reader = csv.reader(_chain_first(first, iterator), delimiter=delimiter, strict=False)
        try:
            header = next(reader)
            columns = find_columns(header, fields, required, options.column_map, path.name)
            width = len(header)
            for number, cells in enumerate(reader, start=2):
                if not any(value.strip() for value in cells):
                    continue
                batch.rows_read += 1
                if len(cells) < width or any(value.strip() for value in cells[width:]):
                    batch.skip(
                        Problem(
                            path.name,
                            number,
                            None,
                            f"{len(cells)} fields",
                            f"this row has {len(cells)} fields and the header row {width}: "
                            "a quote or separator is missing or extra",
                        )
                    )
                    continue
                yield number, cells, columns
                progress.update(path, lines, size)
        except csv.Error as exc:
            raise ImportRefused(
                [Problem(path.name, lines.line, None, "", f"cannot parse the CSV: {exc}")], "cannot read the input"
            ) from None
    progress.finish_file(path)


def _chain_first(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    """The stripped value of a field, '' when the file has no such column."""
    index = columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


# ---------------------------------------------------------------------------------------------------------
# writing a data folder


@dataclass
class WriteReport:
    """What `write_into` did to the folder."""

    into: Path
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    types_added: list[str] = field(default_factory=list)
    zones: int = 0
    files_written: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    events_file: str = EVENTS_FILE  # where the folder's events are now: events.csv or events.parquet
    files_removed: list[str] = field(default_factory=list)  # the events file of the other format, if it was there

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.kept


def write_into(batch: ImportBatch, into: Path, settings: Settings, events_format: str | None = None) -> WriteReport:
    """Merge the batch into the data folder `into` by event id and write it; refuse if it would not load.

    Existing events keep their rows unless an imported event has the same event_id (the import replaces
    it, zones included); declared types already in types.csv keep their look. The merged folder is built
    in a scratch folder inside `into`, checked there exactly as `python -m dashboard validate` checks a
    folder (`check_dataset`), and only then are the changed files replaced, one by one and each atomically,
    in an order (types, gazetteer, events, zones) in which every step is valid. events.csv is written and
    checked as a stream, so a million events never sit in memory as one text.

    `events_format` ("csv" or "parquet", see EVENT_FORMATS) is the file the events go to; None keeps the
    folder's own (csv for a folder without events). The events are merged and checked as CSV text either
    way; for parquet that text is then written as events.parquet, a row group at a time, and an events.csv
    the folder had is removed once events.parquet is in place (and the other way round), so that the
    folder holds its events once. A folder that holds both files is refused.
    """
    if events_format is not None and events_format not in EVENT_FORMATS:
        raise UsageError(f"unknown events format {events_format!r}; known: {', '.join(EVENT_FORMATS)}")
    created = not into.exists()
    into.mkdir(parents=True, exist_ok=True)
    try:
        return _write_into(batch, into, settings, events_format)
    except BaseException:
        if created and not any(into.iterdir()):
            into.rmdir()  # a refused import into a new folder leaves no empty folder behind
        raise


SCRATCH_PREFIX = ".import."
BOTH_EVENT_FILES = (
    "the folder holds both events.csv and events.parquet, so it is not clear which holds its events: delete "
    "the one that is out of date (an import with --format parquet stopped between writing events.parquet "
    "and removing events.csv leaves both; events.parquet is then the newer)"
)


def _write_into(batch: ImportBatch, into: Path, settings: Settings, events_format: str | None) -> WriteReport:
    with _folder_lock(into):
        _remove_stale_scratch(into)
        source = events_source(into)
        if events_format is not None:
            target = into / EVENT_FORMATS[events_format]
        else:
            target = source or into / EVENTS_FILE
        scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}.", dir=into))
        parquet = None  # the merged events.parquet, written beside its target before anything is replaced
        try:
            existing_problems = _check_existing(into, source, settings)
            if errors_only(existing_problems or []):
                raise ImportRefused(
                    existing_problems,
                    f"the data already in {into} has problems: fix them first "
                    f"(python -m dashboard validate --data-dir {into})",
                )
            report = WriteReport(into=into, events_file=target.name)
            texts = {
                TYPES_FILE: _merge_types(into / TYPES_FILE, batch.types, report),
                ZONES_FILE: _merge_zones(into / ZONES_FILE, batch.zones, batch.events, report),
            }
            size, identical = _merge_events(source, batch.events, scratch / EVENTS_FILE, report)
            if size > settings.max_file_bytes:
                limit = settings.max_file_bytes // (1024 * 1024)
                raise ImportRefused(
                    [
                        Problem(
                            EVENTS_FILE,
                            None,
                            None,
                            f"{report.total:,} events",
                            f"the merged events.csv would be larger than the {limit} MB limit the "
                            "dashboard loads: keep a region with --bbox SOUTH,WEST,NORTH,EAST, import "
                            "fewer files, or raise DASHBOARD_MAX_FILE_MB",
                        )
                    ],
                    f"the merged data would be too big; nothing was written to {into}",
                )
            if not (into / LOCATIONS_FILE).exists():
                texts[LOCATIONS_FILE] = ",".join(c.name for c in LOCATION_COLUMNS) + "\n"
            changed = [name for name, text in texts.items() if text is not None and _differs(into / name, text)]
            if source != target:
                changed.append(target.name)  # the other format, or no events before
            elif target.name == EVENTS_FILE and _file_differs(source, scratch / EVENTS_FILE):
                changed.append(target.name)  # byte for byte: the merge may also quote or end lines otherwise
            elif target.name == EVENTS_PARQUET_FILE and not identical:
                changed.append(target.name)
            if changed or existing_problems is None:
                report.warnings = _named(_check_merged(into, scratch, texts, settings, target.name), target.name)
            else:  # the merged folder is byte for byte the folder just checked: its warnings are known
                report.warnings = existing_problems
            if EVENTS_PARQUET_FILE in changed:
                parquet = events_parquet.new_temp_file(target)
                events_parquet.write_csv_as_parquet(scratch / EVENTS_FILE, parquet)
            # every file is ready: each is replaced in one step
            for name in (TYPES_FILE, LOCATIONS_FILE, target.name, ZONES_FILE):
                if name not in changed:
                    continue
                if name == EVENTS_PARQUET_FILE:
                    events_parquet.install(parquet, target, like=source)
                else:
                    _install(scratch / name, into / name)
                report.files_written.append(name)
                if name == target.name and source is not None and source != target:
                    source.unlink()  # the events are in the other format now: a folder holds them once
                    report.files_removed.append(source.name)
            return report
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if parquet is not None:
                parquet.unlink(missing_ok=True)  # gone already unless something failed before it was installed


def events_source(into: Path) -> Path | None:
    """The folder's events file (events.csv or events.parquet), None if it has none (or is no folder);
    ImportRefused if it has both."""
    present = [into / name for name in (EVENTS_FILE, EVENTS_PARQUET_FILE) if (into / name).exists()]
    if len(present) > 1:
        raise ImportRefused(
            [Problem(EVENTS_PARQUET_FILE, None, None, str(into), BOTH_EVENT_FILES)],
            f"{into} holds its events twice; nothing was written",
        )
    return present[0] if present else None


def _named(problems: list[Problem], events_file: str) -> list[Problem]:
    """Problems found in the merged events.csv text that stands for `events_file`, named after `events_file`
    (the rows are numbered alike: a Parquet file's first event is row 2, as in the CSV it stands for)."""
    if events_file == EVENTS_FILE:
        return problems
    return [dataclasses.replace(p, file=events_file) if p.file == EVENTS_FILE else p for p in problems]


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Two imports into one folder at once take turns (an advisory lock on the folder itself, POSIX)."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the atomic writes still keep every file whole
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_stale_scratch(into: Path) -> None:
    """Scratch folders an import killed mid-way left behind (its process is gone): each may be hundreds of MB."""
    pattern = re.compile(re.escape(SCRATCH_PREFIX) + r"(\d+)\.\w+")
    for entry in into.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and entry.is_dir() and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether a process with this id exists; when that cannot be told, it counts as alive."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would end the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _check_existing(into: Path, source: Path | None, settings: Settings) -> list[Problem] | None:
    """The problems (errors and warnings) of the folder as it is, its events.csv or events.parquet read as
    the dashboard reads it; None when it holds no events yet."""
    if source is None:
        return None
    return check_dataset(_settings_for(into, settings))


def _check_merged(
    into: Path, scratch: Path, texts: dict[str, str | None], settings: Settings, events_file: str
) -> list[Problem]:
    """Check the merged folder in `scratch` (events.csv is there already); ImportRefused with every problem
    (named after `events_file`, the file they will be in) if it would not load, else its warnings."""
    for name in (LOCATIONS_FILE, GEOCODE_CACHE_FILE, TYPES_FILE, ZONES_FILE):
        text = texts.get(name)
        if text is not None:
            (scratch / name).write_text(text, encoding="utf-8")
        elif (into / name).exists():
            shutil.copyfile(into / name, scratch / name)
    problems = check_dataset(_settings_for(scratch, settings))
    if errors_only(problems):
        raise ImportRefused(
            _named(problems, events_file), f"the merged data would not load; nothing was written to {into}"
        )
    return problems


def _install(source: Path, target: Path) -> None:
    """Move a finished file from the scratch folder over `target` in one step (same folder tree, so atomic),
    with the target's permissions, or a new file's usual ones."""
    with source.open("rb+") as handle:
        os.fsync(handle.fileno())
    if target.exists():
        os.chmod(source, target.stat().st_mode & 0o777)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(source, 0o666 & ~umask)
    os.replace(source, target)


def _settings_for(data_dir: Path, settings: Settings) -> Settings:
    """The same settings (limits included) for another folder."""
    return dataclasses.replace(settings, data_dir=data_dir)


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() != text.encode("utf-8")
    except FileNotFoundError:
        return True


def _file_differs(path: Path, new: Path) -> bool:
    try:
        return not filecmp.cmp(path, new, shallow=False)
    except FileNotFoundError:
        return True


def _read_csv_text(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of an existing data file (already validated, so UTF-8 and comma-separated)."""
    with _csv_records(path) as records:
        header = next(records, [])
        return [h.strip() for h in header], list(records)


@contextlib.contextmanager
def _parquet_records(path: Path) -> Iterator[Iterator[list[str]]]:
    """The rows of an existing events.parquet (already checked), header first, a row group at a time."""
    yield events_parquet.iter_rows(path)


@contextlib.contextmanager
def _csv_records(path: Path | None) -> Iterator[Iterator[list[str]]]:
    """The rows of an existing data file that are not blank, header first, read as a stream."""
    if path is None or not path.exists():
        yield iter(())
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield (row for row in csv.reader(handle) if any(c.strip() for c in row))


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _merge_events(path: Path | None, imported: SpooledEvents, out: Path, report: WriteReport) -> tuple[int, bool]:
    """Write the merged events.csv to `out`: existing rows of `path` (events.csv or events.parquet) in their
    order (an imported id replaces its row), then the new ones. Return its size in bytes, and whether it
    holds exactly the text `path` held (the same columns and rows, cell for cell).

    Columns the existing file has beyond the contract are kept, and so are their values on a replaced row.
    """
    placed = bytearray(len(imported))  # slot -> 1 once the event has replaced an existing row
    size = 0
    records_of = _parquet_records if path is not None and path.name == EVENTS_PARQUET_FILE else _csv_records
    with records_of(path) as records, out.open("wb", buffering=1024 * 1024) as handle:
        raw_header = next(records, [])
        header = [h.strip() for h in raw_header]
        extra = [name for name in header if name and name not in EVENT_FIELDS]
        out_header = list(EVENT_FIELDS) + extra
        positions = {name: header.index(name) for name in header if name}
        order = [positions.get(name) for name in out_header]  # where each output column is in a row
        as_is = order == list(range(len(header)))  # the usual case: a file in contract order
        identical = as_is and raw_header == out_header
        size += handle.write((csv_line(out_header) + "\n").encode("utf-8"))
        for row in records:
            if as_is and len(row) == len(order):
                values = row
            else:
                values = [row[i] if i is not None and i < len(row) else "" for i in order]
            event_id = values[0].strip()  # EVENT_FIELDS starts with event_id
            slot = imported.slot(event_id)
            if slot is None:
                report.kept += 1
                data = (csv_line(values) + "\n").encode("utf-8")  # a kept row is written back as it was
            else:
                data = imported.line_bytes(event_id)
                if extra:  # the existing row's values of the extra columns are kept
                    data = data[:-1] + ("," + csv_line(values[len(EVENT_FIELDS) :]) + "\n").encode("utf-8")
                if data == (csv_line([value.strip() for value in values]) + "\n").encode("utf-8"):
                    report.unchanged += 1
                else:
                    report.updated += 1
                if identical:  # an unchanged event may still lose spaces around its values
                    identical = data == (csv_line(values) + "\n").encode("utf-8")
                placed[slot] = 1
            size += handle.write(data)
        tail = ("," * len(extra)).encode("utf-8")
        for _event_id, slot, data in imported.items_bytes():
            if not placed[slot]:
                report.new += 1
                identical = False
                size += handle.write(data[:-1] + tail + b"\n" if tail else data)
    return size, identical


def _merge_types(path: Path, declared: dict[str, EventType], report: WriteReport) -> str | None:
    """types.csv text with the batch's new types appended; None when there is nothing to declare."""
    header, rows = _read_csv_text(path)
    type_fields = [c.name for c in TYPE_COLUMNS]
    if not header:
        header = type_fields
    key_at = header.index("event_type") if "event_type" in header else None
    have = {row[key_at].strip() for row in rows if key_at is not None and key_at < len(row)}
    added = [t for key, t in declared.items() if key not in have and key not in EVENT_TYPES]
    if not added and not rows:
        return None
    for event_type in added:
        values = {
            "event_type": event_type.key,
            "label": event_type.label,
            "description": event_type.description,
            "color": event_type.color,
            "radius": str(event_type.radius),
        }
        rows.append([values.get(name, "") for name in header])
        report.types_added.append(event_type.key)
    return _csv_text(header, rows)


def _merge_zones(
    path: Path, imported: dict[str, list[dict]], imported_ids: Mapping[str, str], report: WriteReport
) -> str | None:
    """zones.geojson text: an imported event's zones take the place of its old ones; new events' zones last."""
    features: list[dict] = []
    placed: set[str] = set()
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        for feature in data.get("features", []):
            event_id = str((feature.get("properties") or {}).get("event_id", "")).strip()
            if event_id not in imported_ids:
                features.append(feature)
            elif event_id not in placed:
                features.extend(imported.get(event_id, []))
                placed.add(event_id)
    for event_id, zones in imported.items():
        if event_id not in placed:
            features.extend(zones)
    if not features and not path.exists():
        return None
    report.zones = len(features)
    lines = ",\n".join("  " + json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    return '{\n "type": "FeatureCollection",\n "features": [\n' + lines + ("\n" if lines else "") + " ]\n}\n"


# ---------------------------------------------------------------------------------------------------------
# the command line's progress line


def print_progress(done: int, total: int, name: str) -> None:
    """A one-line progress bar on stderr (the CLI passes it only when stderr is a terminal)."""
    width = 30
    filled = round(width * done / total) if total else width
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done / 1e6:8.1f} of {total / 1e6:.1f} MB {name[:40]:<40}"
    )
    sys.stderr.flush()
