"""The data documentation matches the schema, and the bundled data set keeps its promises."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.config import Settings, load_settings
from dashboard.loading import load_dataset
from dashboard.schema import (
    EVENT_COLUMNS,
    EVENT_TYPES,
    GEOCODE_CACHE_COLUMNS,
    LOCATION_COLUMNS,
    PRECISION_LABELS,
    ZONE_PROPERTIES,
)

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
README = DATA_DIR / "README.md"


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(load_settings(DATA_DIR))


@pytest.mark.parametrize(
    "name",
    sorted(
        {c.name for c in EVENT_COLUMNS + LOCATION_COLUMNS + ZONE_PROPERTIES}
        | set(GEOCODE_CACHE_COLUMNS)
        | set(EVENT_TYPES)
    ),
)
def test_every_schema_name_is_documented_in_backticks(readme, name):
    """Each column, zone property and event type key appears in data/README.md as `name`."""
    assert f"`{name}`" in readme


def test_readme_documents_each_file_with_a_table(readme):
    """One table per file: the header row of a column table and each file's section."""
    for file in ("events.csv", "locations.csv", "zones.geojson", "geocode_cache.csv"):
        assert f"## `{file}`" in readme
    assert readme.count("| Column | Required | Meaning |") == 3
    assert "| Property | Required | Meaning |" in readme


def test_readme_documents_precision_labels_size_limit_and_validation(readme):
    """Precision labels, the size limit and the validate command are all explained."""
    for value, label in PRECISION_LABELS.items():
        assert f"`{value}`" in readme and label in readme
    limit_mb = Settings().max_file_bytes // (1024 * 1024)  # the default, as the README must state it
    assert "DASHBOARD_MAX_FILE_MB" in readme and f"{limit_mb} MB" in readme
    assert "python -m dashboard validate --data-dir DIR" in readme
    assert "python -m dashboard geocode --online" in readme
    assert "header is row 1" in readme


def test_bundled_data_validates_without_errors(dataset):
    """The bundled folder loads; nothing, not even a warning, is reported."""
    assert len(dataset.events) > 0
    assert dataset.warnings == []
    assert dataset.events["latitude"].notna().all() and dataset.events["longitude"].notna().all()


def test_lai_pacific_tour_has_seven_ordered_stops(dataset):
    """Route lai-pacific-2024: 7 tour stops numbered 1..7, leaving from and returning to Taoyuan."""
    events = dataset.events
    stops = events[events["route_id"] == "lai-pacific-2024"].sort_values("route_seq")
    assert len(stops) == 7
    assert (stops["event_type"] == "tour_stop").all()
    assert list(stops["route_seq"]) == [1, 2, 3, 4, 5, 6, 7]
    assert [loc.split(",")[0] for loc in stops["location"]] == [
        "Taoyuan International Airport",
        "Honolulu",
        "Majuro",
        "Funafuti",
        "Hagåtña",
        "Koror",
        "Taoyuan International Airport",
    ]


def test_arms_sale_cases_of_29_november_2024_sum_to_385_million(dataset):
    """The two FMS notifications of 29 Nov 2024 (F-16 spares and IMSE) add up to $385m."""
    events = dataset.events
    cases = events[(events["event_type"] == "arms_sale") & (events["start_date"] == pd.Timestamp("2024-11-29"))]
    assert len(cases) == 2
    assert cases["amount_usd"].sum() == 385_000_000


@pytest.mark.parametrize("event_id", ["pla-joint-sword-2024a", "pla-joint-sword-2024b"])
def test_joint_sword_2024_drills_have_zones(dataset, event_id):
    """Both 2024 Joint Sword drills are military_drill events with at least one zone."""
    row = dataset.events.set_index("event_id").loc[event_id]
    assert row["event_type"] == "military_drill"
    assert any(zone.event_id == event_id for zone in dataset.zones)


def test_every_zone_says_how_approximate_it_is(dataset):
    """Every zone note is filled; only Justice Mission 2025 claims published coordinates."""
    for zone in dataset.zones:
        assert zone.note.strip()
        published = "published" in zone.note.lower() and "corner coordinates" in zone.note.lower()
        assert published == (zone.event_id == "pla-justice-mission-2025"), zone.name


def test_every_source_url_is_http_or_https(dataset):
    """No row lacks a source, and every source is a web address."""
    urls = dataset.events["source_url"]
    assert urls.str.match(r"https?://\S+$").all(), list(urls[~urls.str.match(r"https?://\S+$")])


def test_no_2026_events(dataset):
    """The README says no 2026 events could be sourced; the data agrees."""
    assert (dataset.events["start_date"].dt.year <= 2025).all()


@pytest.mark.parametrize(
    "event_id, start, end",
    [
        ("lai-2024-depart-taoyuan", "2024-11-30", "2024-11-30"),
        # Crossing the date line eastward: landed in Honolulu on the same calendar date.
        ("lai-2024-honolulu", "2024-11-30", "2024-12-02"),
        # Crossing it westward from Hawaii: the local 2 December never happened in Majuro.
        ("lai-2024-majuro", "2024-12-03", "2024-12-04"),
    ],
    ids=["taoyuan", "honolulu", "majuro"],
)
def test_tour_stops_carry_local_dates(dataset, event_id, start, end):
    """Stops across the International Date Line use the local calendar date of each place."""
    row = dataset.events.set_index("event_id").loc[event_id]
    assert row["start_date"] == pd.Timestamp(start)
    assert row["end_date"] == pd.Timestamp(end)


def test_the_drawdown_is_aid_with_its_own_declared_type(dataset):
    """The $571.3 million presidential drawdown is aid from US stocks, not a sale: arms-sale totals leave it out."""
    events = dataset.events.set_index("event_id")
    assert events.loc["us-pda-2024-12-571m", "event_type"] == "military_aid"
    assert dataset.types["military_aid"].label == "Military aid (drawdown)"
    sales = events[events["event_type"] == "arms_sale"]
    assert 571_300_000 not in set(sales["amount_usd"].dropna())
