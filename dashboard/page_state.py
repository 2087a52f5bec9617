"""The page's state transitions as plain functions on a mapping, so they are tested without Streamlit.

`state` is st.session_state on the page and a dict in tests; `params` is st.query_params. Nothing here
draws or exports: it imports no map, folium or file-writing code.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from datetime import timedelta
from typing import Any

import pandas as pd

from .filters import FilterState, View
from .prepared import PreparedData
from .selection import click_signature, clicked_event_id
from .share import build_query, parse_shared_view
from .story import route_stops

PLAY_INTERVAL_SECONDS = 0.6  # long enough to see each day's change, short enough to watch a week in 5 s


def init_state(state: MutableMapping, params: Mapping[str, Any], data: PreparedData) -> None:
    """On a session's first run, read the shared link. Must run before the widgets are created:
    Streamlit forbids changing a widget's value after."""
    if "date_range" in state:
        return
    shared = parse_shared_view(params, data.first_day, data.last_day, data.ids, data.types, data.routes)
    state["date_range"] = (shared.start or data.first_day, shared.end or data.last_day)
    state["types"] = list(shared.types or ())
    state["actors"] = []
    state["search"] = ""
    state["selected"] = shared.event
    state["selection_pushes"] = 1 if shared.event else 0
    state["notices"] = shared.notices
    state["playing"] = False
    state["story"] = shared.story
    state["story_step"] = shared.step
    state["story_picker"] = shared.story
    if shared.story:
        go_to_step(state, data, shared.step or 1)


def go_to_step(state: MutableMapping, data: PreparedData, number: int) -> None:
    """Show stop `number` of the open story: select it, tell the map (it flies there), and widen the date
    range if the stop lies outside it. Run from a callback or before the widgets exist."""
    stops = route_stops(data.stops, state["story"])
    number = min(max(number, 1), len(stops))
    stop = stops.iloc[number - 1]
    state["story_step"] = number
    state["selected"] = stop["event_id"]
    state["selection_pushes"] = state.get("selection_pushes", 0) + 1
    start, end = state["date_range"]
    first, last = stops["start_date"].min().date(), stops["end_date"].max().date()
    if not (start <= stop["start_date"].date() and stop["start_date"].date() <= end):
        state["date_range"] = (min(start, first), max(end, last))


def open_story(state: MutableMapping, data: PreparedData, route_id: str | None) -> None:
    """Open a route's story at its first stop, or close it (None)."""
    state["story"] = route_id if route_id in data.routes else None
    state["story_step"] = None
    if state["story"]:
        go_to_step(state, data, 1)


def filter_state(state: Mapping) -> FilterState:
    """The filters the reader has set, as one value."""
    start, end = state["date_range"]
    return FilterState(start, end, tuple(state["types"]), tuple(state["actors"]), state["search"])


def toggle_play(state: MutableMapping, data: PreparedData) -> None:
    """Play or pause. Playing from the end of the data starts again from the start of the range."""
    state["playing"] = not state.get("playing", False)
    start, end = state["date_range"]
    if state["playing"] and end >= data.last_day:
        state["date_range"] = (start, start)
    state["last_tick"] = float("-inf")


def advance_play(state: MutableMapping, data: PreparedData) -> None:
    """One step of play: the end of the range moves one day on; playing stops at the last day."""
    start, end = state["date_range"]
    if end >= data.last_day:
        state["playing"] = False
        return
    state["date_range"] = (start, min(end + timedelta(days=1), data.last_day))


def play_tick_due(state: MutableMapping, now: float) -> bool:
    """True when playing and a full interval has passed since the last step (other reruns of the view
    must not advance the range themselves)."""
    if not state.get("playing"):
        return False
    if now - state.get("last_tick", float("-inf")) < PLAY_INTERVAL_SECONDS * 0.9:
        return False
    state["last_tick"] = now
    return True


def selected_event(state: Mapping, view: View, data: PreparedData) -> pd.Series | None:
    """The selected event's row if it is in view, else None (a selection outside the range is kept)."""
    return data.event_in_view(view, filter_state(state), state.get("selected"))


def select_from_table(state: MutableMapping, table_value: Any, row_ids: Sequence[str]) -> bool:
    """A newly selected table row selects its event and is pushed to the map; True if it changed."""
    rows = tuple(table_value.get("selection", {}).get("rows", ())) if isinstance(table_value, Mapping) else ()
    if not rows or not 0 <= rows[0] < len(row_ids) or row_ids[rows[0]] == state.get("selected"):
        return False
    state["selected"] = row_ids[rows[0]]
    state["selection_pushes"] = state.get("selection_pushes", 0) + 1  # the map did not see this one
    return True


def note_map_up(state: MutableMapping, value: Any) -> bool:
    """True the first time the map reports to Python (streamlit-folium sends its state once the map is
    drawn, with a click count of 0): the panels that wait for the map can now be sent."""
    if state.get("map_up") or not isinstance(value, Mapping) or value.get("last_object_clicked_count") is None:
        return False
    state["map_up"] = True
    return True


def select_from_map(state: MutableMapping, clicked: Mapping | None, data: PreparedData) -> bool:
    """A new map click on an event selects it; True if the selection changed. The map already shows it
    (it drew the card itself), so nothing is pushed back to the map."""
    signature = click_signature(clicked)
    if signature == state.get("last_click", (None, None)):
        return False
    state["last_click"] = signature
    event_id = clicked_event_id(clicked, data.ids, data.row_ids)
    if event_id is None or event_id == state.get("selected"):
        return False
    state["selected"] = event_id
    return True


def map_selection(state: MutableMapping, view_key: str) -> tuple[str | None, int, bool]:
    """The selection the map's view group carries: (event_id, push count, pan to it).

    It is what the map was last told, unchanged by the map's own clicks (so a click never rebuilds the
    layers it came from), and brought up to date when the view changes or the selection came from
    elsewhere (a table row, a link), in which case the map also pans to it."""
    pushes = state.get("selection_pushes", 0)
    told = state.get("map_told")
    if told is None or told[0] != view_key or told[2] != pushes:
        pushed = told is not None and told[2] != pushes
        told = (view_key, state.get("selected"), pushes, pushed)
        state["map_told"] = told
    return told[1], told[2], told[3]


def current_query(state: Mapping, data: PreparedData) -> dict[str, str]:
    """The URL parameters describing this session's view."""
    start, end = state["date_range"]
    return build_query(
        start,
        end,
        tuple(state.get("types") or ()),
        state.get("selected"),
        data.first_day,
        data.last_day,
        data.types,
        state.get("story"),
        state.get("story_step"),
    )
