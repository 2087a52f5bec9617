"""A data folder opened once per server process: its events in the engine (queried, never held), its
places, types and zones, and what every rerun needs already worked out."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pandas as pd

from . import queries as q
from .cards import card_fields
from .config import Settings, load_settings
from .event_store import EngineChoice, EventStore
from .filters import FilterState, View
from .loading import Dataset, events_path, load_folder_without_events
from .parquet_copy import cache_root, typed_copy
from .routes import Leg, build_legs, display_cut
from .schema import ACTOR_SEPARATOR, GEOCODE_CACHE_FILE, LOCATIONS_FILE, TYPES_FILE, ZONES_FILE, EventType
from .story import story_routes
from .validation import Problem


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one instance per open
class PreparedData:
    """An opened data set: the event store, the folder's other files, the route legs, the display cut,
    the date span, the actors and the types.

    `data_key` names this version of this folder (it changes when a file changes); an event's `row` is its
    position in the events file, which is how a dot, a card and a click name it."""

    store: EventStore
    folder: Dataset  # places, types and zones; the events are in `store`
    warnings: list[Problem]
    stops: pd.DataFrame  # every stop of every route, all columns, indexed by row
    legs: list[Leg]
    cut: float
    first_day: date
    last_day: date
    total: int
    actors: list[str]
    types: dict[str, EventType]
    data_key: str
    routes: dict[str, int]  # route_id -> stops, for the guided stories
    bin_above: int = 100_000  # a view of more events is binned (Settings.bin_above)
    cells: pd.DataFrame | None = None  # queries.longitude_cells of every event, as drawn: frames binned views

    def event(self, event_id: str | None) -> pd.Series | None:
        """One event by id (all columns), or None."""
        if not event_id:
            return None
        rows = self.store.frame(q.by_ids([event_id]))
        return rows.set_index(q.ROW).iloc[0] if len(rows) else None

    def event_at(self, row: int) -> pd.Series | None:
        """The event at `row` of the events file, or None."""
        rows = self.store.frame(q.by_row(row))
        return rows.set_index(q.ROW).iloc[0] if len(rows) else None

    def card(self, row: int) -> dict | None:
        """The card of the event at `row` (what the map shows when a dense dot is clicked), or None."""
        event = self.event_at(row)
        labels = {key: t.label for key, t in self.types.items()}
        return card_fields(event, labels) if event is not None else None

    def event_in_view(self, view: View, state: FilterState, event_id: str | None) -> pd.Series | None:
        """The event, all columns, if the view holds it (a query when the view is binned), else None."""
        if not event_id:
            return None
        if view.binned:
            held = len(self.store.frame(q.ids_in_view([event_id]), state)) > 0
        else:
            held = bool((view.events["event_id"] == event_id).any())
        return self.event(event_id) if held else None

    def known_ids(self, ids: set[str]) -> set[str]:
        """Which of `ids` name events."""
        return set(self.store.frame(q.by_ids(sorted(ids)).select("event_id"))["event_id"]) if ids else set()

    @property
    def ids(self) -> EventIds:
        """Every event id, as `in` asks it (one query), never held."""
        return EventIds(self)

    @property
    def row_ids(self) -> RowIds:
        """Event ids by row (position in the events file), as `[row]` asks them (one query), never held."""
        return RowIds(self)


@dataclass(frozen=True)
class EventIds:
    data: PreparedData

    def __contains__(self, event_id: object) -> bool:
        return isinstance(event_id, str) and bool(self.data.known_ids({event_id}))


@dataclass(frozen=True)
class RowIds:
    data: PreparedData

    def __len__(self) -> int:
        return self.data.total

    def __getitem__(self, row: int) -> str:
        event = self.data.event_at(row)
        if event is None:
            raise IndexError(row)
        return str(event["event_id"])


def data_stamp(settings: Settings) -> tuple:
    """Names, sizes and modification times of the data files: a changed file means a fresh open."""
    stamp = []
    for path in (events_path(settings.data_dir),) + tuple(
        settings.data_dir / name for name in (LOCATIONS_FILE, ZONES_FILE, GEOCODE_CACHE_FILE, TYPES_FILE)
    ):
        try:
            info = os.stat(path)
            stamp.append((path.name, info.st_size, info.st_mtime_ns))
        except OSError:
            stamp.append((path.name, None, None))
    return tuple(stamp)


def prepare(data_dir: str, stamp: tuple, engine: EngineChoice | None = None) -> PreparedData:
    """Check the folder and build its typed copy (once per version of the folder), open it in the engine
    and work out what every rerun needs; `stamp` keys the page's cache and names the version."""
    settings = load_settings(data_dir)
    engine = engine or EngineChoice.from_env()
    if engine.events_parquet:  # a copy checked and written elsewhere (`validate --copy-to`)
        parquet, event_warnings = engine.events_parquet, []
    else:
        parquet, event_warnings = typed_copy(settings)
    store = EventStore.open(str(parquet), engine, cache_root())
    return prepare_from(store, settings, event_warnings, stamp)


def prepare_from(store: EventStore, settings: Settings, warnings: list[Problem], stamp: tuple) -> PreparedData:
    """`prepare` on a store already open (the tests run one folder on both engines)."""

    def known(ids: set[str]) -> set[str]:
        return set(store.frame(q.by_ids(sorted(ids)).select("event_id"))["event_id"])

    folder = load_folder_without_events(settings, known)
    span = store.frame(q.span()).iloc[0]
    stops = store.frame(q.route_stops()).set_index(q.ROW, drop=False)
    # each whole degree holding events stands for them: the cut falls on a cell's west edge, so every
    # event of that cell stays east of it (a cell's centre would send its western half round the world)
    cells = store.frame(q.longitude_cells(-180.0), FilterState())
    cut = display_cut(cells["cell"])
    cells["cell"] = cells["cell"].where(cells["cell"] >= cut, cells["cell"] + 360)  # as drawn
    actor_values = store.frame(q.actors())["actor"]
    total = int(span["events"])
    return PreparedData(
        store=store,
        folder=folder,
        warnings=warnings + folder.warnings,
        stops=stops,
        legs=build_legs(stops, settings.geodesic_step_km),
        cut=cut,
        first_day=pd.Timestamp(span["first"]).date() if total else date.today(),
        last_day=pd.Timestamp(span["last"]).date() if total else date.today(),
        total=total,
        actors=sorted({name for a in actor_values if a for name in a.split(ACTOR_SEPARATOR)}),
        types=dict(folder.types),
        data_key=hashlib.sha256(repr((str(settings.data_dir), stamp, store.engine_name)).encode()).hexdigest()[:16],
        routes=story_routes(stops),
        bin_above=settings.bin_above,
        cells=cells,
    )


@lru_cache(maxsize=16)  # a view holds at most `bin_above` events of a few columns
def view_of(data: PreparedData, state: FilterState) -> View:
    """What a filter leaves: its count, the events the map draws one by one (all of them up to
    `data.bin_above`, else only the route stops, the rest being binned), and the legs and zones in view."""
    store = data.store
    count = int(store.scalar(q.count(), state))
    wanted = {e for leg in data.legs for e in (leg.from_event_id, leg.to_event_id)} | {
        z.event_id for z in data.folder.zones
    }
    binned = count > data.bin_above
    if count <= RICH_COLUMNS_LIMIT:  # every column of every event: the ids legs and zones need are there
        drawn = store.frame(q.rows(), state).set_index(q.ROW, drop=False)
        ids = set(drawn.loc[drawn["event_id"].isin(wanted), "event_id"])
    else:
        ids = set(store.frame(q.ids_in_view(sorted(wanted)), state)["event_id"]) if wanted else set()
    if binned:
        drawn = data.stops[data.stops["event_id"].isin(ids)]
    elif count > RICH_COLUMNS_LIMIT:  # dots need a few columns; the stops and drills legs and zones hang on, all
        lean = store.frame(q.rows(q.DOT_COLUMNS), state).set_index(q.ROW, drop=False)
        whole = store.frame(q.by_ids(sorted(ids))).set_index(q.ROW, drop=False) if ids else lean.iloc[:0]
        drawn = pd.concat([lean[~lean["event_id"].isin(ids)], whole]).sort_index()
    return View(
        events=drawn,
        legs=[leg for leg in data.legs if leg.from_event_id in ids and leg.to_event_id in ids],
        zones=[zone for zone in data.folder.zones if zone.event_id in ids],
        total=data.total,
        count=count,
        binned=binned,
    )


# Up to this many events in view, every column comes along (cards are drawn inline, the chart draws a bar
# an event); above it, only what a dot needs.
RICH_COLUMNS_LIMIT = 300
