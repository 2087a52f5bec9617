"""Hostile text in every text field is shown as text: nothing in it runs, no link leaves http(s).

A data folder whose titles, descriptions, notes, places, actors, source names and zone notes carry
script tags, event-handler attributes, javascript: links and quotes that try to break out of HTML
attributes and JavaScript strings; the test clicks through markers and table rows and then checks
that no payload ran (in the page, the map's iframe, or the downloaded HTML map) and that Markdown,
Streamlit's :red[] and $math$ syntax are shown literally, in the details panel and in the map's card.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from browser_support import REPO, SCREENSHOTS, TIMEOUT_MS, Watched, dashboard_server

from dashboard.config import load_settings
from dashboard.filters import FilterState, select_view
from dashboard.loading import load_dataset

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '"><svg onload="window.__pwned = 3">',
    "');window.__pwned = 4;//",
    "`;window.__pwned = 5;`",
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
def hostile_server_folder(tmp_path_factory):
    return hostile_folder(tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="module")
def hostile_server(hostile_server_folder):
    SCREENSHOTS.mkdir(exist_ok=True)
    with dashboard_server(hostile_server_folder) as server:
        yield server.url


def assert_nothing_ran(page: Watched):
    for frame in page.page.frames:
        assert frame.evaluate(RUN_CHECK), f"a payload ran in {frame.url}"
    for frame in page.page.frames:
        for href in frame.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"):
            assert re.match(r"https?://", href) or href.startswith("about:"), f"a link points at {href!r}"


RANGE = (date(2024, 10, 1), date(2024, 12, 12))  # the tour and Joint Sword-2024B, whose zones are drawn
MARKDOWN = PAYLOADS[-1]


@pytest.fixture(scope="module")
def hostile_events(hostile_server_folder):
    """The hostile events in view, in the table's order."""
    data = load_dataset(load_settings(hostile_server_folder))
    return select_view(data.events, [], data.zones, FilterState(*RANGE)).events


def click_table_row(page, row: int):
    grid = page.page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)


def test_hostile_text_is_shown_as_text(browser, hostile_server, hostile_events):
    context = browser.new_context(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
    page = Watched(context.new_page(), hostile_server)
    try:
        page.open(f"?start={RANGE[0]}&end={RANGE[1]}")
        frame = page.map()
        card = frame.locator(".dm-card-popup").last  # a closed card fades out for 200 ms
        by_id = hostile_events.set_index("event_id")

        # A real click on a numbered stop: the card and the details panel show its title as written
        frame.locator(".dm-stop-label", has_text=re.compile(r"^2$")).click()
        title = by_id.loc["lai-2024-honolulu", "title"]
        page.wait_until(
            lambda: card.locator(".dm-title").inner_text(timeout=1000) == title,
            "the card does not show the title literally",
        )
        page.page.get_by_role("heading", name=title, exact=True).wait_for(timeout=TIMEOUT_MS)

        # Markdown, :red[] and $math$ in a title: shown literally in the panel and in the map's card
        row = next(i for i, t in enumerate(hostile_events["title"]) if t.endswith(MARKDOWN))
        expected = hostile_events["title"].iloc[row]
        click_table_row(page, row)
        page.page.get_by_role("heading", name=expected, exact=True).wait_for(timeout=TIMEOUT_MS)
        page.wait_until(
            lambda: card.locator(".dm-title").inner_text(timeout=1000) == expected,
            "the map's card does not show the table's selection literally",
        )
        panel = page.page.locator(
            '[data-testid="stColumn"]', has=page.page.get_by_role("heading", name="Event details")
        )
        shown = panel.last.inner_text()
        for column in ("title", "description", "notes", "location", "actor"):
            text = by_id.loc[hostile_events["event_id"].iloc[row], column]
            assert text in shown, f"the {column} is not shown as written: {text!r}"

        # A zone of Joint Sword-2024B: its tooltip and its card show the payloads as text
        zones = frame.locator("path.leaflet-interactive[stroke-dasharray='6 5']")
        assert zones.count() > 0, "no drill zone in this range"
        card.locator(".leaflet-popup-close-button").click()
        # A point where a zone's own outline is the topmost thing (not a dot or another zone above it)
        page.map_frame().evaluate("""() => { const zones = Object.values(window.map._layers).filter(l => l.feature
            && l.feature.properties.card && l._path); window.map.fitBounds(zones[0].getBounds(), {animate: false}); }""")
        inside = page.map_frame().evaluate("""() => {
            for (const zone of Object.values(window.map._layers).filter(l => l.feature && l.feature.properties.card && l._path)) {
                const b = zone.getBounds(), sw = window.map.latLngToContainerPoint(b.getSouthWest()),
                      ne = window.map.latLngToContainerPoint(b.getNorthEast());
                for (let x = sw.x; x <= ne.x; x += 2) for (let y = ne.y; y <= sw.y; y += 2)
                    if (document.elementFromPoint(x, y) === zone._path) return [x, y];
            }
            return null; }""")
        assert inside, "no zone can be clicked at this zoom"
        box = page.page.locator('iframe[title="streamlit_folium.st_folium"]').last.bounding_box()
        page.page.mouse.click(box["x"] + inside[0], box["y"] + inside[1])
        page.wait_until(
            lambda: card.count() == 1 and "approximate outline" in card.inner_text(timeout=1000),
            "a click on a zone does not show its card",
        )
        assert_nothing_ran(page)
        page.shot("08-hostile-text")

        with page.page.expect_download(timeout=TIMEOUT_MS) as info:
            page.page.get_by_role("button", name="Download map (HTML)").click()
        standalone = context.new_page()
        standalone.on("dialog", lambda d: (page.errors.append("dialog in the HTML map"), d.dismiss()))
        standalone.on(
            "console", lambda m: page.errors.append(f"HTML map console: {m.text}") if m.type == "error" else None
        )
        standalone.on("pageerror", lambda e: page.errors.append(f"HTML map error: {e}"))
        standalone.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        saved = SCREENSHOTS / "hostile-map.html"
        info.value.save_as(saved)
        standalone.goto(saved.as_uri())
        standalone.locator(".dm-stop-label", has_text=re.compile(r"^2$")).click()
        standalone.locator(".dm-card-popup .dm-title").wait_for(timeout=TIMEOUT_MS)
        assert standalone.locator(".dm-card-popup .dm-title").inner_text() == title
        assert standalone.evaluate(RUN_CHECK), "a payload ran in the downloaded HTML map"
        hrefs = standalone.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        assert all(re.match(r"https?://", h) or h.split("#")[0] == saved.as_uri() for h in hrefs), hrefs
    finally:
        context.close()
    page.check_clean()
