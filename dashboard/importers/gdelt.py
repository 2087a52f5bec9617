"""GDELT event files as distributed: tab-separated, no header, plain or zipped.

Column lists from GDELT's codebooks (Data Format Codebook 1.03 and Event Codebook 2.0):

- **1.0 historical backfile** (events up to 31 March 2013): 57 columns, `GLOBALEVENTID ... DATEADDED`.
- **1.0 daily file** (from 1 April 2013): the same 57 and `SOURCEURL`, 58 columns. Both may be in one file.
- **2.0 export** (`YYYYMMDDHHMMSS.export.CSV.zip`, from 19 February 2015): 61 columns; each of the three
  geography blocks gains `_ADM2Code` after `_ADM1Code`.

Each row's width tells its version. A file with a header row naming the codebook's columns (a BigQuery
export, tab- or comma-separated) is read by name instead, and `--map FIELD=COLUMN` renames; on headerless
files `--map FIELD=N` gives a 1-based column number.

The event is placed at its action geography (`ActionGeo_Lat`, `ActionGeo_Long`, `ActionGeo_FullName`;
`ActionGeo_Type` gives the precision), dated by `SQLDATE`, linked by `SOURCEURL` (where there is no link,
`source_url` stays blank and `source_name` says why), typed by `QuadClass`
(four declared types) and titled with its CAMEO root code. Rows with no action geography are counted and
reported, never placed by guess.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import date
from operator import itemgetter
from pathlib import Path

from ..schema import EventType
from ..validation import Problem
from .common import (
    EVENT_FIELDS,
    ImportBatch,
    ImportOptions,
    ImportRefused,
    Progress,
    RowError,
    check_column_map,
    check_coordinates,
    clean_url,
    csv_line,
    find_columns,
    format_coordinate,
    header_key,
    host_of,
    inside_bbox,
    one_line,
    open_lines,
    sniff_delimiter,
)

FORMAT = "gdelt"
_ACTOR = (
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
)
_ACTION = (
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
)


def _columns(adm2: bool, source_url: bool) -> tuple[str, ...]:
    geo = ("Type", "FullName", "CountryCode", "ADM1Code", *(("ADM2Code",) if adm2 else ()), "Lat", "Long", "FeatureID")
    names = ["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"]
    names += [f"Actor1{n}" for n in _ACTOR] + [f"Actor2{n}" for n in _ACTOR] + list(_ACTION)
    for block in ("Actor1Geo", "Actor2Geo", "ActionGeo"):
        names += [f"{block}_{n}" for n in geo]
    names.append("DATEADDED")
    if source_url:
        names.append("SOURCEURL")
    return tuple(names)


V1_BACKFILE = _columns(adm2=False, source_url=False)
V1_DAILY = _columns(adm2=False, source_url=True)
V2_EXPORT = _columns(adm2=True, source_url=True)
assert (len(V1_BACKFILE), len(V1_DAILY), len(V2_EXPORT)) == (57, 58, 61)
LAYOUTS: dict[int, tuple[str, tuple[str, ...]]] = {
    57: ("GDELT 1.0 historical backfile (57 columns, no SOURCEURL)", V1_BACKFILE),
    58: ("GDELT 1.0 daily file (58 columns)", V1_DAILY),
    61: ("GDELT 2.0 export (61 columns)", V2_EXPORT),
}
FIELDS: tuple[str, ...] = tuple(dict.fromkeys(V2_EXPORT + V1_DAILY))
USED = (
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Name",
    "Actor2Name",
    "EventCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    "ActionGeo_Type",
    "ActionGeo_FullName",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "SOURCEURL",
)
REQUIRED = ("GLOBALEVENTID", "SQLDATE", "QuadClass", "ActionGeo_Lat", "ActionGeo_Long")

# QuadClass (codebook): 1=Verbal Cooperation, 2=Material Cooperation, 3=Verbal Conflict, 4=Material Conflict.
QUAD_TYPES: dict[str, EventType] = {
    code: EventType(key, label, f"GDELT events of CAMEO quad class {code}, {label.lower()}.", color, 5, label)
    for code, key, label, color in (
        ("1", "gdelt_verbal_cooperation", "Verbal cooperation", "#56b4e9"),
        ("2", "gdelt_material_cooperation", "Material cooperation", "#009e73"),
        ("3", "gdelt_verbal_conflict", "Verbal conflict", "#332288"),
        ("4", "gdelt_material_conflict", "Material conflict", "#661100"),
    )
}
# CAMEO 1.1b3 root codes (the event code's first two digits).
CAMEO_ROOTS = {
    "01": "Make public statement",
    "02": "Appeal",
    "03": "Express intent to cooperate",
    "04": "Consult",
    "05": "Engage in diplomatic cooperation",
    "06": "Engage in material cooperation",
    "07": "Provide aid",
    "08": "Yield",
    "09": "Investigate",
    "10": "Demand",
    "11": "Disapprove",
    "12": "Reject",
    "13": "Threaten",
    "14": "Protest",
    "15": "Exhibit force posture",
    "16": "Reduce relations",
    "17": "Coerce",
    "18": "Assault",
    "19": "Fight",
    "20": "Use unconventional mass violence",
}
# ActionGeo_Type (codebook): 1=COUNTRY, 2=USSTATE, 3=USCITY, 4=WORLDCITY, 5=WORLDSTATE -> geo_precision.
# A city or landmark match is the place itself (1); a state's or country's centroid is the region only (3).
GEO_TYPES = {
    "1": ("country", "3"),
    "2": ("US state", "3"),
    "3": ("US city or landmark", "1"),
    "4": ("city or landmark", "1"),
    "5": ("state or province", "3"),
}
NO_PLACE = "no action geography (ActionGeo_Lat/ActionGeo_Long blank)"
# The order in which _event writes an events.csv line; importing fails loudly if the contract's order changes.
_LINE_ORDER = (
    "event_id",
    "event_type",
    "start_date",
    "end_date",
    "title",
    "location",
    "latitude",
    "longitude",
    "source_url",
    "description",
    "actor",
    "route_id",
    "route_seq",
    "amount_usd",
    "geo_precision",
    "source_name",
    "notes",
)
assert _LINE_ORDER == EVENT_FIELDS, "gdelt._event writes the columns in another order than the contract"


def read(paths: Sequence[Path], options: ImportOptions) -> ImportBatch:
    """Read GDELT event files (1.0 backfile and daily, 2.0 export; plain or .zip) into events."""
    check_column_map(options.column_map, FIELDS, FORMAT)
    batch = ImportBatch(FORMAT, max_events_bytes=options.max_events_bytes)
    progress = Progress(options, paths)
    dates: dict[str, str] = {}  # SQLDATE -> ISO date: a file holds few distinct days
    for path in paths:
        batch.files_read += 1
        for number, layout, fields in _records(path, options, progress, batch):
            batch.layouts[layout.label] += 1
            _event(path.name, number, layout, fields, batch, options, dates)
    batch.types = {t.key: t for t in QUAD_TYPES.values() if t.key in batch.types}  # in QuadClass order
    return batch


class _Layout:
    """Where the fields this importer uses sit in one kind of row."""

    def __init__(self, label: str, positions: dict[str, int]):
        self.label = label
        self.version = "2.0" if "2.0" in label else "1.0" if "1.0" in label else ""
        self.has_source_url = "SOURCEURL" in positions
        # a missing field reads the '' appended to every row (index -1)
        self.get = itemgetter(*(positions.get(name, -1) for name in USED))


def _records(
    path: Path, options: ImportOptions, progress: Progress, batch: ImportBatch
) -> Iterator[tuple[int, _Layout, list[str]]]:
    """(line number, layout, fields) for each record, of a headerless file or one with a header row."""
    numbered = {name: int(column) - 1 for name, column in options.column_map.items() if column.isdigit()}
    with open_lines(path, options.encoding) as (lines, size):
        iterator = iter(lines)
        first = next(iterator, None)
        if first is None or not first.strip():
            raise ImportRefused([Problem(path.name, None, None, "", "file is empty")], "cannot read the input")
        if "globaleventid" in first.casefold():
            yield from _records_with_header(path, first, iterator, options, progress, batch, lines, size)
            progress.finish_file(path)
            return
        layouts = {
            width: _Layout(label, {**{n: i for i, n in enumerate(names)}, **numbered})
            for width, (label, names) in LAYOUTS.items()
        }
        number = 0
        for line in _chain(first, iterator):
            number += 1
            fields = line.rstrip("\r\n").split("\t")
            layout = layouts.get(len(fields))
            if layout is not None:
                batch.rows_read += 1
                yield number, layout, fields
            elif number == 1:
                raise ImportRefused(
                    [
                        Problem(
                            path.name,
                            1,
                            None,
                            f"{len(fields)} fields",
                            "not a GDELT event file: a GDELT event row has 57 (1.0 backfile), "
                            "58 (1.0 daily) or 61 (2.0) tab-separated fields; mentions and "
                            "GKG files are not event files",
                        )
                    ],
                    "the file is not in the expected layout",
                )
            elif line.strip():
                batch.rows_read += 1
                batch.skip(
                    Problem(
                        path.name,
                        number,
                        None,
                        f"{len(fields)} fields",
                        "a GDELT event row has 57, 58 or 61 tab-separated fields",
                    )
                )
            progress.update(path, lines, size)
    progress.finish_file(path)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _records_with_header(
    path: Path,
    first: str,
    iterator: Iterator[str],
    options: ImportOptions,
    progress: Progress,
    batch: ImportBatch,
    lines,
    size: int,
):
    wanted = {header_key(options.column_map.get(name, name)) for name in FIELDS}
    delimiter = "\t" if "\t" in first else sniff_delimiter(first, wanted)
    header = next(csv.reader([first], delimiter=delimiter))
    column_map = dict(options.column_map)
    keys = {header_key(h) for h in header}
    if "sqldate" not in keys and "day" in keys and "SQLDATE" not in column_map:
        column_map["SQLDATE"] = "Day"  # the 2.0 codebook's name for it
    positions = find_columns(header, FIELDS, REQUIRED, column_map, path.name)
    name = "tab" if delimiter == "\t" else repr(delimiter)
    layout = _Layout(f"GDELT with a header row ({name}-separated)", positions)
    reader = csv.reader(
        iterator, delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    )
    for number, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        batch.rows_read += 1
        if len(fields) != len(header):
            batch.skip(
                Problem(
                    path.name,
                    number,
                    None,
                    f"{len(fields)} fields",
                    f"this row has {len(fields)} fields and the header row {len(header)}",
                )
            )
            continue
        yield number, layout, fields
        progress.update(path, lines, size)


def _event(
    file: str,
    number: int,
    layout: _Layout,
    fields: list[str],
    batch: ImportBatch,
    options: ImportOptions,
    dates: dict[str, str],
) -> None:
    """One GDELT row -> one event (or a counted skip)."""
    fields.append("")
    (
        event_id,
        sqldate,
        actor1,
        actor2,
        code,
        root,
        quad_code,
        goldstein,
        mentions,
        sources,
        articles,
        tone,
        geo_type,
        place,
        lat_text,
        lon_text,
        source,
    ) = layout.get(fields)
    event_id = event_id.strip()
    if not lat_text.strip() and not lon_text.strip():
        batch.skip_counted(NO_PLACE, f"{file}:{number} (GLOBALEVENTID {event_id})")
        return
    try:
        lat, lon = check_coordinates(lat_text, lon_text, "ActionGeo_Lat", "ActionGeo_Long")
        if not inside_bbox(lat, lon, options.bbox):
            batch.skip_counted("outside --bbox", f"{file}:{number}")
            return
        if not event_id.isdigit():
            raise RowError("GLOBALEVENTID", event_id, "not a GDELT event id (digits)")
        day = dates.get(sqldate) or _sqldate(sqldate, dates)
        quad = QUAD_TYPES.get(quad_code.strip())
        if quad is None:
            raise RowError("QuadClass", quad_code, "QuadClass is 1, 2, 3 or 4")
    except RowError as exc:
        batch.skip(Problem(file, number, exc.column, exc.value, exc.message))
        return
    if quad.key not in batch.types:
        batch.types[quad.key] = quad
    root = root.strip().zfill(2) if root.strip() else code[:2]
    action = CAMEO_ROOTS.get(root) or f"CAMEO event {code or '?'}"
    title = action + (f": {actor1 or 'unnamed actor'}" if actor1 or actor2 else "") + (f" → {actor2}" if actor2 else "")
    geo_label, precision = GEO_TYPES.get(geo_type.strip(), ("unknown", "3"))
    source_url, source_name = _source(source.strip(), layout.has_source_url, event_id)
    version = f"{layout.version} " if layout.version else ""
    notes = (
        f"GDELT {version}event {event_id}; CAMEO {code} ({action}); {quad.label.lower()}; Goldstein "
        f"{goldstein}; {mentions} mentions in {articles} article(s) from {sources} source(s); tone {tone}; "
        f"place matched at {geo_label} level"
    )
    # the events.csv line built in contract order (_LINE_ORDER), as event_row would build it but quicker:
    # this runs for every row of files of millions
    line = csv_line(
        [
            "gdelt-" + event_id,
            quad.key,
            day,
            "",  # end_date: GDELT events are one day
            one_line(title),
            one_line(place) or f"{lat:.3f}, {lon:.3f}",
            format_coordinate(lat),
            format_coordinate(lon),
            source_url,
            "",  # description
            one_line(actor1 if actor1 == actor2 or not actor2 else f"{actor1}; {actor2}" if actor1 else actor2),
            "",  # route_id
            "",  # route_seq
            "",  # amount_usd
            precision,
            one_line(source_name),
            notes.strip(),
        ]
    )
    batch.add("gdelt-" + event_id, line)


def _sqldate(text: str, cache: dict[str, str]) -> str:
    """YYYYMMDD -> YYYY-MM-DD (remembered), or a RowError."""
    if len(text) != 8 or not text.isdigit():
        raise RowError("SQLDATE", text, "not a date in the form YYYYMMDD")
    try:
        iso = date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError:
        raise RowError("SQLDATE", text, "not a real date (YYYYMMDD)") from None
    cache[text] = iso
    return iso


def _source(text: str, has_column: bool, event_id: str) -> tuple[str, str]:
    """(source_url, source_name): the article and its site; where GDELT gives no link, no link and a name
    that says which event it is and why there is none (never a stand-in page that does not support it).

    The codebook: SOURCEURL "lists the URL of the news article the event was found in"; for BBC Monitoring
    it holds the citation "BBC Monitoring" instead; and it "is not present in event files prior to April 1,
    2013" (the 57-column backfiles).
    """
    url = clean_url(text)
    if url:
        return url, host_of(url)
    if text:  # a citation rather than an address
        return "", f"{text[:200]} (cited by GDELT event {event_id}; no link)"
    if has_column:
        return "", f"GDELT event {event_id} (the row gives no source URL)"
    return "", f"GDELT event {event_id} (1.0 backfile: GDELT gives no source URL before April 2013)"
