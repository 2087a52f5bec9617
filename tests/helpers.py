"""Small helpers shared by test modules."""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path

from dashboard.validation import Problem


def read_rows(path: Path) -> list[list[str]]:
    """A CSV file's rows, header included, as lists of strings."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    """Write rows (header included) as a CSV file."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def edit_event(data_dir: Path, event_id: str, **changes: str) -> int:
    """Change cells of one event in events.csv, found by its event_id column wherever that column is.

    Returns the event's spreadsheet row number (the header is row 1); KeyError if no event has that id.
    """
    path = data_dir / "events.csv"
    rows = read_rows(path)
    header = rows[0]
    for number, row in enumerate(rows[1:], start=2):
        if row[header.index("event_id")] == event_id:
            for column, value in changes.items():
                row[header.index(column)] = value
            write_rows(path, rows)
            return number
    raise KeyError(event_id)


def located(problems: list[Problem]) -> list[tuple]:
    """Where each problem is, in order: (file, row, column, value)."""
    return [(p.file, p.row, p.column, p.value) for p in problems]


def refuse_network(monkeypatch, *modules) -> None:
    """Fail any test that opens a connection or builds the Nominatim geocoder from `modules`."""

    def refuse(*args, **kwargs):
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for module in modules:
        monkeypatch.setattr(module, "make_nominatim_geocoder", refuse)


# events.csv's columns in contract order, written out here rather than read from dashboard.schema, so that
# the importers' output is checked against the contract as documented, not against itself.
EVENTS_HEADER = (
    "event_id",
    "event_type",
    "start_date",
    "end_date",
    "title",
    "location",
    "latitude",
    "longitude",
    "source_url",
    "description",
    "actor",
    "route_id",
    "route_seq",
    "amount_usd",
    "geo_precision",
    "source_name",
    "notes",
)


def all_events(prepared):
    """Every event of a prepared data set as one frame (indexed by row), queried from its engine: what the
    page never holds, and a test may."""
    from dashboard import queries as q
    from dashboard.filters import FilterState

    frame = prepared.store.frame(q.rows(), FilterState()).set_index(q.ROW)
    frame.index.name = None
    return frame
