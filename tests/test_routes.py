"""Geodesic legs between named real places, and the antimeridian for the map and for GeoJSON."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from dashboard.config import load_settings
from dashboard.loading import load_dataset
from dashboard.routes import (
    build_legs,
    display_cut,
    display_lons,
    geodesic_distance_km,
    geodesic_path,
    normalize_lon,
    split_at_antimeridian,
    to_display_lon,
    unwrap_longitudes,
)

TAOYUAN = (25.0797, 121.2342)  # Taoyuan International Airport
HONOLULU = (21.3187, -157.9225)  # Daniel K. Inouye International Airport
MAJURO = (7.0647, 171.2720)  # Amata Kabua International Airport
GUAM = (13.4757, 144.7489)  # Hagåtña
PALAU = (7.3419, 134.4792)  # Koror
WASHINGTON = (38.8951, -77.0364)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def events():
    return load_dataset(load_settings(DATA_DIR)).events


@pytest.mark.parametrize(
    "a, b, km",
    [(TAOYUAN, HONOLULU, 8157), (HONOLULU, MAJURO, 3669), (GUAM, PALAU, 1315)],
    ids=["taoyuan-honolulu", "honolulu-majuro", "guam-palau"],
)
def test_geodesic_distance_between_real_places(a, b, km):
    """WGS84 distances within 1% of the published great-circle figures, the same both ways."""
    assert geodesic_distance_km(a, b) == pytest.approx(km, rel=0.01)
    assert geodesic_distance_km(b, a) == pytest.approx(geodesic_distance_km(a, b))


def test_geodesic_path_points_are_about_step_km_apart():
    """Consecutive points are equally spaced, no more than step_km apart; the ends are exact."""
    path = geodesic_path(TAOYUAN, HONOLULU, step_km=100.0)
    total = geodesic_distance_km(TAOYUAN, HONOLULU)
    gaps = [geodesic_distance_km(a, b) for a, b in pairwise(path)]
    assert len(gaps) == 82  # ceil(8157 / 100)
    assert all(g == pytest.approx(total / len(gaps), rel=1e-6) for g in gaps)
    assert max(gaps) <= 100.0 and min(gaps) > 95.0
    assert path[0] == pytest.approx(TAOYUAN) and path[-1] == pytest.approx(HONOLULU)
    assert all(-180 <= lon < 180 and -90 <= lat <= 90 for lat, lon in path)


def test_geodesic_path_between_the_same_point():
    assert geodesic_path(GUAM, GUAM) == [pytest.approx(GUAM), pytest.approx(GUAM)]


def test_normalize_lon():
    assert [normalize_lon(v) for v in (202.0775, -181.0, 180.0, -180.0, 0.0, 540.0)] == pytest.approx(
        [-157.9225, 179.0, -180.0, -180.0, 0.0, -180.0]
    )


def test_unwrap_longitudes_goes_east_across_the_pacific():
    """Taoyuan to Honolulu is drawn from 121 E to 202 E, never westward round the world."""
    unwrapped = unwrap_longitudes(geodesic_path(TAOYUAN, HONOLULU))
    lons = [lon for _lat, lon in unwrapped]
    assert all(abs(b - a) < 180 for a, b in pairwise(lons))
    assert lons[0] == pytest.approx(121.2342)
    assert lons[-1] == pytest.approx(-157.9225 + 360)
    assert all(121 <= lon <= 203 for lon in lons)
    assert lons == sorted(lons)  # eastward all the way
    assert [lat for lat, _ in unwrapped] == [lat for lat, _ in geodesic_path(TAOYUAN, HONOLULU)]


def test_unwrap_longitudes_next_to_a_reference():
    """With a reference the first point moves next to it (Honolulu drawn at 202 when the map says so)."""
    assert unwrap_longitudes([HONOLULU, MAJURO], reference_lon=200.0) == [
        pytest.approx((21.3187, 202.0775)),
        pytest.approx((7.0647, 171.2720)),
    ]
    assert unwrap_longitudes([]) == []


def test_split_at_antimeridian_taoyuan_to_honolulu():
    """Two parts, all longitudes in range, meeting at ±180 at the same latitude."""
    parts = split_at_antimeridian(geodesic_path(TAOYUAN, HONOLULU))
    assert len(parts) == 2
    first, second = parts
    assert all(-180 <= lon <= 180 for part in parts for _lat, lon in part)
    assert first[0] == pytest.approx(TAOYUAN) and second[-1] == pytest.approx(HONOLULU)
    assert first[-1][1] == 180.0 and second[0][1] == -180.0
    assert first[-1][0] == second[0][0]
    assert 25 < first[-1][0] < 40  # the geodesic bulges north of both airports
    assert all(lon > 0 for _lat, lon in first) and all(lon < 0 for _lat, lon in second)


def test_split_at_antimeridian_westward():
    """Honolulu to Majuro crosses westward: the first part ends at -180, the second starts at 180."""
    parts = split_at_antimeridian(geodesic_path(HONOLULU, MAJURO))
    assert [(p[-1][1] if i == 0 else p[0][1]) for i, p in enumerate(parts)] == [-180.0, 180.0]
    assert parts[0][-1][0] == parts[1][0][0]


def test_leg_that_does_not_cross_stays_one_part():
    """Guam to Palau stays west of 180: one part, the path unchanged."""
    path = geodesic_path(GUAM, PALAU)
    assert split_at_antimeridian(path) == [path]


def test_build_legs_on_the_bundled_tour(events):
    """Six legs in route_seq order, dated from the stops, the Pacific crossings flagged."""
    legs = build_legs(events, step_km=100.0)
    assert [leg.route_id for leg in legs] == ["lai-pacific-2024"] * 6
    assert [(leg.from_event_id, leg.to_event_id) for leg in legs] == [
        ("lai-2024-depart-taoyuan", "lai-2024-honolulu"),
        ("lai-2024-honolulu", "lai-2024-majuro"),
        ("lai-2024-majuro", "lai-2024-funafuti"),
        ("lai-2024-funafuti", "lai-2024-guam"),
        ("lai-2024-guam", "lai-2024-palau"),
        ("lai-2024-palau", "lai-2024-return-taoyuan"),
    ]
    assert [(leg.depart_date, leg.arrive_date) for leg in legs] == [
        (date(2024, 11, 30), date(2024, 11, 30)),  # east across the date line: same calendar day
        (date(2024, 12, 2), date(2024, 12, 3)),  # west across it: a calendar day skipped
        (date(2024, 12, 4), date(2024, 12, 4)),
        (date(2024, 12, 4), date(2024, 12, 4)),
        (date(2024, 12, 5), date(2024, 12, 5)),
        (date(2024, 12, 6), date(2024, 12, 6)),
    ]
    assert [leg.crosses_antimeridian for leg in legs] == [True, True, False, False, False, False]
    assert legs[0].from_name == "Taoyuan International Airport, Taiwan" and legs[0].to_name == "Honolulu, Hawaii"
    assert legs[0].distance_km == pytest.approx(8157, rel=0.01)
    for leg in legs:
        assert leg.distance_km == pytest.approx(geodesic_distance_km(leg.path[0], leg.path[-1]))


def test_build_legs_ignores_unrouted_events(events):
    """Without tour stops there are no legs."""
    assert build_legs(events[events["event_type"] != "tour_stop"]) == []


def test_display_cut_keeps_the_pacific_contiguous():
    """Taiwan, Guam, Majuro and Honolulu are drawn side by side; Washington goes further east."""
    lons = [121.2342, -157.9225, 171.272, 144.7489, -77.0364]
    cut = display_cut(lons)
    assert cut == pytest.approx(121.2342)
    shown = [to_display_lon(lon, cut) for lon in lons]
    assert shown == pytest.approx([121.2342, 202.0775, 171.272, 144.7489, 282.9636])
    pacific = shown[:4]
    assert max(pacific) - min(pacific) < 82


@pytest.mark.parametrize(
    "lons, cut",
    [([], -180.0), ([10.0], -180.0), ([-77.0, 2.35, 13.4], -77.0), ([-10.0, 10.0], -10.0)],
    ids=["none", "one", "atlantic", "greenwich"],
)
def test_display_cut_leaves_data_off_the_antimeridian_alone(lons, cut):
    """Data that does not straddle ±180 keeps its longitudes."""
    assert display_cut(lons) == pytest.approx(cut)
    assert [to_display_lon(lon, cut) for lon in lons] == pytest.approx(lons)


def test_display_lons_matches_to_display_lon_for_named_places():
    """The column version draws Honolulu, Majuro, Washington and Taoyuan exactly where the scalar one does."""
    lons = pd.Series([-157.9225, 171.2720, -77.0364, 121.2342, 180.0, -180.0])
    cut = display_cut(lons)
    assert list(display_lons(lons, cut)) == pytest.approx([to_display_lon(v, cut) for v in lons])
