"""The streamlit-folium return value -> the clicked event's id, by event_id and never by coordinates."""
from __future__ import annotations

from typing import Any, Mapping

# Only these keys come back from the map: pan and zoom then cause no rerun.
RETURNED_OBJECTS = ["last_active_drawing", "last_object_clicked_count"]


def clicked_event_id(value: Mapping[str, Any] | None, known_ids: set[str] | frozenset[str]) -> str | None:
    """The event_id of the last clicked feature, if it names a known event (tolerates None and junk)."""
    if not isinstance(value, Mapping):
        return None
    drawing = value.get("last_active_drawing")
    if not isinstance(drawing, Mapping):
        return None
    props = drawing.get("properties")
    event_id = props.get("event_id") if isinstance(props, Mapping) else None
    return event_id if isinstance(event_id, str) and event_id in known_ids else None


def click_signature(value: Mapping[str, Any] | None) -> tuple[Any, Any]:
    """What identifies one click: the feature and the click counter (a second click on the same marker
    changes only the counter). A remounted map returns (None, None)."""
    if not isinstance(value, Mapping):
        return (None, None)
    drawing = value.get("last_active_drawing")
    props = drawing.get("properties") if isinstance(drawing, Mapping) else None
    event_id = props.get("event_id") if isinstance(props, Mapping) else None
    return (event_id if isinstance(event_id, str) else None, value.get("last_object_clicked_count"))
