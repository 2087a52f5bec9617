"""The state of every filter in one dataclass; applying it is a pure DataFrame transform; describing it, a sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from .loading import Zone
from .routes import Leg
from .schema import ACTOR_SEPARATOR, EVENT_TYPES


@dataclass(frozen=True)
class FilterState:
    """What the user asked to see. Empty `types`/`actors` mean all; dates are inclusive."""

    start: date | None = None
    end: date | None = None
    types: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class View:
    """The events, legs and zones a filter leaves, and the size of the whole data set.

    `count` is how many events the filter leaves; `events` holds them all unless the view is `binned`
    (too many to draw one by one: the map then asks the engine for counts per cell, and `events` holds
    only the route stops in view)."""

    events: pd.DataFrame
    legs: list[Leg] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    total: int = 0
    count: int | None = None  # None: len(events)
    binned: bool = False

    @property
    def size(self) -> int:
        return len(self.events) if self.count is None else self.count

    @property
    def distance_km(self) -> float:
        return sum(leg.distance_km for leg in self.legs)


def apply_filters(events: pd.DataFrame, state: FilterState) -> pd.DataFrame:
    """Events overlapping [start, end] whose type, actor and text match the state."""
    mask = pd.Series(True, index=events.index)
    if state.start is not None:
        mask &= events["end_date"] >= pd.Timestamp(state.start)
    if state.end is not None:
        mask &= events["start_date"] <= pd.Timestamp(state.end)
    if state.types:
        mask &= events["event_type"].isin(state.types)
    if state.actors:
        # An event may name several actors (as imported ACLED events do): any one of them matches.
        names = "|".join(re.escape(a) for a in state.actors)
        sep = re.escape(ACTOR_SEPARATOR)
        mask &= events["actor"].str.contains(rf"(?:^|{sep})(?:{names})(?:{sep}|$)", regex=True)
    needle = state.text.strip()
    if needle:
        # regex=False: a user's "(" or "*" is text to find, not a pattern that could fail or run for ages
        mask &= (
            events["title"].str.contains(needle, case=False, regex=False)
            | events["description"].str.contains(needle, case=False, regex=False)
            | events["location"].str.contains(needle, case=False, regex=False)
        )
    return events[mask]


def select_view(events: pd.DataFrame, legs: list[Leg], zones: list[Zone], state: FilterState) -> View:
    """Filtered events plus the legs whose two stops are both shown and the zones of shown drills."""
    shown = apply_filters(events, state)
    # Only the events that legs and zones hang on need looking up, not every id in view.
    wanted = {e for leg in legs for e in (leg.from_event_id, leg.to_event_id)} | {z.event_id for z in zones}
    ids = set(shown.loc[shown["event_id"].isin(wanted), "event_id"]) if wanted else set()
    return View(
        events=shown,
        legs=[leg for leg in legs if leg.from_event_id in ids and leg.to_event_id in ids],
        zones=[zone for zone in zones if zone.event_id in ids],
        total=len(events),
    )


def describe_filters(state: FilterState) -> str:
    """The filter state as one sentence for a reader, e.g. "Events from 30 Nov 2024 to 06 Dec 2024 by Taiwan".

    Meant for a caption on the page; with its spaces and curly quotes it is not a file name.
    """
    parts = []
    if state.start and state.end:
        parts.append(f"from {state.start:%d %b %Y} to {state.end:%d %b %Y}")
    elif state.start:
        parts.append(f"from {state.start:%d %b %Y}")
    elif state.end:
        parts.append(f"until {state.end:%d %b %Y}")
    if state.types:
        parts.append(
            "of type " + ", ".join(EVENT_TYPES[t].label.lower() if t in EVENT_TYPES else t for t in state.types)
        )
    if state.actors:
        parts.append("by " + ", ".join(state.actors))
    if state.text.strip():
        parts.append(f"mentioning “{state.text.strip()}”")
    return ("Events " + " ".join(parts)) if parts else "All events"
