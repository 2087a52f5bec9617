"""An event's card: local dates, the precision note and only http(s) links."""

import pandas as pd
import pytest

from dashboard.cards import card_fields, format_local_dates, safe_url


@pytest.mark.parametrize(
    "start, end, text",
    [
        ("2024-11-30", "2024-11-30", "30 Nov 2024"),
        ("2024-11-30", None, "30 Nov 2024"),
        ("2024-11-30", "2024-12-02", "30 Nov – 2 Dec 2024"),
        ("2024-12-30", "2025-01-02", "30 Dec 2024 – 2 Jan 2025"),
    ],
)
def test_local_dates(start, end, text):
    assert format_local_dates(pd.Timestamp(start), pd.Timestamp(end) if end else pd.NaT) == text


@pytest.mark.parametrize(
    "url, kept",
    [
        ("https://english.president.gov.tw/News/6851", True),
        ("http://example.org", True),
        ("HTTPS://X.ORG", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<b>", False),
        ("//evil.example", False),
        ("", False),
        (None, False),
        (" https://x.org", False),
    ],
)
def test_only_web_links_are_kept(url, kept):
    assert safe_url(url) == (url if kept else "")


def test_card_fields(events):
    card = card_fields(events.set_index("event_id", drop=False).loc["lai-2024-honolulu"], {"tour_stop": "Tour stop"})
    assert card["type_label"] == "Tour stop" and card["when"].endswith("(local date)")
    assert card["precision_note"] == "Approximate position: near a place"
    assert set(card) == {
        "event_id",
        "event_type",
        "type_label",
        "title",
        "when",
        "place",
        "precision_note",
        "source_url",
        "source_name",
    }
