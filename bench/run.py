"""Measure the dashboard against the plain-folium baseline in headless Chromium, side by side.

    python -m bench.run --quick     # bundled data and 10,000 events, both apps; a few minutes
    python -m bench.run             # bundled, 1,000, 10,000 and 100,000 events, then 20 sessions at once
    python -m bench.run --sizes bundled,100000 --apps dashboard --runs 5 --limit 120
    python -m bench.run --sizes 1000000,10000000 --apps dashboard --no-load
    python -m bench.run --sizes 1000000 --apps dashboard --engine spark --merge   # Spark local[2], added to the last report

Both apps are timed by ONE in-page signal: inside the map's iframe each sets
`window.__dmPainted = {view, count, at}` one animation frame after it has drawn a view (`count` events;
`view` names what is drawn; `at` is the iframe's performance.now()). Every time below is taken inside
the browser, from the browser's own clocks (each document's `performance.timeOrigin` plus `now()`):

- open -> map painted: navigation start of a new browser context (nothing cached; the server warmed up by
  one unmeasured script run) until the map has painted as many events as the page's "N of M events" says.
- date change -> map painted: the keydown of one PageDown on the end of the date slider until the map has
  painted a new view with the new summary's N events. A step that leaves N unchanged is not counted.
- click -> source link in the map: the mousedown on an event in the map until a new `a.dm-source` link is
  visible in a Leaflet popup in the map (the dashboard's card; the baseline's marker popup). In a binned
  view (below) the events clicked are the tour stops, which are always drawn as numbered markers.
- click -> details panel: the same mousedown until the page shows the title as a heading (### or ####) of an event
  whose source is that link.
- zoom in -> bins updated, pan -> bins updated (the dashboard's binned views only: more than 100,000 events
  in view are counted per cell of the visible map by the engine, asked at every pan and zoom): from the
  mousedown on the map's zoom-in button, or from the mouseup that ends a drag of the map (held still for
  0.12 s first, so that Leaflet adds no inertia), until the map says it has drawn a newer answer
  (`window.__dmBins = {view, zoom, inside, cells, at}`, set once the answer is drawn; for a zoom, the new
  zoom's answer). Each pan goes somewhere new, so no answer comes from the browser's cache. A view that
  is not binned gets "not binned", not a time.

Each figure is the median of --runs runs (at least 3) with the spread (min-max). A wait longer than
--limit seconds is cut off, reported as "cut off after N s", and that figure's remaining runs are skipped.
Other hosts are unreachable (Chromium resolves every other name to nothing), as on a closed network.
Also measured: bytes the server sent per event in view during a date change (websocket frames plus
HTTP bodies), and the peak resident memory of the server's process tree (sampled every 0.1 s, and the
main process's own high-water mark; with Spark the tree holds its JVM).

Before each dashboard server starts, its folder's Parquet copy is built the way a new folder's first open
builds it, by `python -m dashboard validate --data-dir DIR` into a cache the benchmark owns
(bench/generated/dashboard-cache, $DASHBOARD_CACHE_DIR for every server it starts), the folder's earlier
copies deleted first: its time and peak memory (process tree) are "first open of a new folder: check +
copy", --runs times. Sizes from 1,000,000 are Parquet folders (bench/generated/N-parquet, written by
`python -m bench.generate N --format parquet` if missing); the baseline is not run on them (it reads
events.csv into pandas and draws one folium Marker per event: it is cut off at 100,000 already).

Writes docs/bench_results.md, bench/results/results.json and, for a full run, the plot
bench/results/time_vs_events.png (copied to docs/bench_time_vs_events.png). --merge keeps the rows of the
last results.json that this run does not measure, each labelled with the date and commit it was measured
at. Text after the line `<!-- written by hand -->` in docs/bench_results.md is kept when it is rewritten.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as pds
import pyarrow.parquet as pq
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from browser_support import CHROMIUM_FLAGS, MAP_IFRAME, dashboard_server, find_chromium  # noqa: E402

from bench.generate import GENERATED, generated_folder  # noqa: E402
from bench.load import Expectations, load_test, run_once, summary_line  # noqa: E402
from bench.memory import TreeMemory, process_tree  # noqa: E402
from dashboard.config import load_settings  # noqa: E402
from dashboard.parquet_copy import CACHE_ENV, copy_folder  # noqa: E402
from dashboard.schema import EVENTS_PARQUET_FILE  # noqa: E402

RESULTS = REPO / "bench" / "results"
REPORT = REPO / "docs" / "bench_results.md"
PLOT_COPY = REPO / "docs" / "bench_time_vs_events.png"
HAND_WRITTEN = "<!-- written by hand -->"  # what follows this line in the report is kept on rewrite
APPS = {"dashboard": "dashboard/app.py", "baseline": "bench/baseline_app.py"}
ENGINES = {"duckdb": "DuckDB", "spark": "Spark"}
DEFAULT_SPARK_MASTER = "local[2]"
# The Parquet copies the benchmark's servers query: in the ignored bench/generated/, never ~/.cache.
CACHE = GENERATED / "dashboard-cache"
PARQUET_FROM = 1_000_000  # sizes from here are Parquet folders (bench/generated/N-parquet)
BASELINE_MAX = 100_000  # the baseline is not started on more events
BASELINE_NOT_RUN = (
    "not run: the baseline reads events.csv whole into pandas and draws one folium Marker per event; "
    "it is cut off at 100,000 events already"
)
BIN_ABOVE = getattr(load_settings(), "bin_above", 100_000)  # the dashboard bins a view of more events
FULL_SIZES, QUICK_SIZES = "bundled,1000,10000,100000", "bundled,10000"
FULL_LIMIT, QUICK_LIMIT = 120.0, 15.0
MIN_RUNS = 3
VIEWPORT = {"width": 1500, "height": 1400}
# Every host but the server's own resolves to nothing: fails at once, as on a closed network, and without
# routing each request through Python (which would add its own delay to every one of ~100 script files).
OFFLINE_FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
LOAD_SESSIONS, LOAD_SECONDS = 20, 60.0
CLICK_TRY_SECONDS = 4.0  # a click that opens no card in this time missed (an empty spot): try another event
DATE_SKIP_SECONDS = 10.0  # a date step that leaves N unchanged may draw nothing new: wait this long at most
SETTLE_SECONDS = 1.0  # before each run: the last one's late work (GC, closing a page) is not timed in the next
# A drag of the map, in CSS pixels: each run pans somewhere it has not been (no answer from the HTTP cache).
PAN_STEPS = [(160, 70), (-110, 90), (80, -140), (-150, -60), (120, 130)]
# Before each measurement the benchmark waits (--wait-quiet seconds at most) until other processes use less
# than this share of the CPU over a window of this many seconds; the share they used DURING each
# measurement is reported beside it.
QUIET_SHARE, QUIET_WINDOW = 0.10, 5.0
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
PAN_HOLD_MS = 120  # held still before the mouseup: Leaflet then adds no inertia (it looks at the last 50 ms)

METRICS = {
    "open_s": "open → map painted",
    "change_s": "date change → map painted",
    "card_s": "click → source link in the map",
    "panel_s": "click → details panel",
    "zoom_s": "zoom in → bins updated",
    "pan_s": "pan → bins updated",
}
BIN_METRICS = ("zoom_s", "pan_s")
MEMORY = "server_peak_mb"
# (metric, target in seconds, MB for MEMORY, or "baseline": no slower than the baseline's median). The
# dashboard on DuckDB is held to them; Spark in local mode has none (one machine is not its home).
TARGETS = {
    "bundled": {"open_s": "baseline", "change_s": 0.30, "card_s": 0.10, "panel_s": 0.5},
    "10000": {"open_s": 2.0, "change_s": 0.40, "card_s": 0.10, "panel_s": 0.5},
    "100000": {"open_s": 3.0, "change_s": 0.80, "card_s": 0.10, "panel_s": 0.8},
    # issue 12: past one machine's memory
    "1000000": {"open_s": 4.0, "change_s": 1.0, "panel_s": 0.8, "zoom_s": 1.0, "pan_s": 1.0, MEMORY: 800},
    "10000000": {"open_s": 6.0, "change_s": 2.0, MEMORY: 1536},  # 1.5 GB
}

# Runs in every frame, the map's iframe included, before the page's own scripts: when was the last key
# pressed and the last mouse button pressed, on the frame's clock (ms since the epoch, sub-ms resolution).
INIT_SCRIPT = """
addEventListener('keydown', () => { window.__benchKeyAt = performance.timeOrigin + performance.now(); }, true);
addEventListener('mousedown', () => { window.__benchDownAt = performance.timeOrigin + performance.now(); }, true);
addEventListener('mouseup', () => { window.__benchUpAt = performance.timeOrigin + performance.now(); }, true);
"""
# In the page: the summary "N of M events" and the map's last painted view, once they agree (and differ
# from `old`, when given). Times are ms since the epoch.
PAINTED = """([selector, old]) => {
    const summary = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .map((e) => e.innerText.trim()).find((t) => /^[\\d,]+ of [\\d,]+ events/.test(t));
    if (!summary) return null;
    const n = Number(summary.match(/^([\\d,]+) of/)[1].replace(/,/g, ''));
    const frames = document.querySelectorAll(selector);
    const w = frames.length ? frames[frames.length - 1].contentWindow : null;
    const p = w && w.__dmPainted;
    if (!p || p.count !== n || (old && (summary === old.summary || p.view === old.view))) return null;
    return {summary, n, view: p.view, painted: w.performance.timeOrigin + p.at, key: window.__benchKeyAt || null};
}"""
SUMMARY_CHANGED = """(old) => {
    const summary = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .map((e) => e.innerText.trim()).find((t) => /^[\\d,]+ of [\\d,]+ events/.test(t));
    return summary && summary !== old ? summary : null;
}"""
# In the map's iframe: points (client coordinates) where an event is drawn, away from the edges, the
# controls and earlier clicks. Events drawn on a canvas (the dashboard's dense view) first: the given
# positions projected with the map's own projection; then DOM markers (the baseline's, the rich view's).
CLICK_TARGETS = """([avoid, points, markers, done]) => {
    const margin = 60, W = innerWidth, H = innerHeight, found = [];
    const free = (x, y) => x > margin && y > margin && x < W - margin && y < H - margin
        && !avoid.some(([ax, ay]) => Math.hypot(ax - x, ay - y) < 30);
    if (window.map && window.map.latLngToContainerPoint) {
        const box = window.map.getContainer().getBoundingClientRect();
        for (const [lat, lon] of points) {
            for (const shift of [0, 360, -360]) {
                const pt = window.map.latLngToContainerPoint([lat, lon + shift]);
                const x = box.left + pt.x, y = box.top + pt.y;
                if (!free(x, y)) continue;
                const hit = document.elementFromPoint(x, y);
                if (hit && hit.tagName === 'CANVAS') found.push([x, y, null]);
            }
            if (found.length >= 20) return found;
        }
    }
    for (const el of document.querySelectorAll(markers)) {
        if (done.includes(el.getAttribute('aria-label'))) continue;  // a stop clicked before
        const r = el.getBoundingClientRect();
        if (!r.width || r.width > 48 || r.height > 48) continue;
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (!free(x, y)) continue;
        const hit = document.elementFromPoint(x, y);
        if (hit === el || el.contains(hit)) found.push([x, y, el.getAttribute('aria-label')]);
        if (found.length >= 40) return found;
    }
    return found;
}"""
# Any event marker (the rich view's, the baseline's), or, in a binned view, the tour stops (always drawn).
ANY_MARKER = ".leaflet-marker-icon, .leaflet-marker-pane > *, path.leaflet-interactive"
STOP_MARKER = ".leaflet-marker-icon.dm-stop"
# Close the card (Leaflet fades a popup out for 0.2 s before it leaves the page) and wait until it has left.
CLOSE_CARD = """() => new Promise((done) => {
    window.map.closePopup();
    const gone = () => (document.querySelector('.leaflet-popup') ? requestAnimationFrame(gone) : done());
    gone();
})"""
MARK_CARDS = "() => document.querySelectorAll('a.dm-source').forEach((a) => { a.dataset.benchSeen = '1'; })"
NEW_CARD = """() => {
    for (const a of document.querySelectorAll('.leaflet-popup a.dm-source')) {
        if (a.dataset.benchSeen || !a.getBoundingClientRect().width) continue;
        return {href: a.getAttribute('href'), at: performance.timeOrigin + performance.now(), down: window.__benchDownAt};
    }
    return null;
}"""
PANEL = """(titles) => {
    for (const h of document.querySelectorAll('h3, h4')) {  // the dashboard's panel: h3; the baseline's: h4
        if (titles.includes(h.textContent.trim())) return performance.timeOrigin + performance.now();
    }
    return null;
}"""
# In the map's iframe: the bins answer drawn after `after` (the iframe's now()) and after the input at
# `input` (ms since the epoch), at `zoom` when given; with the moment of the input that caused it.
BINS_DRAWN = """([after, zoom, input]) => {
    const b = window.__dmBins, since = window[input];
    if (!b || !since || b.at <= after || (zoom !== null && b.zoom !== zoom)) return null;
    const at = performance.timeOrigin + b.at;
    return at < since ? null : {at, since, zoom: b.zoom, inside: b.inside, cells: b.cells, view: b.view};
}"""
# In the map's iframe: a point (client coordinates) to start a drag from, on the map itself (no marker,
# popup or control), far enough from the edges for the whole drag to stay on the map.
DRAG_START = """([dx, dy]) => {
    const box = window.map.getContainer().getBoundingClientRect(), margin = 40;
    for (let fy = 0.5; fy > 0.1; fy -= 0.07) {
        for (let fx = 0.5; fx > 0.1; fx -= 0.07) {
            for (const [sx, sy] of [[1, 1], [-1, 1], [1, -1], [-1, -1]]) {
                const x = box.left + box.width * (0.5 + sx * (fx - 0.5)), y = box.top + box.height * (0.5 + sy * (fy - 0.5));
                const ends = [[x, y], [x + dx, y + dy]];
                if (!ends.every(([ex, ey]) => ex > box.left + margin && ey > box.top + margin
                    && ex < box.right - margin && ey < box.bottom - margin)) continue;
                const hit = document.elementFromPoint(x, y);
                if (hit && !hit.closest('.leaflet-marker-pane, .leaflet-popup-pane, .leaflet-control-container, .leaflet-tooltip-pane')) return [x, y];
            }
        }
    }
    return null;
}"""
SLIDER_RANGE = """() => [...document.querySelector('[data-testid="stSlider"]').querySelectorAll('input[type="range"]')]
    .map((i) => Number(i.value))"""


class CutOff(Exception):
    """A wait ran past the limit."""


class Skip(Exception):
    """A run that measured nothing (a date step that changed no count, a click on the same event)."""


def data_folder(size: str) -> Path:
    if size == "bundled":
        return REPO / "data"
    count = int(size)
    return generated_folder(count, events_format="parquet" if count >= PARQUET_FROM else "csv")


class StopExpectations:
    """What the benchmark needs to know of a Parquet folder too big to hold here (ten million events as
    Python strings would take gigabytes beside the server): how many events, and the rows of the route
    stops, the events a binned view still draws one by one and the benchmark clicks. Read with pyarrow,
    a row group at a time; the same attributes as `bench.load.Expectations`, over those rows only."""

    COLUMNS = ["event_id", "event_type", "title", "source_url", "latitude", "longitude", "start_date", "end_date"]

    def __init__(self, data_dir: Path):
        path = data_dir / EVENTS_PARQUET_FILE
        self.total = pq.ParquetFile(path).metadata.num_rows
        stops = (pc.field("event_type") == "tour_stop") | (pc.field("route_id") != "")
        frame = pds.dataset(path).to_table(columns=self.COLUMNS, filter=stops).to_pandas()
        self.ids = frame["event_id"].str.strip().tolist()
        self.titles = frame["title"].tolist()
        self.urls = frame["source_url"].str.strip().tolist()
        self.lats = pd.to_numeric(frame["latitude"], errors="coerce").tolist()
        self.lons = pd.to_numeric(frame["longitude"], errors="coerce").tolist()

    def in_view(self, start: date, end: date, search: str) -> list[int]:
        return []  # no positions to aim at on a canvas: a binned view's clicks go to the stops' markers


def expectations(folder: Path) -> Expectations | StopExpectations:
    return StopExpectations(folder) if (folder / EVENTS_PARQUET_FILE).is_file() else Expectations(folder)


class Probe:
    """One browser page of one app, measured through the in-page signal."""

    def __init__(self, context, base: str, expect: Expectations | StopExpectations, limit: float):
        self.context, self.base, self.expect, self.limit = context, base, expect, limit
        self.page = context.new_page()
        self.state: dict | None = None  # the last painted state: summary, n, view
        self.binned = False  # the view is drawn as counts per cell (window.__dmBins), not event by event
        self.pans = 0
        self.clicked: list[list[float]] = []
        self.stops_clicked: list[str] = []  # in a binned view: the stops' markers clicked (by their label)
        self.hrefs: list[str] = []
        self.card_without_panel: float | None = None  # a card seen before the panel's wait was cut off
        self.counting, self.bytes = False, 0
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.page.on("response", self._response)

    def _frame(self, payload) -> None:
        if self.counting:
            self.bytes += len(payload.encode() if isinstance(payload, str) else payload)

    def _response(self, response) -> None:
        if self.counting:
            try:
                self.bytes += response.request.sizes()["responseBodySize"]
            except PlaywrightError:
                pass

    def _wait(self, frame, script: str, arg, what: str, seconds: float | None = None):
        try:
            handle = frame.wait_for_function(script, arg=arg, polling="raf", timeout=(seconds or self.limit) * 1000)
        except PlaywrightTimeout:
            raise CutOff(what) from None
        return handle.json_value()

    def open(self) -> float:
        self.page.goto(self.base + "/", wait_until="commit")
        state = self._wait(self.page, PAINTED, [MAP_IFRAME, None], "open → map painted")
        origin = self.page.evaluate("performance.timeOrigin")
        self.state = state
        self.binned = self._map_frame().evaluate("() => !!window.__dmBins")
        return (state["painted"] - origin) / 1000

    def change_date(self) -> tuple[float, float]:
        """One PageDown on the end of the date slider; seconds to the new view painted, and the bytes the
        server sent meanwhile per event in the new view."""
        thumb = self.page.locator('[data-testid="stSlider"]').first.locator('input[type="range"]').nth(1)
        thumb.focus()
        self.page.wait_for_timeout(200)
        old = self.state
        self.bytes, self.counting = 0, True
        thumb.press("PageDown")
        try:
            summary = self._wait(self.page, SUMMARY_CHANGED, old["summary"], "date change → summary")
            if summary.split(" of ")[0] == old["summary"].split(" of ")[0]:
                # The same number of events: the map may not draw anything new, so there is nothing to time.
                # Let it settle, then take the next step.
                try:
                    self._wait(self.page, PAINTED, [MAP_IFRAME, old], "settle", min(self.limit, DATE_SKIP_SECONDS))
                except CutOff:
                    pass
                self.state = self._wait(self.page, PAINTED, [MAP_IFRAME, None], "date change → map painted")
                raise Skip("a date step that changed no count")
            state = self._wait(self.page, PAINTED, [MAP_IFRAME, old], "date change → map painted")
        finally:
            self.counting = False
        self.page.wait_for_timeout(300)  # late frames of the same change
        self.state = state
        return (state["painted"] - state["key"]) / 1000, self.bytes / max(state["n"], 1)

    def _map_frame(self):
        return self.page.locator(MAP_IFRAME).last.element_handle().content_frame()

    def _points(self) -> list[list[float]]:
        """Positions of up to 400 events in the slider's current range (for maps that draw on a canvas)."""
        low, high = self.page.evaluate(SLIDER_RANGE)
        start, end = (datetime.fromtimestamp(v / 1_000_000, UTC).date() for v in (low, high))
        rows = self.expect.in_view(start, end, "")[:400]
        return [[self.expect.lats[r], self.expect.lons[r]] for r in rows if self.expect.lats[r] == self.expect.lats[r]]

    def click_event(self) -> tuple[float, float]:
        """Click an event on the map; seconds to its source link in the map and to its details panel."""
        frame = self._map_frame()
        box = self.page.locator(MAP_IFRAME).last.bounding_box()
        if self.binned:  # the stops, each clicked once: they cluster, so a spot is not avoided for its neighbours
            frame.evaluate(CLOSE_CARD)  # the last card would hide its neighbours (as its × button does)
            targets = frame.evaluate(CLICK_TARGETS, [[], [], STOP_MARKER, self.stops_clicked])
        else:
            targets = frame.evaluate(CLICK_TARGETS, [self.clicked, self._points(), ANY_MARKER, []])
        deadline = time.monotonic() + self.limit
        for x, y, label in targets:
            if time.monotonic() > deadline:
                raise CutOff("click → source link (no event on the map opened a card)")
            frame.evaluate(MARK_CARDS)
            self.clicked.append([x, y])
            if label:
                self.stops_clicked.append(label)
            self.page.mouse.click(box["x"] + x, box["y"] + y)
            try:
                card = self._wait(frame, NEW_CARD, None, "click → source link", CLICK_TRY_SECONDS)
            except CutOff:
                continue  # nothing there after all: try the next event
            titles = [self.expect.titles[i] for i, url in enumerate(self.expect.urls) if url == card["href"]]
            if not titles:
                raise RuntimeError(f"the card links to {card['href']!r}, which is no event's source")
            try:
                shown = self._wait(self.page, PANEL, titles, "click → details panel")
            except CutOff:
                self.card_without_panel = (card["at"] - card["down"]) / 1000
                raise
            if card["href"] in self.hrefs:
                raise Skip("clicked an event already measured")
            self.hrefs.append(card["href"])
            return (card["at"] - card["down"]) / 1000, (shown - card["down"]) / 1000
        raise NotMeasured(f"no event left on the map to click ({len(targets)} tried, none opened a card)")

    def _bins_drawn(self, frame, before: dict, zoom: int | None, input_field: str, what: str) -> dict:
        return self._wait(frame, BINS_DRAWN, [before["at"], zoom, input_field], what)

    def zoom_in(self) -> float:
        """Press the map's zoom-in button; seconds from its mousedown to the new zoom's bins drawn."""
        frame = self._map_frame()
        before = frame.evaluate("() => window.__dmBins")
        frame.evaluate("() => { window.__benchDownAt = null; }")
        frame.locator(".leaflet-control-zoom-in").click()
        got = self._bins_drawn(frame, before, before["zoom"] + 1, "__benchDownAt", "zoom in → bins updated")
        return (got["at"] - got["since"]) / 1000

    def pan(self) -> float:
        """Drag the map somewhere new; seconds from the mouseup to the bins of the new bounds drawn."""
        frame = self._map_frame()
        dx, dy = PAN_STEPS[self.pans % len(PAN_STEPS)]
        self.pans += 1
        start = frame.evaluate(DRAG_START, [dx, dy])
        if start is None:
            raise RuntimeError("no free spot on the map to start a drag from")
        box = self.page.locator(MAP_IFRAME).last.bounding_box()
        x, y = box["x"] + start[0], box["y"] + start[1]
        before = frame.evaluate("() => window.__dmBins")
        frame.evaluate("() => { window.__benchUpAt = null; }")
        mouse = self.page.mouse
        mouse.move(x, y)
        mouse.down()
        mouse.move(x + dx, y + dy, steps=12)
        self.page.wait_for_timeout(PAN_HOLD_MS)
        mouse.up()
        got = self._bins_drawn(frame, before, before["zoom"], "__benchUpAt", "pan → bins updated")
        return (got["at"] - got["since"]) / 1000

    def close(self) -> None:
        self.context.close()


def new_probe(browser, server_url: str, expect: Expectations | StopExpectations, limit: float) -> Probe:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(INIT_SCRIPT)
    return Probe(context, server_url, expect, limit)


class NotMeasured(Exception):
    """Every try of a figure was skipped."""


def runs_of(measure_once, runs: int, notes: list[str], key: str, done: list) -> list:
    """`runs` results of `measure_once` appended to `done` (so that the runs before a cut-off are kept), each
    after a pause; a Skip is noted and tried again (a few times)."""
    skipped = 0
    while len(done) < runs:
        time.sleep(SETTLE_SECONDS)
        try:
            done.append(measure_once())
        except Skip as why:
            skipped += 1
            notes.append(f"{key}: {why}")
            if skipped > 2 * runs:
                raise NotMeasured(f"{skipped} tries measured nothing ({why})") from None
    return done


def git_version() -> str:
    """The commit measured, with "+changes" when the dashboard's or the benchmark's files differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--", "dashboard", "bench") else "")


def busy_ticks() -> int:
    """CPU time (clock ticks, all cores) the whole machine has spent busy since boot (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return user + nice + system + irq + softirq + steal


def tree_ticks(pid: int) -> int:
    """CPU time (clock ticks) of `pid` and its descendants: each live one's own, plus what its children that
    have ended left in its cutime/cstime."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        except (OSError, ValueError, IndexError):  # ended while it was read
            pass
    return total


class OthersCpu:
    """The share of the machine's CPU that processes other than this benchmark's own (this process, the
    browser, the servers and commands it starts) used between `start` and `share`: 0.0 on a quiet machine,
    1.0 when other work kept every core busy."""

    def start(self) -> OthersCpu:
        self._busy, self._mine, self._at = busy_ticks(), tree_ticks(os.getpid()), time.monotonic()
        return self

    def share(self) -> float:
        others = (busy_ticks() - self._busy) - (tree_ticks(os.getpid()) - self._mine)
        capacity = (time.monotonic() - self._at) * TICKS_PER_SECOND * (os.cpu_count() or 1)
        return max(0.0, others / capacity) if capacity > 0 else 0.0


def wait_until_quiet(most_seconds: float) -> float:
    """Wait (at most `most_seconds`) until other processes use under QUIET_SHARE of the CPU for QUIET_WINDOW
    seconds; return their share in the last window (above QUIET_SHARE when the wait gave up)."""
    deadline = time.monotonic() + most_seconds
    while True:
        meter = OthersCpu().start()
        time.sleep(QUIET_WINDOW)
        share = meter.share()
        if share < QUIET_SHARE or time.monotonic() > deadline:
            if share >= QUIET_SHARE:
                print(f"the machine stayed busy (others {share:.0%} of the CPU): measuring anyway", flush=True)
            return share
        print(f"waiting for a quiet machine: other processes use {share:.0%} of the CPU", flush=True)


def check_and_copy(folder: Path, size: str, runs: int) -> dict:
    """`python -m dashboard validate --data-dir DIR` on a folder the cache has never seen (its earlier copies
    deleted first), `runs` times: seconds and peak memory of its process tree (it builds the copy in a
    child process). Leaves the last copy in CACHE for the server."""
    settings = load_settings(folder)
    out: dict = {"copy_s": [], "copy_peak_mb": [], "copy_load_before": os.getloadavg()[0]}
    others = OthersCpu().start()
    log = RESULTS / f"validate-{size}.log"
    for _ in range(runs):
        shutil.rmtree(copy_folder(settings, CACHE).parent, ignore_errors=True)
        time.sleep(SETTLE_SECONDS)
        with open(log, "w") as handle:
            began = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "dashboard", "validate", "--data-dir", str(folder)],
                cwd=REPO,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            with TreeMemory(proc.pid, every=0.05) as memory:
                # wait4, not wait: its rusage holds the process's own peak (its sampled tree may miss a spike)
                _, status, usage = os.wait4(proc.pid, 0)
                took = time.monotonic() - began
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"validate failed on {folder} (exit {proc.returncode}): {log.read_text()[-2000:]}")
        out["copy_s"].append(took)
        out["copy_peak_mb"].append(max(memory.peak_kb, usage.ru_maxrss) / 1024)
    out["copy_load_after"] = os.getloadavg()[0]
    out["copy_others_cpu"] = others.share()
    out["copy_said"] = log.read_text().strip().splitlines()[-1]
    return out


def not_run(app: str, size: str, events: int, why: str) -> dict:
    return {
        "app": app,
        "engine": None,
        "size": size,
        "events": events,
        "not_run": why,
        "when": date.today().isoformat(),
    }


def measure(
    browser,
    app: str,
    size: str,
    limit: float,
    runs: int,
    engine: str | None = None,
    spark_master: str | None = None,
    wait_quiet: float = 0.0,
) -> dict:
    """Every figure of one app on one data folder. After a cut-off the remaining figures are not measured:
    the page is still busy with the cut-off work, and it would be cut off again."""
    began = time.monotonic()
    folder = data_folder(size)
    expect = expectations(folder)
    result: dict = {
        "app": app,
        "engine": engine,
        "spark_master": spark_master if engine == "spark" else None,
        "size": size,
        "events": expect.total,
        "runs": runs,
        "limit_s": limit,
        "when": date.today().isoformat(),
        "commit": git_version(),
        "cut_off": {},
        "not_measured": {},
        "skipped": [],
    }
    result.update({key: [] for key in METRICS})
    RESULTS.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    if app == "dashboard":
        result["quiet_before_copy"] = wait_until_quiet(wait_quiet)
        result.update(check_and_copy(folder, size, runs))
        env = {"DASHBOARD_ENGINE": engine or "duckdb"}
        if engine == "spark":
            env["DASHBOARD_SPARK_MASTER"] = spark_master or DEFAULT_SPARK_MASTER
    result["quiet_before"] = wait_until_quiet(wait_quiet)
    result["load_before"] = os.getloadavg()[0]
    others = OthersCpu().start()
    log = RESULTS / f"server-{app}{'-' + engine if engine else ''}-{size}.log"
    probe: Probe | None = None
    key = "open_s"
    with dashboard_server(folder, timeout=180, script=APPS[app], log_path=log, env_extra=env) as server:
        with TreeMemory(server.pid) as memory:
            try:
                warm_up = max(limit, 60)
                try:
                    result["warm_up_s"] = run_once(server.url, timeout=warm_up)[1]
                except TimeoutError:
                    raise CutOff(
                        f"the server's first script run (unmeasured warm-up) took over {warm_up:.0f} s"
                    ) from None

                def open_once() -> float:
                    nonlocal probe
                    if probe:
                        probe.close()
                    probe = new_probe(browser, server.url, expect, limit)  # a new visitor: nothing cached
                    return probe.open()

                runs_of(open_once, runs, result["skipped"], key, result["open_s"])
                result["events_in_view"] = probe.state["n"]
                result["binned"] = probe.binned
                per_event: list[float] = []

                def change_once() -> float:
                    seconds, sent = probe.change_date()
                    per_event.append(sent)
                    return seconds

                def click_once() -> float:
                    card, panel = probe.click_event()
                    result["panel_s"].append(panel)
                    return card

                steps = [("change_s", change_once), ("card_s", click_once)]
                if probe.binned:
                    steps += [("zoom_s", probe.zoom_in), ("pan_s", probe.pan)]
                else:
                    for later in BIN_METRICS:
                        result["not_measured"][later] = f"not binned: at most {BIN_ABOVE:,} events in view are drawn"
                for key, once in steps:
                    try:
                        runs_of(once, runs, result["skipped"], key, result[key])
                    except NotMeasured as why:  # nothing to time here; the page is not busy: go on
                        result["not_measured"][key] = str(why)
                        if key == "card_s":
                            result["not_measured"]["panel_s"] = str(why)
                    finally:
                        if key == "change_s" and per_event:
                            result["bytes_per_event"] = statistics.median(per_event)
                        if key == "card_s":
                            result["clicked"] = probe.hrefs
            except CutOff as what:
                if probe and probe.card_without_panel is not None:
                    result["card_s"].append(probe.card_without_panel)
                    key = "panel_s"
                result["cut_off"][key] = f"{what}: cut off after {limit:.0f} s"
                for later in list(METRICS)[list(METRICS).index(key) + 1 :]:
                    result["not_measured"].setdefault(later, "after the cut-off")
            except NotMeasured as why:  # the opens
                result["not_measured"][key] = str(why)
            finally:
                if probe:
                    probe.close()
        result[MEMORY] = memory.peak_mb
    result["load_after"] = os.getloadavg()[0]
    result["others_cpu"] = others.share()
    result["took_s"] = time.monotonic() - began
    print(json.dumps(result), flush=True)
    return result


# ----------------------------------------------------------------------------------------------- report


def row_key(r: dict) -> tuple[str, str | None, str]:
    engine = r.get("engine", "pandas" if r["app"] == "dashboard" else None)  # rows from before the engine
    return r["app"], engine, r["size"]


def app_label(r: dict) -> str:
    _, engine, _ = row_key(r)
    if r["app"] != "dashboard":
        return r["app"]
    if engine == "pandas":
        return "dashboard (pandas, before the query engine)"
    if engine == "spark":
        return f"dashboard, Spark {r.get('spark_master') or DEFAULT_SPARK_MASTER}"
    return f"dashboard, {ENGINES.get(engine, engine)}"


def size_label(r: dict) -> str:
    return f"bundled ({r['events']})" if r["size"] == "bundled" else f"{int(r['size']):,}"


def size_order(size: str) -> int:
    return -1 if size == "bundled" else int(size)


def cell(result: dict | None, key: str) -> str:
    """A figure as "median (min–max)", or why there is none."""
    if result is None:
        return "not run"
    if result.get("not_run"):
        return "—"
    samples = result.get(key) or []
    cut = result.get("cut_off", {}).get(key)
    if cut:
        done = f", {len(samples)} of {result['runs']} runs done before" if samples else ""
        return f"cut off after {result['limit_s']:.0f} s{done}"
    if key in result.get("not_measured", {}):
        return result["not_measured"][key] if key in BIN_METRICS else f"not measured ({result['not_measured'][key]})"
    if not samples:
        return "not measured"
    text = f"{statistics.median(samples):.2f} s ({min(samples):.2f}–{max(samples):.2f})"
    return text if len(samples) >= MIN_RUNS else text + f", only {len(samples)} runs"


def median(result: dict | None, key: str) -> float | None:
    if not result or result.get("cut_off", {}).get(key) or len(result.get(key) or []) < 1:
        return None
    return statistics.median(result[key])


def others_cell(r: dict, key: str) -> str:
    return f"{r[key]:.0%}" if r.get(key) is not None else "not recorded"


def memory_cell(r: dict) -> str:
    return f"{r[MEMORY]:,.0f} MB" if r.get(MEMORY) is not None else "—"


def verdict(size: str, key: str, dashboard: dict | None, baseline: dict | None) -> tuple[str, str, str]:
    """(target as text, the dashboard's figure, "met" / "**not met**" / why it cannot be judged)."""
    target = TARGETS[size][key]
    if key == MEMORY:
        text = f"≤ {target:,} MB" + (" (1.5 GB)" if target == 1536 else "")
        if not dashboard or dashboard.get(MEMORY) is None:
            return text, "not run", "not measured"
        return text, memory_cell(dashboard), "met" if dashboard[MEMORY] <= target else "**not met**"
    mine = median(dashboard, key)
    if target == "baseline":
        text = "no slower than the baseline"
        theirs = median(baseline, key)
        if mine is None:
            return text, cell(dashboard, key), "not measured"
        if theirs is None:
            if baseline and baseline.get("cut_off", {}).get(key) and mine <= baseline["limit_s"]:
                return text, cell(dashboard, key), "met (baseline cut off)"
            return text, cell(dashboard, key), "cannot judge: baseline not measured"
        return text, cell(dashboard, key), "met" if mine <= theirs else "**not met**"
    text = f"≤ {target:.2f} s"
    if mine is None:
        cut = dashboard and dashboard.get("cut_off", {}).get(key)
        return text, cell(dashboard, key), "**not met** (cut off)" if cut else "not measured"
    return text, cell(dashboard, key), "met" if mine <= target else "**not met**"


def kept_text() -> str:
    """What follows HAND_WRITTEN in the current report (an analysis written after a run), or nothing."""
    text = REPORT.read_text() if REPORT.exists() else ""
    return text[text.index(HAND_WRITTEN) :] if HAND_WRITTEN in text else ""


def write_report(results: list[dict], meta: dict, load: dict | None) -> str:
    results = sorted(
        results, key=lambda r: (size_order(r["size"]), r["app"] != "dashboard", str(row_key(r)[1] != "duckdb"))
    )
    by = {row_key(r): r for r in results}
    sizes = sorted(dict.fromkeys(r["size"] for r in results), key=size_order)
    measured = [r for r in results if not r.get("not_run")]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench.run{' --quick' if meta['quick'] else ''}` on {meta['when']}: "
        f"{meta['cpus']} cores, {meta['machine']}, Chromium {meta['chromium']} (headless, software rendering), "
        f"Python {meta['python']}. Each figure is the median of {meta['runs']} runs with the spread (min–max); "
        f"a wait over {meta['limit']:.0f} s is cut off and reported as such. How each time is taken: "
        "see `bench/run.py`; both apps are timed by the same in-page signal (`window.__dmPainted` in the map; "
        "for a binned view's pan and zoom, `window.__dmBins`). "
        f"Machine load is the 1-minute load average ({meta['cpus']} cores): above {meta['cpus']}, other work "
        "competed with the measurement and the figures are slower than on an idle machine; \"other processes' "
        "CPU\" is the share of all cores that processes other than the benchmark's own (its browser, servers and "
        "commands) used during the row's measurement: near 0% on a quiet machine. Before each row the benchmark "
        f"waits for other processes to use under {QUIET_SHARE:.0%} for {QUIET_WINDOW:.0f} s. Sizes from "
        f"{PARQUET_FROM:,} are Parquet folders; a view of more than {BIN_ABOVE:,} events is binned (counted per "
        "cell of the visible map at each pan and zoom), and its clicks go to the tour stops (always drawn). "
        "Each row says when and at which commit it was measured.",
        "",
        "| events | app | " + " | ".join(METRICS.values()) + " | bytes per event (date change) | server peak memory "
        "| machine load before → after | other processes' CPU | measured |",
        "|---|---|" + "---|" * (len(METRICS) + 5),
    ]
    for r in results:
        if r.get("not_run"):
            empty = " | ".join(["—"] * (len(METRICS) - 1))
            lines.append(
                f"| {size_label(r)} | {app_label(r)} | {r['not_run']} | {empty} | — | — | — | — | {r['when']} |"
            )
            continue
        per_event = r.get("bytes_per_event")
        bytes_cell = "—" if per_event is None else f"{per_event:,.0f}" if per_event >= 10 else f"{per_event:.2f}"
        lines.append(
            f"| {size_label(r)} | {app_label(r)} | " + " | ".join(cell(r, k) for k in METRICS) + f" | {bytes_cell} | "
            f"{memory_cell(r)} | {r['load_before']:.1f} → {r['load_after']:.1f} | {others_cell(r, 'others_cpu')} | "
            f"{r.get('when', meta['when'])}, {r.get('commit', 'commit not recorded')} |"
        )
    copies = [r for r in measured if r.get("copy_s")]
    if copies:
        lines += [
            "",
            "## First open of a new folder: check + copy",
            "",
            "`python -m dashboard validate --data-dir DIR` on a folder the cache has not seen (its earlier copies "
            "deleted first): every row checked as the page checks it and written into the typed Parquet copy the "
            "engine queries, which is what the first page open of a new or changed folder does before anything is "
            "shown. Peak memory is that of the command's process tree (it builds the copy in a child process). The "
            "server then opens the copy: its first script run (the warm-up, over the websocket with no browser, "
            "before the timed opens) starts the engine and reads what every page needs.",
            "",
            "| events | app | check + copy | its peak memory | machine load before → after | other processes' CPU "
            "| server's first page run after start (warm-up) |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in copies:
            peak = r["copy_peak_mb"]
            spread = f" ({min(peak):,.0f}–{max(peak):,.0f})" if len(peak) > 1 else ""
            warm = f"{r['warm_up_s']:.2f} s" if r.get("warm_up_s") is not None else "—"
            lines.append(
                f"| {size_label(r)} | {app_label(r)} | {cell({**r, 'runs': len(r['copy_s'])}, 'copy_s')} | "
                f"{statistics.median(peak):,.0f} MB{spread} | {r['copy_load_before']:.1f} → {r['copy_load_after']:.1f} "
                f"| {others_cell(r, 'copy_others_cpu')} | {warm} |"
            )
    lines += [
        "",
        "## Against the targets (the dashboard on DuckDB, medians)",
        "",
        "| events | measure | target | dashboard | |",
        "|---|---|---|---|---|",
    ]
    for size in sizes:
        if size not in TARGETS:
            continue
        d = by.get(("dashboard", "duckdb", size)) or by.get(("dashboard", "pandas", size))
        b = by.get(("baseline", None, size))
        for key in TARGETS[size]:
            name = "server peak memory" if key == MEMORY else METRICS[key]
            text, figure, outcome = verdict(size, key, d, b)
            lines.append(f"| {size} | {name} | {text} | {figure} | {outcome} |")
    old = list(METRICS)[:4]  # the baseline has no bins
    ratios = ["", "## Baseline ÷ dashboard (medians; only where both were measured)", ""]
    ratios += ["| events | " + " | ".join(METRICS[k] for k in old) + " |", "|---|" + "---|" * len(old)]
    header = len(ratios)
    for size in sizes:
        d = by.get(("dashboard", "duckdb", size)) or by.get(("dashboard", "pandas", size))
        b = by.get(("baseline", None, size))
        if not d or not b or b.get("not_run"):
            continue
        cells = []
        for key in old:
            mine, theirs = median(d, key), median(b, key)
            if mine and theirs:
                cells.append(f"{theirs / mine:.1f}×")
            elif b.get("cut_off", {}).get(key):
                cells.append(f"— (baseline cut off after {b['limit_s']:.0f} s)")
            else:
                cells.append("—")
        ratios.append(f"| {size} | " + " | ".join(cells) + " |")
    if len(ratios) > header:
        lines += ratios
    notes = [f"- {app_label(r)} {r['size']}: {why}" for r in measured for why in sorted(set(r.get("skipped", [])))]
    if notes:
        lines += ["", "Runs that measured nothing and were repeated:", "", *notes]
    if load:
        lines += [
            "",
            "## Many users at once (`python -m bench.load`, bundled data)",
            "",
            "| sessions | run | checked changes | fewest per session | change → updated page, p50 | p95 | "
            "pages not their own | errors | other processes' CPU | measured |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| {load['sessions']} | {load['seconds']:.0f} s | {load['changes']} | {load['fewest']} | "
            f"{load['p50']:.2f} s | {load['p95']:.2f} s | {load['mismatches']} | {load['errors']} | "
            f"{others_cell(load, 'others_cpu')} | {load.get('when', meta['when'])}, "
            f"{load.get('commit', 'commit not recorded')} |",
            "",
            load["summary"],
        ]
    text = "\n".join(lines) + "\n"
    kept = kept_text()
    if kept:
        text += "\n" + kept
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    return text


def plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, (len(METRICS) + 1) // 2, figsize=(15, 8), sharey=True)
    styles = ["o-", "D-", "s--", "^:"]
    series = list(dict.fromkeys(app_label(r) for r in results if not r.get("not_run")))
    for ax, (key, title) in zip(axes.flat, METRICS.items(), strict=False):
        for label, style in zip(series, styles * 2, strict=False):
            rows = [r for r in results if app_label(r) == label and not r.get("not_run")]
            done = sorted((r["events"], median(r, key)) for r in rows if median(r, key))
            if done:
                ax.plot(*zip(*done, strict=True), style, label=label)
            for r in rows:
                if r.get("cut_off", {}).get(key):
                    ax.plot([r["events"]], [r["limit_s"]], "x", color="red")
                    ax.annotate("cut off", (r["events"], r["limit_s"]), textcoords="offset points", xytext=(-20, 6))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("events")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("seconds (median)")
    axes.flat[0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(RESULTS / "time_vs_events.png", dpi=110)
    shutil.copyfile(RESULTS / "time_vs_events.png", PLOT_COPY)


def run_load_test(sessions: int, seconds: float, wait_quiet: float) -> dict:
    wait_until_quiet(wait_quiet)
    others = OthersCpu().start()
    report, log_errors = load_test(sessions, seconds, REPO / "data", log=RESULTS / "load-server.log")
    share = others.share()
    summary = summary_line(report, sessions, seconds, log_errors)
    print(summary, flush=True)
    return {
        "sessions": sessions,
        "seconds": seconds,
        "when": date.today().isoformat(),
        "commit": git_version(),
        "others_cpu": share,
        "changes": report.changes,
        "fewest": min(report.checked.values(), default=0),
        "p50": report.percentile(50),
        "p95": report.percentile(95),
        "mismatches": len(report.mismatches),
        "errors": len(report.errors) + len(log_errors),
        "summary": summary,
        "first_problems": (report.mismatches + report.errors + log_errors)[:20],
    }


def previous_results() -> tuple[list[dict], dict | None]:
    """The rows and load test of the last results.json, each with the date it was measured."""
    path = RESULTS / "results.json"
    if not path.exists():
        return [], None
    old = json.loads(path.read_text())
    when = old.get("meta", {}).get("when", "date not recorded")
    rows = [{"when": when, **r} for r in old.get("results", [])]
    load = {"when": when, **old["load"]} if old.get("load") else None
    return rows, load


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, limit {QUICK_LIMIT:.0f} s, no load")
    parser.add_argument(
        "--sizes",
        help=f"comma-separated: bundled and event counts (default {FULL_SIZES}); from {PARQUET_FROM:,}, Parquet folders",
    )
    parser.add_argument("--apps", default=",".join(APPS), help="dashboard, baseline or both (default)")
    parser.add_argument(
        "--engine",
        default="duckdb",
        help="the dashboard's query engine(s), comma-separated: duckdb (default), spark",
    )
    parser.add_argument(
        "--spark-master", default=DEFAULT_SPARK_MASTER, help=f"for --engine spark (default {DEFAULT_SPARK_MASTER})"
    )
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help="runs per figure (the median is reported)")
    parser.add_argument("--limit", type=float, help="seconds before a wait is cut off (default 120; --quick 30)")
    parser.add_argument("--no-load", action="store_true", help="skip the 20-session load test of a full run")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=600.0,
        help="before each measurement, wait at most this many seconds for other processes to calm down (default 600)",
    )
    parser.add_argument(
        "--merge", action="store_true", help="keep the last results.json's rows this run does not measure (dated)"
    )
    args = parser.parse_args(argv)
    sizes = (args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)).split(",")
    apps = args.apps.split(",")
    engines = args.engine.split(",")
    for name, chosen, known in (("app", apps, APPS), ("engine", engines, ENGINES)):
        unknown = [c for c in chosen if c not in known]
        if unknown:
            parser.error(f"unknown {name} {', '.join(unknown)}: choose from {', '.join(known)}")
    limit = args.limit or (QUICK_LIMIT if args.quick else FULL_LIMIT)
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found: apt-get install -y chromium, or set DASHBOARD_CHROMIUM")
    # Streamlit's file watcher would reload modules (and reset their state) if a source file changed mid-run.
    os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    # Every server and `validate` this run starts keeps its Parquet copies in the ignored bench/generated/.
    CACHE.mkdir(parents=True, exist_ok=True)
    os.environ[CACHE_ENV] = str(CACHE)
    began = time.monotonic()
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS + OFFLINE_FLAGS)
        meta = {
            "quick": args.quick,
            "when": date.today().isoformat(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "chromium": browser.version,
            "python": platform.python_version(),
            "runs": args.runs,
            "limit": limit,
            "commit": git_version(),
        }
        for size in sizes:
            for app in apps:
                if app == "baseline" and size != "bundled" and int(size) > BASELINE_MAX:
                    results.append(not_run(app, size, expectations(data_folder(size)).total, BASELINE_NOT_RUN))
                    continue
                for engine in engines if app == "dashboard" else [None]:
                    results.append(
                        measure(browser, app, size, limit, args.runs, engine, args.spark_master, args.wait_quiet)
                    )
        browser.close()
    load = None
    if not args.quick and not args.no_load:
        load = run_load_test(LOAD_SESSIONS, LOAD_SECONDS, args.wait_quiet)
    if args.merge:
        old_rows, old_load = previous_results()
        done = {row_key(r) for r in results}
        results += [r for r in old_rows if row_key(r) not in done]
        load = load or old_load
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps({"meta": meta, "results": results, "load": load}, indent=1))
    print(write_report(results, meta, load))
    if not args.quick:
        plot(results)
    print(f"took {time.monotonic() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
