"""A route's guided story, built from the data: stops in order, the leg flown to each, the same day elsewhere."""

import pytest
from helpers import all_events

from dashboard.story import describe_leg, route_stops, story_routes, story_step

ROUTE = "lai-pacific-2024"


def test_routes_with_stops_are_offered(prepared):
    assert story_routes(all_events(prepared)) == {ROUTE: 7}


@pytest.mark.parametrize(
    "number, stop, leg",
    [
        (1, "lai-2024-depart-taoyuan", None),
        (2, "lai-2024-honolulu", 1),
        (3, "lai-2024-majuro", 2),
        (7, "lai-2024-return-taoyuan", 6),
    ],
)
def test_each_step_is_a_stop_and_the_leg_flown_to_it(prepared, number, stop, leg):
    step = story_step(all_events(prepared), prepared.legs, ROUTE, number)
    assert step.stop["event_id"] == stop and step.leg_number == leg and step.total == 7
    if leg:
        assert step.leg_in.to_event_id == stop


@pytest.mark.parametrize("route, number", [(ROUTE, 0), (ROUTE, 8), ("no-such-route", 1), ("", 1)])
def test_a_step_that_does_not_exist_is_refused(prepared, route, number):
    with pytest.raises(LookupError):
        story_step(all_events(prepared), prepared.legs, route, number)


def test_the_date_line_is_told_in_words(prepared):
    """Taoyuan → Honolulu lands on the date it left; Honolulu → Majuro loses a day."""
    events, legs = all_events(prepared), prepared.legs
    honolulu = story_step(events, legs, ROUTE, 2).leg_in
    majuro = story_step(events, legs, ROUTE, 3).leg_in
    guam = story_step(events, legs, ROUTE, 5).leg_in
    assert "landed on the same calendar date it left" in describe_leg(honolulu)
    assert "8,164 km" in describe_leg(honolulu)
    assert "the calendar jumped a day ahead" in describe_leg(majuro)
    assert "Date Line" not in describe_leg(guam)


def test_the_same_day_lists_other_events_anywhere(prepared):
    step = story_step(all_events(prepared), prepared.legs, ROUTE, 6)  # Palau, 5 December
    titles = " ".join(step.same_day["title"])
    assert "China sanctions 13 US military firms" in titles, "Beijing's answer that day"
    assert not (step.same_day["route_id"] == ROUTE).any() and step.stop["event_id"] not in set(
        step.same_day["event_id"]
    )


def test_stops_are_in_route_order(prepared):
    assert route_stops(all_events(prepared), ROUTE)["route_seq"].tolist() == list(range(1, 8))
