"""Hostile text in every text field is shown as text: nothing in it runs, no link leaves http(s).

A data folder whose titles, descriptions, notes, places, actors, source names and zone notes carry
script tags, event-handler attributes, javascript: links and quotes that try to break out of HTML
attributes and JavaScript strings; the test clicks through markers and table rows and then checks
that no payload ran (in the page, the map's iframe, or the downloaded HTML map).
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from browser_support import REPO, SCREENSHOTS, TIMEOUT_MS, Watched, dashboard_server
from dashboard.config import load_settings
from dashboard.loading import load_dataset

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '"><svg onload="window.__pwned = 3">',
    "');window.__pwned = 4;//",
    '`;window.__pwned = 5;`',
    "[click me](javascript:window.__pwned=6)",
    '<a href="javascript:window.__pwned=7">link</a>',
    "</script><script>window.__pwned = 8</script>",
    ":red[styled] $x^2$ **bold** {{7*7}}",
]
TEXT_COLUMNS = ("title", "description", "notes", "location", "actor", "source_name")
RUN_CHECK = "() => window.__pwned === undefined"


def hostile_folder(target: Path) -> Path:
    """The bundled data with every text field replaced by payloads (coordinates made explicit)."""
    shutil.copytree(REPO / "data", target, ignore=shutil.ignore_patterns("README.md"))
    events = load_dataset(load_settings(REPO / "data")).events
    rows = list(csv.DictReader(io.StringIO((target / "events.csv").read_text(encoding="utf-8"))))
    coords = events.set_index("event_id")[["latitude", "longitude"]]
    for i, row in enumerate(rows):
        for j, column in enumerate(TEXT_COLUMNS):
            row[column] = f"{column} {i}: " + PAYLOADS[(i + j) % len(PAYLOADS)]
        row["latitude"], row["longitude"] = coords.loc[row["event_id"]]
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (target / "events.csv").write_text(out.getvalue(), encoding="utf-8")
    zones = json.loads((target / "zones.geojson").read_text(encoding="utf-8"))
    for i, feature in enumerate(zones["features"]):
        feature["properties"]["name"] = PAYLOADS[i % len(PAYLOADS)]
        feature["properties"]["note"] = PAYLOADS[(i + 3) % len(PAYLOADS)]
    (target / "zones.geojson").write_text(json.dumps(zones), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    SCREENSHOTS.mkdir(exist_ok=True)
    folder = hostile_folder(tmp_path_factory.mktemp("hostile") / "data")
    with dashboard_server(folder) as server:
        yield server.url


def assert_nothing_ran(page: Watched):
    for frame in page.page.frames:
        assert frame.evaluate(RUN_CHECK), f"a payload ran in {frame.url}"
    for frame in page.page.frames:
        for href in frame.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"):
            assert re.match(r"https?://", href) or href.startswith("about:"), f"a link points at {href!r}"


def test_hostile_text_is_shown_as_text(browser, hostile_server):
    context = browser.new_context(viewport={"width": 1500, "height": 2300}, accept_downloads=True)
    page = Watched(context.new_page(), hostile_server)
    try:
        page.open("?start=2024-11-28&end=2024-12-12")
        frame = page.map()
        markers = frame.locator(".dm-stop, .dm-dot-icon")
        count = markers.count()
        assert count >= 20
        for i in range(0, count, 3):  # DOM events: some dots sit under a numbered stop at this zoom
            markers.nth(i).dispatch_event("mouseover")
            markers.nth(i).dispatch_event("click")
            page.page.wait_for_timeout(400)
        page.wait_until(lambda: page.page.get_by_text("<script>window.__pwned = 1</script>", exact=False).count() > 0
                        or page.page.get_by_text("onerror=", exact=False).count() > 0,
                        "the payloads are not shown as text in the details panel")
        zone = frame.locator("path.leaflet-interactive[stroke='#b3261e']")
        if zone.count():
            zone.first.hover(force=True)
        grid = page.page.locator('[data-testid="stDataFrame"]').first
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        for row in range(3):
            page.page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)
            page.page.wait_for_timeout(800)
        page.wait_for_map()
        page.shot("08-hostile-text")
        assert_nothing_ran(page)
        link = page.page.get_by_role("link", name=re.compile("^Source:"))
        assert re.match(r"https?://", link.get_attribute("href"))

        with page.page.expect_download(timeout=TIMEOUT_MS) as info:
            page.page.get_by_role("button", name="Download map (HTML)").click()
        standalone = context.new_page()
        standalone.on("dialog", lambda d: (page.errors.append("dialog in the HTML map"), d.dismiss()))
        standalone.on("console", lambda m: page.errors.append(f"HTML map console: {m.text}") if m.type == "error" else None)
        standalone.on("pageerror", lambda e: page.errors.append(f"HTML map error: {e}"))
        standalone.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        saved = SCREENSHOTS / "hostile-map.html"
        info.value.save_as(saved)
        standalone.goto(saved.as_uri())
        standalone.locator(".dm-stop").first.wait_for(timeout=TIMEOUT_MS, state="attached")
        for i in range(min(10, standalone.locator(".dm-stop, .dm-dot-icon").count())):
            standalone.locator(".dm-stop, .dm-dot-icon").nth(i).dispatch_event("mouseover")
        assert standalone.evaluate(RUN_CHECK), "a payload ran in the downloaded HTML map"
        assert "<script>window.__pwned" in standalone.locator(".leaflet-tooltip").last.inner_text() or \
            standalone.locator(".leaflet-tooltip").count() > 0
    finally:
        context.close()
    page.check_clean()
