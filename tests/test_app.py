"""The page under Streamlit's AppTest: no browser, no JavaScript, but every panel and state change."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import serving

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "page.py")
serving.routes()  # AppTest runs the page in this process: it is served as under dashboard/app.py


def run_app(params=None, data_dir=None, monkeypatch=None) -> AppTest:
    if data_dir is not None:
        monkeypatch.setenv("DASHBOARD_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    maps = [e for e in at.main if getattr(e, "type", "") == "component_instance"]
    if maps:  # what the map sends once it is drawn (no JavaScript runs here); then the chart and table follow
        at.session_state[maps[0].key] = {"last_active_drawing": None, "last_object_clicked_count": 0}
        at.run()
        assert not at.exception, at.exception
    return at


def test_the_chart_and_table_wait_for_the_map():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.dataframe and not at.get("arrow_vega_lite_chart"), "sent before the map was drawn"
    assert at.button(key="show_below")  # and one click away if the map never reports
    at.session_state[map_element(at).key] = {"last_active_drawing": None, "last_object_clicked_count": 0}
    at.run()
    assert len(at.dataframe[0].value) == 55 and at.session_state.map_up


def summary(at) -> str:
    return next(m.value for m in at.markdown if "events**" in m.value)


def map_element(at):
    return next(
        e
        for e in at.main
        if getattr(e, "type", "") == "component_instance" and "streamlit_folium" in e.proto.component_name
    )


def test_starts_on_the_bundled_data():
    at = run_app()
    assert re.match(r"\*\*55 of 55 events\*\*", summary(at))
    assert len(at.dataframe[0].value) == 55
    assert at.title[0].value.startswith("Taiwan Strait")


def test_map_loads_no_asset_from_another_host():
    args = json.loads(map_element(run_app()).proto.json_args)
    links = args.get("css_links", []) + args.get("js_links", [])
    assert links and all(link.startswith("../../dm/static/") for link in links), links
    assert "https://cdn" not in map_element(run_app()).proto.json_args


def test_date_range_changes_count_table_and_map():
    at = run_app()
    before = map_element(at).proto.json_args
    at.slider(key="date_range").set_value((date(2024, 11, 30), date(2024, 12, 6))).run()
    assert not at.exception
    count = int(re.match(r"\*\*(\d+) of 55 events", summary(at)).group(1))
    assert 0 < count < 55
    assert len(at.dataframe[0].value) == count
    assert "30 Nov 2024 – 06 Dec 2024" in summary(at)
    after = json.loads(map_element(at).proto.json_args)
    before = json.loads(before)
    assert after["feature_group"] != before["feature_group"], "the view's layers were not swapped"
    assert after["script"] == before["script"] and after["key"] == before["key"], "the map would be remounted"


def test_a_map_click_leaves_the_maps_layers_alone():
    """The map drew the card itself; rebuilding its layers would close that card."""
    at = run_app()
    before = json.loads(map_element(at).proto.json_args)
    at.session_state[map_element(at).key] = {
        "last_active_drawing": {"type": "Feature", "properties": {"event_id": "lai-2024-guam"}},
        "last_object_clicked_count": 1,
    }
    at.run()
    assert at.session_state.selected == "lai-2024-guam"
    after = json.loads(map_element(at).proto.json_args)
    assert after["feature_group"] == before["feature_group"] and after["key"] == before["key"]


def test_shared_link_reproduces_view_and_selection():
    at = run_app({"start": "2024-11-30", "end": "2024-12-06", "types": "tour_stop", "event": "lai-2024-honolulu"})
    assert summary(at).startswith("**7 of 55 events**")
    assert any("Transit stopover in Honolulu" in m.value for m in at.markdown)
    assert at.query_params["event"] == ["lai-2024-honolulu"] or at.query_params["event"] == "lai-2024-honolulu"


def test_selected_event_shows_details_and_source():
    at = run_app({"event": "arms-2024-11-imse"})
    text = " ".join(m.value for m in at.markdown)
    assert "Improved Mobile Subscriber Equipment" in text
    assert "$65 million" in text
    link = at.get("link_button")[0]
    assert link.proto.url.startswith("https://") and "Source" in link.proto.label


def test_map_click_selects_the_event():
    at = run_app()
    at.session_state[map_element(at).key] = {
        "last_active_drawing": {"type": "Feature", "properties": {"event_id": "lai-2024-funafuti"}},
        "last_object_clicked_count": 1,
    }
    at.run()
    assert not at.exception
    assert at.session_state.selected == "lai-2024-funafuti"
    assert any("Tuvalu" in m.value for m in at.markdown)
    assert at.query_params["event"] in ("lai-2024-funafuti", ["lai-2024-funafuti"])


def test_bad_link_falls_back_with_a_notice():
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {"start": "<script>", "types": "bogus", "event": "nope", "x": "1"}.items():
        at.query_params[key] = value
    at.run()
    assert summary(at).startswith("**55 of 55 events**")
    assert len(at.toast) >= 3  # shown on the first run of the session


def test_play_steps_the_range():
    at = run_app()
    at.button(key="play_button").click().run()
    assert not at.exception
    start, end = at.session_state.date_range
    assert at.session_state.playing and (end - start).days == 1


def test_data_errors_are_shown_on_the_page(data_copy, monkeypatch):
    events = data_copy / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines()
    event_id, _type, rest = lines[1].split(",", 2)
    lines[1] = f"{event_id},parade,{rest}"
    lines.append("broken-row,diplomatic,2024-13-01,,Title,Nowhere,,,javascript:alert(1)" + "," * 8)
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    at = run_app(data_dir=data_copy, monkeypatch=monkeypatch)
    assert at.error and "problem" in at.error[0].value
    table = at.dataframe[0].value
    assert {"event_type", "start_date", "source_url", "location"} <= set(table["column"])
    assert "parade" in set(table["value"])


def _break(folder, name, data: bytes):
    (folder / name).write_bytes(data)


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda f: (f / "events.csv").unlink(), "file not found"),
        (lambda f: _break(f, "events.csv", b""), "file is empty"),
        (lambda f: _break(f, "events.csv", "event_id,title\nx,Caf\xe9\n".encode("latin-1")), "not UTF-8"),
        (lambda f: _break(f, "events.csv", (f / "events.csv").read_bytes().replace(b",", b";")), "semicolons"),
        (
            lambda f: _break(
                f, "events.csv", (f / "events.csv").read_bytes() + b'x,diplomatic,2024-01-01,,"open quote\n'
            ),
            "never closed",
        ),
        (lambda f: _break(f, "zones.geojson", b"{not json"), "not valid JSON"),
        (lambda f: _break(f, "zones.geojson", b'{"type": "Feature"}'), "FeatureCollection"),
    ],
    ids=["missing", "empty", "latin-1", "semicolons", "broken-quote", "zones-not-json", "zones-not-collection"],
)
def test_each_broken_file_is_explained_on_the_page(data_copy, monkeypatch, breakage, expected):
    breakage(data_copy)
    at = run_app(data_dir=data_copy, monkeypatch=monkeypatch)
    assert at.error, "no error box"
    problems = " ".join(at.dataframe[0].value["problem"])
    assert expected in problems, problems


def test_a_source_without_a_link_is_named(data_copy, monkeypatch):
    """ACLED and GDELT's backfiles give no link per event: the panel names the source instead."""
    events = data_copy / "events.csv"
    text = events.read_text(encoding="utf-8").replace("https://english.president.gov.tw/News/6851", "", 1)
    events.write_text(text, encoding="utf-8")
    at = run_app({"event": "lai-2024-honolulu"}, data_dir=data_copy, monkeypatch=monkeypatch)
    assert not at.get("link_button")
    assert any("(no link published)" in m.value and "**Source:**" in m.value for m in at.markdown)
