"""End-to-end: the real dashboard in headless Chromium, with every request off 127.0.0.1 blocked.

Each scenario saves a full-page screenshot under screenshots/ (ignored by git) for a person to look at.
"""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from browser_support import SCREENSHOTS, TIMEOUT_MS, Watched, dashboard_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url():
    SCREENSHOTS.mkdir(exist_ok=True)
    with dashboard_server() as server:
        yield server.url


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1500, "height": 2300}, accept_downloads=True)
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()
    watched.check_clean()


def test_map_shows_route_zones_and_markers(page):
    page.open("?start=2024-05-01&end=2024-12-31")
    frame = page.map()
    assert frame.locator(".dm-stop").count() == 7, "seven numbered tour stops"
    assert frame.locator(".dm-dot-icon").count() > 10
    assert frame.locator("path.leaflet-interactive").count() >= 6 + 15  # 6 legs, 15 zones of the two 2024 drills
    # the offline basemap's countries, in a pane under the events so that land never covers them
    assert frame.locator(".leaflet-dmBasemap-pane path").count() > 50
    assert frame.locator(".leaflet-dmBasemap-pane").evaluate("p => getComputedStyle(p).zIndex") == "250"
    assert frame.locator(".dm-legend").inner_text().startswith("Legend")
    box = frame.locator(".leaflet-container").bounding_box()
    assert box["width"] > 500 and box["height"] > 500
    page.shot("01-map-overview")


def test_clicking_the_honolulu_stop_shows_its_details(page):
    page.open("?start=2024-11-28&end=2024-12-12")
    page.map().locator(".dm-stop-label", has_text=re.compile(r"^2$")).click()
    page.page.get_by_text("Transit stopover in Honolulu, Hawaii").first.wait_for(timeout=TIMEOUT_MS)
    link = page.page.get_by_role("link", name=re.compile("^Source:"))
    assert link.get_attribute("href") == "https://english.president.gov.tw/News/6851"
    assert link.get_attribute("target") == "_blank"
    page.page.wait_for_function("() => location.search.includes('event=lai-2024-honolulu')", timeout=TIMEOUT_MS)
    page.wait_until(lambda: page.map().locator("path[stroke='#ff8f00']").count() == 1,
                    "the selection is not highlighted on the map")
    page.shot("02-honolulu-selected")


def test_keyboard_on_the_slider_changes_count_and_map(page):
    page.open()
    shown, total = page.summary()
    assert shown == total
    markers_before = page.map().locator(".leaflet-marker-icon").count()
    end_thumb = page.page.locator('[data-testid="stSlider"] input[type="range"]').nth(1)
    end_thumb.focus()
    for _ in range(3):
        end_thumb.press("PageDown")  # a big step back for the end of the range
    page.wait_for_summary(lambda s: s[0] < total)
    page.wait_until(lambda: page.map().locator(".leaflet-marker-icon").count() < markers_before,
                    "the map still draws every marker")
    assert "end" in page.query()
    page.shot("03-slider-moved")


def test_shared_url_reproduces_the_view(page):
    page.open("?start=2024-11-30&end=2024-12-06&types=tour_stop&event=lai-2024-palau")
    assert page.summary() == (7, 55)
    page.page.get_by_text("Koror, Palau").first.wait_for(timeout=TIMEOUT_MS)
    frame = page.map()
    assert frame.locator(".dm-stop").count() == 7 and frame.locator(".dm-dot-icon").count() == 0
    page.wait_until(lambda: page.map().locator("path[stroke='#ff8f00']").count() == 1,
                    "the linked event is not highlighted on the map")
    assert page.query() == {"start": "2024-11-30", "end": "2024-12-06", "types": "tour_stop", "event": "lai-2024-palau"}
    page.shot("04-shared-link")


def test_selecting_a_table_row_selects_the_event_on_the_map(page):
    page.open("?start=2024-11-30&end=2024-12-06&types=tour_stop")
    grid = page.page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # Row 3 (Majuro) of the canvas grid: header ~35 px, rows ~35 px; the selection column is at the left.
    page.page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * 2 + 17)
    page.page.wait_for_function("() => location.search.includes('event=lai-2024-majuro')", timeout=TIMEOUT_MS)
    page.page.get_by_text("State visit to the Marshall Islands (Majuro)").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_until(lambda: page.map().locator("path[stroke='#ff8f00']").count() == 1,
                    "the selection is not highlighted on the map")
    page.shot("05-table-selection")


def test_play_advances_the_date(page):
    page.open("?start=2024-11-29&end=2024-11-29")
    shown_before, _ = page.summary()
    page.page.get_by_role("button", name=re.compile("Play")).click()
    page.page.wait_for_function("() => new URLSearchParams(location.search).get('end') >= '2024-12-01'",
                                timeout=TIMEOUT_MS)
    page.page.get_by_role("button", name=re.compile("Pause")).click()
    page.wait_for_map()
    assert page.query()["end"] >= "2024-12-01"
    assert page.summary()[0] > shown_before, "the tour's first days came into view"
    page.shot("06-playing")


def test_downloads_parse(page):
    page.open("?start=2024-11-30&end=2024-12-06")
    shown, _ = page.summary()
    files = {}
    for label in ("Download CSV", "Download GeoJSON", "Download map (HTML)"):
        with page.page.expect_download(timeout=TIMEOUT_MS) as info:
            page.page.get_by_role("button", name=label).click()
        files[label] = open(info.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(files["Download CSV"])))
    assert len(rows) == shown and rows[0]["source_url"].startswith("http")
    collection = json.loads(files["Download GeoJSON"])
    assert collection["type"] == "FeatureCollection"
    kinds = {f["properties"]["kind"] for f in collection["features"]}
    assert kinds == {"event", "route_leg"}
    html = files["Download map (HTML)"]
    assert "L.map(" in html and not re.search(r'<script[^>]+src=', html)
    page.shot("07-downloads")
