"""Place resolution: gazetteer first, cache second, a geocoder (a fake, never the network) last."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import refuse_network

from dashboard import geocoding
from dashboard.errors import UnknownPlaceError
from dashboard.geocoding import Gazetteer, Place, read_cache, resolve_places, write_cache
from dashboard.schema import GEOCODE_CACHE_COLUMNS


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    refuse_network(monkeypatch, geocoding)


@pytest.fixture
def gazetteer() -> Gazetteer:
    return Gazetteer(pd.DataFrame([
        {"name": "Honolulu, Hawaii", "latitude": 21.3069, "longitude": -157.8583, "country": "United States",
         "aliases": "Honolulu"},
        {"name": "Hagåtña, Guam", "latitude": 13.4757, "longitude": 144.7489, "country": "Guam",
         "aliases": "Hagatna;Agana;Guam"},
        {"name": "Nowhere Reef", "latitude": float("nan"), "longitude": float("nan"), "country": "", "aliases": ""},
    ]))


class RecordingGeocoder:
    """A dict's .get that remembers every name it was asked for."""

    def __init__(self, answers: dict):
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, name: str):
        self.calls.append(name)
        return self.answers.get(name)


def test_gazetteer_matches_names_and_aliases_ignoring_case_and_spaces(gazetteer):
    for name in ("Honolulu, Hawaii", "honolulu", "  HONOLULU  ", "agana", "Guam", "Hagåtña, Guam"):
        assert gazetteer.lookup(name) is not None, name
    assert gazetteer.lookup("Honolulu").lat == 21.3069
    assert gazetteer.lookup("Guam").name == "Hagåtña, Guam"
    assert gazetteer.lookup("Majuro") is None
    assert gazetteer.lookup("Nowhere Reef") is None  # a row without coordinates resolves nothing


def test_gazetteer_is_asked_first_and_the_geocoder_not_at_all(gazetteer):
    """A gazetteer place never reaches the cache or the geocoder, even if they would answer differently."""
    cache = {"honolulu": Place("Honolulu", 0.0, 0.0, "cache")}
    geocoder = RecordingGeocoder({"Honolulu": (1.0, 1.0, "Somewhere else")})
    resolved, missing = resolve_places(["Honolulu"], gazetteer, cache, geocoder)
    assert missing == []
    assert resolved["Honolulu"].source == "gazetteer"
    assert (resolved["Honolulu"].lat, resolved["Honolulu"].lon) == (21.3069, -157.8583)
    assert geocoder.calls == []
    assert set(cache) == {"honolulu"} and cache["honolulu"].lat == 0.0


def test_cache_is_asked_second(gazetteer):
    """A place in the cache only is taken from there; the geocoder is not called."""
    cache = {"majuro": Place("Majuro", 7.0897, 171.3803, "cache", "Majuro, Marshall Islands")}
    geocoder = RecordingGeocoder({"Majuro": (0.0, 0.0, "wrong")})
    resolved, missing = resolve_places(["MAJURO"], gazetteer, cache, geocoder)
    assert missing == []
    assert resolved["MAJURO"].source == "cache" and resolved["MAJURO"].lon == 171.3803
    assert geocoder.calls == []


def test_geocoder_is_asked_last_and_its_answer_is_cached(gazetteer):
    """Only unknown places reach the geocoder, once each; answers are added to the cache."""
    cache: dict[str, Place] = {}
    geocoder = RecordingGeocoder({"Koror, Palau": (7.3419, 134.4792, "Koror, Palau")})
    names = ["Koror, Palau", "Honolulu", "Koror, Palau", "Atlantis", ""]
    resolved, missing = resolve_places(names, gazetteer, cache, geocoder)
    assert geocoder.calls == ["Koror, Palau", "Atlantis"]
    assert missing == ["Atlantis"]
    assert resolved["Koror, Palau"] == Place("Koror, Palau", 7.3419, 134.4792, "geocoder", "Koror, Palau")
    assert cache == {"koror, palau": resolved["Koror, Palau"]}
    # Asked again, the cache answers and the geocoder stays quiet.
    again = RecordingGeocoder({})
    resolved, missing = resolve_places(["koror, palau"], gazetteer, cache, again)
    assert again.calls == [] and missing == [] and resolved["koror, palau"].lat == 7.3419


def test_without_a_geocoder_unresolved_names_are_returned(gazetteer):
    """Offline, names found nowhere come back in order, once each; blanks are skipped."""
    resolved, missing = resolve_places(["Atlantis", "Honolulu", "El Dorado", "Atlantis", "  "], gazetteer, {})
    assert list(resolved) == ["Honolulu"]
    assert missing == ["Atlantis", "El Dorado"]


def test_progress_is_reported_per_distinct_name(gazetteer):
    seen = []
    resolve_places(["Honolulu", "Guam", "Honolulu"], gazetteer, {}, None, lambda *a: seen.append(a))
    assert seen == [(1, 2, "Honolulu"), (2, 2, "Guam")]


def test_unknown_place_error_names_the_places():
    error = UnknownPlaceError(["Atlantis", "El Dorado", "Atlantis"])
    assert error.places == ["Atlantis", "El Dorado"]
    assert "'Atlantis'" in str(error) and "'El Dorado'" in str(error) and "--online" in str(error)


def test_write_cache_then_read_cache_round_trip(tmp_path: Path):
    """Places survive a write and a read (6 decimals), sorted by name, with a header row."""
    path = tmp_path / "geocode_cache.csv"
    places = [Place("Koror, Palau", 7.3419, 134.4792, "geocoder", "Koror, Palau"),
              Place("Funafuti", -8.5211, 179.1983, "geocoder", 'Funafuti, "Tuvalu"')]
    write_cache(path, places)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(GEOCODE_CACHE_COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == ["Funafuti", '"Koror']
    cache = read_cache(path)
    assert set(cache) == {"koror, palau", "funafuti"}
    assert cache["funafuti"] == Place("Funafuti", -8.5211, 179.1983, "cache", 'Funafuti, "Tuvalu"')
    assert cache["koror, palau"].lat == pytest.approx(7.3419) and cache["koror, palau"].lon == pytest.approx(134.4792)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_read_cache_missing_or_damaged(tmp_path: Path):
    """A missing cache is empty; a damaged line costs that line only; a non-UTF-8 cache is empty."""
    path = tmp_path / "geocode_cache.csv"
    assert read_cache(path) == {}
    path.write_text("name,latitude,longitude,display_name,source\nGood,1.5,2.5,Good,geocoder\n"
                    "Bad,north,2.5,Bad,geocoder\n", encoding="utf-8")
    assert list(read_cache(path)) == ["good"]
    path.write_bytes(b"name,latitude,longitude\nG\xe9o,1,2\n")
    assert read_cache(path) == {}
