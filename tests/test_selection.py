"""The map's return value -> the selected event, by event_id only."""

import pytest

from dashboard.selection import click_signature, clicked_event_id

IDS = frozenset({"lai-2024-honolulu", "lai-2024-honolulu-green-hiema"})


def drawing(event_id, count=1):
    return {
        "last_active_drawing": {
            "type": "Feature",
            "properties": {"event_id": event_id},
            "geometry": {"type": "Point", "coordinates": [202.14, 21.31]},
        },
        "last_object_clicked_count": count,
    }


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        ({}, None),
        ("junk", None),
        ({"last_active_drawing": None}, None),
        ({"last_active_drawing": {"properties": None}}, None),
        ({"last_active_drawing": {"properties": {"event_id": 7}}}, None),
        (drawing("unknown-id"), None),
        (drawing("lai-2024-honolulu"), "lai-2024-honolulu"),
        # two events at the same place: told apart by id, not by coordinates
        (drawing("lai-2024-honolulu-green-hiema"), "lai-2024-honolulu-green-hiema"),
    ],
)
def test_clicked_event_id(value, expected):
    assert clicked_event_id(value, IDS) == expected


def test_second_click_on_same_marker_has_new_signature():
    assert click_signature(drawing("lai-2024-honolulu", 1)) != click_signature(drawing("lai-2024-honolulu", 2))
    assert click_signature(None) == (None, None)


@pytest.mark.parametrize(
    "row, expected",
    [(0, "lai-2024-honolulu"), (1, "lai-2024-honolulu-green-hiema"), (2, None), (-1, None), ("0", None), (True, None)],
)
def test_dense_dots_report_their_row_in_the_file(row, expected):
    value = {"last_active_drawing": {"properties": {"row": row}}, "last_object_clicked_count": 3}
    assert clicked_event_id(value, IDS, ["lai-2024-honolulu", "lai-2024-honolulu-green-hiema"]) == expected
