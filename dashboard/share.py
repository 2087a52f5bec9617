"""URL parameters <-> view state, through an allow-list: nothing from a URL is evaluated or echoed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .schema import EVENT_TYPES

PARAMETERS = ("start", "end", "types", "event", "story", "step")
MAX_VALUE_LENGTH = 200  # longer than any valid value; anything longer is not parsed at all


@dataclass(frozen=True)
class SharedView:
    """The view a link asks for; None means 'use the default'. `notices` explain what was ignored."""

    start: date | None = None
    end: date | None = None
    types: tuple[str, ...] | None = None
    event: str | None = None
    story: str | None = None  # a route_id whose guided story is open
    step: int | None = None  # 1-based stop of that story
    notices: tuple[str, ...] = field(default_factory=tuple)


def _last(value: str | list[str]) -> str:
    """A parameter given twice counts once, by its last value (as browsers and Streamlit read it)."""
    return value[-1] if isinstance(value, list) and value else value if isinstance(value, str) else ""


def parse_shared_view(
    params: Mapping[str, str | list[str]],
    first_day: date,
    last_day: date,
    known_ids: set[str] | frozenset[str],
    known_types: Mapping = EVENT_TYPES,
    routes: Mapping[str, int] | None = None,
) -> SharedView:
    """Read start, end, types and event; every bad value falls back to its default with a notice."""
    notices: list[str] = []
    raw = {k: _last(v) for k, v in params.items()}
    unknown = [k for k in raw if k not in PARAMETERS]
    if unknown:
        notices.append(f"Ignored {len(unknown)} unknown link parameter(s).")
    values: dict = {}
    for key in ("start", "end"):
        text = raw.get(key)
        if text is None:
            continue
        try:
            if len(text) > MAX_VALUE_LENGTH:
                raise ValueError
            day = date.fromisoformat(text)
        except ValueError:
            notices.append(f"The link's '{key}' is not a date (YYYY-MM-DD): showing the default.")
            continue
        if not first_day <= day <= last_day:
            notices.append(f"The link's '{key}' is outside the data ({first_day} to {last_day}): clamped.")
            day = min(max(day, first_day), last_day)
        values[key] = day
    if "start" in values and "end" in values and values["start"] > values["end"]:
        notices.append("The link's 'start' is after its 'end': showing the default range.")
        values.pop("start")
        values.pop("end")
    text = raw.get("types")
    if text is not None:
        chosen = tuple(dict.fromkeys(t.strip() for t in text[:MAX_VALUE_LENGTH].split(",") if t.strip()))
        valid = tuple(t for t in chosen if t in known_types)
        if len(valid) != len(chosen) or len(text) > MAX_VALUE_LENGTH:
            notices.append("The link named unknown event types: they were ignored.")
        values["types"] = valid or None
    text = raw.get("event")
    if text is not None:
        if text in known_ids:
            values["event"] = text
        else:
            notices.append("The link's 'event' is not in this data set: nothing is selected.")
    values.update(_story(raw, routes or {}, notices))
    return SharedView(**values, notices=tuple(notices))


def _story(raw: Mapping[str, str], routes: Mapping[str, int], notices: list[str]) -> dict:
    """`story` must name a route with stops; `step` is 1..its stop count (default 1)."""
    story, step = raw.get("story"), raw.get("step")
    if story is None:
        if step is not None:
            notices.append("The link's 'step' needs a 'story': it was ignored.")
        return {}
    if story not in routes:
        notices.append("The link's 'story' is not a route in this data set: the story is closed.")
        return {}
    number = int(step) if step is not None and step.isdigit() and len(step) < 6 else None
    if step is not None and (number is None or not 1 <= number <= routes[story]):
        notices.append(f"The link's 'step' is not a stop of this story (1 to {routes[story]}): starting at 1.")
        number = None
    return {"story": story, "step": number or 1}


def build_query(
    start: date,
    end: date,
    types: tuple[str, ...],
    event: str | None,
    first_day: date,
    last_day: date,
    known_types: Mapping = EVENT_TYPES,
    story: str | None = None,
    step: int | None = None,
) -> dict[str, str]:
    """URL parameters for a view, leaving out whatever equals the default so links stay short."""
    query: dict[str, str] = {}
    if start != first_day:
        query["start"] = start.isoformat()
    if end != last_day:
        query["end"] = end.isoformat()
    if types and set(types) != set(known_types):
        query["types"] = ",".join(t for t in known_types if t in types)
    if event:
        query["event"] = event
    if story:
        query["story"] = story
        query["step"] = str(step or 1)
    return query
