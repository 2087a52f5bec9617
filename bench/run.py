"""Measure the dashboard against the plain-folium baseline in headless Chromium, side by side.

    python -m bench.run --quick     # bundled data and 10,000 events, both apps; a few minutes
    python -m bench.run             # bundled, 1,000, 10,000 and 100,000 events, then 20 sessions at once
    python -m bench.run --sizes bundled,100000 --apps dashboard --runs 5 --limit 120

Both apps are timed by ONE in-page signal: inside the map's iframe each sets
`window.__dmPainted = {view, count, at}` one animation frame after it has drawn a view (`count` events;
`view` names what is drawn; `at` is the iframe's performance.now()). Every time below is taken inside
the browser, from the browser's own clocks (each document's `performance.timeOrigin` plus `now()`):

- open -> map painted: navigation start of a new browser context (nothing cached; the server warmed up by
  one unmeasured script run) until the map has painted as many events as the page's "N of M events" says.
- date change -> map painted: the keydown of one PageDown on the end of the date slider until the map has
  painted a new view with the new summary's N events. A step that leaves N unchanged is not counted.
- click -> source link in the map: the mousedown on an event in the map until a new `a.dm-source` link is
  visible in a Leaflet popup in the map (the dashboard's card; the baseline's marker popup).
- click -> details panel: the same mousedown until the page shows the title as a heading (### or ####) of an event
  whose source is that link.

Each figure is the median of --runs runs (at least 3) with the spread (min-max). A wait longer than
--limit seconds is cut off, reported as "cut off after N s", and that figure's remaining runs are skipped.
Other hosts are unreachable (Chromium resolves every other name to nothing), as on a closed network.
Also measured: bytes the server sent per event in view during a date change (websocket frames plus
HTTP bodies), and the peak resident memory of the server's process tree (sampled every 0.1 s, and the
main process's own high-water mark). Writes docs/bench_results.md, bench/results/results.json and, for a
full run, bench/results/time_vs_events.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from browser_support import CHROMIUM_FLAGS, MAP_IFRAME, dashboard_server, find_chromium  # noqa: E402

from bench.generate import generated_folder  # noqa: E402
from bench.load import Expectations, load_test, run_once, summary_line  # noqa: E402
from bench.memory import TreeMemory  # noqa: E402

RESULTS = REPO / "bench" / "results"
REPORT = REPO / "docs" / "bench_results.md"
APPS = {"dashboard": "dashboard/app.py", "baseline": "bench/baseline_app.py"}
FULL_SIZES, QUICK_SIZES = "bundled,1000,10000,100000", "bundled,10000"
FULL_LIMIT, QUICK_LIMIT = 120.0, 15.0
MIN_RUNS = 3
VIEWPORT = {"width": 1500, "height": 1400}
# Every host but the server's own resolves to nothing: fails at once, as on a closed network, and without
# routing each request through Python (which would add its own delay to every one of ~100 script files).
OFFLINE_FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
LOAD_SESSIONS, LOAD_SECONDS = 20, 60.0
CLICK_TRY_SECONDS = 4.0  # a click that opens no card in this time missed (an empty spot): try another event
DATE_SKIP_SECONDS = 10.0
SETTLE_SECONDS = 1.0  # before each run: the last one's late work (GC, closing a page) is not timed in the next  # a date step that leaves N unchanged may draw nothing new: wait this long at most

METRICS = {
    "open_s": "open → map painted",
    "change_s": "date change → map painted",
    "card_s": "click → source link in the map",
    "panel_s": "click → details panel",
}
# (metric, target in seconds or "baseline": no slower than the baseline's median)
TARGETS = {
    "bundled": {"open_s": "baseline", "change_s": 0.30, "card_s": 0.10, "panel_s": 0.5},
    "10000": {"open_s": 2.0, "change_s": 0.40, "card_s": 0.10, "panel_s": 0.5},
    "100000": {"open_s": 3.0, "change_s": 0.80, "card_s": 0.10, "panel_s": 0.8},
}

# Runs in every frame, the map's iframe included, before the page's own scripts: when was the last key
# pressed and the last mouse button pressed, on the frame's clock (ms since the epoch, sub-ms resolution).
INIT_SCRIPT = """
addEventListener('keydown', () => { window.__benchKeyAt = performance.timeOrigin + performance.now(); }, true);
addEventListener('mousedown', () => { window.__benchDownAt = performance.timeOrigin + performance.now(); }, true);
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
CLICK_TARGETS = """([avoid, points]) => {
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
                if (hit && hit.tagName === 'CANVAS') found.push([x, y]);
            }
            if (found.length >= 20) return found;
        }
    }
    for (const el of document.querySelectorAll('.leaflet-marker-icon, .leaflet-marker-pane > *, path.leaflet-interactive')) {
        const r = el.getBoundingClientRect();
        if (!r.width || r.width > 48 || r.height > 48) continue;
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (!free(x, y)) continue;
        const hit = document.elementFromPoint(x, y);
        if (hit === el || el.contains(hit)) found.push([x, y]);
        if (found.length >= 40) return found;
    }
    return found;
}"""
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
SLIDER_RANGE = """() => [...document.querySelector('[data-testid="stSlider"]').querySelectorAll('input[type="range"]')]
    .map((i) => Number(i.value))"""


class CutOff(Exception):
    """A wait ran past the limit."""


class Skip(Exception):
    """A run that measured nothing (a date step that changed no count, a click on the same event)."""


def data_folder(size: str) -> Path:
    return REPO / "data" if size == "bundled" else generated_folder(int(size))


class Probe:
    """One browser page of one app, measured through the in-page signal."""

    def __init__(self, context, base: str, expect: Expectations, limit: float):
        self.context, self.base, self.expect, self.limit = context, base, expect, limit
        self.page = context.new_page()
        self.state: dict | None = None  # the last painted state: summary, n, view
        self.clicked: list[list[float]] = []
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
        targets = frame.evaluate(CLICK_TARGETS, [self.clicked, self._points()])
        deadline = time.monotonic() + self.limit
        for x, y in targets:
            if time.monotonic() > deadline:
                break
            frame.evaluate(MARK_CARDS)
            self.clicked.append([x, y])
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
        raise CutOff("click → source link (no event on the map opened a card)")

    def close(self) -> None:
        self.context.close()


def new_probe(browser, server_url: str, expect: Expectations, limit: float) -> Probe:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(INIT_SCRIPT)
    return Probe(context, server_url, expect, limit)


class NotMeasured(Exception):
    """Every try of a figure was skipped."""


def runs_of(measure_once, runs: int, notes: list[str], key: str) -> list:
    """`runs` results of `measure_once`, each after a pause; a Skip is noted and tried again (a few times)."""
    done, skipped = [], 0
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


def measure(browser, app: str, size: str, limit: float, runs: int) -> dict:
    """Every figure of one app on one data folder. After a cut-off the remaining figures are not measured:
    the page is still busy with the cut-off work, and it would be cut off again."""
    began = time.monotonic()
    folder = data_folder(size)
    expect = Expectations(folder)
    result: dict = {
        "app": app,
        "size": size,
        "events": expect.total,
        "runs": runs,
        "limit_s": limit,
        "load_before": os.getloadavg()[0],
        "cut_off": {},
        "not_measured": {},
        "skipped": [],
    }
    result.update({key: [] for key in METRICS})
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"server-{app}-{size}.log"
    probe: Probe | None = None
    key = "open_s"
    with dashboard_server(folder, timeout=180, script=APPS[app], log_path=log) as server:
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

                result["open_s"] = runs_of(open_once, runs, result["skipped"], key)
                result["events_in_view"] = probe.state["n"]
                key = "change_s"
                changes = runs_of(probe.change_date, runs, result["skipped"], key)
                result["change_s"] = [seconds for seconds, _ in changes]
                result["bytes_per_event"] = statistics.median(per_event for _, per_event in changes)
                key = "card_s"
                clicks = runs_of(probe.click_event, runs, result["skipped"], key)
                result["card_s"], result["panel_s"] = [c for c, _ in clicks], [p for _, p in clicks]
                result["clicked"] = probe.hrefs
            except CutOff as what:
                if probe and probe.card_without_panel is not None:
                    result["card_s"].append(probe.card_without_panel)
                    key = "panel_s"
                result["cut_off"][key] = f"{what}: cut off after {limit:.0f} s"
                for later in list(METRICS)[list(METRICS).index(key) + 1 :]:
                    result["not_measured"].setdefault(later, "after the cut-off")
            except NotMeasured as why:
                result["not_measured"][key] = str(why)
            finally:
                if probe:
                    probe.close()
        result["server_peak_mb"] = memory.peak_mb
    result["load_after"] = os.getloadavg()[0]
    result["took_s"] = time.monotonic() - began
    print(json.dumps(result), flush=True)
    return result


# ----------------------------------------------------------------------------------------------- report


def cell(result: dict | None, key: str) -> str:
    """A figure as "median (min–max)", or why there is none."""
    if result is None:
        return "not run"
    samples = result.get(key) or []
    cut = result.get("cut_off", {}).get(key)
    if cut:
        done = f", {len(samples)} of {result['runs']} runs done before" if samples else ""
        return f"cut off after {result['limit_s']:.0f} s{done}"
    if key in result.get("not_measured", {}):
        return f"not measured ({result['not_measured'][key]})"
    if not samples:
        return "not measured"
    text = f"{statistics.median(samples):.2f} s ({min(samples):.2f}–{max(samples):.2f})"
    return text if len(samples) >= MIN_RUNS else text + f", only {len(samples)} runs"


def median(result: dict | None, key: str) -> float | None:
    if not result or result.get("cut_off", {}).get(key) or len(result.get(key) or []) < 1:
        return None
    return statistics.median(result[key])


def verdict(size: str, key: str, dashboard: dict | None, baseline: dict | None) -> tuple[str, str]:
    """(target as text, "met" / "**not met**" / why it cannot be judged)."""
    target = TARGETS[size][key]
    mine = median(dashboard, key)
    if target == "baseline":
        text = "no slower than the baseline"
        theirs = median(baseline, key)
        if mine is None:
            return text, "not measured"
        if theirs is None:
            if baseline and baseline.get("cut_off", {}).get(key) and mine <= baseline["limit_s"]:
                return text, "met (baseline cut off)"
            return text, "cannot judge: baseline not measured"
        return text, "met" if mine <= theirs else "**not met**"
    text = f"≤ {target:.2f} s"
    if mine is None:
        return text, "**not met** (cut off)" if dashboard and dashboard.get("cut_off", {}).get(key) else "not measured"
    return text, "met" if mine <= target else "**not met**"


def write_report(results: list[dict], meta: dict, load: dict | None) -> str:
    by = {(r["app"], r["size"]): r for r in results}
    sizes = list(dict.fromkeys(r["size"] for r in results))
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench.run{' --quick' if meta['quick'] else ''}` on {meta['when']}: "
        f"{meta['cpus']} cores, {meta['machine']}, Chromium {meta['chromium']} (headless, software rendering), "
        f"Python {meta['python']}. Each figure is the median of {meta['runs']} runs with the spread (min–max); "
        f"a wait over {meta['limit']:.0f} s is cut off and reported as such. How each time is taken: "
        "see `bench/run.py`; both apps are timed by the same in-page signal (`window.__dmPainted` in the map). "
        f"Machine load is the 1-minute load average ({meta['cpus']} cores): above {meta['cpus']}, other work "
        "competed with the measurement and the figures are slower than on an idle machine.",
        "",
        "| events | app | " + " | ".join(METRICS.values()) + " | bytes per event (date change) | server peak memory "
        "| machine load before → after |",
        "|---|---|" + "---|" * (len(METRICS) + 3),
    ]
    for size in sizes:
        for app in APPS:
            r = by.get((app, size))
            if r is None:
                continue
            label = f"bundled ({r['events']})" if size == "bundled" else f"{int(size):,}"
            bytes_cell = f"{r['bytes_per_event']:,.0f}" if r.get("bytes_per_event") is not None else "—"
            lines.append(
                f"| {label} | {app} | " + " | ".join(cell(r, k) for k in METRICS) + f" | {bytes_cell} | "
                f"{r.get('server_peak_mb', float('nan')):.0f} MB | {r['load_before']:.1f} → {r['load_after']:.1f} |"
            )
    lines += ["", "## Against the targets (the dashboard's medians)", "", "| events | measure | target | dashboard | |"]
    lines.append("|---|---|---|---|---|")
    for size in sizes:
        if size not in TARGETS:
            continue
        d, b = by.get(("dashboard", size)), by.get(("baseline", size))
        for key, name in METRICS.items():
            target, outcome = verdict(size, key, d, b)
            lines.append(f"| {size} | {name} | {target} | {cell(d, key)} | {outcome} |")
    lines += ["", "## Baseline ÷ dashboard (medians; only where both were measured)", ""]
    lines += ["| events | " + " | ".join(METRICS.values()) + " |", "|---|" + "---|" * len(METRICS)]
    for size in sizes:
        d, b = by.get(("dashboard", size)), by.get(("baseline", size))
        if not d or not b:
            continue
        cells = []
        for key in METRICS:
            mine, theirs = median(d, key), median(b, key)
            if mine and theirs:
                cells.append(f"{theirs / mine:.1f}×")
            elif b.get("cut_off", {}).get(key):
                cells.append(f"— (baseline cut off after {b['limit_s']:.0f} s)")
            else:
                cells.append("—")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    notes = [f"- {r['app']} {r['size']}: {why}" for r in results for why in sorted(set(r.get("skipped", [])))]
    if notes:
        lines += ["", "Runs that measured nothing and were repeated:", "", *notes]
    if load:
        lines += [
            "",
            "## Many users at once (`python -m bench.load`, bundled data)",
            "",
            "| sessions | run | checked changes | fewest per session | change → updated page, p50 | p95 | "
            "pages not their own | errors |",
            "|---|---|---|---|---|---|---|---|",
            f"| {load['sessions']} | {load['seconds']:.0f} s | {load['changes']} | {load['fewest']} | "
            f"{load['p50']:.2f} s | {load['p95']:.2f} s | {load['mismatches']} | {load['errors']} |",
            "",
            load["summary"],
        ]
    text = "\n".join(lines) + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    return text


def plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(16, 4), sharey=True)
    for ax, (key, title) in zip(axes, METRICS.items(), strict=True):
        for app, style in (("dashboard", "o-"), ("baseline", "s--")):
            rows = [r for r in results if r["app"] == app]
            done = sorted((r["events"], median(r, key)) for r in rows if median(r, key))
            if done:
                ax.plot(*zip(*done, strict=True), style, label=app)
            for r in rows:
                if r.get("cut_off", {}).get(key):
                    ax.plot([r["events"]], [r["limit_s"]], "x", color="red")
                    ax.annotate("cut off", (r["events"], r["limit_s"]), textcoords="offset points", xytext=(-20, 6))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("events")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("seconds (median)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "time_vs_events.png", dpi=110)


def run_load_test(sessions: int, seconds: float) -> dict:
    report, log_errors = load_test(sessions, seconds, REPO / "data", log=RESULTS / "load-server.log")
    summary = summary_line(report, sessions, seconds, log_errors)
    print(summary, flush=True)
    return {
        "sessions": sessions,
        "seconds": seconds,
        "changes": report.changes,
        "fewest": min(report.checked.values(), default=0),
        "p50": report.percentile(50),
        "p95": report.percentile(95),
        "mismatches": len(report.mismatches),
        "errors": len(report.errors) + len(log_errors),
        "summary": summary,
        "first_problems": (report.mismatches + report.errors + log_errors)[:20],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, limit {QUICK_LIMIT:.0f} s, no load")
    parser.add_argument("--sizes", help=f"comma-separated: bundled and event counts (default {FULL_SIZES})")
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help="runs per figure (the median is reported)")
    parser.add_argument("--limit", type=float, help="seconds before a wait is cut off (default 120; --quick 30)")
    parser.add_argument("--no-load", action="store_true", help="skip the 20-session load test of a full run")
    args = parser.parse_args(argv)
    sizes = (args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)).split(",")
    limit = args.limit or (QUICK_LIMIT if args.quick else FULL_LIMIT)
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found: apt-get install -y chromium, or set DASHBOARD_CHROMIUM")
    # Streamlit's file watcher would reload modules (and reset their state) if a source file changed mid-run.
    os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
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
        }
        for size in sizes:
            for app in args.apps.split(","):
                results.append(measure(browser, app, size, limit, args.runs))
        browser.close()
    load = None
    if not args.quick and not args.no_load:
        load = run_load_test(LOAD_SESSIONS, LOAD_SECONDS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps({"meta": meta, "results": results, "load": load}, indent=1))
    print(write_report(results, meta, load))
    if not args.quick:
        plot(results)
    print(f"took {time.monotonic() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
