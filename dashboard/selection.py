"""The streamlit-folium return value -> the clicked event's id, by event_id and never by coordinates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Only these keys come back from the map: pan and zoom then cause no rerun.
RETURNED_OBJECTS = ["last_active_drawing", "last_object_clicked_count"]


def _clicked_properties(value: Any) -> Mapping:
    drawing = value.get("last_active_drawing") if isinstance(value, Mapping) else None
    props = drawing.get("properties") if isinstance(drawing, Mapping) else None
    return props if isinstance(props, Mapping) else {}


def clicked_event_id(
    value: Mapping[str, Any] | None, known_ids: set[str] | frozenset[str], row_ids: Sequence[str] = ()
) -> str | None:
    """The event_id of the last clicked feature, if it names a known event (tolerates None and junk).

    Rich markers carry their `event_id`; dense dots carry only their `row` in the data set's events, which
    `row_ids` (every event id, in file order) turns into an id."""
    props = _clicked_properties(value)
    event_id = props.get("event_id")
    row = props.get("row")
    if event_id is None and isinstance(row, int) and not isinstance(row, bool) and 0 <= row < len(row_ids):
        event_id = row_ids[row]
    return event_id if isinstance(event_id, str) and event_id in known_ids else None


def click_signature(value: Mapping[str, Any] | None) -> tuple[Any, Any]:
    """What identifies one click: the feature and the click counter (a second click on the same marker
    changes only the counter). A remounted map returns (None, None)."""
    props = _clicked_properties(value)
    feature = props.get("event_id", props.get("row"))
    count = value.get("last_object_clicked_count") if isinstance(value, Mapping) else None
    return (feature if isinstance(feature, (str, int)) else None, count)
