"""The page's state transitions, on a plain dict standing in for st.session_state."""

import subprocess
import sys
from datetime import date, timedelta

from helpers import all_events

from dashboard.filters import FilterState, select_view
from dashboard.page_state import (
    PLAY_INTERVAL_SECONDS,
    advance_play,
    current_query,
    filter_state,
    init_state,
    map_selection,
    note_map_up,
    play_tick_due,
    select_from_map,
    select_from_table,
    toggle_play,
)


def fresh(prepared, params=None):
    state = {}
    init_state(state, params or {}, prepared)
    return state


def click(event_id=None, count=1, row=None):
    props = {"event_id": event_id} if event_id else {"row": row}
    return {"last_active_drawing": {"properties": props}, "last_object_clicked_count": count}


def test_first_run_reads_the_shared_link(prepared):
    state = fresh(
        prepared, {"start": "2024-11-30", "end": "2024-12-06", "types": "tour_stop", "event": "lai-2024-guam"}
    )
    assert state["date_range"] == (date(2024, 11, 30), date(2024, 12, 6))
    assert state["types"] == ["tour_stop"] and state["selected"] == "lai-2024-guam"
    assert filter_state(state) == FilterState(date(2024, 11, 30), date(2024, 12, 6), ("tour_stop",))
    assert current_query(state, prepared) == {
        "start": "2024-11-30",
        "end": "2024-12-06",
        "types": "tour_stop",
        "event": "lai-2024-guam",
    }


def test_later_runs_keep_the_session_state(prepared):
    state = fresh(prepared)
    state["selected"] = "lai-2024-palau"
    init_state(state, {"event": "lai-2024-guam"}, prepared)
    assert state["selected"] == "lai-2024-palau"


def test_play_replays_from_the_start_and_stops_at_the_end(prepared):
    state = fresh(prepared)
    toggle_play(state, prepared)
    assert state["playing"] and state["date_range"] == (prepared.first_day, prepared.first_day)
    advance_play(state, prepared)
    assert state["date_range"] == (prepared.first_day, prepared.first_day + timedelta(days=1))
    state["date_range"] = (prepared.first_day, prepared.last_day)
    advance_play(state, prepared)
    assert not state["playing"]
    toggle_play(state, prepared)
    toggle_play(state, prepared)
    assert not state["playing"]


def test_play_ticks_only_once_per_interval(prepared):
    state = fresh(prepared)
    assert not play_tick_due(state, 100.0)
    state["playing"] = True
    assert play_tick_due(state, 100.0)
    assert not play_tick_due(state, 100.0 + PLAY_INTERVAL_SECONDS / 2)  # another rerun of the view meanwhile
    assert play_tick_due(state, 100.0 + PLAY_INTERVAL_SECONDS)


def test_map_click_selects_by_event_id_once(prepared):
    state = fresh(prepared)
    assert select_from_map(state, click("lai-2024-majuro"), prepared)
    assert state["selected"] == "lai-2024-majuro"
    state["selected"] = "lai-2024-guam"  # chosen in the table since
    assert not select_from_map(state, click("lai-2024-majuro"), prepared), "an old click must not steal it back"
    assert state["selected"] == "lai-2024-guam"
    assert select_from_map(state, click("lai-2024-majuro", count=2), prepared), "a second click on the same marker"
    assert not select_from_map(state, None, prepared)


def test_a_dense_dot_selects_the_event_at_its_file_row(prepared):
    state = fresh(prepared)
    assert select_from_map(state, click(row=3), prepared)
    assert state["selected"] == all_events(prepared)["event_id"].iloc[3]


def test_table_row_selects_its_event_and_tells_the_map(prepared):
    state = fresh(prepared)
    view = select_view(
        all_events(prepared),
        prepared.legs,
        prepared.folder.zones,
        FilterState(date(2024, 11, 30), date(2024, 12, 6), types=("tour_stop",)),
    )
    ids = view.events["event_id"].tolist()
    assert select_from_table(state, {"selection": {"rows": [2], "columns": []}}, ids)
    assert state["selected"] == ids[2] and state["selection_pushes"] == 1
    assert not select_from_table(state, {"selection": {"rows": [2], "columns": []}}, ids)
    assert not select_from_table(state, {"selection": {"rows": [99], "columns": []}}, ids)
    assert not select_from_table(state, None, ids)


def test_the_map_is_told_of_a_selection_only_when_it_did_not_make_it(prepared):
    """A map click must not change the map's view group (that would redraw the layers and close the
    card the click opened); a table selection or a new view must."""
    state = fresh(prepared)
    assert map_selection(state, "view-1") == (None, 0, False)
    select_from_map(state, click("lai-2024-majuro"), prepared)
    assert map_selection(state, "view-1") == (None, 0, False), "the map's own click came back to it"
    assert map_selection(state, "view-2") == ("lai-2024-majuro", 0, False), "a new view carries the selection"
    select_from_table(state, {"selection": {"rows": [0]}}, ["lai-2024-guam"])
    assert map_selection(state, "view-2") == ("lai-2024-guam", 1, True), "chosen elsewhere: shown and panned to"
    assert map_selection(state, "view-2") == ("lai-2024-guam", 1, True)


def test_state_transitions_load_no_drawing_or_exporting_code():
    code = (
        "import sys, dashboard.page_state; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('folium', 'branca', 'streamlit') "
        "or m in ('dashboard.map_builder', 'dashboard.export', 'dashboard.offline', 'dashboard.live_map')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_the_maps_first_report_is_noted_once(prepared):
    state = fresh(prepared)
    assert not note_map_up(state, None) and not note_map_up(state, {"last_object_clicked_count": None})
    assert note_map_up(state, {"last_active_drawing": None, "last_object_clicked_count": 0})
    assert not note_map_up(state, {"last_active_drawing": None, "last_object_clicked_count": 1})
