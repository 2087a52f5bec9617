"""The page: `streamlit run dashboard/app.py [-- --data-dir DIR]`. Glue only: widgets, state, panels."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` puts only dashboard/ on the path

import streamlit as st  # noqa: E402
from streamlit_folium import st_folium  # noqa: E402

from dashboard import ui  # noqa: E402
from dashboard.config import load_settings  # noqa: E402
from dashboard.errors import DataError  # noqa: E402
from dashboard.page_state import (PLAY_INTERVAL_SECONDS, advance_play, apply_table_selection,  # noqa: E402
                                  current_query, data_stamp, init_state, play_tick_due, prepare, selected_event,
                                  update_selection, view_downloads)
from dashboard.filters import FilterState, select_view  # noqa: E402
from dashboard.map_builder import build_highlight, build_map  # noqa: E402
from dashboard.offline import ensure_vendor_assets, localize_assets  # noqa: E402
from dashboard.payloads import publish_json  # noqa: E402
from dashboard.selection import RETURNED_OBJECTS  # noqa: E402


def data_dir_argument() -> str | None:
    args = sys.argv[1:]
    return args[args.index("--data-dir") + 1] if "--data-dir" in args[:-1] else None


st.set_page_config(page_title="Taiwan Strait & Pacific events", page_icon="🗺️", layout="wide")
settings = load_settings(data_dir_argument())
if not st.get_option("server.enableStaticServing"):
    st.error("The map's files are served by the dashboard itself, which needs Streamlit's static serving. "
             "Start the dashboard from the project folder (where .streamlit/config.toml is): "
             "`streamlit run dashboard/app.py`.")
    st.stop()
st.cache_resource(ensure_vendor_assets)()
try:
    # cache_resource, not cache_data: one shared, read-only copy instead of unpickling 100,000 rows a rerun
    data = st.cache_resource(prepare, show_spinner="Loading data…")(str(settings.data_dir), data_stamp(settings))
except DataError as exc:
    ui.render_data_errors(exc.problems, str(settings.data_dir), settings.max_problems_shown)
    st.stop()

init_state(st.session_state, st.query_params.to_dict(), data)
for notice in st.session_state.pop("notices", ()):
    st.toast(notice, icon="ℹ️")

header = st.container()  # drawn first, filled once the slider's range is known
ui.render_filters(data.actors)
if ui.render_timeline(data.first_day, data.last_day):
    advance_play(st.session_state, data, toggle=True)
start, end = st.session_state.date_range
state = FilterState(start, end, tuple(st.session_state.types), tuple(st.session_state.actors), st.session_state.search)
view = select_view(data.dataset.events, data.legs, data.dataset.zones, state)
apply_table_selection(st.session_state, view)
# streamlit-folium copies a new map value to st.session_state["map"] before this rerun: reading the
# click here draws its highlight and details in this run, instead of a second one.
update_selection(st.session_state, st.session_state.get("map"), data, view)

with header:
    ui.render_header(view, start, end)
ui.render_warnings(data.dataset.warnings)
ui.render_timeline_chart(view, start, end)

map_column, details_column = st.columns([3, 2])
with map_column:
    fmap = localize_assets(build_map(view, data.cut, publish=publish_json))
    clicked = st_folium(fmap, key="map", height=660, use_container_width=True, returned_objects=RETURNED_OBJECTS,
                        feature_group_to_add=build_highlight(selected_event(st.session_state, view), data.cut))
    if update_selection(st.session_state, clicked, data, view):
        st.rerun()  # a click the early read missed: draw its highlight and details
with details_column:
    ui.render_details(selected_event(st.session_state, view))

st.subheader("Events in view")
ui.render_table(view, st.session_state.selected)
downloads = view_downloads(view, data.cut)  # callables: each file is built only when asked for
for column, (label, (make, name, mime)) in zip(st.columns(3), downloads.items()):
    column.download_button(label, make, name, mime, on_click="ignore", width="stretch")
st.caption(f"Data: {settings.data_dir} · basemap: Natural Earth (public domain) · every event links to its source.")

query = current_query(st.session_state, data)
if query != st.query_params.to_dict():
    st.query_params.from_dict(query)


@st.fragment(run_every=PLAY_INTERVAL_SECONDS if st.session_state.playing else None)
def play_ticker() -> None:
    """While playing, a timer reruns this fragment; each due tick moves the range one day on."""
    if play_tick_due(st.session_state, time.monotonic()):
        advance_play(st.session_state, data)
        st.rerun(scope="app")


play_ticker()
