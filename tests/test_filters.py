"""Filters are a pure transform of the events table: checked on the real bundled story."""

from datetime import date

import pandas as pd
import pytest
from helpers import all_events

from dashboard.filters import FilterState, apply_filters, describe_filters, select_view


@pytest.mark.parametrize(
    "state, expected_ids, absent_ids",
    [
        (
            FilterState(date(2024, 11, 30), date(2024, 11, 30)),
            {"lai-2024-depart-taoyuan", "lai-2024-honolulu"},
            {"lai-2024-majuro", "pla-joint-sword-2024a"},
        ),
        # a multi-day event overlapping the range is in view even if it started earlier
        (FilterState(date(2024, 12, 2), date(2024, 12, 2)), {"lai-2024-honolulu"}, {"lai-2024-majuro"}),
        (FilterState(date(2024, 12, 3), date(2024, 12, 3)), {"lai-2024-majuro"}, {"lai-2024-honolulu"}),
        (FilterState(types=("arms_sale",)), {"arms-2024-11-f16-spares", "arms-2025-12-himars"}, {"lai-2024-honolulu"}),
        (
            FilterState(types=("military_drill", "tour_stop")),
            {"pla-joint-sword-2024b", "lai-2024-guam"},
            {"arms-2024-11-imse"},
        ),
        (FilterState(actors=("China (PLA Eastern Theater Command)",)), {"pla-joint-sword-2024a"}, {"lai-2024-palau"}),
        (FilterState(text="nasams"), {"arms-2024-10-nasams"}, {"arms-2024-10-radars"}),
        (FilterState(text="HONOLULU"), {"lai-2024-honolulu"}, {"lai-2024-majuro"}),
        # regex characters are text, not a pattern
        (FilterState(text="(F"), set(), {"lai-2024-honolulu"}),
    ],
    ids=["one-day", "overlap", "date-line-day", "type", "two-types", "actor", "search", "search-case", "search-regex"],
)
def test_apply_filters(events, state, expected_ids, absent_ids):
    ids = set(apply_filters(events, state)["event_id"])
    assert expected_ids <= ids
    assert not (absent_ids & ids)


def test_no_filter_keeps_everything(events):
    assert len(apply_filters(events, FilterState())) == len(events)


def test_view_keeps_only_legs_whose_both_stops_are_shown(prepared):
    events, legs, zones = all_events(prepared), prepared.legs, prepared.folder.zones
    full = select_view(events, legs, zones, FilterState(date(2024, 11, 30), date(2024, 12, 6)))
    assert len(full.legs) == 6
    assert 21_000 < full.distance_km < 23_000
    partial = select_view(events, legs, zones, FilterState(date(2024, 11, 30), date(2024, 12, 3)))
    assert [(leg.from_event_id, leg.to_event_id) for leg in partial.legs] == [
        ("lai-2024-depart-taoyuan", "lai-2024-honolulu"),
        ("lai-2024-honolulu", "lai-2024-majuro"),
    ]
    drills = select_view(events, legs, zones, FilterState(date(2024, 5, 23), date(2024, 5, 24)))
    assert {z.event_id for z in drills.zones} == {"pla-joint-sword-2024a"}
    assert drills.total == len(events)


@pytest.mark.parametrize(
    "state, sentence",
    [
        (FilterState(), "All events"),
        (FilterState(date(2024, 11, 30), date(2024, 12, 6)), "Events from 30 Nov 2024 to 06 Dec 2024"),
        (FilterState(types=("arms_sale",), text="F-16"), "Events of type arms sale mentioning “F-16”"),
        (FilterState(actors=("Taiwan",)), "Events by Taiwan"),
    ],
)
def test_describe_filters(state, sentence):
    assert describe_filters(state) == sentence


@pytest.mark.parametrize(
    "actors, expected",
    [
        (("China",), {"a", "c"}),
        (("Taiwan",), {"b", "c"}),
        (("China", "Taiwan"), {"a", "b", "c"}),
        (("Chin",), set()),  # a part of a name is not the name
        (("(",), set()),  # a user's text is not a pattern
    ],
)
def test_an_event_with_several_actors_matches_any_of_them(actors, expected):
    events = pd.DataFrame(
        {
            "event_id": ["a", "b", "c", "d"],
            "actor": ["China", "Taiwan", "China; Taiwan", ""],
            "start_date": pd.to_datetime(["2024-01-01"] * 4),
            "end_date": pd.to_datetime(["2024-01-01"] * 4),
            "event_type": ["diplomatic"] * 4,
            "title": [""] * 4,
            "description": [""] * 4,
            "location": [""] * 4,
        }
    )
    assert set(apply_filters(events, FilterState(actors=actors))["event_id"]) == expected
