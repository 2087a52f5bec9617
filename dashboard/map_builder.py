"""Pure folium construction: a base map that never changes in a session, and one feature group per view.

streamlit-folium keys the map's iframe on the base map's script, and swaps the feature group passed as
`feature_group_to_add` inside the living map. So everything that depends on the view (events, route, zones,
the selection) is in `build_view_group`, and `build_base_map` renders the same script on every rerun:
fixed element ids, no view-dependent content.

All text from the data reaches the browser as JSON and is put on the page with textContent by
static/dashboard-map.js, so nothing in a title or a note can run as HTML or script.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from .cards import card_fields
from .config import BASEMAP_FILE
from .filters import View
from .loading import Zone
from .routes import Leg, display_lons, to_display_lon, unwrap_longitudes
from .schema import EVENT_TYPES, EventType

DEFAULT_CENTER = (18.0, 160.0)  # the western Pacific, in display longitudes; the first view is then framed
MAX_ZOOM = 12  # with tiles=None Leaflet has no max zoom, and fit_bounds needs one
FIT_MAX_ZOOM = 7  # never zoom in so far on a single event that its surroundings vanish
# Above this many events in view, dots are drawn on one canvas per type from compact columns (no tooltips, no
# fan-out): thousands of DOM markers take seconds to paint, 100,000 never do.
RICH_LIMIT = 250
SPREAD_RADIUS_PX = 18  # events sharing a place are fanned out on a ring this far from it, at every zoom
BASEMAP_ASSET = "basemap/pacific_countries.geojson"  # under static/

# Everything the map draws that is not an event type's own look (those are in schema.EventType).
MAP_LOOK = {
    "colors": {
        "route": EVENT_TYPES["tour_stop"].color,  # the route is the tour's
        "zone": EVENT_TYPES["military_drill"].color,  # zones are the drills'
        "zone_fill": "#d9534f",
        "selected": "#ff8f00",  # orange: no event type uses it
        "story_leg": "#ff8f00",  # the leg a story step has just flown, in the selection's colour
        "dot_outline": "rgba(255,255,255,0.85)",
        "bin_outline": "#ffffff",
        "bin_text": "#ffffff",
        "bin_text_shadow": "rgba(0,0,0,0.75)",
    },
    "basemap": {"color": "#8a8f94", "weight": 0.6, "fillColor": "#f3efe6", "fillOpacity": 1},
    "halo_m": {"2": 25_000, "3": 120_000},  # halo radius for 'near a place' and 'region only'
    "ring": {"size": 34},  # the selection ring, in pixels
    "dot_radius": 3.5,  # dense dots, in pixels
    "pick_px": 6,  # a click this close to a dense dot picks it
    "bin_px": {"min": 8, "max": 21},  # a cell's disc: radius grows with the log of its count (cells are 56 px)
    "bin_zoom_step": 2,  # a click on a cell zooms in this many levels, centred on it
    "fit_max_zoom": FIT_MAX_ZOOM,
    "legend_open_min_px": 700,  # a narrower map starts with the legend folded, so it hides no stops
    "fallback_type": {"color": "#555555", "radius": 6, "label": "Other"},
}


class MapCall(JSCSSMixin, MacroElement):
    """One call into static/dashboard-map.js on the parent element, with JSON arguments. Subclasses name
    the function; tests check that each one exists in the script."""

    js_function: ClassVar[str]
    _template = Template("""
{% macro script(this, kwargs) %}
    DashboardMap.{{ this.js_function }}({{ this._parent.get_name() }}{% for arg in this.args %}, {{ arg|tojson }}{% endfor %});
{% endmacro %}
""")
    default_js = [("dashboard_map", "dashboard-map.js")]
    default_css = [("dashboard_map_css", "dashboard-map.css")]

    def __init__(self, *args, name: str = "dm"):
        super().__init__()
        self._name = type(self).__name__
        self._id = name  # fixed, and unique among its siblings: the same map renders the same script
        self.args = args


class MapSetup(MapCall):
    """Once per map: styles and colours as data, panes, the click handler for dense dots, the fit button."""

    js_function = "init"


class Basemap(MapCall):
    """The offline Natural Earth land (a URL, or the GeoJSON itself for a standalone file)."""

    js_function = "addBasemap"


class Legend(MapCall):
    """A collapsible legend in the bottom-left corner."""

    js_function = "addLegend"


class RouteLayer(MapCall):
    """Route legs as geodesic polylines with a direction arrow; a click shows the leg's card."""

    js_function = "addRoute"


class ZonesLayer(MapCall):
    """Drill zones as dashed polygons; a click selects their drill."""

    js_function = "addZones"


class EventsLayer(MapCall):
    """Up to RICH_LIMIT events as numbered stops and fanned-out dots, each with its card."""

    js_function = "addEvents"


class DenseDotsLayer(MapCall):
    """Many events of one type on one canvas; a click fetches the card of the nearest dot."""

    js_function = "addDenseDots"


class BinsLayer(MapCall):
    """Counts per cell of the visible map, split by type, asked of the server at each pan and zoom."""

    js_function = "addBins"


class ViewDone(MapCall):
    """Last in a view: the selection, framing and the painted signal, once the layers have their data."""

    js_function = "finishView"


def spread_offsets(events: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Pixel offsets so that events at the same place (five statements in Beijing, say) can each be seen
    and clicked: a numbered tour stop keeps the centre, the others share a ring around it."""
    offsets: dict[str, tuple[int, int]] = {}
    located = events.dropna(subset=["latitude", "longitude"])
    for _, group in located.groupby([located["latitude"].round(3), located["longitude"].round(3)], sort=False):
        if len(group) == 1:
            continue
        centre = group[group["event_type"] == "tour_stop"]
        ring = group.drop(centre.index[:1])
        radius = SPREAD_RADIUS_PX + 2 * max(0, len(ring) - 8)
        for i, event_id in enumerate(ring["event_id"]):
            angle = 2 * math.pi * i / len(ring) - math.pi / 2
            offsets[event_id] = (round(radius * math.cos(angle)), round(radius * math.sin(angle)))
    return offsets


def type_labels(types: Mapping[str, EventType]) -> dict[str, str]:
    return {key: t.label for key, t in types.items()}


def event_feature_collection(
    events: pd.DataFrame,
    cut: float,
    types: Mapping[str, EventType],
    offsets: Mapping[str, tuple[int, int]] | None = None,
) -> dict:
    """Events as GeoJSON points in display longitudes, each with its card."""
    offsets = offsets or {}
    labels = type_labels(types)
    features = []
    for _, row in events.dropna(subset=["latitude", "longitude"]).iterrows():
        label = str(int(row["route_seq"])) if row["event_type"] == "tour_stop" and not pd.isna(row["route_seq"]) else ""
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [to_display_lon(row["longitude"], cut), row["latitude"]]},
                "properties": {
                    "event_id": row["event_id"],
                    "event_type": row["event_type"],
                    "label": label,
                    "precision": int(row["geo_precision"]),
                    "offset": offsets.get(row["event_id"], (0, 0)),
                    "card": card_fields(row, labels),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def zone_feature_collection(
    zones: list[Zone], cut: float, events: pd.DataFrame, types: Mapping[str, EventType]
) -> dict:
    """Zones in display longitudes (rings unwrapped so none is drawn round the world), each with its
    drill's card, so that a click on a zone selects the drill."""
    labels = type_labels(types)
    drills = events[events["event_id"].isin([zone.event_id for zone in zones])]  # not every event in view
    by_id = drills.set_index("event_id", drop=False)
    features = []
    for zone in zones:
        polygons = []
        for poly in zone.polygons:
            first_lon = to_display_lon(poly[0][0][1], cut)
            polygons.append([[[lon, lat] for lat, lon in unwrap_longitudes(ring, first_lon)] for ring in poly])
        card = card_fields(by_id.loc[zone.event_id], labels) if zone.event_id in by_id.index else {}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                "properties": {"event_id": zone.event_id, "name": zone.name, "note": zone.note, "card": card},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _screen_angle(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Direction from a to b on a Web Mercator map, in CSS degrees (0 = east, clockwise)."""

    def merc_y(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    return math.degrees(math.atan2(-(merc_y(b[0]) - merc_y(a[0])), b[1] - a[1]))


def leg_payload(legs: list[Leg], cut: float) -> list[dict]:
    """Each leg's unwrapped path, its card text and a direction arrow at its middle."""
    payload = []
    for number, leg in enumerate(legs, start=1):
        path = unwrap_longitudes(leg.path, to_display_lon(leg.path[0][1], cut))
        mid = len(path) // 2
        a, b = path[max(mid - 1, 0)], path[min(mid + 1, len(path) - 1)]
        payload.append(
            {
                "path": [[round(lat, 5), round(lon, 5)] for lat, lon in path],
                "title": f"Leg {number}: {leg.from_name} → {leg.to_name}",
                "distance": f"{leg.distance_km:,.0f} km (geodesic)",
                "dates": f"Departs {leg.depart_date:%d %b %Y}, arrives {leg.arrive_date:%d %b %Y} (local dates)",
                "note": "Crosses the International Date Line." if leg.crosses_antimeridian else "",
                "arrow_at": [round(path[mid][0], 5), round(path[mid][1], 5)],
                "arrow_angle": round(_screen_angle(a, b), 1),
            }
        )
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


FOCUS_GAP_DEG = 30.0  # events this far apart in longitude, with nothing between, are separate clusters


def focus_bounds(
    events: pd.DataFrame, legs: list[dict], cut: float, weights: str | None = None
) -> list[list[float]] | None:
    """The first frame: the cluster of longitudes holding the most events (with the legs inside it), so a
    few far-off dots (arms sales in Washington) do not shrink the tour to a speck. None when the events
    are one cluster already. Whatever lies outside stays reachable: the map counts it and offers to show all."""
    located = events.dropna(subset=["latitude", "longitude"])
    if len(located) < 2:
        return None
    lons = display_lons(located["longitude"], cut)
    order = np.argsort(lons)
    sorted_lons = lons[order]
    breaks = np.flatnonzero(np.diff(sorted_lons) > FOCUS_GAP_DEG) + 1
    if not len(breaks):
        return None
    clusters = np.split(np.arange(len(sorted_lons)), breaks)
    if weights is None:
        biggest = max(clusters, key=len)
    else:  # rows standing for many events each (cells of a binned view)
        counts = located[weights].to_numpy()[order]
        biggest = max(clusters, key=lambda c: counts[c].sum())
    west, east = sorted_lons[biggest[0]], sorted_lons[biggest[-1]]
    lats = located["latitude"].to_numpy()[order][biggest]
    path = np.array([p for leg in legs for p in leg["path"]] or np.empty((0, 2)))
    inside = path[(path[:, 1] >= west - FOCUS_GAP_DEG) & (path[:, 1] <= east + FOCUS_GAP_DEG)] if len(path) else path
    if len(inside):
        lats = np.concatenate([lats, inside[:, 0]])
        west, east = min(west, inside[:, 1].min()), max(east, inside[:, 1].max())
    return [[float(lats.min()), float(west)], [float(lats.max()), float(east)]]


def dense_payload(events: pd.DataFrame, cut: float, cards: list[dict] | None = None) -> dict:
    """Many events as three columns (~20 bytes an event): position and the row in the data set's events
    (file order). Cards stay on the server, fetched one at a time; a standalone file carries them."""
    payload = {
        "lat": events["latitude"].round(4).tolist(),
        "lon": np.round(display_lons(events["longitude"], cut), 4).tolist(),
        "row": events.index.to_numpy().tolist(),
    }
    if cards is not None:
        payload["cards"] = cards
    return payload


def packed_dense_payload(events: pd.DataFrame, cut: float) -> bytes:
    """`dense_payload` packed for the wire, 12 bytes an event and nothing to parse: the count (uint32), then
    latitudes and display longitudes (float32, about 1 m), then rows (uint32), little-endian, as
    dashboard-map.js reads them with typed arrays."""
    lat = events["latitude"].to_numpy(dtype="<f4")
    lon = display_lons(events["longitude"], cut).astype("<f4")
    rows = events.index.to_numpy().astype("<u4")
    return np.array([len(events)], dtype="<u4").tobytes() + lat.tobytes() + lon.tobytes() + rows.tobytes()


def legend_items(types: Mapping[str, EventType]) -> list[dict]:
    shapes = type_shapes(types)
    items = [
        {"label": t.label, "color": t.color, "shape": "stop" if key == "tour_stop" else shapes[key]}
        for key, t in types.items()
    ]
    colors = MAP_LOOK["colors"]
    items.insert(1, {"label": "Route leg (geodesic, → direction)", "color": colors["route"], "shape": "line"})
    items.append(
        {
            "label": "Drill zone (approximate outline)",
            "color": colors["zone"],
            "fill": colors["zone_fill"],
            "shape": "zone",
        }
    )
    items.append({"label": "Approximate position", "color": "#555555", "shape": "halo"})
    items.append({"label": "Selected event", "color": colors["selected"], "fill": "transparent", "shape": "ring"})
    return items


SHAPE_CYCLE = ("triangle", "circle", "square", "diamond")  # for declared types that name no shape


def type_shapes(types: Mapping[str, EventType]) -> dict[str, str]:
    """Each type's shape: its own, or the next in SHAPE_CYCLE, so that colour is never the only difference."""
    extra = [key for key, t in types.items() if not t.shape]
    return {key: t.shape or SHAPE_CYCLE[extra.index(key) % len(SHAPE_CYCLE)] for key, t in types.items()}


def map_config(types: Mapping[str, EventType], card_base: str | None) -> dict:
    """The script's whole look and its card URL, as data."""
    shapes = type_shapes(types)
    return {
        **MAP_LOOK,
        "card_base": card_base,
        "types": {
            key: {"color": t.color, "radius": t.radius, "label": t.label, "shape": shapes[key]}
            for key, t in types.items()
        },
    }


@lru_cache(maxsize=1)
def load_basemap_json() -> dict:
    """The bundled basemap, parsed once per process (for the standalone HTML map)."""
    return json.loads(BASEMAP_FILE.read_text(encoding="utf-8"))


def _fixed(element, name: str):
    element._id = name  # a fixed id, so the base map renders the same script on every rerun
    return element


def build_base_map(types: Mapping[str, EventType], basemap_source: str | dict) -> folium.Map:
    """The map that lives for the whole session: basemaps, legend, the script's setup. Nothing here may
    depend on the view, or the iframe would be remounted."""
    fmap = _fixed(
        folium.Map(
            location=DEFAULT_CENTER,
            zoom_start=3,
            tiles=None,
            max_zoom=MAX_ZOOM,
            min_zoom=2,
            control_scale=True,
            world_copy_jump=False,
        ),
        "dashboard",
    )
    MapSetup(map_config(types, None)).add_to(fmap)
    land = _fixed(folium.FeatureGroup(name="Offline basemap (Natural Earth 1:50m)", overlay=False), "land")
    Basemap(basemap_source).add_to(land)
    land.add_to(fmap)
    _fixed(
        folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap (online only)", overlay=False, show=False, max_zoom=MAX_ZOOM
        ),
        "osm",
    ).add_to(fmap)
    Legend(legend_items(types), "Legend").add_to(fmap)
    _fixed(folium.LayerControl(collapsed=True, position="topright"), "layers").add_to(fmap)
    return fmap


@dataclass(frozen=True)
class Selection:
    """The event the map should show as selected, told by Python (a table row, a shared link)."""

    event: pd.Series | None
    pan: bool = False  # bring it into view: the reader chose it somewhere else than on the map


def build_view_group(
    view: View,
    cut: float,
    types: Mapping[str, EventType],
    *,
    key: str,
    selection: Selection = Selection(None),
    card_base: str | None = None,
    publish: Callable[[bytes], str] | None = None,
    story_leg: tuple[str, str] | None = None,
    story_stop: str | None = None,
    bins: tuple[str, pd.DataFrame] | None = None,
) -> folium.FeatureGroup:
    """Everything one view draws, as one feature group for `st_folium(feature_group_to_add=...)`.

    A binned view (`view.binned`) draws its route stops, legs and zones, and a layer that asks `bins[0]` for
    counts per cell at every pan and zoom; `bins[1]` (`cells_extent`) frames it.

    `publish` turns the dense dots into a URL the map fetches; without it, everything is inlined (as a
    standalone file needs). Rich views are always inlined: a few hundred events, no round trip. `key` names the view; the map reports it in window.__dmPainted."""

    group = _fixed(folium.FeatureGroup(name="Events in view", control=False), "view")
    located = view.events["latitude"].notna() & view.events["longitude"].notna()
    dense = int(located.sum()) > RICH_LIMIT
    if view.binned and bins is not None:
        return _binned_group(group, view, cut, types, key, selection, card_base, story_leg, story_stop, bins)
    # Dense views copy only the three columns they draw: copying 17 columns of 100,000 rows costs more.
    events = view.events.loc[located, ["event_type", "latitude", "longitude"]] if dense else view.events[located]
    offsets = {} if dense else spread_offsets(events)
    legs = leg_payload(view.legs, cut)
    if legs:
        RouteLayer(legs).add_to(group)
    if view.zones:
        ZonesLayer(zone_feature_collection(view.zones, cut, view.events, types)).add_to(group)
    if dense:
        labels = type_labels(types)
        stops = view.events[located & (view.events["event_type"] == "tour_stop")]  # few, and numbered: rich
        if len(stops):
            EventsLayer(event_feature_collection(stops, cut, types)).add_to(group)
        for key_type in types:
            if key_type == "tour_stop":
                continue
            of_type = events[events["event_type"] == key_type]
            if len(of_type):
                if publish:
                    dots: dict | str = publish(packed_dense_payload(of_type, cut))
                else:  # a standalone file carries every card, since no server is there to ask
                    rows = view.events.loc[of_type.index]
                    dots = dense_payload(of_type, cut, [card_fields(r, labels) for _, r in rows.iterrows()])
                DenseDotsLayer(dots, key_type, name=key_type).add_to(group)
    elif len(events):  # a few hundred at most: inline, which saves the map a round trip
        EventsLayer(event_feature_collection(events, cut, types, offsets)).add_to(group)
    ViewDone(
        view_spec(view, events, legs, cut, types, key, selection, offsets, card_base, story_leg, story_stop)
    ).add_to(group)
    return group


def _binned_group(group, view, cut, types, key, selection, card_base, story_leg, story_stop, bins):
    url, extent = bins
    events = view.events.dropna(subset=["latitude", "longitude"])  # the route stops in view: rich
    legs = leg_payload(view.legs, cut)
    if legs:
        RouteLayer(legs).add_to(group)
    if view.zones:
        ZonesLayer(zone_feature_collection(view.zones, cut, view.events, types)).add_to(group)
    BinsLayer(url, list(types)).add_to(group)
    if len(events):
        EventsLayer(event_feature_collection(events, cut, types)).add_to(group)
    spec = view_spec(view, events, legs, cut, types, key, selection, {}, card_base, story_leg, story_stop)
    spec.update(count=view.size, bounds=view_bounds(extent, legs, cut), focus=focus_bounds(extent, legs, cut, "events"))
    ViewDone(spec).add_to(group)
    return group


def cells_extent(cells: pd.DataFrame) -> pd.DataFrame:
    """`queries.longitude_cells` as points for `view_bounds` and `focus_bounds`: each cell's southernmost
    and northernmost event, the first carrying the cell's count."""
    middle = cells["cell"] + 0.5
    south = pd.DataFrame({"latitude": cells["south"], "longitude": middle, "events": cells["events"]})
    north = pd.DataFrame({"latitude": cells["north"], "longitude": middle, "events": 0})
    return pd.concat([south, north], ignore_index=True)


def view_spec(
    view: View,
    events: pd.DataFrame,
    legs: list[dict],
    cut: float,
    types: Mapping[str, EventType],
    key: str,
    selection: Selection,
    offsets: Mapping[str, tuple[int, int]],
    card_base: str | None,
    story_leg: tuple[str, str] | None = None,
    story_stop: str | None = None,
) -> dict:
    """What finishView needs: the view's name and count, its frames, the selection, and a story's step (the
    index of the leg just flown among the view's legs, or at the first stop `story_start`)."""
    selected = None
    event = selection.event
    if event is not None and not pd.isna(event["latitude"]):
        selected = {
            "latlng": [float(event["latitude"]), to_display_lon(float(event["longitude"]), cut)],
            "offset": offsets.get(event["event_id"], (0, 0)),
            "card": card_fields(event, type_labels(types)),
        }
    leg_index = next((i for i, leg in enumerate(view.legs) if (leg.from_event_id, leg.to_event_id) == story_leg), None)
    return {
        "key": key,
        "count": len(events),
        "bounds": view_bounds(events, legs, cut),
        "focus": focus_bounds(events, legs, cut),
        "selected": selected,
        "pan_to_selected": selection.pan,
        "card_base": card_base,
        "story_leg": leg_index,
        "story_start": story_stop is not None and leg_index is None,  # the first stop: fly to it
    }


def build_standalone_map(
    view: View, cut: float, types: Mapping[str, EventType], basemap: dict, selected: pd.Series | None = None
) -> folium.Map:
    """The whole view on one map, every payload inlined: for the HTML download."""
    fmap = build_base_map(types, basemap)
    build_view_group(view, cut, types, key="standalone", selection=Selection(selected)).add_to(fmap)
    return fmap
