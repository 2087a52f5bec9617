"""Many users at once, the short version of `python -m bench.load`, and proof that its checks can fail.

The load generator computes what each session's page should show from the data files itself; a page
that ignores the date filter, or shows another event's details, must be reported: a small stand-in page
with the same contract, and the real page run with its date filter switched off.
"""

from pathlib import Path

import pytest
from browser_support import SCREENSHOTS, dashboard_server

from bench.load import Expectations, run_load, server_log_errors

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "data"
SESSIONS, SECONDS, MIN_CHANGES = 20, 6, 3
QUICK_THINK = (0.05, 0.2)  # the checker's own tests: pages to check, not readers to imitate

# A small stand-in for the dashboard's page with the same contract (widget keys, summary, details panel,
# map click value); each flag breaks one thing the load generator must notice.
STAND_IN_PAGE = """
import json
import pandas as pd
import folium
import streamlit as st
from streamlit_folium import st_folium

IGNORE_DATES, OTHER_EVENT = {ignore_dates}, {other_event}
events = pd.read_csv({data!r} + "/events.csv", dtype=str, keep_default_na=False)
start_day = pd.to_datetime(events["start_date"])
end_day = pd.to_datetime(events["end_date"].where(events["end_date"] != "", events["start_date"]))
first, last = start_day.min().date(), end_day.max().date()
start, end = st.slider("Dates", first, last, (first, last), key="date_range")
search = st.text_input("Search", key="search").strip().lower()
keep = (end_day >= pd.Timestamp(start)) & (start_day <= pd.Timestamp(end))
if IGNORE_DATES:
    keep[:] = True
if search:
    keep &= events[["title", "description", "location"]].apply(lambda c: c.str.lower().str.contains(search, regex=False)).any(axis=1)
st.markdown(f"**{{int(keep.sum())}} of {{len(events)}} events** · {{start}} – {{end}}")
value = st_folium(folium.Map(), key="map", returned_objects=["last_active_drawing"])
drawing = (value or {{}}).get("last_active_drawing") or {{}}
if drawing:
    st.session_state["selected"] = int(drawing["properties"]["row"])
row = st.session_state.get("selected")
if row is not None and keep.iloc[row]:
    event = events.iloc[(row + 1) % len(events) if OTHER_EVENT else row]
    st.markdown("#### " + event["title"].replace("-", "\\\\-").replace(".", "\\\\."))
    st.link_button("Source ↗", event["source_url"])
"""


# The real dashboard with the date filter switched off: its own server file, pointing st.App at a page
# that patches dashboard.filters.apply_filters (which every view goes through) and then runs page.py.
DATELESS_APP = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
import streamlit as st
from dashboard import serving
app = st.App(str(Path(__file__).with_name("dateless_page.py")), routes=serving.routes())
"""
DATELESS_PAGE = """
import dataclasses, runpy, sys
sys.path.insert(0, {repo!r})
from dashboard import queries
if not hasattr(queries, "real_matching"):  # every query of the events filters through queries.matching
    queries.real_matching = queries.matching
    queries.matching = lambda state, *args: queries.real_matching(
        dataclasses.replace(state, start=None, end=None), *args)
runpy.run_path({page!r}, run_name="__main__")
"""


@pytest.fixture(autouse=True)
def no_reloads(monkeypatch):
    """A source file saved during the run must not make Streamlit reload modules under the sessions."""
    monkeypatch.setenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")


def stand_in(tmp_path: Path, ignore_dates=False, other_event=False) -> str:
    page = tmp_path / f"page_{int(ignore_dates)}{int(other_event)}.py"
    page.write_text(STAND_IN_PAGE.format(data=str(BUNDLED), ignore_dates=ignore_dates, other_event=other_event))
    return str(page)


def test_expectations_from_the_data_files():
    expect = Expectations(BUNDLED)
    assert expect.count(expect.first_day, expect.last_day, "") == expect.total == 55
    # Lai's Pacific tour, 30 Nov - 6 Dec 2024: every stop overlaps those dates
    tour = {expect.ids[i] for i in expect.in_view(expect.first_day, expect.last_day, "Honolulu")}
    assert "lai-2024-honolulu" in tour
    assert expect.count(expect.first_day, expect.last_day, "zzq-no-such-text") == 0


@pytest.mark.parametrize(
    "broken, what",
    [({"ignore_dates": True}, "events, page shows"), ({"other_event": True}, "details")],
    ids=["page-ignores-dates", "page-shows-another-event"],
)
def test_the_checks_catch_a_wrong_page(tmp_path, broken, what):
    with dashboard_server(script=stand_in(tmp_path, **broken), log_path=tmp_path / "server.log") as server:
        report = run_load(server.url, sessions=3, seconds=1, data_dir=BUNDLED, min_changes=8, think=QUICK_THINK)
    assert not report.errors, report.errors
    assert report.mismatches, "a wrong page passed the load checks"
    assert any(what in m for m in report.mismatches), report.mismatches[:3]


def test_the_checks_catch_the_real_page_ignoring_dates(tmp_path):
    (tmp_path / "dateless_app.py").write_text(DATELESS_APP.format(repo=str(REPO)))
    (tmp_path / "dateless_page.py").write_text(
        DATELESS_PAGE.format(repo=str(REPO), page=str(REPO / "dashboard" / "page.py"))
    )
    log = tmp_path / "server.log"
    with dashboard_server(script=str(tmp_path / "dateless_app.py"), log_path=log) as server:
        report = run_load(server.url, sessions=2, seconds=1, data_dir=BUNDLED, min_changes=8, think=QUICK_THINK)
    assert not report.errors, report.errors
    assert not server_log_errors(log), server_log_errors(log)[:5]
    assert any("events, page shows [(55, 55)]" in m for m in report.mismatches), report.mismatches[:3]


def test_the_checks_pass_a_right_page(tmp_path):
    with dashboard_server(script=stand_in(tmp_path), log_path=tmp_path / "server.log") as server:
        report = run_load(server.url, sessions=3, seconds=1, data_dir=BUNDLED, min_changes=8, think=QUICK_THINK)
    assert not report.errors, report.errors
    assert not report.mismatches, report.mismatches[:3]
    assert report.selections_checked > 0, "no page was checked for its selected event"


def test_twenty_sessions_keep_to_their_own_state(tmp_path):
    log = tmp_path / "server.log"
    with dashboard_server(log_path=log) as server:
        report = run_load(server.url, sessions=SESSIONS, seconds=SECONDS, data_dir=BUNDLED, min_changes=MIN_CHANGES)
    assert not report.errors, report.errors
    assert not report.mismatches, report.mismatches[:5]
    assert not server_log_errors(log), server_log_errors(log)[:5]
    assert len(report.checked) == SESSIONS
    assert min(report.checked.values()) >= MIN_CHANGES, f"some session made too few checked changes: {report.checked}"
    assert report.selections_checked >= SESSIONS // 2, "too few pages were checked for their session's selected event"
    assert report.percentile(95) < 30, "a change took longer than 30 s under load"
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "load-test.txt").write_text(
        f"{report.changes} checked changes, p50 {report.percentile(50):.2f} s, p95 {report.percentile(95):.2f} s\n"
    )
