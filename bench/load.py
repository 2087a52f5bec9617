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
selected event (heading "### <title>" and the source link) when that event is in its view, and no other
event's details ever. Each session keeps going until the time is up AND it has made --min-changes checked
changes. The report gives the 50th and 95th percentile of change -> updated page (the script run
finished), every mismatch, and every error in the pages or the server log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
HEADING = re.compile(r"^#{3,4} (.*)$", re.S)  # the dashboard's panel uses ###, the baseline ####
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
        # as written in the file (NaN where blank: those come from the gazetteer)
        self.lats = pd.to_numeric(frame["latitude"], errors="coerce").tolist()
        self.lons = pd.to_numeric(frame["longitude"], errors="coerce").tolist()
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
class Node:
    """One element of the page as the browser holds it: which run and fragment wrote it, and what it is."""

    run: str
    fragment: str
    kind: str
    value: tuple = ()


@dataclass
class Page:
    """The page as a browser tab shows it after a script run: every element the runs so far left on it.

    Streamlit sends only what a run writes: a full run rewrites the page (the elements it did not write
    are dropped when it finishes), a fragment run (`st.rerun("details")` from a callback, say) rewrites
    only its fragments, and the rest of the page stays as it was. Elements are kept by their delta path.
    """

    nodes: dict[tuple[int, ...], Node] = field(default_factory=dict)
    run: str = ""
    fragments: tuple[str, ...] = ()

    def apply(self, msg: ForwardMsg) -> bool:
        """Take one forward message; True when it ends a run that is not cut short for another run."""
        if msg.HasField("new_session"):
            self.run, self.fragments = msg.metadata.run.script_run_id, tuple(msg.metadata.run.fragment_ids)
        elif msg.HasField("delta") and msg.delta.WhichOneof("type") in ("new_element", "add_block"):
            kind, value = "block", ()
            if msg.delta.HasField("new_element"):
                kind, value = describe(msg.delta.new_element)
            self.nodes[tuple(msg.metadata.delta_path)] = Node(self.run, msg.delta.fragment_id, kind, value)
        elif msg.HasField("script_finished"):
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return False  # a run the page cut short for another one (st.rerun): not the page yet
            self._drop_stale()
            return True
        return False

    def _drop_stale(self) -> None:
        if not self.fragments:
            self.nodes = {path: node for path, node in self.nodes.items() if node.run == self.run}
            return
        roots = {path for path, node in self.nodes.items() if node.fragment in self.fragments}

        def inside(path: tuple[int, ...]) -> bool:
            return any(path[:n] in roots for n in range(1, len(path) + 1))

        self.nodes = {path: node for path, node in self.nodes.items() if node.run == self.run or not inside(path)}

    def values(self, kind: str) -> list[tuple]:
        return [node.value for _, node in sorted(self.nodes.items()) if node.kind == kind]

    @property
    def texts(self) -> list[str]:
        return [value[0] for value in self.values("markdown")]

    @property
    def links(self) -> list[tuple[str, str]]:
        return self.values("link_button")

    @property
    def widgets(self) -> dict[str, tuple[str, str]]:
        """Widget key -> (widget id, the fragment it lives in) for the widgets a session drives."""
        return {
            value[0]: (value[1], node.fragment)
            for node in self.nodes.values()
            if node.kind == "widget"
            for value in [node.value]
        }

    def new_errors(self) -> list[str]:
        """Errors written by the last run (earlier ones were reported when they appeared)."""
        return [node.value[0] for node in self.nodes.values() if node.kind == "error" and node.run == self.run]


@dataclass
class Report:
    latencies: list[float] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checked: dict[int, int] = field(default_factory=dict)  # session -> pages checked after its changes
    selections_checked: int = 0  # pages that had to show the session's selected event, and were checked for it
    fragment_runs: int = 0  # changes the page answered by rerunning only some fragments

    @property
    def changes(self) -> int:
        return sum(self.checked.values())

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))] if data else float("nan")


def describe(element) -> tuple[str, tuple]:
    """An element as (kind, value): the few kinds the checks read; everything else is just "other"."""
    kind = element.WhichOneof("type")
    if kind == "markdown":
        return "markdown", (element.markdown.body,)
    if kind == "link_button":
        return "link_button", (element.link_button.label, element.link_button.url)
    if kind == "exception":
        return "error", (f"{element.exception.type}: {element.exception.message}",)
    if kind == "alert" and element.alert.format == 1:  # ERROR
        return "error", (element.alert.body,)
    if kind == "component_instance" and "streamlit_folium" in element.component_instance.component_name:
        return "widget", ("map", element.component_instance.id)
    if kind in ("slider", "text_input"):
        widget_id = getattr(element, kind).id
        for key in WIDGET_KEYS:
            if widget_id.endswith(key):
                return "widget", (key, widget_id)
    return "other", ()


def unescape_markdown(text: str) -> str:
    return UNESCAPE.sub(r"\1", text.replace("  \n", "\n")).strip()


async def drain(ws, page: Page) -> None:
    """Take whatever the server sent since the last run finished (a run the page started by itself)."""
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=0.01)
        except TimeoutError:
            return
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        page.apply(msg)


async def run_script(ws, page: Page, states: list[WidgetState] | None = None, fragment_id: str = "") -> float:
    """Ask for a script run with these widget states (as the browser does when a widget in `fragment_id`
    changes); update `page` until that run has finished; return how long it took."""
    await drain(ws, page)
    back = BackMsg()
    back.rerun_script.widget_states.widgets.extend(states or [])
    back.rerun_script.fragment_id = fragment_id
    start = time.monotonic()
    await ws.send(back.SerializeToString())
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=SCRIPT_RUN_TIMEOUT))
        if page.apply(msg):
            return time.monotonic() - start


def connect(url: str):
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    return websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, origin=url.rstrip("/"))


async def open_once(url: str) -> tuple[Page, float]:
    """One session's first page: used to warm a server up before measuring it."""
    async with connect(url) as ws:
        page = Page()
        return page, await run_script(ws, page)


def run_once(url: str, timeout: float = SCRIPT_RUN_TIMEOUT) -> tuple[Page, float]:
    """Open the page once over the websocket (no browser); raise TimeoutError after `timeout` seconds."""

    async def bounded() -> tuple[Page, float]:
        return await asyncio.wait_for(open_once(url), timeout)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, bounded()).result()


class Session:
    """One simulated browser tab that checks every page it gets against its own filters."""

    def __init__(self, url: str, number: int, report: Report, expect: Expectations, think=THINK_SECONDS):
        self.url, self.number, self.report, self.expect, self.think = url, number, report, expect, think
        self.rng = random.Random(number)
        self.page = Page()
        self.start, self.end, self.search = expect.first_day, expect.last_day, ""
        self.selected: int | None = None  # row of the event this session clicked last
        self.map_value: tuple[str, str] | None = None  # (map widget id, its last value), re-sent every rerun
        self.clicks = 0
        report.checked[number] = 0

    def states(self) -> list[WidgetState]:
        """Every widget's current value, as the browser sends with each rerun."""
        widgets, states = self.page.widgets, []
        if "date_range" in widgets:
            slider = WidgetState(id=widgets["date_range"][0])
            slider.double_array_value.data.extend([micros(self.start), micros(self.end)])
            states.append(slider)
        if "search" in widgets:
            states.append(WidgetState(id=widgets["search"][0], string_value=self.search))
        # a remounted map (a new widget id) starts without a value, as in the browser
        if self.map_value and widgets.get("map", ("",))[0] == self.map_value[0]:
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
        self.map_value = (self.page.widgets["map"][0], json.dumps(value))
        self.selected = row

    def check(self, what: str) -> None:
        """Compare the page with what this session's own filters and selection should give."""
        page = self.page
        tag = f"session {self.number} ({what}; {self.start}..{self.end}, search {self.search!r})"
        for error in page.new_errors():
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

    async def change(self, ws, widget: str, what: str) -> None:
        """Send every widget's value after `widget` changed, as the browser does; check the page it gets."""
        fragment = self.page.widgets.get(widget, ("", ""))[1]
        elapsed = await run_script(ws, self.page, self.states(), fragment)
        self.report.latencies.append(elapsed)
        self.report.checked[self.number] += 1
        self.report.fragment_runs += bool(self.page.fragments)
        self.check(what)
        await asyncio.sleep(self.rng.uniform(*self.think))

    def new_dates(self) -> None:
        expect, rng = self.expect, self.rng
        if rng.random() < 0.15:
            self.start, self.end = expect.first_day, expect.last_day
            return
        day = pd.Timestamp(expect.start[rng.randrange(expect.total)]).date()
        self.start = max(expect.first_day, day - timedelta(days=rng.randrange(0, 30)))
        self.end = min(expect.last_day, day + timedelta(days=rng.randrange(0, 30)))

    def new_search(self) -> None:
        roll = self.rng.random()
        self.search = self.rng.choice(self.expect.search_words) if roll < 0.7 else "" if roll < 0.9 else NO_MATCH_SEARCH

    async def run(self, seconds: float, min_changes: int) -> None:
        async with connect(self.url) as ws:
            await run_script(ws, self.page)
            self.check("opened")
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline or self.report.checked[self.number] < min_changes:
                self.new_dates()
                await self.change(ws, "date_range", "dates")
                if "search" in self.page.widgets and self.rng.random() < 0.3:
                    self.new_search()
                    await self.change(ws, "search", "search")
                view = self.expect.in_view(self.start, self.end, self.search)
                if view and "map" in self.page.widgets and self.rng.random() < 0.6:
                    self.click(self.rng.choice(view))
                    await self.change(ws, "map", f"clicked {self.expect.ids[self.selected]}")


async def run_sessions(
    url: str, sessions: int, seconds: float, expect: Expectations, min_changes: int, think=THINK_SECONDS
) -> Report:
    report = Report()
    runs = [Session(url, n, report, expect, think).run(seconds, min_changes) for n in range(sessions)]
    results = await asyncio.gather(*runs, return_exceptions=True)
    for n, result in enumerate(results):
        if isinstance(result, BaseException):
            report.errors.append(f"session {n} failed: {type(result).__name__}: {result}")
    return report


def run_load(
    url: str,
    sessions: int,
    seconds: float,
    data_dir: Path | None = None,
    min_changes: int = 3,
    think: tuple[float, float] = THINK_SECONDS,
) -> Report:
    """Run the sessions on an event loop of their own thread (a caller, such as Playwright's sync API,
    may already own the loop of this one). `data_dir`: the folder the server shows (default: data/);
    `think`: the range of pauses between a session's changes, in seconds."""
    expect = Expectations(data_dir or REPO / "data")
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run_sessions(url, sessions, seconds, expect, min_changes, think)).result()


def server_log_errors(log: Path) -> list[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if re.search(r"Traceback|Error|Exception", line)]


def summary_line(report: Report, sessions: int, seconds: float, log_errors: list[str]) -> str:
    fewest = min(report.checked.values(), default=0)
    return (
        f"{sessions} sessions for {seconds:.0f} s: {report.changes} checked changes ({report.fragment_runs} answered "
        f"by fragment reruns; every session at least {fewest}; {report.selections_checked} pages checked for the "
        f"session's own selected event); "
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
    # Streamlit's file watcher would reload modules (and reset their state) if a source file changed mid-run.
    os.environ.setdefault("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")
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
