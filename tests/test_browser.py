"""End-to-end: the real dashboard in headless Chromium, with every request off 127.0.0.1 blocked.

Each scenario saves a full-page screenshot under screenshots/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from browser_support import SCREENSHOTS, TIMEOUT_MS, Watched, dashboard_server, serious_accessibility_problems

pytestmark = pytest.mark.browser
ALIVE = "() => window.__alive === 'still the same map'"
SELECTED_RING = ".dm-ring-icon"


@pytest.fixture(scope="module")
def base_url():
    SCREENSHOTS.mkdir(exist_ok=True)
    with dashboard_server() as server:
        yield server.url


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()
    watched.check_clean()


def end_thumb(page):
    return page.page.locator('[data-testid="stSlider"] input[type="range"]').nth(1)


def click_table_row(page, row: int):
    grid = page.page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The canvas grid: header ~35 px, rows ~35 px; the selection column is at the left.
    page.page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)


def test_map_shows_route_zones_and_markers(page):
    page.open("?start=2024-05-01&end=2024-12-31")
    frame = page.map()
    assert frame.locator(".dm-stop").count() == 7, "seven numbered tour stops"
    drawn = page.painted()["count"]
    assert frame.locator(".dm-stop").count() + frame.locator(".dm-dot-icon").count() == drawn
    assert frame.locator("path.leaflet-interactive").count() == 6 + 15  # legs, zones of the two 2024 drills
    # the offline basemap's land, painted on one canvas: count the pixels of the land colour
    land = frame.locator(".leaflet-dmBasemap-pane canvas").evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 0xf3 && d[i + 1] === 0xef && d[i + 2] === 0xe6) n++;
        return n / (c.width * c.height); }""")
    assert 0.05 < land < 0.9, f"{land:.0%} of the basemap canvas is land"
    assert frame.locator(".leaflet-dmBasemap-pane").evaluate("p => getComputedStyle(p).zIndex") == "250"
    assert frame.locator(".dm-legend").inner_text().startswith("Legend")
    box = frame.locator(".leaflet-container").bounding_box()
    assert box["width"] > 500 and box["height"] > 500
    scripts = page.map_frame().evaluate("() => [...document.scripts].map(s => s.src).filter(Boolean)")
    assert not [s for s in scripts if re.search("jquery|bootstrap|awesome", s, re.I)], scripts
    page.shot("01-map-overview")


def test_the_map_is_never_remounted(page):
    """A date change, filters, a search, a Play tick, a table selection and a click all update the living
    map: a value set on its window survives them all."""
    page.open()
    page.map_frame().evaluate("() => { window.__alive = 'still the same map'; }")
    painted = page.painted()

    end_thumb(page).focus()
    end_thumb(page).press("PageDown")
    painted = page.wait_for_map(after=painted)
    assert page.map_frame().evaluate(ALIVE), "a date change remounted the map"

    page.page.get_by_label("Search titles, descriptions and places").fill("Guam")
    page.page.get_by_label("Search titles, descriptions and places").press("Enter")
    painted = page.wait_for_map(after=painted)
    assert page.summary()[0] == painted["count"] and page.map_frame().evaluate(ALIVE), "a search remounted it"
    page.page.get_by_label("Search titles, descriptions and places").fill("")
    page.page.get_by_label("Search titles, descriptions and places").press("Enter")
    painted = page.wait_for_map(after=painted)

    page.page.get_by_role("combobox").first.click()  # event types
    page.page.get_by_role("option", name="Arms sale").click()
    page.page.keyboard.press("Escape")
    painted = page.wait_for_map(after=painted)
    assert page.map().locator(".dm-stop").count() == 0 and page.map_frame().evaluate(ALIVE), "a type filter"

    page.page.get_by_role("button", name=re.compile("Play")).click()
    painted = page.wait_for_map(after=painted)
    page.page.get_by_role("button", name=re.compile("Pause")).click()
    page.page.get_by_role("button", name=re.compile("Play")).wait_for(timeout=TIMEOUT_MS)  # really paused
    assert page.map_frame().evaluate(ALIVE), "a Play tick remounted the map"

    painted = page.wait_for_map()
    click_table_row(page, 0)
    page.map().locator(SELECTED_RING).wait_for(timeout=TIMEOUT_MS)
    page.map().locator(".dm-card-popup a.dm-source").wait_for(timeout=TIMEOUT_MS)
    assert page.map_frame().evaluate(ALIVE), "a table selection remounted the map"

    selected = page.query()["event"]
    page.map().locator(".leaflet-popup-close-button").click()
    page.map().locator(".dm-dot-icon").last.click()
    page.page.wait_for_function(
        "(e) => location.search.includes('event=') && !location.search.includes(e)", arg=selected, timeout=TIMEOUT_MS
    )
    page.page.wait_for_timeout(800)  # the click's rerun has come and gone
    assert page.map_frame().evaluate(ALIVE), "a click remounted the map"
    assert page.page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 1
    page.shot("02-map-kept")


def test_a_click_answers_in_the_map_then_the_page_follows(page):
    page.open("?start=2024-11-28&end=2024-12-12")
    page.map().locator(".dm-stop-label", has_text=re.compile(r"^2$")).click()
    card = page.map().locator(".dm-card-popup")
    card.locator("a.dm-source").wait_for(timeout=2000)  # drawn by the map itself, no round trip
    assert card.locator(".dm-title").inner_text() == "Transit stopover in Honolulu, Hawaii"
    assert "Tour stop · 30 Nov – 2 Dec 2024 (local date)" in card.inner_text()
    assert "Approximate position" not in card.inner_text() or "near a place" in card.inner_text()
    link = card.locator("a.dm-source")
    assert link.get_attribute("href") == "https://english.president.gov.tw/News/6851"
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert page.map().locator(SELECTED_RING).count() == 1

    page.page.get_by_role("heading", name="Transit stopover in Honolulu, Hawaii").wait_for(timeout=TIMEOUT_MS)
    panel_link = page.page.get_by_role("link", name=re.compile("^Source:"))
    assert panel_link.get_attribute("href") == "https://english.president.gov.tw/News/6851"
    page.page.wait_for_function("() => location.search.includes('event=lai-2024-honolulu')", timeout=TIMEOUT_MS)
    page.page.wait_for_timeout(800)
    assert card.count() == 1, "the card the click opened was closed by the rerun that followed it"
    page.shot("03-honolulu-selected")


def test_keyboard_on_the_slider_changes_count_and_map(page):
    painted = page.open().painted()
    shown, total = page.summary()
    assert shown == total == painted["count"]
    end_thumb(page).focus()
    for _ in range(3):
        end_thumb(page).press("PageDown")  # a big step back for the end of the range
    page.wait_for_summary(lambda s: s[0] < total)
    painted = page.wait_for_map(after=painted)
    page.wait_until(lambda: page.painted()["count"] == page.summary()[0], "the map and the summary disagree")
    drawn = page.map().locator(".dm-stop").count() + page.map().locator(".dm-dot-icon").count()
    assert drawn == page.summary()[0]
    assert "end" in page.query()
    page.shot("04-slider-moved")


def test_shared_url_reproduces_the_view(page):
    page.open("?start=2024-11-30&end=2024-12-06&types=tour_stop&event=lai-2024-palau")
    assert page.summary() == (7, 55)
    page.page.get_by_text("Koror, Palau").first.wait_for(timeout=TIMEOUT_MS)
    frame = page.map()
    assert frame.locator(".dm-stop").count() == 7 and frame.locator(".dm-dot-icon").count() == 0
    frame.locator(SELECTED_RING).wait_for(timeout=TIMEOUT_MS)
    assert "Palau" in frame.locator(".dm-card-popup").inner_text()
    assert page.query() == {"start": "2024-11-30", "end": "2024-12-06", "types": "tour_stop", "event": "lai-2024-palau"}
    page.shot("05-shared-link")


def test_selecting_a_table_row_selects_the_event_on_the_map(page):
    page.open("?start=2024-11-30&end=2024-12-06&types=tour_stop")
    click_table_row(page, 2)  # Majuro
    page.page.wait_for_function("() => location.search.includes('event=lai-2024-majuro')", timeout=TIMEOUT_MS)
    page.page.get_by_role("heading", name="State visit to the Marshall Islands (Majuro)").wait_for(timeout=TIMEOUT_MS)
    page.map().locator(SELECTED_RING).wait_for(timeout=TIMEOUT_MS)
    page.wait_until(
        lambda: "Majuro" in page.map().locator(".dm-card-popup").inner_text(timeout=1000),
        "the map does not show the table's selection",
    )
    page.shot("06-table-selection")


def test_play_advances_the_date(page):
    page.open("?start=2024-11-29&end=2024-11-29")
    shown_before, _ = page.summary()
    page.page.get_by_role("button", name=re.compile("Play")).click()
    page.page.wait_for_function(
        "() => new URLSearchParams(location.search).get('end') >= '2024-12-01'", timeout=TIMEOUT_MS
    )
    page.page.get_by_role("button", name=re.compile("Pause")).click()
    page.wait_for_map()
    assert page.query()["end"] >= "2024-12-01"
    assert page.summary()[0] > shown_before, "the tour's first days came into view"
    page.shot("07-playing")


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
    assert {f["properties"]["kind"] for f in collection["features"]} == {"event", "route_leg"}
    html = files["Download map (HTML)"]
    assert "L.map(" in html and not re.search(r"<script[^>]+src=", html)
    page.shot("08-downloads")


@pytest.mark.parametrize(
    "name, viewport, mobile",
    [("laptop", {"width": 1440, "height": 900}, False), ("phone", {"width": 390, "height": 844}, True)],
)
def test_the_map_is_in_the_first_screen(browser, base_url, name, viewport, mobile):
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
    page = Watched(context.new_page(), base_url)
    try:
        page.open()
        box = page.page.locator('iframe[title="streamlit_folium.st_folium"]').last.bounding_box()
        summary = page.page.get_by_text(re.compile(r"\d+ of \d+ events")).first.bounding_box()
        slider = page.page.locator('[data-testid="stSlider"]').first.bounding_box()
        assert summary["y"] + summary["height"] <= box["y"] and slider["y"] + slider["height"] <= box["y"]
        if name == "laptop":
            assert box["y"] <= 250 and box["height"] >= 550, box
            assert page.page.locator("h1").first.bounding_box()["height"] < 50, "the title takes more than a line"
        else:
            assert box["y"] <= 420 and box["width"] >= viewport["width"] - 40, box
            assert not page.map().locator(".dm-legend-rows").is_visible(), "the legend hides stops on a phone"
            page.map().locator(".dm-legend-title").click()
            assert page.map().locator(".dm-legend-rows").is_visible()
        # The first frame is the tour and the Strait; the far-off arms sales are counted, one click away
        outside = page.map().locator(".dm-outside")
        assert re.match(r"\d+ events? outside the map", outside.inner_text())
        assert page.map().locator(".dm-stop").count() == 7
        outside.click()
        page.wait_until(lambda: not outside.is_visible(), "'show all' did not bring every event into view")
        page.shot(f"11-first-screen-{name}")
    finally:
        context.close()
    page.check_clean()


def test_a_story_steps_through_the_route(page):
    page.open("?story=lai-pacific-2024&step=2")
    page.page.get_by_role("heading", name="Transit stopover in Honolulu, Hawaii").wait_for(timeout=TIMEOUT_MS)
    page.page.get_by_text("landed on the same calendar date it left").wait_for(timeout=TIMEOUT_MS)
    card = page.map().locator(".dm-card-popup").last
    page.wait_until(lambda: "Honolulu" in card.inner_text(timeout=1000), "the map did not fly to the stop")
    page.page.keyboard.press("ArrowRight")
    page.page.wait_for_function("() => location.search.includes('step=3')", timeout=TIMEOUT_MS)
    page.page.get_by_role("heading", name="State visit to the Marshall Islands (Majuro)").wait_for(timeout=TIMEOUT_MS)
    page.page.get_by_text("the calendar jumped a day ahead").wait_for(timeout=TIMEOUT_MS)
    page.page.get_by_text(re.compile(r"Also on 3 Dec 2024")).wait_for(timeout=TIMEOUT_MS)
    page.map().locator("path[stroke-width='6']").wait_for(timeout=TIMEOUT_MS)  # the leg just flown
    page.wait_until(lambda: "Majuro" in card.inner_text(timeout=1000), "the card did not follow the story")
    page.shot("12-story-step-3")
    page.page.keyboard.press("ArrowLeft")
    page.page.wait_for_function("() => location.search.includes('step=2')", timeout=TIMEOUT_MS)
    page.page.get_by_role("button", name="Close story").click()
    page.page.wait_for_function("() => !location.search.includes('story=')", timeout=TIMEOUT_MS)


def test_a_broken_story_link_falls_back_with_a_notice(page):
    page.open("?story=lai-pacific-2024&step=99")
    page.page.get_by_text("is not a stop of this story").wait_for(timeout=TIMEOUT_MS)
    page.page.wait_for_function("() => location.search.includes('step=1')", timeout=TIMEOUT_MS)


@pytest.mark.parametrize(
    "query", ["", "?event=arms-2024-11-imse", "?story=lai-pacific-2024&step=3"], ids=["default", "selected", "story"]
)
def test_no_serious_accessibility_problem(page, query):
    page.open(query)
    page.page.wait_for_timeout(1500)  # the story's flight and the card
    problems = serious_accessibility_problems(page.page) + serious_accessibility_problems(page.map_frame())
    assert problems == []


def test_the_map_works_from_the_keyboard_and_names_what_it_shows(page):
    page.open("?start=2024-11-28&end=2024-12-12")
    frame = page.map()
    stop = frame.locator("[role=button][aria-label^='Stop 2. Tour stop: Transit stopover in Honolulu']")
    assert stop.get_attribute("tabindex") == "0"
    assert "30 Nov – 2 Dec 2024" in stop.get_attribute("aria-label")
    stop.focus()
    stop.press("Enter")
    frame.locator(".dm-card-popup a.dm-source").wait_for(timeout=TIMEOUT_MS)
    page.page.get_by_role("heading", name="Transit stopover in Honolulu, Hawaii").wait_for(timeout=TIMEOUT_MS)
    leg = frame.locator("path[role=button][aria-label^='Leg 2: Honolulu, Hawaii → Majuro']")
    assert leg.count() == 1 and "km (geodesic)" in leg.get_attribute("aria-label")
    leg.focus()
    leg.press("Enter")
    page.wait_until(
        lambda: "Leg 2" in frame.locator(".dm-card-popup").last.inner_text(timeout=1000),
        "Enter on a leg does not open its card",
    )
    # type is never told by colour alone: each type has its own shape, on the map and in the legend
    page.open()
    for shape in ("square", "diamond", "circle"):
        assert frame.locator(f".dm-dot.dm-shape-{shape}").count() > 0, shape
        assert frame.locator(f".dm-legend .dm-swatch-{shape}").count() >= 1, shape
