"""Many users at once: Streamlit sessions over the dashboard's own websocket, each changing its view.

    python -m bench.load [--sessions 20] [--seconds 60] [--url http://127.0.0.1:PORT]

Without --url it starts the dashboard on 127.0.0.1 and a free port (as the browser tests do). Each
session speaks Streamlit's protocol (protobuf over /_stcore/stream), as a browser tab would: it opens the
page, then in a loop moves the date range, types a search, and clicks an event on the map (the map
component's return value), and after each change checks that the page it gets back is its own: the
summary names its own date range and the details panel its own event. It reports the 50th and 95th
percentile of the time from a change to the updated page (the script run finished), every mismatch, and
every error in the pages or the server log.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

REPO = Path(__file__).resolve().parent.parent
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# (event_id, a phrase of its title, its date): what sessions select, to check each gets its own details.
EVENTS = [("lai-2024-honolulu", "Honolulu", date(2024, 11, 30)), ("lai-2024-majuro", "Majuro", date(2024, 12, 3)),
          ("lai-2024-guam", "Guam", date(2024, 12, 4)), ("lai-2024-palau", "Palau", date(2024, 12, 5)),
          ("arms-2024-11-imse", "Improved Mobile Subscriber", date(2024, 11, 29)),
          ("pla-joint-sword-2024b", "Joint Sword-2024B", date(2024, 10, 14))]
SEARCHES = ["", "Lai", "Taiwan", "arms"]
THINK_SECONDS = (0.5, 2.0)  # a person reads the page before the next change; 0 would be a flood, not users


def micros(day: date) -> int:
    return int((datetime(day.year, day.month, day.day, tzinfo=timezone.utc) - EPOCH).total_seconds() * 1_000_000)


@dataclass
class Page:
    """What one script run sent back: markdown texts, widget ids, errors."""

    texts: list[str] = field(default_factory=list)
    widget_ids: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class Report:
    latencies: list[float] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    changes: int = 0

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))] if data else float("nan")


def _collect(msg: ForwardMsg, page: Page) -> None:
    if not msg.HasField("delta") or not msg.delta.HasField("new_element"):
        return
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "markdown":
        page.texts.append(element.markdown.body)
    elif kind == "exception":
        page.errors.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert" and element.alert.format == 1:  # ERROR
        page.errors.append(element.alert.body)
    elif kind == "slider" and element.slider.id.endswith("date_range"):
        page.widget_ids["date_range"] = element.slider.id
    elif kind == "text_input" and element.text_input.id.endswith("search"):
        page.widget_ids["search"] = element.text_input.id
    elif kind == "component_instance" and "streamlit_folium" in element.component_instance.component_name:
        page.widget_ids["map"] = element.component_instance.id


class Session:
    """One simulated browser tab."""

    def __init__(self, url: str, number: int, report: Report):
        self.ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.number, self.report = number, report
        self.rng = random.Random(number)
        self.widget_ids: dict[str, str] = {}
        self.clicks = 0

    async def run_script(self, ws, query: str = "", states: list | None = None) -> tuple[Page, float]:
        back = BackMsg()
        back.rerun_script.query_string = query
        for state in states or []:
            back.rerun_script.widget_states.widgets.append(state)
        page = Page()
        start = time.monotonic()
        await ws.send(back.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=60))
            _collect(msg, page)
            # A run that ends early for a rerun (a new selection reruns once to draw it) is not the page yet.
            if msg.HasField("script_finished") and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.widget_ids.update(page.widget_ids)
                return page, time.monotonic() - start

    def states(self, start: date, end: date, search: str, event_id: str | None):
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        slider = WidgetState(id=self.widget_ids["date_range"])
        slider.double_array_value.data.extend([micros(start), micros(end)])
        text = WidgetState(id=self.widget_ids["search"], string_value=search)
        states = [slider, text]
        if event_id:
            self.clicks += 1
            click = {"last_active_drawing": {"type": "Feature", "properties": {"event_id": event_id}},
                     "last_object_clicked_count": self.clicks}
            states.append(WidgetState(id=self.widget_ids["map"], json_value=json.dumps(click)))
        return states

    def check(self, page: Page, start: date, end: date, title: str | None) -> None:
        for error in page.errors:
            self.report.errors.append(f"session {self.number}: {error}")
        summary = next((t for t in page.texts if "events**" in t), "")
        wanted = f"{start.day:02d} {start:%b %Y} – {end.day:02d} {end:%b %Y}"
        if wanted not in summary:
            self.report.mismatches.append(f"session {self.number}: asked for {wanted}, page says {summary!r}")
        if title and not any(title.replace("-", "\\-") in t or title in t for t in page.texts):
            self.report.mismatches.append(f"session {self.number}: selected {title!r}, details do not show it")

    async def run(self, seconds: float) -> None:
        async with websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                      origin=self.ws_url.replace("ws://", "http://").split("/_stcore")[0]) as ws:
            await self.run_script(ws)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                event_id, title, day = self.rng.choice(EVENTS)
                start = day - timedelta(days=self.rng.randrange(0, 20))
                end = day + timedelta(days=self.rng.randrange(0, 20))
                search = self.rng.choice(SEARCHES) if self.rng.random() < 0.3 else ""
                await self.change(ws, start, end, search, None, None)
                if not search and self.rng.random() < 0.6:
                    # a click on the map as it is now drawn (its widget id follows what it shows)
                    await self.change(ws, start, end, search, event_id, title)

    async def change(self, ws, start: date, end: date, search: str, event_id: str | None, title: str | None):
        page, elapsed = await self.run_script(ws, states=self.states(start, end, search, event_id))
        self.report.latencies.append(elapsed)
        self.report.changes += 1
        self.check(page, start, end, title)
        await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))


async def run_sessions(url: str, sessions: int, seconds: float) -> Report:
    report = Report()
    results = await asyncio.gather(*(Session(url, n, report).run(seconds) for n in range(sessions)),
                                   return_exceptions=True)
    for n, result in enumerate(results):
        if isinstance(result, BaseException):
            report.errors.append(f"session {n} failed: {type(result).__name__}: {result}")
    return report


def run_load(url: str, sessions: int, seconds: float) -> Report:
    """Run the sessions on an event loop of their own thread (a caller, such as Playwright's sync API,
    may already own the loop of this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run_sessions(url, sessions, seconds)).result()


def server_log_errors(log: Path) -> list[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if re.search(r"Traceback|Error|Exception", line)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="an already running dashboard (default: start one)")
    args = parser.parse_args(argv)
    if args.url:
        report, log_errors = run_load(args.url, args.sessions, args.seconds), []
    else:
        sys.path.insert(0, str(REPO / "tests"))
        from browser_support import dashboard_server
        log = REPO / "bench" / "results" / "load-server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with dashboard_server(log_path=log) as server:
            report = run_load(server.url, args.sessions, args.seconds)
        log_errors = server_log_errors(log)
    print(f"{args.sessions} sessions for {args.seconds:.0f} s: {report.changes} changes; change -> updated page "
          f"p50 {report.percentile(50) * 1000:.0f} ms, p95 {report.percentile(95) * 1000:.0f} ms; "
          f"{len(report.mismatches)} mismatches, {len(report.errors) + len(log_errors)} errors")
    for line in report.mismatches[:20] + report.errors[:20] + log_errors[:20]:
        print("  " + line)
    return 0 if not (report.mismatches or report.errors or log_errors) else 1


if __name__ == "__main__":
    sys.exit(main())
