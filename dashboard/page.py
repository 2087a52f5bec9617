"""The page (served by `streamlit run dashboard/app.py [-- --data-dir DIR]`). Glue only: widgets, state, panels.

What reruns when: a filter reruns the view fragment (summary, map, details, chart, table); a date change
or a Play tick reruns the view fragment too; a map click reruns only the details and the table (the map
drew its card itself); a table selection reruns the map, the details and the table. The map's iframe is
never remounted: its base map renders the same script on every run and each view arrives as a feature
group that streamlit-folium swaps in place.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` puts only dashboard/ on the path

import streamlit as st
from streamlit_folium import st_folium

from dashboard import live_map, serving, ui
from dashboard import page_state as ps
from dashboard import queries as q
from dashboard.config import load_settings
from dashboard.errors import DashboardError, DataError
from dashboard.event_store import EngineChoice
from dashboard.export import build_feature_collection, events_csv, to_geojson_text
from dashboard.filters import FilterState, View
from dashboard.map_builder import build_standalone_map, load_basemap_json
from dashboard.offline import standalone_html
from dashboard.prepared import PreparedData, data_stamp, prepare, view_of
from dashboard.selection import RETURNED_OBJECTS
from dashboard.story import StoryStep, story_step

MAP_HEIGHT = 640  # px: a laptop screen shows the map and the details beside it
# Downloads are built in the server's memory when pressed: past this many events, `python -m dashboard
# export` (streamed from the engine) is the way.
DOWNLOAD_LIMIT = 100_000
SAME_DAY_LIMIT = 200  # a story step lists at most this many other events of its day


def argument(name: str) -> str | None:
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args[:-1] else None


def view_downloads(view: View, data: PreparedData, state: FilterState) -> dict:
    """Label -> (builder, file name, MIME type): the CSV, the GeoJSON (as `python -m dashboard export`)
    and a self-contained HTML map of the view, each queried when its button is pressed."""

    def whole_view() -> View:
        rows = data.store.frame(q.rows(), state).set_index(q.ROW, drop=False)
        return View(rows, view.legs, view.zones, view.total)

    return {
        "Download CSV": (lambda: events_csv(whole_view().events), "events_in_view.csv", "text/csv"),
        "Download GeoJSON": (
            lambda: to_geojson_text(build_feature_collection(whole_view().events, view.legs, view.zones)),
            "events_in_view.geojson",
            "application/geo+json",
        ),
        "Download map (HTML)": (
            lambda: standalone_html(build_standalone_map(whole_view(), data.cut, data.types, load_basemap_json())),
            "map_in_view.html",
            "text/html",
        ),
    }


st.set_page_config(page_title="Taiwan Strait & Pacific events", page_icon="🗺️", layout="wide")
settings = load_settings(argument("--data-dir"))
engine = EngineChoice.from_env(argument("--engine"), argument("--spark-master"), argument("--events-parquet"))
if not serving.routes_mounted():
    st.error(
        "The map's files are served by the dashboard's own server. Start it with "
        "`streamlit run dashboard/app.py` (not page.py)."
    )
    st.stop()
serving.configure(settings.max_payload_bytes)
try:
    # cache_resource, not cache_data: one shared, read-only copy instead of unpickling 100,000 rows a rerun
    data = st.cache_resource(prepare, show_spinner="Opening the data (a new or changed folder is checked first)…")(
        str(settings.data_dir), data_stamp(settings), engine
    )
except DataError as exc:
    ui.render_data_errors(exc.problems, str(settings.data_dir), settings.max_problems_shown)
    st.stop()
except DashboardError as exc:  # the cache folder, the engine (Java, a cluster, a copy elsewhere)
    st.error(f"The data could not be opened: {exc}")
    st.stop()
serving.DATASETS.register(data.data_key, data.card)
ps.init_state(st.session_state, st.query_params.to_dict(), data)
for notice in st.session_state.pop("notices", ()):
    st.toast(notice, icon="ℹ️")


def rerun_view() -> None:
    st.rerun("view")


def on_map_click() -> None:
    """The map's first report says it is drawn: the chart and table follow. After that, a click: the map
    drew the card already, so only the details and the table's mark follow (the URL with them)."""
    value = st.session_state.get("map")
    first_report = ps.note_map_up(st.session_state, value)
    selected = ps.select_from_map(st.session_state, value, data)
    if first_report:
        st.rerun(["below", "details"])  # the table is inside "below"
    st.rerun(["details", "table"] if selected else "details")  # a route leg selects nothing: rerun the least


def on_story_pick() -> None:
    ps.open_story(st.session_state, data, st.session_state.story_picker)
    st.rerun("view")


def on_story_move(delta: int) -> None:
    ps.go_to_step(st.session_state, data, st.session_state.story_step + delta)
    st.rerun("view")


def current_story_step() -> StoryStep | None:
    story = st.session_state.get("story")
    if not story:
        return None

    def events_on(day, route_id: str):
        return data.store.frame(q.same_day(day.date(), route_id, SAME_DAY_LIMIT))

    return story_step(data.stops, data.legs, story, st.session_state.story_step, events_on)


def on_table_select() -> None:
    if ps.select_from_table(st.session_state, st.session_state.get("table"), st.session_state.get("table_ids", [])):
        st.rerun(["map", "details", "table"])


ui.render_title()
ui.render_warnings(data.warnings)


@st.fragment(key="map")
def map_panel() -> None:
    state = ps.filter_state(st.session_state)
    selected, pushes, pan = ps.map_selection(st.session_state, live_map.view_key(data, state))
    step = current_story_step()
    story_leg = (step.leg_in.from_event_id, step.leg_in.to_event_id) if step and step.leg_in else None
    clicked = st_folium(
        live_map.base_map(data),
        key="map",
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=RETURNED_OBJECTS,
        on_change=on_map_click,
        feature_group_to_add=live_map.view_group(
            data, state, selected, pushes, pan, story_leg, step.stop["event_id"] if step else None
        ),
    )
    # A browser's report arrives through on_map_click; a value that reached the session without its
    # callback (Streamlit's AppTest sets it directly) is caught here, once.
    if ps.note_map_up(st.session_state, clicked) | ps.select_from_map(st.session_state, clicked, data):
        st.rerun(scope="app")


@st.fragment(key="details")
def details_panel(view: View) -> None:
    step = current_story_step()
    if step is not None:
        ui.render_story(step, on_move=on_story_move)
        if st.button("Close story", key="story_close"):
            ps.open_story(st.session_state, data, None)
            st.session_state.story_picker = None  # the sidebar is not part of this rerun, so this is allowed
            st.rerun(scope="app")
    ui.render_details(ps.selected_event(st.session_state, view, data), data.types)
    if step is not None:
        ui.render_same_day(step, data.types)
    query = ps.current_query(st.session_state, data)
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)


@st.fragment(key="table")
def table_panel(view: View) -> None:
    page = ui.render_table_pager(view.size)
    rows = data.store.frame(q.page(page * ui.TABLE_ROW_LIMIT, ui.TABLE_ROW_LIMIT), ps.filter_state(st.session_state))
    st.session_state["table_ids"] = ui.render_table(
        rows, st.session_state.get("selected"), data.types, on_select=on_table_select
    )


@st.fragment(key="below")
def below_panel(view: View) -> None:
    """The timeline chart, the table and the downloads: sent once the map has reported that it is drawn, so
    that their scripts (a megabyte or two each) never compete with the map's first paint."""
    if not st.session_state.get("map_up"):  # a map that never reports (scripts blocked): one click away
        st.button(
            "Show the timeline chart and the table",
            key="show_below",
            on_click=lambda: st.session_state.update(map_up=True),
        )
        return
    state = ps.filter_state(st.session_state)
    ui.render_timeline_chart(
        view,
        state.start,
        state.end,
        data.types,
        lambda bin_days: data.store.frame(q.daily_counts(state.start, bin_days), state),
    )
    st.header("Events in view", anchor=False)
    table_panel(view)
    if view.size <= DOWNLOAD_LIMIT:
        ui.render_downloads(view_downloads(view, data, state))
    else:
        ui.render_export_hint(view.size, state, str(settings.data_dir), data.store.engine_name)
    # Inside a fragment: an element outside one is shown faded (stale) after each fragment rerun.
    st.caption(f"Data: {settings.data_dir} · basemap: Natural Earth (public domain) · every event links to its source.")


@st.fragment(key="view", run_every=ps.PLAY_INTERVAL_SECONDS if st.session_state.playing else None)
def view_panel() -> None:
    if ps.play_tick_due(st.session_state, time.monotonic()):
        ps.advance_play(st.session_state, data)  # before the slider exists: Streamlit forbids it after
        if not st.session_state.playing:
            st.rerun(scope="app")  # the end: stop the timer
    if ui.render_timeline(data.first_day, data.last_day, on_play=lambda: ps.toggle_play(st.session_state, data)):
        st.rerun(scope="app")  # the Play timer is set where the fragment is defined: start or stop it
    state = ps.filter_state(st.session_state)
    view = view_of(data, state)
    ui.render_summary(view, state.start, state.end)
    map_column, details_column = st.columns([3, 2])
    with map_column:
        map_panel()  # first, so that nothing below delays the map
    with details_column:
        details_panel(view)
    below_panel(view)


try:
    view_panel()  # before the sidebar's widgets: the map's element is the first the browser gets
except DashboardError as exc:
    st.error(str(exc))
ui.render_filters(data.types, data.actors, on_change=rerun_view)
if data.routes:
    ui.render_story_picker(data.routes, on_change=on_story_pick)
