"""A view of more events than the map draws one by one: the engine counts them per cell of the visible map;
zooming or panning asks again, in the same map (never remounted); zoomed in far enough, the cells become
dots, and a click on one selects exactly that event, as a dense dot does.

The folder is the dense test's (3,001 events), served with DASHBOARD_BIN_ABOVE=1000 so that it is binned:
the same code path as 1,000,000 events past the default 100,000, in seconds."""

from __future__ import annotations

import pytest
from browser_support import SCREENSHOTS, TIMEOUT_MS, Watched, dashboard_server
from test_browser_dense import EVENTS, TARGET, dense_folder

pytestmark = pytest.mark.browser
BINS = "() => window.__dmBins || null"


@pytest.fixture(scope="module")
def binned_url(tmp_path_factory):
    folder = dense_folder(tmp_path_factory)
    SCREENSHOTS.mkdir(exist_ok=True)
    with dashboard_server(folder, env_extra={"DASHBOARD_BIN_ABOVE": "1000"}) as server:
        yield server.url


def newer_bins(page, after: float) -> dict:
    frame = page.map_frame()
    frame.wait_for_function(f"() => window.__dmBins && window.__dmBins.at > {after}", timeout=TIMEOUT_MS)
    return frame.evaluate(BINS)


def test_cells_follow_the_map_and_turn_into_clickable_dots(browser, binned_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    page = Watched(context.new_page(), binned_url)
    try:
        painted = page.open().painted()
        assert painted["count"] == EVENTS + 1 and page.summary() == (EVENTS + 1, EVENTS + 1)
        frame = page.map_frame()
        first = frame.evaluate(BINS)
        assert first is not None, "the counts are drawn before the map says it is painted"
        assert first["cells"] > 0 and first["inside"] > 1000
        assert page.map().locator("canvas.dm-bins").count() == 1
        assert page.map().locator("canvas.dm-dots").count() == 0, "no dot is drawn while cells are"
        frame.evaluate("() => { window.__notRemounted = true; }")

        # Zoom in with the map's own button: the counts are asked again for the new box and zoom
        zoom = frame.evaluate("() => window.map.getZoom()")
        page.map().locator(".leaflet-control-zoom-in").click()
        after_zoom = newer_bins(page, first["at"])
        assert after_zoom["zoom"] == zoom + 1
        # Pan far away, then come back: each move is answered
        frame.evaluate("() => { window.map.panBy([300, 0], {animate: false}); }")
        after_pan = newer_bins(page, after_zoom["at"])
        assert after_pan["inside"] != after_zoom["inside"] or after_pan["cells"] != after_zoom["cells"]
        page.shot("20-binned")

        # Zoomed in on the far event alone: it is a dot, and a click on it selects exactly it
        frame.evaluate(
            "([lat, lon]) => { window.map.setView([lat, lon], 8, {animate: false}); }",
            [TARGET["latitude"], TARGET["longitude"]],
        )
        close = newer_bins(page, after_pan["at"])
        assert close["inside"] == 1 and close["cells"] == 0
        assert page.map().locator("canvas.dm-dots").count() == 1
        point = frame.evaluate(
            "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            [TARGET["latitude"], TARGET["longitude"]],
        )
        box = page.page.locator('iframe[title="streamlit_folium.st_folium"]').last.bounding_box()
        page.page.mouse.click(box["x"] + point[0] + 2, box["y"] + point[1] - 2)
        card = page.map().locator(".dm-card-popup")
        card.locator("a.dm-source").wait_for(timeout=TIMEOUT_MS)
        assert card.locator(".dm-title").inner_text() == TARGET["title"]
        page.page.get_by_role("heading", name=TARGET["title"]).wait_for(timeout=TIMEOUT_MS)
        page.page.wait_for_function("() => location.search.includes('event=target-dot')", timeout=TIMEOUT_MS)

        # Back out: cells again, and a click on the biggest cell zooms into it
        frame.evaluate("() => { window.map.setView([24, 120], 4, {animate: false}); }")
        wide = newer_bins(page, close["at"])
        assert wide["cells"] > 0
        cell = frame.evaluate(
            "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            wide["biggest"],
        )
        page.page.mouse.click(box["x"] + cell[0], box["y"] + cell[1])
        deeper = newer_bins(page, wide["at"])
        assert deeper["zoom"] == wide["zoom"] + 2
        assert frame.evaluate("() => window.__notRemounted") is True, "the map was remounted"
        page.shot("21-binned-dot")
    finally:
        context.close()
    page.check_clean()
