"""Offline assets: copied from the XStatic wheels, and a standalone map that needs no network at all."""
import re
from datetime import date

from dashboard.filters import FilterState, select_view
from dashboard.map_builder import build_map
from dashboard.offline import ensure_vendor_assets, standalone_html


def test_vendor_assets_are_copied_once(tmp_path):
    vendor = ensure_vendor_assets(tmp_path)
    leaflet = vendor / "leaflet" / "leaflet.js"
    assert leaflet.is_file() and (vendor / "leaflet" / "images" / "layers.png").is_file()
    assert (vendor / "jquery" / "jquery.min.js").is_file()
    stamp = leaflet.stat().st_mtime_ns
    ensure_vendor_assets(tmp_path)
    assert leaflet.stat().st_mtime_ns == stamp
    assert not [p for p in vendor.iterdir() if p.name.startswith(".")], "a staging folder was left behind"


def test_standalone_html_fetches_nothing(prepared):
    view = select_view(prepared.dataset.events, prepared.legs, prepared.dataset.zones,
                       FilterState(date(2024, 11, 30), date(2024, 12, 6)))
    html = standalone_html(build_map(view, prepared.cut, embed_basemap=True))
    assert not re.search(r'<script[^>]+src=', html)
    assert not re.search(r'<link[^>]+href=', html)
    assert "L.map(" in html and "DashboardMap" in html and "Tuvalu" in html  # Leaflet, our layers, the basemap
    assert "url(data:image/png;base64," in html  # the layer-control icon, inlined
