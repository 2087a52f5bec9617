"""Streamlit widgets and panels. Widgets return plain values; panels render; no data logic lives here."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from .cards import format_local_dates, safe_url
from .filters import FilterState, View
from .schema import PRECISION_LABELS, EventType
from .story import StoryStep, describe_leg
from .text import escape_markdown, format_usd, markdown_with_links
from .validation import Problem

CHART_BAR_LIMIT = 300  # events drawn one bar each; above it the chart counts events per day (or per bin)
CHART_BINS = 150  # at most this many counted bins a lane: a tick a few pixels wide on a laptop
TABLE_ROW_LIMIT = 500  # rows sent to the browser; the downloads hold everything in view


TITLE = "Taiwan Strait & Pacific: Lai's 2024 tour, PLA drills and US arms sales"


def type_label(types: Mapping[str, EventType], key: str) -> str:
    return types[key].label if key in types else key


# The page's own layout only (no data text): less room above the title, so the map is in the first screen.
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 64px; padding-bottom: 2rem; }  /* the header bar is 60 px */
[data-testid="stMainBlockContainer"] h1 { font-size: 1.6rem; padding: 0 0 0.25rem 0; line-height: 1.25; }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] h1 { font-size: 1.2rem; } }
[data-testid="stMainBlockContainer"] h2 { font-size: 1.35rem; padding: 0.25rem 0; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.15rem; padding: 0.25rem 0; }
/* Streamlit draws captions at 60 % opacity: 2.7:1 on white, where WCAG AA asks 4.5:1 for small text. */
[data-testid="stCaptionContainer"] { opacity: 1; color: #5c5b5a; }
</style>"""


def render_title() -> None:
    """A one-line title on a laptop."""
    st.markdown(PAGE_CSS, unsafe_allow_html=True)  # our own constant, no data: the markdown element is loaded anyway
    st.title(TITLE, anchor=False)


def render_summary(view: View, start: date, end: date) -> None:
    """The live summary: N of M events, the dates in view and the route distance."""
    route = f"{view.distance_km:,.0f} km of route in view" if view.legs else "no route legs in view"
    st.markdown(f"**{view.size:,} of {view.total:,} events** · {start:%d %b %Y} – {end:%d %b %Y} · {route}")


def render_data_errors(problems: list[Problem], data_dir: str, limit: int) -> None:
    """Every problem, as a table of plain text, and how to check the files from the command line."""
    errors = [p for p in problems if p.is_error]
    st.error(
        f"The data in {escape_markdown(data_dir)} has {len(errors)} problem(s), so the map cannot be drawn. "
        "Fix them and reload the page."
    )
    table = pd.DataFrame(
        [
            {
                "file": p.file,
                "row": "" if p.row is None else str(p.row),
                "column": p.column or "",
                "value": "" if p.value is None else str(p.value),
                "problem": p.message,
                "severity": p.severity,
            }
            for p in problems[:limit]
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    if len(problems) > limit:
        st.caption(f"… and {len(problems) - limit} more.")
    st.code(f"python -m dashboard validate --data-dir {data_dir}", language="bash")


def render_warnings(problems: list[Problem]) -> None:
    if problems:
        with st.expander(f"{len(problems)} warning(s) about the data files"):
            for p in problems:
                st.text(p.format())


def render_filters(types: Mapping[str, EventType], actors: list[str], on_change: Callable[[], None]) -> None:
    """Sidebar filters; values live in st.session_state under their keys; `on_change` reruns the view."""
    st.sidebar.header("Filters")
    st.sidebar.multiselect(
        "Event types",
        list(types),
        format_func=lambda k: type_label(types, k),
        key="types",
        help="Empty means all types.",
        on_change=on_change,
    )
    st.sidebar.multiselect("Actors", actors, key="actors", help="Empty means all actors.", on_change=on_change)
    st.sidebar.text_input("Search titles, descriptions and places", key="search", max_chars=200, on_change=on_change)


def render_timeline(first: date, last: date, on_play: Callable[[], None]) -> bool:
    """The date-range slider every panel follows, and Play/Pause (`on_play` runs before the next run, when
    the slider may still be moved); returns True when Play or Pause was pressed."""
    left, right = st.columns([6, 1], vertical_alignment="bottom")
    left.slider(
        "Dates in view (local dates at each place)",
        min_value=first,
        max_value=last,
        key="date_range",
        format="D MMM YYYY",
        step=timedelta(days=1),
    )
    playing = st.session_state.get("playing", False)
    return right.button(
        "⏸ Pause" if playing else "▶ Play",
        key="play_button",
        width="stretch",
        help="Step the end of the range forward one day at a time",
        on_click=on_play,
    )


def render_timeline_chart(
    view: View,
    start: date,
    end: date,
    types: Mapping[str, EventType],
    count_days: Callable[[int], pd.DataFrame],
) -> None:
    """Events as bars on a time axis, one lane per event type. `count_days(bin_days)` is the engine's count
    of events per type and bin of days from `start` (columns event_type, bin, events)."""
    events = view.events
    if not view.size:
        st.caption("No events in this range.")
        return
    labels = [type_label(types, k) for k in types]
    colors = alt.Scale(domain=labels, range=[t.color for t in types.values()])
    x_scale = alt.Scale(domain=[_epoch_ms(start), _epoch_ms(end + timedelta(days=1))])
    lanes = alt.Y("Type:N", title=None, sort=labels)
    if view.size > CHART_BAR_LIMIT:  # one bar an event would send megabytes: count events a day instead
        # The engine counts (type, bin) pairs; only those few are labelled and formatted. Over a long range
        # the days are grouped into bins so that the chart has at most about CHART_BINS ticks a lane:
        # thousands of marks cost the browser more to draw than the map beside it.
        bin_days = max(1, -(-((end - start).days + 1) // CHART_BINS))
        counted = count_days(bin_days)
        # ISO text, not datetime64[us]: Altair reads pandas 3's microsecond dates as nanoseconds (1970)
        days = pd.Timestamp(start) + pd.to_timedelta(counted["bin"].to_numpy(dtype="int64"), unit="D")
        daily = pd.DataFrame(
            {
                "Type": counted["event_type"].map(lambda k: type_label(types, k)).to_numpy(),
                "Day": days.strftime("%Y-%m-%d"),
                "Events": counted["events"].to_numpy(),
            }
        )
        chart = (
            alt.Chart(daily)
            .mark_tick(thickness=2, size=14)
            .encode(
                x=alt.X("Day:T", title=None, scale=x_scale),
                y=lanes,
                color=alt.Color("Type:N", scale=colors, legend=None),
                opacity=alt.Opacity("Events:Q", legend=None, scale=alt.Scale(range=[0.35, 1])),
                tooltip=["Type", alt.Tooltip("Day:T", title="From", format="%d %b %Y"), "Events"],
            )
            .properties(height=150)
        )
        st.altair_chart(chart, width="stretch")
        return
    data = pd.DataFrame(
        {
            "Type": [type_label(types, t) for t in events["event_type"]],
            "Title": events["title"].astype(str),
            "Start": events["start_date"],
            "End": events["end_date"] + pd.Timedelta(days=1),  # bars cover the whole last day
            "Dates": [format_local_dates(s, e) for s, e in zip(events["start_date"], events["end_date"], strict=True)],
        }
    )
    chart = (
        alt.Chart(data)
        .mark_bar(size=14, cornerRadius=2)
        .encode(
            x=alt.X("Start:T", title=None, scale=x_scale),
            x2="End:T",
            y=lanes,
            color=alt.Color("Type:N", scale=colors, legend=None),
            tooltip=["Title", "Type", "Dates"],
        )
        .properties(height=150)
    )
    st.altair_chart(chart, width="stretch")


def _epoch_ms(day: date) -> int:
    return int(pd.Timestamp(day).timestamp() * 1000)


def render_details(event: pd.Series | None, types: Mapping[str, EventType]) -> None:
    """The selected event: title, type, local dates, place, description, amount, notes and its source."""
    st.header("Event details", anchor=False)
    if event is None:
        st.info("Click a marker on the map, or a row in the table, to see what happened and its source.")
        return
    st.markdown(f"### {escape_markdown(event['title'])}")  # under the panel's h2
    st.caption(
        f"{escape_markdown(type_label(types, event['event_type']))} · "
        f"{escape_markdown(format_local_dates(event['start_date'], event['end_date']))} (local date)"
    )
    facts = [("Place", event["location"])]
    if int(event["geo_precision"]) > 1:
        facts.append(("Position", f"approximate ({PRECISION_LABELS[int(event['geo_precision'])]})"))
    if event["actor"]:
        facts.append(("Actor", event["actor"]))
    if not pd.isna(event["amount_usd"]):
        facts.append(("Amount", format_usd(event["amount_usd"])))
    if event["route_id"]:
        facts.append(("Route", f"{event['route_id']}, stop {event['route_seq']}"))
    st.markdown("  \n".join(f"**{name}:** {escape_markdown(value)}" for name, value in facts))
    if event["description"]:
        st.markdown(markdown_with_links(event["description"]))
    if event["notes"]:
        with st.expander("Notes and caveats", expanded=True):
            st.markdown(markdown_with_links(event["notes"]))
    if safe_url(event["source_url"]):
        st.link_button(f"Source: {event['source_name'] or 'open'} ↗", event["source_url"], width="stretch")
        st.caption(escape_markdown(event["source_url"]))
    else:  # the publisher gives no link (ACLED, GDELT before 2013): the source is named
        st.markdown(f"**Source:** {escape_markdown(event['source_name'])} (no link published)")


def render_table_pager(count: int) -> int:
    """The table's page (0-based), with a page picker when the view holds more than one page."""
    pages = -(-count // TABLE_ROW_LIMIT)
    if pages <= 1:
        return 0
    number = st.number_input(
        f"Page (of {pages:,}, {TABLE_ROW_LIMIT:,} events each, by date)",
        min_value=1,
        max_value=pages,
        value=1,
        step=1,
        key=f"table_page_of_{pages}",  # fewer pages after a filter: a fresh picker at page 1, never past the end
    )
    return min(int(number), pages) - 1


def render_table(
    events: pd.DataFrame, selected: str | None, types: Mapping[str, EventType], on_select: Callable[[], None]
) -> list[str]:
    """One page of the events in view (the engine's `queries.page`); the selected one is marked. Returns
    the event ids of the rows shown, in order, for `on_select` to read the selected row by position."""
    table = pd.DataFrame(
        {
            "": ["▶" if eid == selected else "" for eid in events["event_id"]],
            "Dates": [format_local_dates(s, e) for s, e in zip(events["start_date"], events["end_date"], strict=True)],
            "Type": [type_label(types, t) for t in events["event_type"]],
            "Title": events["title"],
            "Place": events["location"],
            "Actor": events["actor"],
            "Amount": [format_usd(a) for a in events["amount_usd"]],
            "Source": events["source_url"],
            "event_id": events["event_id"],
        }
    )
    st.dataframe(
        table,
        key="table",
        on_select=on_select,
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * max(len(table), 1)),
        column_config={
            "": st.column_config.TextColumn("Selected", width=30),
            "Source": st.column_config.LinkColumn(display_text="source ↗"),
            "event_id": st.column_config.TextColumn("id"),
        },
    )
    return events["event_id"].tolist()


def render_downloads(files: Mapping[str, tuple[Callable[[], bytes | str], str, str]]) -> None:
    """One button a file; each file is built only when its button is pressed."""
    for column, (label, (make, name, mime)) in zip(st.columns(len(files)), files.items(), strict=True):
        column.download_button(label, make, name, mime, on_click="ignore", width="stretch")


def render_export_hint(count: int, state: FilterState, data_dir: str, engine: str) -> None:
    """Too many events to build a file in the server's memory: the command that streams them."""
    parts = ["python -m dashboard export", f"--data-dir {shlex.quote(data_dir)}"]
    if state.start:
        parts.append(f"--start {state.start:%Y-%m-%d}")
    if state.end:
        parts.append(f"--end {state.end:%Y-%m-%d}")
    if state.types:
        parts.append("--types " + ",".join(state.types))
    if engine != "duckdb":
        parts.append(f"--engine {engine}")
    st.caption(
        f"{count:,} events are in view: more than a download built in the page holds. This command writes them "
        "all as GeoJSON, streamed from the engine (actor and search filters are not among its options):"
    )
    st.code(" ".join(parts) + " -o events_in_view.geojson", language="bash")


def render_story_picker(routes: Mapping[str, int], on_change: Callable[[], None]) -> None:
    """Sidebar: open a route's guided story (or none)."""
    st.sidebar.header("Story")
    st.sidebar.selectbox(
        "Follow a route stop by stop",
        [None, *routes],
        key="story_picker",
        on_change=on_change,
        format_func=lambda r: "Off" if r is None else f"{r} ({routes[r]} stops)",
        help="Steps through a route's stops in order: ← and → move between them.",
    )


def render_story(step: StoryStep, on_move: Callable[[int], None]) -> None:
    """The open story: where we are, the leg just flown, Previous / Next (← / →), what else happened that day."""
    st.markdown(f"**Story: {escape_markdown(step.route_id)}** · stop {step.number} of {step.total}")
    back, forward = st.columns(2)
    back.button(
        "← Previous",
        key="story_prev",
        disabled=step.number <= 1,
        on_click=on_move,
        args=(-1,),
        shortcut="Left",
        width="stretch",
    )
    forward.button(
        "Next →",
        key="story_next",
        disabled=step.number >= step.total,
        on_click=on_move,
        args=(1,),
        shortcut="Right",
        width="stretch",
    )
    if step.leg_in is not None:
        st.info(f"Leg {step.leg_number}: {escape_markdown(describe_leg(step.leg_in))}", icon="✈️")
    else:
        st.info("The start of the route.", icon="📍")


def render_same_day(step: StoryStep, types: Mapping[str, EventType]) -> None:
    """Everything else in the data on the stop's first day, anywhere."""
    day = step.day
    if step.same_day.empty:
        st.caption(f"Nothing else in the data on {day.day} {day:%b %Y}.")
        return
    st.markdown(f"**Also on {day.day} {day:%b %Y}** (local dates)")
    st.markdown(
        "\n".join(
            f"- {escape_markdown(row['title'])} · {escape_markdown(row['location'])} "
            f"({escape_markdown(type_label(types, row['event_type']))})"
            for _, row in step.same_day.head(12).iterrows()
        )
    )
    if len(step.same_day) > 12:
        st.caption(f"… and {len(step.same_day) - 12} more.")
