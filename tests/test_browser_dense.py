"""Thousands of events: the map draws canvas dots, a click picks the nearest dot and the map fetches that one
event's card from the server; the page then selects exactly that event."""

from __future__ import annotations

import csv
import random
import re
import shutil

import pytest
from browser_support import REPO, SCREENSHOTS, TIMEOUT_MS, Watched, dashboard_server

from dashboard.map_builder import RICH_LIMIT
from dashboard.schema import EVENT_COLUMNS

pytestmark = pytest.mark.browser
EVENTS = 3_000
TARGET = {
    "event_id": "target-dot",
    "title": "The one dot off the Australian coast",
    "latitude": -25.0,
    "longitude": 135.0,
    "source_url": "https://example.org/target",
    "source_name": "Example source",
}


@pytest.fixture(scope="module")
def dense_url(tmp_path_factory):
    folder = dense_folder(tmp_path_factory)
    SCREENSHOTS.mkdir(exist_ok=True)
    with dashboard_server(folder) as server:
        yield server.url


def dense_folder(tmp_path_factory):
    """A data folder of 3,000 seeded events near Taiwan and one far away from every other."""
    folder = tmp_path_factory.mktemp("dense") / "data"
    folder.mkdir()
    shutil.copy(REPO / "data" / "locations.csv", folder / "locations.csv")
    rng = random.Random(7)
    names = [c.name for c in EVENT_COLUMNS]
    rows = []
    for i in range(EVENTS):
        rows.append(
            {
                "event_id": f"e{i}",
                "event_type": rng.choice(["diplomatic", "arms_sale", "military_drill"]),
                "start_date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "title": f"Event {i}",
                "location": "Taiwan Strait",
                "latitude": round(rng.uniform(18, 30), 4),
                "longitude": round(rng.uniform(112, 128), 4),
                "source_url": f"https://example.org/{i}",
                "geo_precision": "1",
            }
        )
    rows.append(
        {
            **TARGET,
            "event_type": "diplomatic",
            "start_date": "2024-06-01",
            "location": "Australia",
            "geo_precision": "1",
        }
    )
    with open(folder / "events.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, names, lineterminator="\n")
        writer.writeheader()
        writer.writerows({name: row.get(name, "") for name in names} for row in rows)
    return folder


def test_a_click_on_a_dense_dot_selects_exactly_that_event(browser, dense_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    page = Watched(context.new_page(), dense_url)
    try:
        painted = page.open().painted()
        assert painted["count"] == EVENTS + 1 > RICH_LIMIT
        assert page.map().locator("canvas.dm-dots").count() == 3, "one canvas per event type"
        assert page.map().locator(".dm-dot-icon").count() == 0
        point = page.map_frame().evaluate(
            "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            [TARGET["latitude"], TARGET["longitude"]],
        )
        box = page.page.locator('iframe[title="streamlit_folium.st_folium"]').last.bounding_box()
        page.page.mouse.click(box["x"] + point[0] + 2, box["y"] + point[1] - 2)  # a near miss still picks it
        card = page.map().locator(".dm-card-popup")
        card.locator("a.dm-source").wait_for(timeout=TIMEOUT_MS)
        assert card.locator(".dm-title").inner_text() == TARGET["title"]
        assert card.locator("a.dm-source").get_attribute("href") == TARGET["source_url"]
        page.page.get_by_role("heading", name=TARGET["title"]).wait_for(timeout=TIMEOUT_MS)
        page.page.wait_for_function("() => location.search.includes('event=target-dot')", timeout=TIMEOUT_MS)
        page.shot("10-dense-click")
        # Empty sea picks nothing: no card, the selection stays
        page.map().locator(".leaflet-popup-close-button").click()
        page.page.mouse.click(box["x"] + point[0] + 60, box["y"] + point[1] + 60)
        page.page.wait_for_timeout(600)
        assert card.count() == 0 and re.search("event=target-dot", page.page.url)
    finally:
        context.close()
    page.check_clean()
