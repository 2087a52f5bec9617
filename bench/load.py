"""Many users at once: Streamlit sessions over the dashboard's own websocket, each checking its own page.

    python -m bench.load [--sessions 20] [--seconds 60] [--min-changes 3] [--data-dir DIR] [--url URL]

Without --url it starts the dashboard on 127.0.0.1 and a free port (as the browser tests do). Each
session speaks Streamlit's protocol (protobuf over /_stcore/stream) as a browser tab would: it opens the
page, then, pausing 0.5-2 s between changes as a reader would, moves the date range, types a search and
clicks an event of its current view on the map (the map component's value), re-sending every widget's
last value on every rerun as the browser does.

Every page a session gets back is checked against what ITS OWN filters should give, computed here from
the data files with plain pandas (not with the dashboard's code): the summary must read exactly
"N of M events" for its date range and search (events overlapping the range; the search is a
case-insensitive substring of title, description or place), and the details panel must show its own
selected event (heading "#### <title>" and the source link) when that event is in its view, and no other
event's details ever. Each session keeps going until the time is up AND it has made --min-changes checked
changes. The report gives the 50th and 95th percentile of change -> updated page (the script run
finished), every mismatch, and every error in the pages or the server log.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

REPO = Path(__file__).resolve().parent.parent
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
THINK_SECONDS = (0.5, 2.0)  # a person reads the page before the next change; 0 would be a flood, not users
SCRIPT_RUN_TIMEOUT = 120.0  # one script run under load; longer is a hang, reported as a session error
SUMMARY = re.compile(r"\*\*([\d,]+) of ([\d,]+) events\*\*")
HEADING = re.compile(r"^#### (.*)$", re.S)
# Markdown escapes as the page writes them: a backslash before ASCII punctuation; "  \n" is a line break.
UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# The widgets a session drives, found by the end of their element id (Streamlit puts the user key there).
WIDGET_KEYS = ("date_range", "search")
NO_MATCH_SEARCH = "zzq-no-such-text"


def micros(day: date) -> int:
    """A date as a slider value: microseconds since the epoch (what the browser sends for a date slider)."""
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC) - EPOCH).total_seconds() * 1_000_000)


class Expectations:
    """What a page should show for a given filter, computed from the data files alone (plain pandas)."""

    def __init__(self, data_dir: Path):
        frame = pd.read_csv(data_dir / "events.csv", dtype=str, keep_default_na=False, na_filter=False)
        frame.columns = [c.strip() for c in frame.columns]
        self.ids = frame["event_id"].str.strip().tolist()
        self.rows = {event_id: row for row, event_id in enumerate(self.ids)}  # 0-based, file order
        self.titles = frame["title"].tolist()
        self.urls = frame["source_url"].str.strip().tolist()
        start = pd.to_datetime(frame["start_date"].str.strip(), format="%Y-%m-%d")
        end_text = frame["end_date"].str.strip()
        end = pd.to_datetime(end_text.where(end_text != "", frame["start_date"].str.strip()), format="%Y-%m-%d")
        self.start, self.end = start.to_numpy(), end.to_numpy()
        self.text = [frame[c].str.lower() for c in ("title", "description", "location")]
        self.first_day, self.last_day = start.min().date(), end.max().date()
        self.total = len(frame)
        words = sorted({w for t in self.titles for w in re.findall(r"[A-Za-z]{4,}", t)})
        self.search_words = words or ["a"]

    def mask(self, start: date, end: date, search: str):
        """Events overlapping [start, end] (both inclusive) whose title, description or place contains `search`."""
        keep = (self.end >= pd.Timestamp(start).to_datetime64()) & (self.start <= pd.Timestamp(end).to_datetime64())
        needle = search.strip().lower()
        if needle:
            found = self.text[0].str.contains(needle, regex=False).to_numpy()
            for column in self.text[1:]:
                found = found | column.str.contains(needle, regex=False).to_numpy()
            keep = keep & found
        return keep

    def count(self, start: date, end: date, search: str) -> int:
        return int(self.mask(start, end, search).sum())

    def in_view(self, start: date, end: date, search: str) -> list[int]:
        return [int(i) for i in self.mask(start, end, search).nonzero()[0]]


@dataclass
class Page:
    """What one script run sent back: markdown texts, link buttons, widget ids, errors."""

    texts: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    widget_ids: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class Report:
    latencies: list[float] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checked: dict[int, int] = field(default_factory=dict)  # session -> pages checked after its changes
    selections_checked: int = 0  # pages that had to show the session's selected event, and were checked for it

    @property
    def changes(self) -> int:
        return sum(self.checked.values())

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))] if data else float("nan")


def collect(msg: ForwardMsg, page: Page) -> None:
    """Add one forward message's element, if any, to the page."""
    if not msg.HasField("delta") or not msg.delta.HasField("new_element"):
        return
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "markdown":
        page.texts.append(element.markdown.body)
    elif kind == "link_button":
        page.links.append((element.link_button.label, element.link_button.url))
    elif kind == "exception":
        page.errors.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert" and element.alert.format == 1:  # ERROR
        page.errors.append(element.alert.body)
    elif kind == "component_instance" and "streamlit_folium" in element.component_instance.component_name:
        page.widget_ids["map"] = element.component_instance.id
    elif kind in ("slider", "text_input"):
        widget_id = getattr(element, kind).id
        for key in WIDGET_KEYS:
            if widget_id.endswith(key):
                page.widget_ids[key] = widget_id


def unescape_markdown(text: str) -> str:
    return UNESCAPE.sub(r"\1", text.replace("  \n", "\n")).strip()


async def run_script(ws, query: str = "", states: list[WidgetState] | None = None) -> tuple[Page, float]:
    """Ask for one script run with these widget states; the page it sent and how long it took."""
    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.widget_states.widgets.extend(states or [])
    page = Page()
    start = time.monotonic()
    await ws.send(back.SerializeToString())
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=SCRIPT_RUN_TIMEOUT))
        if msg.HasField("new_session"):
            page = Page()  # a rerun that the page asked for itself starts the page again
        collect(msg, page)
        # A run that ends early for a rerun (st.rerun after a click, say) is not the page yet.
        if msg.HasField("script_finished") and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return page, time.monotonic() - start


def connect(url: str):
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    return websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, origin=url.rstrip("/"))


async def open_once(url: str) -> tuple[Page, float]:
    """One session's first page: used to warm a server up before measuring it."""
    async with connect(url) as ws:
        return await run_script(ws)


def run_once(url: str) -> tuple[Page, float]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, open_once(url)).result()


class Session:
    """One simulated browser tab that checks every page it gets against its own filters."""

    def __init__(self, url: str, number: int, report: Report, expect: Expectations):
        self.url, self.number, self.report, self.expect = url, number, report, expect
        self.rng = random.Random(number)
        self.widget_ids: dict[str, str] = {}
        self.start, self.end, self.search = expect.first_day, expect.last_day, ""
        self.selected: int | None = None  # row of the event this session clicked last
        self.map_value: tuple[str, str] | None = None  # (map widget id, its last value), re-sent every rerun
        self.clicks = 0
        report.checked[number] = 0

    def states(self) -> list[WidgetState]:
        """Every widget's current value, as the browser sends with each rerun."""
        states = []
        if "date_range" in self.widget_ids:
            slider = WidgetState(id=self.widget_ids["date_range"])
            slider.double_array_value.data.extend([micros(self.start), micros(self.end)])
            states.append(slider)
        if "search" in self.widget_ids:
            states.append(WidgetState(id=self.widget_ids["search"], string_value=self.search))
        if self.map_value and self.widget_ids.get("map") == self.map_value[0]:
            states.append(WidgetState(id=self.map_value[0], json_value=self.map_value[1]))
        return states

    def click(self, row: int) -> None:
        """A click on an event drawn on the map: the value streamlit-folium reports for it."""
        self.clicks += 1
        feature = {
            "type": "Feature",
            # rich views identify an event by its id, dense views by its row in the file: send both
            "properties": {"event_id": self.expect.ids[row], "row": row},
            "geometry": None,
        }
        value = {"last_active_drawing": feature, "last_object_clicked_count": self.clicks}
        self.map_value = (self.widget_ids["map"], json.dumps(value))
        self.selected = row

    def check(self, page: Page, what: str) -> None:
        """Compare the page with what this session's own filters and selection should give."""
        tag = f"session {self.number} ({what}; {self.start}..{self.end}, search {self.search!r})"
        for error in page.errors:
            self.report.errors.append(f"{tag}: {error}")
        wanted = (self.expect.count(self.start, self.end, self.search), self.expect.total)
        shown = [tuple(int(n.replace(",", "")) for n in m.groups()) for t in page.texts if (m := SUMMARY.search(t))]
        if shown != [wanted]:
            self.report.mismatches.append(f"{tag}: expected {wanted[0]} of {wanted[1]} events, page shows {shown}")
        headings = [unescape_markdown(m.group(1)) for t in page.texts if (m := HEADING.match(t.strip()))]
        urls = [url for label, url in page.links if label.startswith("Source")]
        in_view = self.selected is not None and bool(self.expect.mask(self.start, self.end, self.search)[self.selected])
        own_title = self.expect.titles[self.selected] if self.selected is not None else None
        own_url = self.expect.urls[self.selected] if self.selected is not None else None
        if in_view:
            self.report.selections_checked += 1
            if own_title not in headings or own_url not in urls:
                self.report.mismatches.append(
                    f"{tag}: selected {self.expect.ids[self.selected]} ({own_title!r}), "
                    f"details show headings {headings} and source links {urls}"
                )
        others = [h for h in headings if h != own_title and h in self.expect.titles]
        other_urls = [u for u in urls if u != own_url]
        if others or other_urls:
            self.report.mismatches.append(f"{tag}: details of events it did not select: {others} {other_urls}")

    async def change(self, ws, what: str) -> None:
        page, elapsed = await run_script(ws, states=self.states())
        self.widget_ids.update(page.widget_ids)
        self.report.latencies.append(elapsed)
        self.report.checked[self.number] += 1
        self.check(page, what)
        await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))

    def new_filters(self) -> None:
        expect, rng = self.expect, self.rng
        if rng.random() < 0.15:
            self.start, self.end = expect.first_day, expect.last_day
        else:
            anchor = rng.randrange(expect.total)
            day = pd.Timestamp(expect.start[anchor]).date()
            self.start = max(expect.first_day, day - timedelta(days=rng.randrange(0, 30)))
            self.end = min(expect.last_day, day + timedelta(days=rng.randrange(0, 30)))
        if "search" in self.widget_ids:
            roll = rng.random()
            if roll < 0.2:
                self.search = rng.choice(expect.search_words)
            elif roll < 0.25:
                self.search = NO_MATCH_SEARCH
            else:
                self.search = ""

    async def run(self, seconds: float, min_changes: int) -> None:
        async with connect(self.url) as ws:
            page, _ = await run_script(ws)
            self.widget_ids.update(page.widget_ids)
            self.check(page, "opened")
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline or self.report.checked[self.number] < min_changes:
                self.new_filters()
                await self.change(ws, "filters")
                view = self.expect.in_view(self.start, self.end, self.search)
                if view and "map" in self.widget_ids and self.rng.random() < 0.6:
                    self.click(self.rng.choice(view))
                    await self.change(ws, f"clicked {self.expect.ids[self.selected]}")


async def run_sessions(url: str, sessions: int, seconds: float, expect: Expectations, min_changes: int) -> Report:
    report = Report()
    runs = [Session(url, n, report, expect).run(seconds, min_changes) for n in range(sessions)]
    results = await asyncio.gather(*runs, return_exceptions=True)
    for n, result in enumerate(results):
        if isinstance(result, BaseException):
            report.errors.append(f"session {n} failed: {type(result).__name__}: {result}")
    return report


def run_load(url: str, sessions: int, seconds: float, data_dir: Path | None = None, min_changes: int = 3) -> Report:
    """Run the sessions on an event loop of their own thread (a caller, such as Playwright's sync API,
    may already own the loop of this one). `data_dir`: the folder the server shows (default: data/)."""
    expect = Expectations(data_dir or REPO / "data")
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run_sessions(url, sessions, seconds, expect, min_changes)).result()


def server_log_errors(log: Path) -> list[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if re.search(r"Traceback|Error|Exception", line)]


def summary_line(report: Report, sessions: int, seconds: float, log_errors: list[str]) -> str:
    fewest = min(report.checked.values(), default=0)
    return (
        f"{sessions} sessions for {seconds:.0f} s: {report.changes} checked changes (every session at least "
        f"{fewest}; {report.selections_checked} pages checked for the session's own selected event); "
        f"change -> updated page p50 {report.percentile(50):.2f} s, p95 {report.percentile(95):.2f} s; "
        f"{len(report.mismatches)} mismatches, {len(report.errors) + len(log_errors)} errors"
    )


def load_test(
    sessions: int, seconds: float, data_dir: Path | None = None, min_changes: int = 3, log: Path | None = None
) -> tuple[Report, list[str]]:
    """Start the dashboard on `data_dir`, run the sessions against it, stop it; the report and server log errors."""
    sys.path.insert(0, str(REPO / "tests"))
    from browser_support import dashboard_server

    log = log or REPO / "bench" / "results" / "load-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with dashboard_server(data_dir, log_path=log, timeout=180) as server:
        report = run_load(server.url, sessions, seconds, data_dir, min_changes)
    return report, server_log_errors(log)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--min-changes", type=int, default=3, help="checked changes every session makes at least")
    parser.add_argument("--data-dir", type=Path, help="the data folder the dashboard shows (default: data/)")
    parser.add_argument("--url", help="an already running dashboard showing --data-dir (default: start one)")
    args = parser.parse_args(argv)
    if args.url:
        report, log_errors = run_load(args.url, args.sessions, args.seconds, args.data_dir, args.min_changes), []
    else:
        report, log_errors = load_test(args.sessions, args.seconds, args.data_dir, args.min_changes)
    print(summary_line(report, args.sessions, args.seconds, log_errors))
    for line in report.mismatches[:20] + report.errors[:20] + log_errors[:20]:
        print("  " + line)
    return 0 if not (report.mismatches or report.errors or log_errors) else 1


if __name__ == "__main__":
    sys.exit(main())
