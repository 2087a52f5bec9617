"""Ordered route legs on the WGS84 ellipsoid, and the antimeridian handled for the map and for GeoJSON.

Coordinates stay normal (longitude -180..180) for every computation; longitudes are unwrapped only for
display, because geopy and geographiclib fold them back into range anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import numpy as np
import pandas as pd
from geographiclib.geodesic import Geodesic

LatLon = tuple[float, float]
WGS84 = Geodesic.WGS84


@dataclass(frozen=True)
class Leg:
    """One hop between consecutive stops of a route, with its geodesic path in normal coordinates."""

    route_id: str
    from_event_id: str
    to_event_id: str
    from_name: str
    to_name: str
    depart_date: date
    arrive_date: date
    distance_km: float
    path: list[LatLon]

    @property
    def crosses_antimeridian(self) -> bool:
        return any(abs(b[1] - a[1]) > 180 for a, b in pairwise(self.path))


def geodesic_distance_km(a: LatLon, b: LatLon) -> float:
    """Length of the shortest path on the WGS84 ellipsoid between two (lat, lon) points, in km."""
    return WGS84.Inverse(a[0], a[1], b[0], b[1])["s12"] / 1000.0


def geodesic_path(a: LatLon, b: LatLon, step_km: float = 100.0) -> list[LatLon]:
    """Points along the geodesic from a to b, about `step_km` apart, both ends included."""
    line = WGS84.InverseLine(a[0], a[1], b[0], b[1])
    count = max(1, math.ceil(line.s13 / 1000.0 / step_km))
    points = []
    for i in range(count + 1):
        pos = line.Position(line.s13 * i / count)
        points.append((pos["lat2"], normalize_lon(pos["lon2"])))
    points[0], points[-1] = (a[0], normalize_lon(a[1])), (b[0], normalize_lon(b[1]))
    return points


def normalize_lon(lon: float) -> float:
    """Longitude folded into [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def build_legs(events: pd.DataFrame, step_km: float = 100.0) -> list[Leg]:
    """Legs between consecutive stops (by route_seq) of every route among `events`."""
    routed = events[
        (events["route_id"] != "")
        & events["route_seq"].notna()
        & events["latitude"].notna()
        & events["longitude"].notna()
    ]
    legs = []
    for route_id, stops in routed.sort_values(["route_id", "route_seq"]).groupby("route_id", sort=True):
        rows = list(stops.itertuples(index=False))
        for a, b in pairwise(rows):
            start, end = (a.latitude, a.longitude), (b.latitude, b.longitude)
            legs.append(
                Leg(
                    route_id=str(route_id),
                    from_event_id=a.event_id,
                    to_event_id=b.event_id,
                    from_name=a.location,
                    to_name=b.location,
                    depart_date=a.end_date.date(),
                    arrive_date=b.start_date.date(),
                    distance_km=geodesic_distance_km(start, end),
                    path=geodesic_path(start, end, step_km),
                )
            )
    return legs


def unwrap_longitudes(points: list[LatLon], reference_lon: float | None = None) -> list[LatLon]:
    """Shift longitudes by multiples of 360 so consecutive points differ by less than 180 degrees.

    Leaflet draws a line between the numbers it is given: Taipei (121 E) to Honolulu (158 W) becomes the
    short hop to 202 E instead of a line round the world. The first point is moved next to
    `reference_lon` when given, so a path starts where its marker is drawn.
    """
    out: list[LatLon] = []
    for lat, lon in points:
        target = out[-1][1] if out else reference_lon
        if target is not None:
            lon += 360.0 * round((target - lon) / 360.0)
        out.append((lat, lon))
    return out


def split_at_antimeridian(points: list[LatLon]) -> list[list[LatLon]]:
    """Split a path where it crosses ±180 (RFC 7946 section 3.1.9), all longitudes in range."""
    unwrapped = unwrap_longitudes(points)
    parts: list[list[LatLon]] = [[]]
    for (lat1, lon1), (lat2, lon2) in pairwise(unwrapped):
        if not parts[-1]:
            parts[-1].append((lat1, normalize_lon(lon1)))
        band1, band2 = math.floor((lon1 + 180) / 360), math.floor((lon2 + 180) / 360)
        if band1 != band2:
            edge = 180.0 + 360.0 * min(band1, band2)  # the unwrapped longitude of the crossing
            lat = lat1 + (lat2 - lat1) * (edge - lon1) / (lon2 - lon1)
            east_first = lon2 > lon1
            parts[-1].append((lat, 180.0 if east_first else -180.0))
            parts.append([(lat, -180.0 if east_first else 180.0)])
        parts[-1].append((lat2, normalize_lon(lon2)))
    return [p for p in parts if len(p) >= 2]


def display_cut(lons: pd.Series | list[float]) -> float:
    """The longitude where the map is cut: the far edge of the widest empty arc of longitudes.

    Points west of the cut are drawn at lon + 360, so Pacific data (Taiwan, Guam, Hawaii) is drawn as
    one continuous group. Data that does not straddle the antimeridian keeps its longitudes.
    """
    values = sorted({normalize_lon(float(v)) for v in lons if v == v})
    if len(values) < 2:
        return -180.0
    gaps = [(values[0] + 360 - values[-1], values[0])]
    gaps += [(b - a, b) for a, b in pairwise(values)]
    return max(gaps)[1]


def to_display_lon(lon: float, cut: float) -> float:
    """Longitude as drawn: unchanged east of the cut, +360 west of it."""
    lon = normalize_lon(lon)
    return lon if lon >= cut else lon + 360.0


def display_lons(lons: pd.Series, cut: float) -> np.ndarray:
    """`to_display_lon` for a whole column at once."""
    values = (lons.to_numpy(dtype="float64") + 180.0) % 360.0 - 180.0
    return np.where(values >= cut, values, values + 360.0)
