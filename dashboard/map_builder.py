"""Pure folium construction: basemaps, one layer per event type, the route, zones and a legend.

All text from the data reaches the browser as JSON and is put on the page with textContent by
static/dashboard-map.js, so nothing in a title or a note can run as HTML or script.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from .config import BASEMAP_FILE, IFRAME_ASSET_BASE
from .filters import View
from .loading import Zone
from .routes import Leg, display_lons, to_display_lon, unwrap_longitudes
from .schema import EVENT_TYPES, PRECISION_LABELS

BASEMAP_URL_PATH = "basemap/pacific_countries.geojson"  # under static/, like the other assets
DEFAULT_CENTER = (18.0, 160.0)  # the western Pacific, in display longitudes
MAX_ZOOM = 12  # with tiles=None Leaflet has no max zoom, and fit_bounds needs one
FIT_MAX_ZOOM = 7  # never zoom in so far on a single event that its surroundings vanish
# Above this many events in view, dots are drawn on one canvas from compact columns (no tooltips, no
# fan-out): thousands of DOM markers take seconds to paint, 100,000 never do.
RICH_LIMIT = 250


@dataclass(frozen=True)
class TypeStyle:
    """How one event type is drawn and named in the legend and the layer control."""

    color: str
    radius: int
    layer_name: str


TYPE_STYLES: dict[str, TypeStyle] = {
    "tour_stop": TypeStyle("#1f4e8c", 8, "Tour route and stops"),
    "military_drill": TypeStyle("#b3261e", 8, "Military drills and zones"),
    "arms_sale": TypeStyle("#2e7d32", 7, "Arms sales"),
    "diplomatic": TypeStyle("#7b3fa0", 6, "Diplomatic events"),
}
SELECTED_COLOR = "#ff8f00"


class DashboardLayer(JSCSSMixin, MacroElement):
    """Calls one function of static/dashboard-map.js on its parent layer with JSON arguments."""

    _template = Template("""
{% macro script(this, kwargs) %}
    DashboardMap.{{ this.method }}({{ this._parent.get_name() }}{% for arg in this.args %}, {{ arg|tojson }}{% endfor %});
{% endmacro %}
""")
    default_js = [("dashboard_map", "dashboard-map.js")]
    default_css = [("dashboard_map_css", "dashboard-map.css")]

    def __init__(self, method: str, *args):
        super().__init__()
        self._name = "DashboardLayer"
        self.method = method
        self.args = args


def format_local_dates(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """'30 Nov 2024' or '30 Nov – 2 Dec 2024', local dates at the place."""
    if pd.isna(end) or end == start:
        return f"{start.day} {start:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


SPREAD_RADIUS_PX = 18  # events sharing a place are fanned out on a ring this far from it, at every zoom


def spread_offsets(events: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Pixel offsets so that events at the same place (five statements in Beijing, say) can each be seen
    and clicked: a numbered tour stop keeps the centre, the others share a ring around it."""
    offsets: dict[str, tuple[int, int]] = {}
    located = events.dropna(subset=["latitude", "longitude"])
    for _, group in located.groupby([located["latitude"].round(3), located["longitude"].round(3)], sort=False):
        centre = group[group["event_type"] == "tour_stop"]
        ring = group.drop(centre.index[:1])
        if len(group) == 1:
            continue
        radius = SPREAD_RADIUS_PX + 2 * max(0, len(ring) - 8)
        for i, event_id in enumerate(ring["event_id"]):
            angle = 2 * math.pi * i / len(ring) - math.pi / 2
            offsets[event_id] = (round(radius * math.cos(angle)), round(radius * math.sin(angle)))
    return offsets


def event_feature_collection(events: pd.DataFrame, cut: float, offsets: dict[str, tuple[int, int]] | None = None) -> dict:
    """The fields the map needs per event, as GeoJSON in display longitudes."""
    offsets = offsets or {}
    features = []
    for row in events.itertuples(index=False):
        if pd.isna(row.latitude) or pd.isna(row.longitude):
            continue
        precision = int(row.geo_precision)
        label = str(int(row.route_seq)) if row.event_type == "tour_stop" and not pd.isna(row.route_seq) else ""
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [to_display_lon(row.longitude, cut), row.latitude]},
            "properties": {
                "event_id": row.event_id, "event_type": row.event_type, "title": row.title,
                "when": format_local_dates(row.start_date, row.end_date) + " (local)", "place": row.location,
                "precision": precision, "label": label, "offset": offsets.get(row.event_id, (0, 0)),
                "precision_note": f"Approximate position: {PRECISION_LABELS[precision]}" if precision > 1 else "",
            },
        })
    return {"type": "FeatureCollection", "features": features}


def zone_feature_collection(zones: list[Zone], cut: float) -> dict:
    """Zones in display longitudes (rings unwrapped so none is drawn round the world)."""
    features = []
    for zone in zones:
        polygons = []
        for poly in zone.polygons:
            first_lon = to_display_lon(poly[0][0][1], cut)
            polygons.append([[[lon, lat] for lat, lon in unwrap_longitudes(ring, first_lon)] for ring in poly])
        features.append({"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                         "properties": {"event_id": zone.event_id, "name": zone.name, "note": zone.note}})
    return {"type": "FeatureCollection", "features": features}


def _screen_angle(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Direction from a to b on a Web Mercator map, in CSS degrees (0 = east, clockwise)."""
    def merc_y(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))
    return math.degrees(math.atan2(-(merc_y(b[0]) - merc_y(a[0])), b[1] - a[1]))


def leg_payload(legs: list[Leg], cut: float) -> list[dict]:
    """Each leg's unwrapped path, tooltip text and a direction arrow at its middle."""
    payload = []
    for number, leg in enumerate(legs, start=1):
        path = unwrap_longitudes(leg.path, to_display_lon(leg.path[0][1], cut))
        mid = len(path) // 2
        a, b = path[max(mid - 1, 0)], path[min(mid + 1, len(path) - 1)]
        payload.append({
            "path": [[round(lat, 5), round(lon, 5)] for lat, lon in path],
            "title": f"Leg {number}: {leg.from_name} → {leg.to_name}",
            "distance": f"{leg.distance_km:,.0f} km (geodesic)",
            "dates": f"Departs {leg.depart_date:%d %b %Y}, arrives {leg.arrive_date:%d %b %Y} (local dates)",
            "arrow_at": [round(path[mid][0], 5), round(path[mid][1], 5)],
            "arrow_angle": round(_screen_angle(a, b), 1),
        })
    return payload


def view_bounds(events: pd.DataFrame, legs: list[dict], cut: float) -> list[list[float]] | None:
    """South-west and north-east corners of the events and leg paths, in display longitudes."""
    located = events.dropna(subset=["latitude", "longitude"])
    lats = [located["latitude"].to_numpy(dtype="float64")] + [np.array([p[0] for p in leg["path"]]) for leg in legs]
    lons = [display_lons(located["longitude"], cut)] + [np.array([p[1] for p in leg["path"]]) for leg in legs]
    lats_all, lons_all = np.concatenate(lats), np.concatenate(lons)
    if not len(lats_all):
        return None
    return [[float(lats_all.min()), float(lons_all.min())], [float(lats_all.max()), float(lons_all.max())]]


def dense_payload(events: pd.DataFrame, rows: np.ndarray, cut: float) -> dict:
    """Many events as three columns (~20 bytes an event): position and the row in the view. Titles and
    details stay in Python and are looked up when a dot is clicked."""
    return {"lat": events["latitude"].round(4).tolist(),
            "lon": np.round(display_lons(events["longitude"], cut), 4).tolist(),
            "row": rows.tolist()}


def legend_items() -> list[dict]:
    items = [{"label": EVENT_TYPES[key].label, "color": style.color,
              "shape": "stop" if key == "tour_stop" else "circle"} for key, style in TYPE_STYLES.items()]
    items.insert(1, {"label": "Route leg (geodesic, → direction)", "color": TYPE_STYLES["tour_stop"].color,
                     "shape": "line"})
    items.append({"label": "Drill zone (approximate outline)", "color": TYPE_STYLES["military_drill"].color,
                  "shape": "zone"})
    items.append({"label": "Approximate position", "color": "#555555", "shape": "halo"})
    return items


@lru_cache(maxsize=1)
def load_basemap() -> dict:
    """The bundled basemap, parsed once per process."""
    return json.loads(BASEMAP_FILE.read_text(encoding="utf-8"))


def build_map(view: View, cut: float, *, embed_basemap: bool = False, asset_base: str = IFRAME_ASSET_BASE,
              publish: Callable[[dict], str] | None = None) -> folium.Map:
    """The whole map for a view. `cut` is the display cut from routes.display_cut on the full data set.

    `publish` turns a large payload into a path under the static folder for the map to fetch (see
    payloads.py); without it, everything is inlined, as a standalone HTML file needs."""
    def source(payload: dict) -> dict | str:
        return f"{asset_base}/{publish(payload)}" if publish else payload

    fmap = folium.Map(location=DEFAULT_CENTER, zoom_start=3, tiles=None, max_zoom=MAX_ZOOM, min_zoom=2,
                      control_scale=True, world_copy_jump=False)

    basemap = folium.FeatureGroup(name="Offline basemap (Natural Earth 1:50m)", overlay=False, control=True)
    basemap_source = load_basemap() if embed_basemap else f"{asset_base}/{BASEMAP_URL_PATH}"
    DashboardLayer("addBasemap", basemap_source).add_to(basemap)
    basemap.add_to(fmap)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online only)", overlay=False, show=False,
                     max_zoom=MAX_ZOOM).add_to(fmap)

    styles = {key: {"color": s.color, "radius": s.radius} for key, s in TYPE_STYLES.items()}
    events = view.events.dropna(subset=["latitude", "longitude"])
    positions = pd.Series(np.arange(len(view.events)), index=view.events.index)
    dense = len(events) > RICH_LIMIT
    offsets = {} if dense else spread_offsets(events)
    legs = leg_payload(view.legs, cut)
    for key, style in TYPE_STYLES.items():
        group = folium.FeatureGroup(name=style.layer_name, overlay=True, show=True)
        if key == "tour_stop" and legs:
            DashboardLayer("addRoute", legs).add_to(group)
        if key == "military_drill" and view.zones:
            DashboardLayer("addZones", zone_feature_collection(view.zones, cut)).add_to(group)
        of_type = events[events["event_type"] == key]
        if dense and key != "tour_stop":  # numbered stops stay rich: routes have few stops
            payload = dense_payload(of_type, positions[of_type.index].to_numpy(), cut)
            DashboardLayer("addDensePoints", source(payload), styles[key]).add_to(group)
        elif len(of_type):
            DashboardLayer("addEvents", source(event_feature_collection(of_type, cut, offsets)), styles).add_to(group)
        group.add_to(fmap)

    DashboardLayer("addLegend", legend_items(), "Legend").add_to(fmap)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    bounds = view_bounds(events, legs, cut)
    if bounds:
        fmap.fit_bounds(bounds, padding=(30, 30), max_zoom=FIT_MAX_ZOOM)
    return fmap


def build_highlight(event: pd.Series | None, cut: float) -> folium.FeatureGroup:
    """A ring around the selected event, added to a stable map without remounting it."""
    group = folium.FeatureGroup(name="Selected event", control=False)
    if event is not None and not pd.isna(event["latitude"]):
        folium.CircleMarker(
            location=(float(event["latitude"]), to_display_lon(float(event["longitude"]), cut)),
            radius=17, color=SELECTED_COLOR, weight=4, fill=False, interactive=False,
        ).add_to(group)
    return group
