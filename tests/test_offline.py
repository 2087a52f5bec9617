"""Offline assets: every link points at the dashboard's own routes, and a standalone map needs no network."""

import re
from datetime import date

import folium
import folium.plugins
import pytest
from helpers import all_events

from dashboard.filters import FilterState, select_view
from dashboard.map_builder import build_standalone_map, load_basemap_json
from dashboard.offline import OfflineAssetError, localize_assets, standalone_html


def test_folium_extras_are_dropped_and_leaflet_is_ours():
    fmap = localize_assets(folium.Map(tiles=None))
    links = [url for _, url in fmap.default_js + fmap.default_css]
    assert [u.split("?")[0] for u in links] == [
        "../../dm/static/vendor/leaflet/leaflet.js",
        "../../dm/static/vendor/leaflet/leaflet.css",
    ]
    assert all("?v=" in u for u in links), "content-versioned, so browsers may cache them"


def test_an_asset_we_cannot_serve_is_refused():
    fmap = folium.Map(tiles=None)
    folium.plugins.MarkerCluster().add_to(fmap)
    with pytest.raises(OfflineAssetError, match="markercluster"):
        localize_assets(fmap)


@pytest.mark.parametrize("state", [FilterState(date(2024, 11, 30), date(2024, 12, 6)), FilterState()])
def test_standalone_html_fetches_nothing(prepared, state):
    view = select_view(all_events(prepared), prepared.legs, prepared.folder.zones, state)
    html = standalone_html(build_standalone_map(view, prepared.cut, prepared.types, load_basemap_json()))
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "L.map(" in html and "DashboardMap" in html and "Tuvalu" in html  # Leaflet, our layers, the basemap
    assert "url(data:image/png;base64," in html  # the layer-control icon, inlined
    assert "Transit stopover in Honolulu" in html
