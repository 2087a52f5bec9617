"""Measure the dashboard against the plain-folium baseline in headless Chromium, side by side.

    python -m bench.run [--sizes bundled,1000,10000,100000] [--limit 120] [--apps dashboard,baseline]

For each size it starts each app on 127.0.0.1 (as the browser tests do), opens it with every other host
blocked, and measures: open -> map painted with its events; a date-range change (one PageDown on the
end of the slider) -> the updated map painted; a click on an event -> its details; bytes the server sent
for that date-change render; the server's peak memory. A measurement over --limit seconds is cut off.
Writes bench/results/results.json, a Markdown table (results.md) and a plot (time_vs_events.png).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from browser_support import CHROMIUM_FLAGS, MAP_IFRAME, SUMMARY, dashboard_server, find_chromium  # noqa: E402

from bench.generate import generate  # noqa: E402

RESULTS = REPO / "bench" / "results"
APPS = {"dashboard": "dashboard/app.py", "baseline": "bench/baseline_app.py"}


class CutOff(Exception):
    """A measurement ran past the time limit."""


def data_folder(size: str) -> Path:
    if size == "bundled":
        return REPO / "data"
    folder = REPO / "bench" / "data" / size
    if not (folder / "events.csv").exists():
        generate(int(size), folder)
    return folder


def peak_memory_mb(pid: int) -> float:
    """The server's peak resident memory (VmHWM), with its child processes' current memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Probe:
    """One page of one app, with the hooks the measurements need."""

    def __init__(self, browser, app: str, base: str, limit: float, context=None):
        self.app, self.base, self.limit = app, base, limit
        self.own_context = context is None
        self.context = context or browser.new_context(viewport={"width": 1500, "height": 1600})
        self.page = self.context.new_page()
        self.bytes = 0
        self.page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._count))
        self.page.on("response", self._count_response)

    def _count(self, payload):
        self.bytes += len(payload)

    def _count_response(self, response):
        if "/payloads/" in response.url:  # the map's event data, fetched per render
            try:
                self.bytes += len(response.body())
            except Exception:
                pass

    def wait(self, condition, what: str):
        deadline = time.monotonic() + self.limit
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except Exception:
                pass
            self.page.wait_for_timeout(20)
        raise CutOff(what)

    def summary(self) -> int:
        return int(SUMMARY.search(self.page.get_by_text(SUMMARY).first.inner_text()).group(1))

    def map_frame(self):
        frames = [f for f in self.page.frames if "streamlit_folium" in f.url]
        return frames[-1] if frames else None

    def painted(self, expected: int, not_frame=None) -> bool:
        frame = self.map_frame()
        if frame is None or frame is not_frame:
            return False
        if self.app == "dashboard":
            return (frame.evaluate("() => window.__dmDrawn || 0") or 0) >= expected
        return frame.locator(".leaflet-marker-icon").count() >= expected

    def open(self) -> float:
        start = time.monotonic()
        self.page.goto(self.base + "/", wait_until="domcontentloaded")
        self.wait(lambda: self.page.get_by_text(SUMMARY).count() > 0, "summary")
        self.wait(lambda: self.painted(self.summary()), "map painted")
        return time.monotonic() - start

    def change_date(self) -> tuple[float, int, int]:
        before, old_frame = self.summary(), self.map_frame()
        thumb = self.page.locator('[data-testid="stSlider"] input[type="range"]').nth(1)
        thumb.focus()
        self.page.wait_for_timeout(300)
        self.bytes = 0
        start = time.monotonic()
        thumb.press("PageDown")
        self.wait(lambda: self.summary() != before, "summary after date change")
        after = self.summary()
        self.wait(lambda: self.painted(after, not_frame=old_frame), "map repainted")
        elapsed = time.monotonic() - start
        self.page.wait_for_timeout(500)  # late frames of the same render
        return elapsed, after, self.bytes

    def click_event(self) -> float:
        frame = self.map_frame()
        box = self.page.locator(MAP_IFRAME).last.bounding_box()
        if self.app == "dashboard":
            point = frame.evaluate("""() => {
                const size = window.map.getSize();
                for (const id in window.map._layers) {
                    const layer = window.map._layers[id];
                    if (layer._x && layer._x.length) {
                        for (let i = 0; i < layer._x.length; i++) {
                            const x = layer._x[i], y = layer._y[i];
                            if (x < 60 || y < 60 || x > size.x - 60 || y > size.y - 60) continue;
                            // not under the legend, a control or a numbered stop
                            const hit = document.elementFromPoint(x, y);
                            if (hit && (hit.tagName === "CANVAS" || hit.classList.contains("leaflet-container")
                                        || hit.tagName === "path")) return [x, y];
                        }
                    }
                }
                const marker = document.querySelector('.dm-dot-icon, .dm-stop');
                const r = marker.getBoundingClientRect();
                return [r.left + r.width / 2, r.top + r.height / 2];
            }""")
            start = time.monotonic()
            self.page.mouse.click(box["x"] + point[0], box["y"] + point[1])
            self.wait(lambda: self.page.get_by_role("link", name="Source:", exact=False).count() > 0
                      or self.page.get_by_text("Source:").count() > 0, "details panel")
        else:
            marker = frame.locator(".leaflet-marker-icon").first
            start = time.monotonic()
            marker.click(force=True)
            self.wait(lambda: self.map_frame().locator(".leaflet-popup-content").count() > 0, "popup")
        return time.monotonic() - start

    def close(self):
        self.page.close()
        if self.own_context:
            self.context.close()


def measure(browser, app: str, size: str, limit: float) -> dict:
    folder = data_folder(size)
    result: dict = {"app": app, "size": size}
    RESULTS.mkdir(parents=True, exist_ok=True)
    with dashboard_server(folder, timeout=120, script=APPS[app], log_path=RESULTS / f"server-{app}-{size}.log") as server:
        probe = Probe(browser, app, server.url, limit)
        try:
            # The first visitor also pays for the server's cold start (imports, reading the data); a new
            # visitor's browser then loads Streamlit's ~150 script chunks; a returning visitor has them cached.
            result["open_cold_s"] = probe.open()
            probe.close()
            context = browser.new_context(viewport={"width": 1500, "height": 1600})
            probe = Probe(browser, app, server.url, limit, context)
            result["open_new_visitor_s"] = probe.open()
            probe.close()
            probe = Probe(browser, app, server.url, limit, context)
            result["open_s"] = probe.open()
            result["events_in_view"] = probe.summary()
            result["change_s"], result["events_after_change"], result["change_bytes"] = probe.change_date()
            result["click_s"] = probe.click_event()
        except CutOff as exc:
            result["cut_off"] = f"{exc} (> {limit:.0f} s)"
        finally:
            result["server_peak_mb"] = peak_memory_mb(server.pid)
            probe.close()
            if not probe.own_context:
                probe.context.close()
    if result.get("change_bytes") and result.get("events_after_change"):
        result["bytes_per_event"] = result["change_bytes"] / result["events_after_change"]
    print(json.dumps(result), flush=True)
    return result


def fmt(value, unit="s"):
    if value is None:
        return "—"
    return f"{value:.2f} {unit}" if unit == "s" else f"{value:,.0f}"


def write_report(results: list[dict]) -> None:
    lines = ["| events | app | open → map painted: returning visitor | new visitor | first visit after server start | "
             "date change → map painted | click → details | bytes per event (date change) | server peak memory | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['size']} | {r['app']} | {fmt(r.get('open_s'))} | {fmt(r.get('open_new_visitor_s'))} | "
                     f"{fmt(r.get('open_cold_s'))} | {fmt(r.get('change_s'))} | "
                     f"{fmt(r.get('click_s'))} | {fmt(r.get('bytes_per_event'), 'n')} | "
                     f"{r.get('server_peak_mb', float('nan')):.0f} MB | {r.get('cut_off', '')} |")
    by = {(r["app"], r["size"]): r for r in results}
    lines.append("")
    lines.append("| events | open: baseline ÷ dashboard | date change | click |")
    lines.append("|---|---|---|---|")
    for size in dict.fromkeys(r["size"] for r in results):
        d, b = by.get(("dashboard", size)), by.get(("baseline", size))
        if not d or not b:
            continue
        cells = []
        for key in ("open_s", "change_s", "click_s"):
            if d.get(key) and b.get(key):
                cells.append(f"{b[key] / d[key]:.1f}×")
            elif d.get(key) and b.get("cut_off"):
                cells.append(f"> {LIMIT_FOR_REPORT / d[key]:.0f}× (baseline cut off)")
            else:
                cells.append("—")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    (RESULTS / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def plot(results: list[dict]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, key, title in zip(axes, ("open_s", "change_s", "click_s"),
                              ("open → map painted", "date change → map painted", "click → details")):
        for app, style in (("dashboard", "o-"), ("baseline", "s--")):
            points = [(int(r["size"]) if r["size"] != "bundled" else r.get("events_in_view", 55), r.get(key))
                      for r in results if r["app"] == app]
            done = [(n, t) for n, t in points if t]
            cut = [n for n, t in points if not t]
            if done:
                ax.plot(*zip(*sorted(done)), style, label=app)
            for n in cut:
                ax.plot([n], [LIMIT_FOR_REPORT], "x", color="red")
                ax.annotate("cut off", (n, LIMIT_FOR_REPORT), textcoords="offset points", xytext=(-20, 6), fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("events")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("seconds")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "time_vs_events.png", dpi=110)


LIMIT_FOR_REPORT = 120.0


def main(argv=None) -> None:
    global LIMIT_FOR_REPORT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="bundled,1000,10000,100000")
    parser.add_argument("--apps", default="dashboard,baseline")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds before a measurement is cut off")
    args = parser.parse_args(argv)
    LIMIT_FOR_REPORT = args.limit
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found: apt-get install -y chromium, or set DASHBOARD_CHROMIUM")
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        for size in args.sizes.split(","):
            for app in args.apps.split(","):
                results.append(measure(browser, app, size, args.limit))
        browser.close()
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1))
    write_report(results)
    plot(results)


if __name__ == "__main__":
    main()
