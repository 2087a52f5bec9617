"""ACLED CSV exports, in the three layouts people hold, as events of ACLED's own types.

Layouts (column lists checked against ACLED's codebooks and the column-change guide of March 2023):

- **2023 and later**: `event_id_cnty, event_date, year, time_precision, disorder_type, event_type,
  sub_event_type, actor1, assoc_actor_1, inter1, actor2, assoc_actor_2, inter2, interaction,
  civilian_targeting, iso, region, country, admin1, admin2, admin3, location, latitude, longitude,
  geo_precision, source, source_scale, notes, fatalities, tags, timestamp`. The actor-based ("monadic")
  export repeats an event on one row per actor: those rows become one event with all its actors.
- **2019 to March 2023**: `data_id, iso, event_id_cnty, event_id_no_cnty, event_date, year, time_precision,
  event_type, sub_event_type, actor1, assoc_actor_1, inter1, actor2, assoc_actor_2, inter2, interaction,
  region, country, admin1, admin2, admin3, location, latitude, longitude, geo_precision, source,
  source_scale, notes, fatalities, timestamp, iso3`.
- **Before 2019**: `GWNO, EVENT_ID_CNTY, EVENT_ID_NO_CNTY, EVENT_DATE, YEAR, TIME_PRECISION, EVENT_TYPE,
  ACTOR1, ALLY_ACTOR_1, INTER1, ACTOR2, ALLY_ACTOR_2, INTER2, INTERACTION, COUNTRY, ADMIN1, ADMIN2, ADMIN3,
  LOCATION, LATITUDE, LONGITUDE, GEO_PRECISION, SOURCE, NOTES, FATALITIES` (no sub_event_type; dates
  day first, 18/04/2001), sometimes behind an unnamed index column a script added.

Columns are found by name (any case), so their order and extra columns do not matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import ACTOR_SEPARATOR, EVENT_TYPES, EXTRA_TYPE_PALETTE, EventType, declared_type
from ..validation import Problem
from .common import (
    ImportBatch,
    ImportOptions,
    Progress,
    RowError,
    cell,
    check_column_map,
    check_coordinates,
    event_row,
    format_coordinate,
    inside_bbox,
    make_id,
    parse_date,
    read_csv_records,
    slug,
)

FORMAT = "acled"
FIELDS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "ally_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "ally_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "gwno",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")
ACTOR_FIELDS = ("actor1", "assoc_actor_1", "ally_actor_1", "actor2", "assoc_actor_2", "ally_actor_2")
# Fields that must agree on every row of one event; the actor columns are the ones that differ.
EVENT_WIDE_FIELDS = ("event_date", "event_type", "latitude", "longitude")
# ACLED gives no link per event, only the names of its sources (`source`): the row keeps a blank source_url
# and names them in source_name. An export with a blank `source` still names ACLED as the one who coded it.
NO_SOURCE_NAMED = "ACLED (the export names no source for this event)"

# ACLED's six event types (codebook), with their own colours; any other type in a file (older exports have
# "Riots/Protests", "Remote violence", "Battle-No change of territory" ...) is declared as written.
ACLED_TYPES: dict[str, tuple[str, str, str]] = {
    "battles": ("Battles", "Violent clashes between organised armed groups (ACLED).", "#d55e00"),
    "explosions_remote_violence": (
        "Explosions/Remote violence",
        "Bombs, shelling, missiles, air or drone strikes and other remote violence (ACLED).",
        "#882255",
    ),
    "violence_against_civilians": (
        "Violence against civilians",
        "An organised armed group deliberately harming unarmed civilians (ACLED).",
        "#cc79a7",
    ),
    "protests": ("Protests", "Public demonstrations whose participants are not violent (ACLED).", "#e69f00"),
    "riots": ("Riots", "Violent demonstrations and mob violence (ACLED).", "#999933"),
    "strategic_developments": (
        "Strategic developments",
        "Non-violent but significant events: agreements, arrests, deployments, bases (ACLED).",
        "#44aa99",
    ),
}
ACLED_RADIUS = 6


@dataclass
class _Event:
    """One ACLED event as gathered from its rows (one row per actor in the actor-based export)."""

    file: str
    row: int
    values: dict[str, str]
    actors: list[str] = field(default_factory=list)


def acled_type(name: str, batch: ImportBatch) -> str:
    """The key of an ACLED event type, declared in the batch on first use."""
    key = "acled_" + slug(name)
    if key not in batch.types:
        known = ACLED_TYPES.get(slug(name))
        if known:
            label, description, color = known
            batch.types[key] = EventType(key, label, description, color, ACLED_RADIUS, label)
        else:
            used = (
                {t.color for t in batch.types.values()}
                | {t.color for t in EVENT_TYPES.values()}
                | {color for _label, _description, color in ACLED_TYPES.values()}
            )
            color = next((c for c in EXTRA_TYPE_PALETTE if c not in used), "")
            batch.types[key] = declared_type(
                key,
                name.strip(),
                "An ACLED event type of an older codebook, as written.",
                color,
                ACLED_RADIUS,
                position=len(batch.types),
            )
    return key


def layout_of(columns: dict[str, int]) -> str:
    """Which ACLED layout a header is, for the summary."""
    if "disorder_type" in columns:
        return "ACLED 2023 and later (disorder_type)"
    if "sub_event_type" in columns:
        return "ACLED 2019-2023 (sub_event_type, no disorder_type)"
    if "ally_actor_1" in columns or "gwno" in columns:
        return "ACLED before 2019 (gwno, ally_actor_1)"
    return "ACLED (other layout)"


def read(paths: Sequence[Path], options: ImportOptions) -> ImportBatch:
    """Read ACLED CSV exports into events; rows of one event_id_cnty become one event with all its actors."""
    check_column_map(options.column_map, FIELDS, FORMAT)
    batch = ImportBatch(FORMAT, max_events_bytes=options.max_events_bytes)
    progress = Progress(options, paths)
    for path in paths:
        batch.files_read += 1
        pending: dict[str, _Event] = {}
        for number, cells, columns in read_csv_records(path, options, FIELDS, REQUIRED, progress, batch):
            batch.layouts[layout_of(columns)] += 1
            values = {name: cell(cells, columns, name) for name in columns}
            _gather(values, path.name, number, pending, batch, options.column_map)
        for event in pending.values():
            _finish(event, batch, options)
    known = [f"acled_{key}" for key in ACLED_TYPES if f"acled_{key}" in batch.types]  # the codebook's order first
    batch.types = {key: batch.types[key] for key in known + [k for k in batch.types if k not in known]}
    return batch


def _gather(
    values: dict[str, str],
    file: str,
    number: int,
    pending: dict[str, _Event],
    batch: ImportBatch,
    column_map: dict[str, str],
) -> None:
    """Add one row to its event (a new one, or the event an earlier row of the same id started)."""
    raw_id = values.get("event_id_cnty", "")
    if not raw_id:
        batch.skip(
            Problem(file, number, column_map.get("event_id_cnty", "event_id_cnty"), raw_id, "required value is blank")
        )
        return
    actors = _actors(values)
    event = pending.get(raw_id)
    if event is None:
        pending[raw_id] = _Event(file, number, values, actors)
        return
    batch.rows_folded += 1
    for name in EVENT_WIDE_FIELDS:
        if values.get(name, "") != event.values.get(name, ""):
            batch.report(
                Problem(
                    file,
                    number,
                    column_map.get(name, name),
                    values.get(name, ""),
                    f"differs from row {event.row} of the same event_id_cnty "
                    f"({event.values.get(name, '')!r}); the first row's value is kept",
                    "warning",
                )
            )
    for actor in actors:
        if actor not in event.actors:
            event.actors.append(actor)


def _actors(values: dict[str, str]) -> list[str]:
    """Every actor named on a row: main and associated actors (several are separated by ';')."""
    actors: list[str] = []
    for name in ACTOR_FIELDS:
        for actor in values.get(name, "").split(";"):
            actor = " ".join(actor.split())
            if actor and actor not in actors:
                actors.append(actor)
    return actors


def _finish(event: _Event, batch: ImportBatch, options: ImportOptions) -> None:
    """Turn a gathered event into an events.csv row, or report the row that makes it impossible."""
    values = event.values
    try:
        event_id = make_id("acled", values["event_id_cnty"], "event_id_cnty")
        day = parse_date(values["event_date"], "event_date", day_first_slash=True)
        if not values.get("event_type"):
            raise RowError("event_type", "", "required value is blank")
        lat, lon = check_coordinates(values["latitude"], values["longitude"], "latitude", "longitude")
        precision = values.get("geo_precision", "")
        if precision and precision not in ("1", "2", "3"):
            raise RowError("geo_precision", precision, "ACLED's geo_precision is 1, 2 or 3")
    except RowError as exc:
        # the column as the file names it (a --map rename), so that the message points into the file
        batch.skip(
            Problem(event.file, event.row, options.column_map.get(exc.column, exc.column), exc.value, exc.message)
        )
        return
    if not inside_bbox(lat, lon, options.bbox):
        batch.skip_counted("outside --bbox", f"{event.file}:{event.row}")
        return
    place = _place(values)
    sub = values.get("sub_event_type", "")
    kind = sub if sub and sub.casefold() != "other" else values["event_type"]
    row = event_row(
        event_id=event_id,
        event_type=acled_type(values["event_type"], batch),
        start_date=day.isoformat(),
        title=f"{kind} in {place.split(',')[0]}{_fatalities(values.get('fatalities', ''))}",
        location=place,
        latitude=format_coordinate(lat),
        longitude=format_coordinate(lon),
        source_url="",
        description=values.get("notes", ""),
        actor=ACTOR_SEPARATOR.join(event.actors),
        geo_precision=precision,
        source_name=values.get("source", "") or NO_SOURCE_NAMED,
        notes=_notes(values),
    )
    batch.add(event_id, row)


def _place(values: dict[str, str]) -> str:
    """`location, admin1, country` without repeats: 'Taipei, Taipei City, Taiwan'."""
    parts: list[str] = []
    for name in ("location", "admin1", "country"):
        part = values.get(name, "")
        if part and part.casefold() not in (p.casefold() for p in parts):
            parts.append(part)
    return ", ".join(parts) or "unnamed place"


def _fatalities(text: str) -> str:
    if not text.isdigit() or int(text) == 0:
        return ""
    return f" ({int(text)} fatalit{'y' if int(text) == 1 else 'ies'})"


def _notes(values: dict[str, str]) -> str:
    """ACLED's own coding kept for the reader: ids, categories, fatalities, precisions, interaction, tags."""
    parts = [f"ACLED event {values['event_id_cnty']}"]
    category = " / ".join(
        v for v in (values.get("disorder_type"), values.get("event_type"), values.get("sub_event_type")) if v
    )
    parts.append(f"type: {category}")
    for name in ("fatalities", "time_precision", "interaction", "civilian_targeting", "source_scale", "tags"):
        if values.get(name):
            parts.append(
                f"{name}: {values[name]}"
                + (
                    " (1 = the exact day; 2, 3 = less precise)"
                    if name == "time_precision" and values[name] != "1"
                    else ""
                )
            )
    return "; ".join(parts)
