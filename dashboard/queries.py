"""Every question the page and `export` ask of the events, each written once as an Ibis expression.

The expressions are built on unbound tables, `events` (all of them) and `in_view` (those a filter keeps:
`matching(state)`), and compiled to each engine's SQL (DuckDB's in-process, Spark's on a cluster) by
`event_store`, so one definition runs on both and on any engine Ibis targets. The store supplies `in_view`
as a common table expression: each question is compiled once whatever the filter, and each filter once
whatever the question (compiling costs more than running a query on a small data set). Nothing here
touches data.
"""

from __future__ import annotations

import math
from datetime import date

import ibis
import ibis.expr.types as ir

from .filters import FilterState
from .schema import ACTOR_SEPARATOR, EVENT_COLUMNS

EVENTS_TABLE = "events"
ROW = "row"  # the event's position in its file (0..n-1): how a dot, a card and the table name an event
_TYPES = {
    "date": "date",
    "latitude": "float64",
    "longitude": "float64",
    "money": "float64",
    "int": "int64",
    "precision": "int64",
}
# The typed Parquet copy's columns: events.csv's, typed, then the row number.
EVENT_SCHEMA = ibis.schema([(c.name, _TYPES.get(c.kind, "string")) for c in EVENT_COLUMNS] + [(ROW, "int64")])
EVENTS = ibis.table(EVENT_SCHEMA, name=EVENTS_TABLE)
VIEW_TABLE = "in_view"
IN_VIEW = ibis.table(EVENT_SCHEMA, name=VIEW_TABLE)  # `matching(state)`, given by the store
# What a dense view draws: position, type and the row that names the event.
DOT_COLUMNS = [ROW, "event_id", "event_type", "latitude", "longitude", "start_date", "end_date", "route_id"]
MAX_MERCATOR_LAT = 85.0  # Web Mercator ends here


def matching(state: FilterState, t: ir.Table = EVENTS) -> ir.Table:
    """Events overlapping [start, end] whose type, actor and text match: `filters.apply_filters` as a query."""
    where = []
    if state.start is not None:
        where.append(t.end_date >= state.start)
    if state.end is not None:
        where.append(t.start_date <= state.end)
    if state.types:
        where.append(t.event_type.isin(list(state.types)))
    if state.actors:
        # "A; B" names two actors: pad with the separator so that a name matches only whole
        padded = ibis.literal(ACTOR_SEPARATOR).concat(t.actor, ibis.literal(ACTOR_SEPARATOR))
        where.append(ibis.or_(*[padded.contains(ACTOR_SEPARATOR + a + ACTOR_SEPARATOR) for a in state.actors]))
    needle = state.text.strip().lower()
    if needle:  # plain text, never a pattern: a user's "%" or "(" is looked for as it is
        where.append(
            t.title.lower().contains(needle)
            | t.description.lower().contains(needle)
            | t.location.lower().contains(needle)
        )
    return t.filter(*where) if where else t


def located(t: ir.Table) -> ir.Table:
    return t.filter(t.latitude.notnull(), t.longitude.notnull())


def count() -> ir.Scalar:
    return IN_VIEW.count()


def located_count() -> ir.Scalar:
    return located(IN_VIEW).count()


def span() -> ir.Table:
    """The whole data set's size and dates."""
    return EVENTS.aggregate(events=EVENTS.count(), first=EVENTS.start_date.min(), last=EVENTS.end_date.max())


def rows(columns: list[str] | None = None, limit: int | None = None) -> ir.Table:
    """The events in view in file order (all columns unless named)."""
    shown = IN_VIEW
    shown = shown.select(*columns) if columns else shown
    return shown.order_by(ROW).limit(limit)


def page(offset: int, limit: int) -> ir.Table:
    """One page of the table: by date, then file order. The page's rows are chosen on two narrow columns
    first and only they are read whole (sorting ten million whole rows for 500 took seconds)."""
    chosen = IN_VIEW.order_by(["start_date", ROW]).limit(limit, offset=offset).select(ROW)
    # the rows are read from `events`, not `in_view` again: a second reference would make DuckDB
    # materialize the whole filtered view (ten million rows, every column: 11 s)
    return EVENTS.filter(EVENTS[ROW].isin(chosen[ROW])).order_by(["start_date", ROW])


def by_row(row: int) -> ir.Table:
    return EVENTS.filter(EVENTS[ROW] == row)


def by_ids(ids: list[str]) -> ir.Table:
    return EVENTS.filter(EVENTS.event_id.isin(ids)).order_by(ROW)


def ids_in_view(ids: list[str]) -> ir.Table:
    """Which of `ids` the filter keeps (the stops legs hang on, the drills zones belong to)."""
    return IN_VIEW.filter(IN_VIEW.event_id.isin(ids)).select("event_id")


def route_stops() -> ir.Table:
    """Every stop of every route (a handful), with all columns: legs and stories are built from them."""
    return EVENTS.filter(EVENTS.route_id != "", EVENTS.route_seq.notnull()).order_by(["route_id", "route_seq"])


def actors() -> ir.Table:
    return EVENTS.select("actor").distinct()


def daily_counts(origin: date, bin_days: int) -> ir.Table:
    """Events per type per bin of `bin_days` days from `origin` (by start date), for the timeline chart."""
    shown = IN_VIEW
    days = shown.start_date.epoch_days() - (origin - date(1970, 1, 1)).days
    return (
        shown.mutate(bin=(days // bin_days) * bin_days)
        .group_by(["event_type", "bin"])
        .aggregate(events=ibis._.count())
        .order_by(["event_type", "bin"])
    )


def same_day(day: date, route_id: str, limit: int) -> ir.Table:
    """Events of other routes (or none) whose local dates include `day`."""
    t = EVENTS
    return t.filter(t.start_date <= day, t.end_date >= day, t.route_id != route_id).order_by(ROW).limit(limit)


def display_lon(t: ir.Table, cut: float) -> ir.FloatingValue:
    """Longitude as drawn: +360 west of the map's cut (`routes.to_display_lon`), so the Pacific is whole."""
    return ibis.ifelse(t.longitude < cut, t.longitude + 360.0, t.longitude)


def longitude_cells(cut: float) -> ir.Table:
    """Events per whole degree of drawn longitude, with the latitudes they span: enough to place the map's
    cut and its first frame without reading every event."""
    shown = located(IN_VIEW)
    shown = shown.mutate(cell=display_lon(shown, cut).floor())
    return shown.group_by("cell").aggregate(
        events=ibis._.count(), south=ibis._.latitude.min(), north=ibis._.latitude.max()
    )


def in_bounds(cut: float, south: float, west: float, north: float, east: float) -> tuple[ir.Table, ir.FloatingValue]:
    """The matching located events inside a box of drawn coordinates, and their drawn longitude."""
    shown = located(IN_VIEW)
    shown = shown.mutate(dlon=display_lon(shown, cut))
    where = [shown.latitude >= south, shown.latitude <= north]
    if east - west < 360:
        where += [shown.dlon >= west, shown.dlon <= east]
    return shown.filter(*where), shown.dlon


def bins(cut: float, box: tuple[float, float, float, float], zoom: int, cell_px: int) -> ir.Table:
    """Events inside `box` (south, west, north, east in drawn degrees) counted per cell and per type, with
    each cell's mean position. A cell is `cell_px` screen pixels wide at `zoom` (Web Mercator), and as tall
    at the middle of the box: in plain degrees, which costs a third of a projection per event (on ten
    million, 0.8 s instead of 1.3), the cells being square where the reader looks."""
    shown, _ = in_bounds(cut, *box)
    cell_deg = 360.0 * cell_px / (256 * 2**zoom)
    middle = max(-MAX_MERCATOR_LAT, min(MAX_MERCATOR_LAT, (box[0] + box[2]) / 2))
    cell_lat = cell_deg * math.cos(math.radians(middle))
    return (
        shown.mutate(cx=(shown.dlon / cell_deg).floor(), cy=(shown.latitude / cell_lat).floor())
        .group_by(["cx", "cy", "event_type"])
        .aggregate(events=ibis._.count(), lat=ibis._.latitude.mean(), lon=ibis._.dlon.mean())
    )


def points_in_bounds(cut: float, box: tuple[float, float, float, float], limit: int) -> ir.Table:
    """Up to `limit` matching events inside the box, as dots: row, type and drawn position."""
    shown, _ = in_bounds(cut, *box)
    return shown.select(ROW, "event_type", "latitude", "dlon").order_by(ROW).limit(limit)


def count_in_bounds(cut: float, box: tuple[float, float, float, float]) -> ir.Scalar:
    shown, _ = in_bounds(cut, *box)
    return shown.count()
