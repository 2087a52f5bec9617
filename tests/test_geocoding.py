"""Place resolution: gazetteer first, cache second, a geocoder last; the Nominatim wrapper against a local server.

Only the tests given the `nominatim` fixture open connections, and only to 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from helpers import refuse_network

from dashboard import geocoding
from dashboard.errors import GeocodingError, UnknownPlaceError
from dashboard.geocoding import Gazetteer, Place, make_nominatim_geocoder, read_cache, resolve_places, write_cache
from dashboard.schema import GEOCODE_CACHE_COLUMNS


@pytest.fixture(autouse=True)
def no_network(request, monkeypatch):
    """Any attempt to open a connection fails the test, except to the local server of `nominatim` tests."""
    if "nominatim" in request.fixturenames:
        real_connect = socket.socket.connect

        def local_only(sock, address):
            assert address[0] == "127.0.0.1", f"tests must not touch the network: {address}"
            return real_connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", local_only)
        for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(variable, raising=False)
    else:
        refuse_network(monkeypatch, geocoding)


@pytest.fixture
def gazetteer() -> Gazetteer:
    return Gazetteer(
        pd.DataFrame(
            [
                {
                    "name": "Honolulu, Hawaii",
                    "latitude": 21.3069,
                    "longitude": -157.8583,
                    "country": "United States",
                    "aliases": "Honolulu",
                },
                {
                    "name": "Hagåtña, Guam",
                    "latitude": 13.4757,
                    "longitude": 144.7489,
                    "country": "Guam",
                    "aliases": "Hagatna;Agana;Guam",
                },
                {
                    "name": "Nowhere Reef",
                    "latitude": float("nan"),
                    "longitude": float("nan"),
                    "country": "",
                    "aliases": "",
                },
            ]
        )
    )


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
    places = [
        Place("Koror, Palau", 7.3419, 134.4792, "geocoder", "Koror, Palau"),
        Place("Funafuti", -8.5211, 179.1983, "geocoder", 'Funafuti, "Tuvalu"'),
    ]
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
    path.write_text(
        "name,latitude,longitude,display_name,source\nGood,1.5,2.5,Good,geocoder\nBad,north,2.5,Bad,geocoder\n",
        encoding="utf-8",
    )
    assert list(read_cache(path)) == ["good"]
    path.write_bytes(b"name,latitude,longitude\nG\xe9o,1,2\n")
    assert read_cache(path) == {}


# The Nominatim wrapper, over real HTTP to a local server --------------------------------------------------------

USER_AGENT = "taiwan-strait-pacific-dashboard/test"
KOROR = [{"place_id": 1, "lat": "7.3419", "lon": "134.4792", "display_name": "Koror, Palau", "type": "city"}]
SLOW_SECONDS = 1.0  # how long the server takes over a "slow" answer; the tests' timeout is shorter


class FakeNominatim(BaseHTTPRequestHandler):
    """Answers GET /search?q=...&format=json&limit=1 as Nominatim does; the query chooses the answer."""

    requests: list[dict]  # every request: arrival time, path, query parameters, user agent

    def do_GET(self):
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.requests.append(
            {"at": time.monotonic(), "path": url.path, "query": query, "user_agent": self.headers["User-Agent"]}
        )
        name = query.get("q", "")
        if name == "slow":
            time.sleep(SLOW_SECONDS)
            self.answer(200, json.dumps(KOROR))
        elif name == "busy":
            self.answer(503, "<html>Service Unavailable</html>", "text/html")
        elif name == "too many":
            self.answer(429, "<html>Too Many Requests</html>", "text/html")
        elif name == "blocked":
            self.answer(403, "<html>Access blocked</html>", "text/html")
        elif name == "portal":  # a captive portal or proxy answering 200 with a web page
            self.answer(200, "<html>Please log in to the Wi-Fi</html>", "text/html")
        elif name == "Atlantis":
            self.answer(200, "[]")
        else:
            self.answer(200, json.dumps(KOROR))

    def answer(self, status: int, body: str, content_type: str = "application/json"):
        data = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture
def nominatim():
    """A local Nominatim look-alike on 127.0.0.1; yields (domain, list of the requests it received)."""
    handler = type("Handler", (FakeNominatim,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", handler.requests
    server.shutdown()
    server.server_close()
    thread.join()


def local_geocoder(domain: str, min_delay_seconds: float = 0.1, **options):
    return make_nominatim_geocoder(USER_AGENT, min_delay_seconds, domain=domain, scheme="http", **options)


def test_nominatim_answer_is_lat_lon_and_display_name(nominatim):
    domain, requests = nominatim
    assert local_geocoder(domain)("Koror, Palau") == (7.3419, 134.4792, "Koror, Palau")
    assert len(requests) == 1
    assert requests[0]["path"] == "/search"
    assert requests[0]["query"] == {"q": "Koror, Palau", "format": "json", "limit": "1"}
    assert requests[0]["user_agent"] == USER_AGENT


def test_nominatim_without_a_result_gives_none(nominatim):
    domain, requests = nominatim
    assert local_geocoder(domain)("Atlantis") is None
    assert len(requests) == 1  # an empty answer is an answer, not an error to retry


def test_nominatim_requests_are_at_least_the_minimum_delay_apart(nominatim):
    """One request a second, as Nominatim's usage policy asks, measured where the requests arrive."""
    domain, requests = nominatim
    geocode = local_geocoder(domain, min_delay_seconds=1.0)
    for name in ("Koror", "Majuro", "Funafuti"):
        assert geocode(name) is not None
    gaps = [later["at"] - earlier["at"] for earlier, later in pairwise(requests)]
    assert [r["query"]["q"] for r in requests] == ["Koror", "Majuro", "Funafuti"]
    assert len(gaps) == 2 and min(gaps) >= 0.95, gaps


@pytest.mark.parametrize(
    "name, status, what",
    [
        ("busy", "503", "did not answer in time"),
        ("too many", "429", "refused the request"),
        ("blocked", "403", "refused the request"),
        ("portal", "", "failed"),
    ],
)
def test_nominatim_http_errors_are_retried_once_then_reported(nominatim, name, status, what):
    """An error answer is asked again once, after the error wait, then raised as a GeocodingError that says why."""
    domain, requests = nominatim
    geocode = local_geocoder(domain, min_delay_seconds=0.1, error_wait_seconds=0.3)
    with pytest.raises(GeocodingError) as caught:
        geocode(name)
    message = str(caught.value)
    assert f"the geocoder at {domain} {what} for {name!r}" in message, message
    assert status in message and "locations.csv" in message
    assert len(requests) == 2, "asked once and retried once"
    assert requests[1]["at"] - requests[0]["at"] >= 0.3


def test_nominatim_slow_answer_times_out_as_a_geocoding_error(nominatim):
    domain, requests = nominatim
    geocode = local_geocoder(domain, timeout_seconds=0.2, min_delay_seconds=0.1, error_wait_seconds=0.1)
    start = time.monotonic()
    with pytest.raises(GeocodingError, match="did not answer in time for 'slow'"):
        geocode("slow")
    assert time.monotonic() - start < SLOW_SECONDS, "the timeout did not cut the wait short"
    assert len(requests) == 2


def test_nominatim_that_cannot_be_reached_is_a_geocoding_error(nominatim):
    with socket.socket() as closed:  # a port that was free a moment ago: nothing listens there
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    geocode = local_geocoder(f"127.0.0.1:{port}", min_delay_seconds=0.1, error_wait_seconds=0.1)
    with pytest.raises(GeocodingError, match="could not be reached.*Check the network connection"):
        geocode("Koror")


def test_the_default_nominatim_is_openstreetmaps_over_https(monkeypatch):
    """Without a domain the wrapper points at the public server; building it opens no connection."""
    made = {}
    from geopy import geocoders

    real = geocoders.Nominatim

    def recording(**kwargs):
        made.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(geocoders, "Nominatim", recording)
    make_nominatim_geocoder(USER_AGENT, 1.0)  # the real one, imported before `no_network` replaced it
    assert made["domain"] == "nominatim.openstreetmap.org" and made["scheme"] == "https"
    assert made["user_agent"] == USER_AGENT and made["timeout"] == 10
