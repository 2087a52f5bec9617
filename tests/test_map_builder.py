"""The folium map as built for the page: a base map whose script never changes, view groups, their
JavaScript and what data reaches the browser."""

from __future__ import annotations

import json
import re
from datetime import date
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from helpers import all_events
from streamlit_folium import _get_feature_group_string, _get_map_string, generate_js_hash

from dashboard import map_builder
from dashboard.config import STATIC_DIR
from dashboard.filters import FilterState, select_view
from dashboard.map_builder import (
    RICH_LIMIT,
    MapCall,
    Selection,
    build_base_map,
    build_view_group,
    dense_payload,
    event_feature_collection,
    leg_payload,
    spread_offsets,
    view_bounds,
)
from dashboard.offline import _elements, localize_assets
from dashboard.routes import to_display_lon
from dashboard.serving import asset_path

TOUR = FilterState(date(2024, 11, 30), date(2024, 12, 6))
SCRIPT = (STATIC_DIR / "dashboard-map.js").read_text(encoding="utf-8")


def tour_view(prepared, state=TOUR):
    return select_view(all_events(prepared), prepared.legs, prepared.folder.zones, state)


def base(prepared):
    return localize_assets(build_base_map(prepared.types, "../../dm/static/basemap/pacific_countries.geojson"))


def group(prepared, state=TOUR, **kwargs):
    return localize_assets(
        build_view_group(tour_view(prepared, state), prepared.cut, prepared.types, key="k", **kwargs)
    )


def as_streamlit_folium_sends(fmap, view_group=None) -> tuple[str, str | None]:
    """The base map's script and the feature group's script, exactly as st_folium sends them."""
    fmap.get_root().render()
    leaflet = _get_map_string(fmap)
    return leaflet, _get_feature_group_string(view_group, fmap) if view_group is not None else None


def asset_links(element):
    links = []
    for item in _elements(element):
        links += [url for _, url in getattr(item, "default_js", [])]
        links += [url for _, url in getattr(item, "default_css", [])]
    return links


def test_the_base_map_renders_the_same_script_whatever_the_view(prepared):
    """streamlit-folium remounts the iframe when the base map's script (or its hash) changes."""
    first, _ = as_streamlit_folium_sends(base(prepared), group(prepared))
    second, _ = as_streamlit_folium_sends(base(prepared), group(prepared, FilterState(types=("arms_sale",))))
    assert first == second
    assert generate_js_hash(first, "map") == generate_js_hash(second, "map")
    assert "Honolulu" not in first, "view content leaked into the base map"


def test_a_view_group_renders_the_same_script_for_the_same_view(prepared):
    """So a rerun that changes nothing on the map swaps nothing in it (and a card stays open)."""
    _, one = as_streamlit_folium_sends(base(prepared), group(prepared))
    _, two = as_streamlit_folium_sends(base(prepared), group(prepared))
    _, other = as_streamlit_folium_sends(base(prepared), group(prepared, FilterState(types=("arms_sale",))))
    assert one == two
    assert one != other


def test_every_map_asset_is_served_by_the_dashboard(prepared):
    links = asset_links(base(prepared)) + asset_links(group(prepared))
    assert any("leaflet.js" in link for link in links)
    for url in links:
        assert url.startswith("../../dm/static/"), url
        assert asset_path(url.removeprefix("../../dm/static/").split("?")[0]).is_file(), url
    html = base(prepared).get_root().render()
    assert not re.search(r'(src|href)="(https?:)?//', html), "a script or stylesheet points at another host"
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower(), "folium extras the map never uses"


def test_every_layer_class_calls_a_function_the_script_has():
    exported = re.search(r"window\.DashboardMap = \{(.*?)\};", SCRIPT, re.S).group(1)
    names = set(re.findall(r"(\w+):", exported))
    classes = MapCall.__subclasses__()
    assert len(classes) >= 7
    for cls in classes:
        assert cls.js_function in names, f"{cls.__name__} calls DashboardMap.{cls.js_function}, which is not there"
        assert cls.__doc__, f"{cls.__name__} needs a docstring"


def test_the_script_holds_no_colour():
    """Colours are data from Python (schema.EventType and MAP_LOOK), so one change reaches everything."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", SCRIPT, flags=re.S)
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", code)


def test_route_goes_east_across_the_pacific(prepared):
    legs = leg_payload(tour_view(prepared).legs, prepared.cut)
    lons = [lon for _, lon in legs[0]["path"]]
    assert lons[0] == pytest.approx(121.23, abs=0.01) and lons[-1] == pytest.approx(202.14, abs=0.01)
    assert all(121 <= lon <= 203 for lon in lons), "drawn the long way round the world"
    assert all(abs(b - a) < 5 for a, b in pairwise(lons))
    assert legs[0]["title"] == "Leg 1: Taoyuan International Airport, Taiwan → Honolulu, Hawaii"
    assert 8_100 < int(legs[0]["distance"].split()[0].replace(",", "")) < 8_250  # Taipei-Honolulu, WGS84
    assert legs[0]["note"] == "Crosses the International Date Line."
    honolulu_to_majuro = [lon for _, lon in legs[1]["path"]]
    assert honolulu_to_majuro[0] == pytest.approx(202.14, abs=0.01)
    assert honolulu_to_majuro[-1] == pytest.approx(171.38, abs=0.01)
    assert legs[1]["note"] == "Crosses the International Date Line."
    assert legs[3]["note"] == "", "Funafuti → Guam stays west of the date line"
    assert -90 < legs[0]["arrow_angle"] < 90, "the arrow on the first leg must point east"


def test_bounds_fit_the_tour_not_the_globe(prepared):
    view = tour_view(prepared, FilterState(date(2024, 11, 30), date(2024, 12, 6), types=("tour_stop",)))
    (south, west), (north, east) = view_bounds(view.events, leg_payload(view.legs, prepared.cut), prepared.cut)
    assert 120 < west < 122 and 202 < east < 204
    assert -10 < south < -8 and 25 < north < 30


def test_events_carry_their_card_in_display_longitudes(prepared):
    collection = event_feature_collection(tour_view(prepared).events, prepared.cut, prepared.types)
    by_id = {f["properties"]["event_id"]: f for f in collection["features"]}
    honolulu = by_id["lai-2024-honolulu"]
    assert honolulu["geometry"]["coordinates"][0] == pytest.approx(202.14, abs=0.01)
    assert honolulu["properties"]["label"] == "2"
    card = honolulu["properties"]["card"]
    assert card["title"] == "Transit stopover in Honolulu, Hawaii"
    assert card["when"] == "30 Nov – 2 Dec 2024 (local date)"
    assert card["type_label"] == "Tour stop"
    assert card["source_url"] == "https://english.president.gov.tw/News/6851"
    assert by_id["lai-2024-palau"]["properties"]["card"]["precision_note"].startswith("Approximate position")


def test_events_at_one_place_are_fanned_out(prepared):
    events = all_events(prepared)
    beijing = events[events["location"] == "Beijing, China"]
    offsets = spread_offsets(events)
    assert len(beijing) >= 3
    assert len({offsets[e] for e in beijing["event_id"]}) == len(beijing)
    assert "lai-2024-honolulu" not in offsets, "the numbered stop keeps the centre of its place"


HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_text_never_reaches_the_page_as_markup(prepared):
    events = all_events(prepared).copy()
    events.loc[:, "title"] = HOSTILE
    events.loc[:, "location"] = "'; alert(1); '"
    events.loc[:, "source_url"] = "javascript:alert(1)"
    view = select_view(events, prepared.legs, prepared.folder.zones, FilterState())
    fmap = base(prepared)
    build_view_group(view, prepared.cut, prepared.types, key="k").add_to(fmap)
    html = fmap.get_root().render()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "\\u003c/script\\u003e" in html  # still there, as inert JSON text
    assert "javascript:alert" not in html, "an unsafe link reached the card"


def test_the_selection_travels_with_the_view(prepared):
    event = all_events(prepared).set_index("event_id", drop=False).loc["lai-2024-honolulu"]
    fmap = base(prepared)
    group(prepared, selection=Selection(event, pan=True)).add_to(fmap)
    spec = json.loads(re.search(r"DashboardMap\.finishView\(\w+, (\{.*\})\);", fmap.get_root().render()).group(1))
    assert spec["selected"]["latlng"][1] == pytest.approx(202.14, abs=0.01)
    assert spec["selected"]["card"]["event_id"] == "lai-2024-honolulu"
    assert spec["pan_to_selected"] is True and spec["count"] == len(tour_view(prepared).events)


def test_legend_and_basemaps(prepared):
    html = base(prepared).get_root().render()
    for name in (
        "Tour stop",
        "Military drill",
        "Arms sale",
        "Diplomatic",
        "Selected event",
        "Offline basemap (Natural Earth 1:50m)",
        "OpenStreetMap (online only)",
    ):
        assert name in html
    assert "addLegend" in html and "maxZoom" in html


def test_many_events_are_sent_as_compact_columns_named_by_file_row(prepared):
    """Above RICH_LIMIT, dots are packed columns of numbers: no titles, 12 bytes an event."""
    events = all_events(prepared)
    arms = events[events["event_type"] == "arms_sale"]
    many = pd.concat([arms] * (RICH_LIMIT // len(arms) + 1), ignore_index=True)
    many["event_id"] = [f"e{i}" for i in range(len(many))]
    many["title"] = "A long title that must stay on the server " * 3
    published = []
    view = select_view(many, [], [], FilterState())
    fmap = base(prepared)
    build_view_group(
        view, prepared.cut, prepared.types, key="k", publish=lambda p: published.append(p) or "../../dm/payload/x"
    ).add_to(fmap)
    script = fmap.get_root().render()
    assert "addDenseDots" in script and "A long title" not in script
    packed = published[0]
    assert isinstance(packed, bytes) and len(packed) == 4 + 12 * len(view.events), "12 bytes an event"
    n = int(np.frombuffer(packed[:4], "<u4")[0])
    lat, lon = np.frombuffer(packed, "<f4", n, 4), np.frombuffer(packed, "<f4", n, 4 + 4 * n)
    rows = np.frombuffer(packed, "<u4", n, 4 + 8 * n)
    assert n == len(view.events) and rows.tolist() == list(range(n))
    assert lat[0] == pytest.approx(view.events["latitude"].iloc[0], abs=1e-5)
    assert lon[0] == pytest.approx(view.events["longitude"].iloc[0] % 360, abs=1e-4)
    subset = many.iloc[[5, 9, 20]]
    assert dense_payload(subset, prepared.cut)["row"] == [5, 9, 20], "a dot names its row in the file"


def test_map_look_is_described_once(prepared):
    """Every type's colour comes from the schema; the map's other colours from MAP_LOOK."""
    config = map_builder.map_config(prepared.types, None)
    assert config["types"]["arms_sale"]["color"] == prepared.types["arms_sale"].color
    assert config["colors"]["route"] == prepared.types["tour_stop"].color
    assert not hasattr(map_builder, "TYPE_STYLES")


def test_a_dense_view_of_few_columns_still_draws_its_stops_and_zones_whole(prepared, monkeypatch):
    """Past RICH_COLUMNS_LIMIT a view fetches only what a dot needs; the numbered stops and the drills'
    zones are drawn with their cards, so their rows come whole (a folder of 1,000 events found this)."""
    from dashboard import map_builder
    from dashboard import prepared as prepared_module

    monkeypatch.setattr(prepared_module, "RICH_COLUMNS_LIMIT", 10)
    monkeypatch.setattr(map_builder, "RICH_LIMIT", 10)
    prepared_module.view_of.cache_clear()
    view = prepared_module.view_of(prepared, FilterState())
    prepared_module.view_of.cache_clear()
    stops = view.events[view.events["event_type"] == "tour_stop"]
    assert len(stops) == 7 and stops["title"].notna().all()
    assert view.events["title"].isna().any(), "the other events came with a dot's columns only"
    group = build_view_group(view, prepared.cut, prepared.types, key="k", publish=lambda payload: "u")
    _, script = as_streamlit_folium_sends(base(prepared), group)
    assert "Transit stopover in Honolulu, Hawaii" in script


def test_the_cut_keeps_every_event_in_one_window_and_beijing_west_of_taipei(prepared):
    """The cut is found from whole degrees of longitude (the engine's cells): it must fall at the west edge
    of one, or the events of that degree west of its centre (Beijing, 116.4°E, in the bundled data) would
    be drawn 360° away, east of Washington."""
    events = all_events(prepared)
    drawn = [to_display_lon(lon, prepared.cut) for lon in events["longitude"].dropna()]
    assert all(prepared.cut <= lon < prepared.cut + 360 for lon in drawn)
    beijing, taipei, honolulu = (to_display_lon(lon, prepared.cut) for lon in (116.4074, 121.5654, -157.8583))
    assert beijing < taipei < honolulu
    assert max(drawn) - min(drawn) < 200, "the data spans Beijing to Washington: less than 200 degrees eastward"
