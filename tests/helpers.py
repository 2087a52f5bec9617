"""Small helpers shared by test modules."""
from __future__ import annotations

import csv
import io
import socket
from pathlib import Path


def read_rows(path: Path) -> list[list[str]]:
    """A CSV file's rows, header included, as lists of strings."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def refuse_network(monkeypatch, *modules) -> None:
    """Fail any test that opens a connection or builds the Nominatim geocoder from `modules`."""
    def refuse(*args, **kwargs):
        raise AssertionError("tests must not touch the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for module in modules:
        monkeypatch.setattr(module, "make_nominatim_geocoder", refuse)
