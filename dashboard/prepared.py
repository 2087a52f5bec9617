"""A data folder loaded once per server process, with what every rerun needs already worked out."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pandas as pd

from .config import Settings, load_settings
from .filters import FilterState, View, select_view
from .loading import Dataset, load_dataset
from .routes import Leg, build_legs, display_cut
from .schema import (
    ACTOR_SEPARATOR,
    EVENTS_FILE,
    GEOCODE_CACHE_FILE,
    LOCATIONS_FILE,
    TYPES_FILE,
    ZONES_FILE,
    EventType,
)
from .story import story_routes


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one instance per load
class PreparedData:
    """A loaded data set with its legs, the display cut, the date span, the actors and its types.

    `data_key` names this load of this folder (it changes when a file changes); events keep their file
    order with positions 0..n-1, which is how a dense dot on the map names its event."""

    dataset: Dataset
    legs: list[Leg]
    cut: float
    first_day: date
    last_day: date
    actors: list[str]
    ids: frozenset[str]
    types: dict[str, EventType]
    data_key: str
    routes: dict[str, int]  # route_id -> stops, for the guided stories


def data_stamp(settings: Settings) -> tuple:
    """Names, sizes and modification times of the data files: a changed file means a fresh load."""
    stamp = []
    for name in (EVENTS_FILE, LOCATIONS_FILE, ZONES_FILE, GEOCODE_CACHE_FILE, TYPES_FILE):
        try:
            info = os.stat(settings.data_dir / name)
            stamp.append((name, info.st_size, info.st_mtime_ns))
        except OSError:
            stamp.append((name, None, None))
    return tuple(stamp)


def prepare(data_dir: str, stamp: tuple) -> PreparedData:
    """Load and check the data folder once; `stamp` keys the page's cache and names the load."""
    settings = load_settings(data_dir)
    dataset = load_dataset(settings)
    if not dataset.events.index.equals(pd.RangeIndex(len(dataset.events))):
        dataset.events = dataset.events.reset_index(drop=True)  # a dense dot names its event by position
    events = dataset.events
    types = dict(dataset.types)
    return PreparedData(
        dataset=dataset,
        legs=build_legs(events, settings.geodesic_step_km),
        cut=display_cut(events["longitude"].dropna()),
        first_day=events["start_date"].min().date(),
        last_day=events["end_date"].max().date(),
        actors=sorted({name for a in events["actor"].unique() if a for name in a.split(ACTOR_SEPARATOR)}),
        ids=frozenset(events["event_id"]),
        types=types,
        data_key=hashlib.sha256(repr((data_dir, stamp)).encode()).hexdigest()[:16],
        routes=story_routes(events),
    )


@lru_cache(maxsize=4)  # a view of 100,000 events is a copy of tens of MB: keep only the last few
def view_of(data: PreparedData, state: FilterState) -> View:
    """The events, legs and zones a filter leaves, computed once for the map, the summary and the table."""
    return select_view(data.dataset.events, data.legs, data.dataset.zones, state)
