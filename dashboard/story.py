"""A guided story of a route, built from the data: its stops in order, the leg flown to each, and what else
happened on that day anywhere in the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .routes import Leg


@dataclass(frozen=True)
class StoryStep:
    """Step `number` (1-based) of `total` in route `route_id`."""

    route_id: str
    number: int
    total: int
    stop: pd.Series
    leg_in: Leg | None  # the leg flown to this stop; None at the first stop
    leg_number: int | None  # its 1-based place among the route's legs
    same_day: pd.DataFrame  # other events whose local dates include the stop's first day

    @property
    def day(self) -> pd.Timestamp:
        return self.stop["start_date"]


def story_routes(events: pd.DataFrame) -> dict[str, int]:
    """Route id -> number of stops, for every route with at least two stops, in order of first stop."""
    stops = events[(events["route_id"] != "") & events["route_seq"].notna()]
    counts = stops.sort_values("start_date").groupby("route_id", sort=False).size()
    return {route: int(n) for route, n in counts.items() if n >= 2}


def route_stops(events: pd.DataFrame, route_id: str) -> pd.DataFrame:
    """The stops of one route in their order."""
    stops = events[(events["route_id"] == route_id) & events["route_seq"].notna()]
    return stops.sort_values("route_seq")


def story_step(
    events: pd.DataFrame,
    legs: list[Leg],
    route_id: str,
    number: int,
    events_on: Callable[[pd.Timestamp, str], pd.DataFrame] | None = None,
) -> StoryStep:
    """Step `number` of the route's story; raises LookupError for an unknown route or step. `events` holds
    the route's stops (or every event); `events_on(day, route_id)` gives the events of other routes whose
    dates include `day` (a query), else they are looked for in `events`."""
    stops = route_stops(events, route_id)
    if len(stops) < 2 or not 1 <= number <= len(stops):
        raise LookupError(f"no step {number} in route {route_id!r}")
    stop = stops.iloc[number - 1]
    route_legs = [leg for leg in legs if leg.route_id == route_id]
    leg_in = next((leg for leg in route_legs if leg.to_event_id == stop["event_id"]), None)
    day = stop["start_date"]
    if events_on is not None:
        same_day = events_on(day, route_id)
    else:
        same_day = events[
            (events["start_date"] <= day) & (events["end_date"] >= day) & (events["route_id"] != route_id)
        ]
    same_day = same_day[same_day["event_id"] != stop["event_id"]]
    return StoryStep(
        route_id,
        number,
        len(stops),
        stop,
        leg_in,
        route_legs.index(leg_in) + 1 if leg_in is not None else None,
        same_day,
    )


def describe_leg(leg: Leg) -> str:
    """'Leg 2: Honolulu → Majuro, 3,842 km; departs 2 Dec, arrives 3 Dec (local dates). Crossed the date line.'"""
    text = (
        f"{leg.from_name} → {leg.to_name}: {leg.distance_km:,.0f} km (geodesic); departed "
        f"{leg.depart_date.day} {leg.depart_date:%b %Y}, arrived {leg.arrive_date.day} {leg.arrive_date:%b %Y} (local dates)"
    )
    if leg.crosses_antimeridian:
        text += ". The flight crossed the International Date Line"
        if leg.arrive_date > leg.depart_date:
            text += ", so the calendar jumped a day ahead"
        elif leg.arrive_date < leg.depart_date:
            text += ", so it landed on an earlier calendar date than it left"
        else:
            text += ", so it landed on the same calendar date it left"
    return text + "."
