"""Shared links: an allow-list of parameters, defaults and a notice for anything else."""

from datetime import date

import pytest

from dashboard.share import build_query, parse_shared_view

FIRST, LAST = date(2024, 5, 23), date(2025, 12, 30)
IDS = frozenset({"lai-2024-honolulu", "lai-2024-majuro"})


@pytest.mark.parametrize(
    "params, expected, notices",
    [
        ({}, dict(start=None, end=None, types=None, event=None), 0),
        (
            {"start": "2024-11-30", "end": "2024-12-06", "types": "tour_stop,arms_sale", "event": "lai-2024-honolulu"},
            dict(
                start=date(2024, 11, 30),
                end=date(2024, 12, 6),
                types=("tour_stop", "arms_sale"),
                event="lai-2024-honolulu",
            ),
            0,
        ),
        ({"start": "yesterday"}, dict(start=None), 1),
        ({"start": "2024-13-45"}, dict(start=None), 1),
        ({"start": "1900-01-01"}, dict(start=FIRST), 1),
        ({"end": "2999-01-01"}, dict(end=LAST), 1),
        ({"start": "2025-01-01", "end": "2024-06-01"}, dict(start=None, end=None), 1),
        ({"types": "tour_stop,<script>"}, dict(types=("tour_stop",)), 1),
        ({"types": "nonsense"}, dict(types=None), 1),
        ({"event": "no-such-event"}, dict(event=None), 1),
        ({"event": "<img src=x onerror=alert(1)>"}, dict(event=None), 1),
        ({"evil": "1", "__proto__": "x"}, dict(start=None), 1),
        ({"start": "2024-11-30" * 1000}, dict(start=None), 1),
        ({"start": ["2024-01-01", "2024-11-30"]}, dict(start=date(2024, 11, 30)), 0),
    ],
    ids=[
        "empty",
        "full",
        "not-date",
        "impossible-date",
        "too-early",
        "too-late",
        "reversed",
        "bad-type",
        "only-bad-types",
        "unknown-event",
        "hostile-event",
        "unknown-params",
        "oversized",
        "repeated",
    ],
)
def test_parse_shared_view(params, expected, notices):
    shared = parse_shared_view(params, FIRST, LAST, IDS)
    for key, value in expected.items():
        assert getattr(shared, key) == value, key
    assert len(shared.notices) == notices


def test_notices_never_echo_the_value():
    shared = parse_shared_view({"event": "<script>alert(1)</script>", "x<b>": "1"}, FIRST, LAST, IDS)
    assert shared.notices and not any("<" in n for n in shared.notices)


def test_build_query_round_trips():
    query = build_query(
        date(2024, 11, 30), date(2024, 12, 6), ("arms_sale", "tour_stop"), "lai-2024-majuro", FIRST, LAST
    )
    assert query == {
        "start": "2024-11-30",
        "end": "2024-12-06",
        "types": "tour_stop,arms_sale",
        "event": "lai-2024-majuro",
    }
    back = parse_shared_view(query, FIRST, LAST, IDS)
    assert (back.start, back.end, set(back.types), back.event) == (
        date(2024, 11, 30),
        date(2024, 12, 6),
        {"tour_stop", "arms_sale"},
        "lai-2024-majuro",
    )


def test_build_query_leaves_defaults_out():
    assert build_query(FIRST, LAST, (), None, FIRST, LAST) == {}


ROUTES = {"lai-pacific-2024": 7}
STORY = {
    "story-and-step": ({"story": "lai-pacific-2024", "step": "3"}, ("lai-pacific-2024", 3), 0),
    "story-alone": ({"story": "lai-pacific-2024"}, ("lai-pacific-2024", 1), 0),
    "step-too-big": ({"story": "lai-pacific-2024", "step": "8"}, ("lai-pacific-2024", 1), 1),
    "step-zero": ({"story": "lai-pacific-2024", "step": "0"}, ("lai-pacific-2024", 1), 1),
    "step-not-a-number": ({"story": "lai-pacific-2024", "step": "-1"}, ("lai-pacific-2024", 1), 1),
    "step-huge": ({"story": "lai-pacific-2024", "step": "9" * 400}, ("lai-pacific-2024", 1), 1),
    "unknown-story": ({"story": "<script>", "step": "2"}, (None, None), 1),
    "step-without-story": ({"step": "2"}, (None, None), 1),
}


@pytest.mark.parametrize("params, expected, notices", list(STORY.values()), ids=list(STORY))
def test_a_story_link_opens_its_step_or_falls_back_with_a_notice(params, expected, notices):
    shared = parse_shared_view(params, FIRST, LAST, IDS, routes=ROUTES)
    assert (shared.story, shared.step) == expected
    assert len(shared.notices) == notices and not any("<" in n for n in shared.notices)


def test_a_story_step_round_trips():
    query = build_query(FIRST, LAST, (), "lai-2024-majuro", FIRST, LAST, story="lai-pacific-2024", step=3)
    assert query == {"event": "lai-2024-majuro", "story": "lai-pacific-2024", "step": "3"}
    back = parse_shared_view(query, FIRST, LAST, IDS, routes=ROUTES)
    assert (back.story, back.step, back.event) == ("lai-pacific-2024", 3, "lai-2024-majuro")
