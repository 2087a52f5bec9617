"""The folium map as built for the page: its JavaScript, its assets and what data reaches the browser."""
from __future__ import annotations

import json
import re

import numpy as np
from datetime import date

import pandas as pd
import pytest

from dashboard.config import STATIC_DIR
from dashboard.filters import FilterState, select_view
from dashboard.map_builder import (RICH_LIMIT, build_highlight, build_map, dense_payload, event_feature_collection,
                                   leg_payload, spread_offsets, view_bounds)
from dashboard.config import IFRAME_ASSET_BASE
from dashboard.offline import _elements, ensure_vendor_assets, localize_assets

TOUR = FilterState(date(2024, 11, 30), date(2024, 12, 6))


def tour_view(prepared, state=TOUR):
    return select_view(prepared.dataset.events, prepared.legs, prepared.dataset.zones, state)


def asset_links(fmap):
    """Every JS/CSS link streamlit-folium would load in its iframe (the same walk it does)."""
    links = []
    for element in _elements(fmap):
        links += [url for _, url in getattr(element, "default_js", [])]
        links += [url for _, url in getattr(element, "default_css", [])]
    return links


def test_every_map_asset_is_served_by_the_dashboard(prepared):
    ensure_vendor_assets()
    fmap = localize_assets(build_map(tour_view(prepared, FilterState()), prepared.cut))
    links = asset_links(fmap)
    assert links, "the map must load Leaflet from somewhere"
    for url in links:
        assert url.startswith(IFRAME_ASSET_BASE + "/"), url
        assert (STATIC_DIR / url[len(IFRAME_ASSET_BASE) + 1:]).is_file(), url
    html = fmap.get_root().render()
    assert not re.search(r'(src|href)="(https?:)?//', html), "a script or stylesheet points at another host"


def test_route_goes_east_across_the_pacific(prepared):
    legs = leg_payload(tour_view(prepared).legs, prepared.cut)
    taoyuan_to_honolulu = legs[0]["path"]
    lons = [lon for _, lon in taoyuan_to_honolulu]
    assert lons[0] == pytest.approx(121.23, abs=0.01) and lons[-1] == pytest.approx(202.14, abs=0.01)
    assert all(121 <= lon <= 203 for lon in lons), "drawn the long way round the world"
    assert all(abs(b - a) < 5 for a, b in zip(lons, lons[1:]))
    assert legs[0]["title"] == "Leg 1: Taoyuan International Airport, Taiwan → Honolulu, Hawaii"
    assert 8_100 < int(legs[0]["distance"].split()[0].replace(",", "")) < 8_250  # Taipei-Honolulu, WGS84
    # Honolulu -> Majuro crosses the antimeridian westward: 202 E back to 171 E, not on to 531 E
    honolulu_to_majuro = [lon for _, lon in legs[1]["path"]]
    assert honolulu_to_majuro[0] == pytest.approx(202.14, abs=0.01)
    assert honolulu_to_majuro[-1] == pytest.approx(171.38, abs=0.01)
    assert -90 < legs[0]["arrow_angle"] < 90, "the arrow on the first leg must point east"


def test_bounds_fit_the_tour_not_the_globe(prepared):
    view = tour_view(prepared, FilterState(date(2024, 11, 30), date(2024, 12, 6), types=("tour_stop",)))
    (south, west), (north, east) = view_bounds(view.events, leg_payload(view.legs, prepared.cut), prepared.cut)
    assert 120 < west < 122 and 202 < east < 204
    assert -10 < south < -8 and 25 < north < 30


def test_events_reach_the_browser_in_display_longitudes_with_their_ids(prepared):
    view = tour_view(prepared)
    collection = event_feature_collection(view.events, prepared.cut)
    by_id = {f["properties"]["event_id"]: f for f in collection["features"]}
    assert by_id["lai-2024-honolulu"]["geometry"]["coordinates"][0] == pytest.approx(202.14, abs=0.01)
    assert by_id["lai-2024-honolulu"]["properties"]["label"] == "2"
    assert by_id["lai-2024-honolulu"]["properties"]["when"] == "30 Nov – 2 Dec 2024 (local)"
    assert by_id["lai-2024-palau"]["properties"]["precision_note"].startswith("Approximate position")


def test_events_at_one_place_are_fanned_out(prepared):
    events = prepared.dataset.events
    beijing = events[events["location"] == "Beijing, China"]
    offsets = spread_offsets(events)
    assert len(beijing) >= 3
    assert len({offsets[e] for e in beijing["event_id"]}) == len(beijing)
    stop = "lai-2024-honolulu"
    assert stop not in offsets, "the numbered stop keeps the centre of its place"


HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_text_never_reaches_the_page_as_markup(prepared):
    events = prepared.dataset.events.copy()
    events.loc[:, "title"] = HOSTILE
    events.loc[:, "location"] = "'; alert(1); '"
    view = select_view(events, prepared.legs, prepared.dataset.zones, FilterState())
    html = localize_assets(build_map(view, prepared.cut)).get_root().render()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "\\u003c/script\\u003e" in html  # still there, as inert JSON text


def test_highlight_marks_the_selected_event(prepared):
    event = prepared.dataset.events.set_index("event_id").loc["lai-2024-honolulu"]
    event = pd.concat([event, pd.Series({"event_id": "lai-2024-honolulu"})])
    group = build_highlight(event, prepared.cut)
    js = group._children[next(iter(group._children))].location
    assert js[1] == pytest.approx(202.14, abs=0.01)
    assert not build_highlight(None, prepared.cut)._children


def test_layers_legend_and_basemaps(prepared):
    html = localize_assets(build_map(tour_view(prepared), prepared.cut)).get_root().render()
    for name in ("Tour route and stops", "Military drills and zones", "Arms sales", "Diplomatic events",
                 "Offline basemap (Natural Earth 1:50m)", "OpenStreetMap (online only)"):
        assert name in html
    assert "addLegend" in html and "maxZoom" in html


def test_many_events_are_sent_as_compact_columns(prepared):
    """Above RICH_LIMIT, dots are columns of numbers: no titles, well under 60 bytes an event."""
    events = prepared.dataset.events
    arms = events[events["event_type"] == "arms_sale"]
    many = pd.concat([arms] * (RICH_LIMIT // len(arms) + 1), ignore_index=True)
    many["event_id"] = [f"e{i}" for i in range(len(many))]
    many["title"] = "A long title that must stay on the server " * 3
    view = select_view(many, [], [], FilterState())
    script = localize_assets(build_map(view, prepared.cut)).get_root().render()
    assert "addDensePoints" in script and "A long title" not in script
    payload = dense_payload(view.events, np.arange(len(view.events)), prepared.cut)
    assert len(json.dumps(payload)) / len(view.events) < 40
    assert payload["row"][:3] == [0, 1, 2]
