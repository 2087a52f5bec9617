"""The page's state transitions as plain functions on a mapping, so they are tested without Streamlit.

`state` is st.session_state on the page and a dict in tests; `params` is st.query_params.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Mapping, MutableMapping

import pandas as pd

from .config import load_settings
from .export import build_feature_collection, to_geojson_text
from .filters import View
from .loading import Dataset, load_dataset
from .map_builder import build_map
from .offline import standalone_html
from .routes import Leg, build_legs, display_cut
from .schema import EVENT_COLUMNS, EVENTS_FILE, GEOCODE_CACHE_FILE, LOCATIONS_FILE, ZONES_FILE
from .selection import click_signature, clicked_event_id
from .share import build_query, parse_shared_view

PLAY_INTERVAL_SECONDS = 0.6  # long enough to see each day's change, short enough to watch a week in 5 s
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # cells a spreadsheet would run as formulas


@dataclass(frozen=True)
class PreparedData:
    """A loaded data set with what every rerun needs: legs, the display cut, the date span, the actors."""

    dataset: Dataset
    legs: list[Leg]
    cut: float
    first_day: date
    last_day: date
    actors: list[str]
    ids: frozenset[str]


def data_stamp(settings) -> tuple:
    """Names, sizes and modification times of the data files: a changed file means a fresh load."""
    stamp = []
    for name in (EVENTS_FILE, LOCATIONS_FILE, ZONES_FILE, GEOCODE_CACHE_FILE):
        try:
            st = os.stat(settings.data_dir / name)
            stamp.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            stamp.append((name, None, None))
    return tuple(stamp)


def prepare(data_dir: str, stamp: tuple) -> PreparedData:
    """Load and check the data folder once; `stamp` only keys the page's cache."""
    settings = load_settings(data_dir)
    dataset = load_dataset(settings)
    events = dataset.events
    return PreparedData(
        dataset=dataset,
        legs=build_legs(events, settings.geodesic_step_km),
        cut=display_cut(events["longitude"].dropna()),
        first_day=events["start_date"].min().date(),
        last_day=events["end_date"].max().date(),
        actors=sorted(a for a in events["actor"].unique() if a),
        ids=frozenset(events["event_id"]),
    )


def init_state(state: MutableMapping, params: Mapping[str, Any], data: PreparedData) -> None:
    """On a session's first run, read the shared link; on later runs, apply a pending Play step.

    Both must happen before the widgets are created: Streamlit forbids changing a widget's value after.
    """
    if "date_range" not in state:
        shared = parse_shared_view(params, data.first_day, data.last_day, data.ids)
        state["date_range"] = (shared.start or data.first_day, shared.end or data.last_day)
        state["types"] = list(shared.types or ())
        state["actors"] = []
        state["search"] = ""
        state["selected"] = shared.event
        state["notices"] = shared.notices
        state["playing"] = False
    if "pending_range" in state:
        state["date_range"] = state.pop("pending_range")


def advance_play(state: MutableMapping, data: PreparedData, toggle: bool = False) -> None:
    """Play/Pause, or one step of play: the end of the range moves one day; playing stops at the end."""
    start, end = state.get("pending_range", state["date_range"])
    if toggle:
        state["playing"] = not state.get("playing", False)
        if state["playing"] and end >= data.last_day:
            state["pending_range"] = (start, start)  # replay from the start of the range
        return
    if end >= data.last_day:
        state["playing"] = False
        return
    state["pending_range"] = (start, min(end + timedelta(days=1), data.last_day))


def play_tick_due(state: MutableMapping, now: float) -> bool:
    """True when playing and a full interval has passed since the last step (the page's full reruns also
    run the ticker fragment, and must not advance the range themselves)."""
    if not state.get("playing"):
        return False
    if now - state.get("last_tick", float("-inf")) < PLAY_INTERVAL_SECONDS * 0.9:
        return False
    state["last_tick"] = now
    return True


def selected_event(state: Mapping, view: View) -> pd.Series | None:
    """The selected event's row if it is in view, else None (a selection outside the range is kept)."""
    selected = state.get("selected")
    if not selected:
        return None
    rows = view.events[view.events["event_id"] == selected]
    return rows.iloc[0] if len(rows) else None


def apply_table_selection(state: MutableMapping, view: View) -> bool:
    """A newly selected table row selects its event; returns True if the selection changed."""
    table = state.get("table")
    rows = tuple(table.get("selection", {}).get("rows", ())) if isinstance(table, Mapping) else ()
    if rows == state.get("last_table_rows", ()):
        return False
    state["last_table_rows"] = rows
    if rows and 0 <= rows[0] < len(view.events):
        new = view.events.iloc[rows[0]]["event_id"]
        changed = new != state.get("selected")
        state["selected"] = new
        return changed
    return False


def update_selection(state: MutableMapping, clicked: Mapping | None, data: PreparedData, view: View) -> bool:
    """A new map click on an event selects it; returns True if the selection changed."""
    signature = click_signature(clicked)
    if signature == state.get("last_click", (None, None)):
        return False
    state["last_click"] = signature
    event_id = clicked_event_id(clicked, data.ids, view.events["event_id"].tolist())
    if event_id is None or event_id == state.get("selected"):
        return False
    state["selected"] = event_id
    return True


def current_query(state: Mapping, data: PreparedData) -> dict[str, str]:
    """The URL parameters describing this session's view."""
    start, end = state["date_range"]
    return build_query(start, end, tuple(state.get("types") or ()), state.get("selected"),
                       data.first_day, data.last_day)


def _defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    frame = frame.copy()
    for col in EVENT_COLUMNS:
        if col.kind in ("text",) and col.name in frame:
            values = frame[col.name].astype(str)
            frame[col.name] = values.where(~values.str.startswith(FORMULA_PREFIXES), "'" + values)
    return frame


def events_csv(events: pd.DataFrame) -> bytes:
    """The events in view in the data contract's own columns (so the file loads back as a data folder)."""
    frame = _defuse_formulas(events[[c.name for c in EVENT_COLUMNS]])
    for name in ("start_date", "end_date"):
        frame[name] = frame[name].dt.strftime("%Y-%m-%d")
    return frame.to_csv(index=False).encode("utf-8")


def view_downloads(view: View, cut: float) -> dict[str, tuple[Callable[[], bytes | str], str, str]]:
    """Label -> (builder, file name, MIME type) for the CSV, the GeoJSON (as `python -m dashboard
    export`) and a self-contained HTML map of the view. Builders run only when a file is asked for."""
    return {
        "Download CSV": (lambda: events_csv(view.events), "events_in_view.csv", "text/csv"),
        "Download GeoJSON": (lambda: to_geojson_text(build_feature_collection(view.events, view.legs, view.zones)),
                             "events_in_view.geojson", "application/geo+json"),
        "Download map (HTML)": (lambda: standalone_html(build_map(view, cut, embed_basemap=True)),
                                "map_in_view.html", "text/html"),
    }
