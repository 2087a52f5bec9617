"""The page's state transitions, on a plain dict standing in for st.session_state."""
from datetime import date, timedelta

import pytest

from dashboard.filters import FilterState, select_view
from dashboard.page_state import (advance_play, apply_table_selection, current_query, events_csv, init_state,
                                  play_tick_due, update_selection, PLAY_INTERVAL_SECONDS)


def fresh(prepared, params=None):
    state = {}
    init_state(state, params or {}, prepared)
    return state


def test_first_run_reads_the_shared_link(prepared):
    state = fresh(prepared, {"start": "2024-11-30", "end": "2024-12-06", "types": "tour_stop", "event": "lai-2024-guam"})
    assert state["date_range"] == (date(2024, 11, 30), date(2024, 12, 6))
    assert state["types"] == ["tour_stop"] and state["selected"] == "lai-2024-guam"
    assert current_query(state, prepared) == {"start": "2024-11-30", "end": "2024-12-06", "types": "tour_stop",
                                              "event": "lai-2024-guam"}


def test_later_runs_keep_the_session_state(prepared):
    state = fresh(prepared)
    state["selected"] = "lai-2024-palau"
    init_state(state, {"event": "lai-2024-guam"}, prepared)
    assert state["selected"] == "lai-2024-palau"


def test_play_replays_from_the_start_and_stops_at_the_end(prepared):
    state = fresh(prepared)
    advance_play(state, prepared, toggle=True)
    assert state["playing"] and state["pending_range"] == (prepared.first_day, prepared.first_day)
    init_state(state, {}, prepared)
    advance_play(state, prepared)
    init_state(state, {}, prepared)
    assert state["date_range"] == (prepared.first_day, prepared.first_day + timedelta(days=1))
    state["date_range"] = (prepared.first_day, prepared.last_day)
    advance_play(state, prepared)
    assert not state["playing"]


def test_play_ticks_only_once_per_interval(prepared):
    state = fresh(prepared)
    assert not play_tick_due(state, 100.0)
    state["playing"] = True
    assert play_tick_due(state, 100.0)
    assert not play_tick_due(state, 100.0 + PLAY_INTERVAL_SECONDS / 2)  # the full rerun that the tick caused
    assert play_tick_due(state, 100.0 + PLAY_INTERVAL_SECONDS)


def test_map_click_selects_by_event_id_once(prepared):
    state = fresh(prepared)
    view = select_view(prepared.dataset.events, prepared.legs, prepared.dataset.zones, FilterState())
    click = {"last_active_drawing": {"properties": {"event_id": "lai-2024-majuro"}}, "last_object_clicked_count": 1}
    assert update_selection(state, click, prepared, view)
    assert state["selected"] == "lai-2024-majuro"
    state["selected"] = "lai-2024-guam"  # chosen in the table since
    assert not update_selection(state, click, prepared, view), "the same old click must not steal the selection back"
    assert state["selected"] == "lai-2024-guam"
    assert not update_selection(state, None, prepared, view)  # a remounted map returns nothing


def test_table_row_selects_its_event(prepared):
    state = fresh(prepared)
    view = select_view(prepared.dataset.events, prepared.legs, prepared.dataset.zones,
                       FilterState(date(2024, 11, 30), date(2024, 12, 6), types=("tour_stop",)))
    state["table"] = {"selection": {"rows": [2], "columns": []}}
    assert apply_table_selection(state, view)
    assert state["selected"] == view.events.iloc[2]["event_id"]
    assert not apply_table_selection(state, view)


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)"])
def test_csv_download_defuses_spreadsheet_formulas(prepared, title):
    events = prepared.dataset.events.head(1).copy()
    events.loc[:, "title"] = title
    text = events_csv(events).decode()
    assert f"'{title}" in text.replace('""', '"')
