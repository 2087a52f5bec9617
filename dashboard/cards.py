"""What a reader sees of one event at a glance: the fields of the card the map shows on a click.

Plain text only; the map puts each field on the page with textContent, and a link only if it is http(s).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .schema import PRECISION_LABELS

SAFE_SCHEMES = ("http://", "https://")  # a javascript: or data: link in the data must never become clickable


def format_local_dates(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """'30 Nov 2024' or '30 Nov – 2 Dec 2024', local dates at the place."""
    if pd.isna(end) or end == start:
        return f"{start.day} {start:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def precision_note(precision: int) -> str:
    """'' for an exact place, else what the position means."""
    return f"Approximate position: {PRECISION_LABELS[precision]}" if precision > 1 else ""


def safe_url(url: object) -> str:
    """The URL if it is http(s), else '' (the card then shows no link)."""
    text = str(url or "")
    return text if text.lower().startswith(SAFE_SCHEMES) else ""


def card_fields(event: Mapping, type_labels: Mapping[str, str]) -> dict:
    """The card of one event row: title, type, local dates, place, precision note and its source."""
    event_type = str(event["event_type"])
    return {
        "event_id": str(event["event_id"]),
        "event_type": event_type,
        "type_label": type_labels.get(event_type, event_type),
        "title": str(event["title"]),
        "when": format_local_dates(event["start_date"], event["end_date"]) + " (local date)",
        "place": str(event["location"]),
        "precision_note": precision_note(int(event["geo_precision"])),
        "source_url": safe_url(event["source_url"]),
        "source_name": str(event["source_name"] or ""),
    }
