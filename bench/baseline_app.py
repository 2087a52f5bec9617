"""The baseline: a folium dashboard written the way most are, rebuilt on every change.

    streamlit run bench/baseline_app.py      # DASHBOARD_DATA_DIR=DIR for another data folder

One `folium.Marker` with a popup (title and source link) per event in the date range; a click on a
marker shows that event's details beside the map (read back from the popup's text, the usual
streamlit-folium idiom). It draws EVERY event: blank coordinates are resolved from the gazetteer
(locations.csv) by the dashboard's own loader, as the dashboard does. Its concessions, so that it can
be measured at all, are: Leaflet and jQuery are served locally (the benchmark runs offline, and folium
fetches them from CDNs), the data are loaded once per process (`st.cache_resource`), and only the
click comes back from the map (by default every pan and zoom would rerun the script).

For the benchmark it carries the same in-page signal as the dashboard: inside the map's iframe,
`window.__dmPainted = {view, count, at}` is set one animation frame after the markers are added
(`count` is the number of markers on the map, `view` the date range they show).
"""

from __future__ import annotations

import html
import re
import shutil
import string
import sys
from pathlib import Path

import branca
import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # `streamlit run` puts only bench/ on the path
from dashboard.config import load_settings  # noqa: E402
from dashboard.loading import load_dataset  # noqa: E402

# Streamlit serves bench/static/ at /app/static/ (server.enableStaticServing, .streamlit/config.toml);
# the map's iframe lives at /component/streamlit_folium.st_folium/, hence the relative path.
STATIC = BENCH / "static"
IFRAME_STATIC = "../../app/static"
LOCAL_ASSETS = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": "vendor/jquery/jquery.min.js",  # folium's popups parse their HTML with jQuery
    "leaflet_css": "vendor/leaflet/leaflet.css",
}
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


class DefaultIconPath(branca.element.MacroElement):
    """Where Leaflet's default marker images are: its guess from the stylesheet's URL fails in the iframe."""

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
L.Icon.Default.prototype.options.imagePath = {{ this.path|tojson }};
{% endmacro %}
""")

    def __init__(self, path: str):
        super().__init__()
        self._name = "DefaultIconPath"
        self.path = path


class PaintedSignal(branca.element.MacroElement):
    """Sets `window.__dmPainted` one animation frame after the map's markers were added."""

    _template = branca.element.Template("""
{% macro script(this, kwargs) %}
(function () {
    var count = 0;
    {{ this._parent.get_name() }}.eachLayer(function (layer) { if (layer instanceof L.Marker) { count += 1; } });
    requestAnimationFrame(function () {
        window.__dmPainted = {view: {{ this.view|tojson }}, count: count, at: performance.now()};
    });
})();
{% endmacro %}
""")

    def __init__(self, view: str):
        super().__init__()
        self._name = "PaintedSignal"
        self.view = view


@st.cache_resource
def copy_vendor_assets() -> None:
    """Leaflet and jQuery from their XStatic wheels into bench/static/vendor/ (ignored by git)."""
    import xstatic.pkg.jquery
    import xstatic.pkg.leaflet

    for name, package in (("leaflet", xstatic.pkg.leaflet), ("jquery", xstatic.pkg.jquery)):
        shutil.copytree(package.BASE_DIR, STATIC / "vendor" / name, dirs_exist_ok=True)


@st.cache_resource(show_spinner="Loading data…")
def load_events(data_dir: str) -> pd.DataFrame:
    """Every event, with blank coordinates filled from the gazetteer."""
    return load_dataset(load_settings(data_dir)).events


def localize(fmap: folium.Map) -> folium.Map:
    """Point the map's JS/CSS at the local copies and drop folium's extras that nothing here uses."""
    for attr in ("default_js", "default_css"):
        links = [
            (name, f"{IFRAME_STATIC}/{LOCAL_ASSETS[name]}") for name, _ in getattr(fmap, attr) if name in LOCAL_ASSETS
        ]
        setattr(fmap, attr, links)
    return fmap


def popup_html(row) -> str:
    """Title, date and a source link; escaped for HTML and for the JavaScript template string folium puts it in."""
    text = (
        f"<b>{html.escape(row.title)}</b><br>{row.start_date:%d %b %Y} · {html.escape(row.location)}<br>"
        f'<a class="dm-source" href="{html.escape(row.source_url)}" target="_blank" rel="noopener">Source ↗</a>'
    )
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def escape_markdown(text: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", text)


def data_dir_argument() -> str | None:
    """`streamlit run bench/baseline_app.py -- --data-dir DIR`; else $DASHBOARD_DATA_DIR, else data/."""
    args = sys.argv[1:]
    return args[args.index("--data-dir") + 1] if "--data-dir" in args[:-1] else None


st.set_page_config(page_title="Baseline folium dashboard", layout="wide")
copy_vendor_assets()
events = load_events(str(load_settings(data_dir_argument()).data_dir))
first, last = events["start_date"].min().date(), events["end_date"].max().date()
start, end = st.slider("Dates", min_value=first, max_value=last, value=(first, last), key="date_range")
view = events[(events["end_date"] >= pd.Timestamp(start)) & (events["start_date"] <= pd.Timestamp(end))]
st.markdown(f"**{len(view)} of {len(events)} events** · {start:%d %b %Y} – {end:%d %b %Y}")

map_column, details_column = st.columns([3, 2])
with map_column:
    fmap = folium.Map(location=[20, 140], zoom_start=3)
    DefaultIconPath(f"{IFRAME_STATIC}/vendor/leaflet/images/").add_to(fmap)
    for row in view.itertuples():
        folium.Marker([row.latitude, row.longitude], popup=folium.Popup(popup_html(row), max_width=320)).add_to(fmap)
    PaintedSignal(f"{start}..{end}").add_to(fmap)
    clicked = st_folium(
        localize(fmap), key="map", height=660, use_container_width=True, returned_objects=["last_object_clicked_popup"]
    )
with details_column:
    popup_text = (clicked or {}).get("last_object_clicked_popup") or ""
    chosen = view[view["title"] == popup_text.split("\n")[0].strip()]
    if len(chosen):
        event = chosen.iloc[0]
        st.markdown(f"#### {escape_markdown(event['title'])}")
        st.markdown(f"{event['start_date']:%d %b %Y} · {escape_markdown(event['location'])}")
        st.markdown(escape_markdown(event["description"]))
        st.link_button(f"Source: {event['source_name'] or 'open'} ↗", event["source_url"])
    else:
        st.caption("Click a marker for its details.")
