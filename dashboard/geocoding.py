"""Place name -> (lat, lon): the gazetteer first, then the persisted cache, then (only when asked) geopy.

A geocoder is any callable `name -> (lat, lon, display_name) | None`, so tests pass a dict's `.get`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from .errors import GeocodingError
from .files import write_text_atomic
from .schema import GEOCODE_CACHE_COLUMNS
from .validation import normalize_place

GeocodeResult = tuple[float, float, str] | None
Geocoder = Callable[[str], GeocodeResult]


@dataclass(frozen=True)
class Place:
    """A resolved place and where the answer came from (gazetteer, cache or geocoder)."""

    name: str
    lat: float
    lon: float
    source: str
    display_name: str = ""


class Gazetteer:
    """Names and aliases from locations.csv, matched case- and space-insensitively."""

    def __init__(self, locations: pd.DataFrame):
        self._places: dict[str, Place] = {}
        for row in locations.itertuples(index=False):
            if pd.isna(row.latitude) or pd.isna(row.longitude):
                continue
            place = Place(row.name, float(row.latitude), float(row.longitude), "gazetteer", row.name)
            for name in [row.name, *str(row.aliases or "").split(";")]:
                if normalize_place(name):
                    self._places.setdefault(normalize_place(name), place)

    def lookup(self, name: str) -> Place | None:
        """The gazetteer's place for a name or alias, if any."""
        return self._places.get(normalize_place(name))


def read_cache(path: Path) -> dict[str, Place]:
    """The geocoding cache (a small CSV beside the data); a missing or unreadable cache is empty."""
    if not path.is_file():
        return {}
    places = {}
    try:
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
            try:
                place = Place(
                    row["name"], float(row["latitude"]), float(row["longitude"]), "cache", row.get("display_name") or ""
                )
            except (KeyError, TypeError, ValueError):
                continue  # a damaged line costs one lookup, not the whole cache
            places[normalize_place(place.name)] = place
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    return places


def write_cache(path: Path, places: Iterable[Place]) -> None:
    """Save the cache atomically, sorted by name so that diffs stay readable."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GEOCODE_CACHE_COLUMNS)
    for p in sorted(places, key=lambda p: normalize_place(p.name)):
        writer.writerow([p.name, f"{p.lat:.6f}", f"{p.lon:.6f}", p.display_name, p.source])
    write_text_atomic(path, out.getvalue())


def resolve_places(
    names: Iterable[str],
    gazetteer: Gazetteer,
    cache: dict[str, Place],
    geocoder: Geocoder | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> tuple[dict[str, Place], list[str]]:
    """Resolve each distinct name: gazetteer, then cache, then the geocoder if one is given.

    Returns the resolved places by name and the names nothing could resolve. New geocoder answers are
    added to `cache` (the caller saves it). Raises GeocodingError if the geocoder itself fails.
    """
    unique = list(dict.fromkeys(n for n in names if normalize_place(n)))
    resolved: dict[str, Place] = {}
    missing: list[str] = []
    for done, name in enumerate(unique, start=1):
        place = gazetteer.lookup(name) or cache.get(normalize_place(name))
        if place is None and geocoder is not None:
            answer = geocoder(name)
            if answer is not None:
                lat, lon, display = answer
                place = Place(name, float(lat), float(lon), "geocoder", display)
                cache[normalize_place(name)] = place
        if place is None:
            missing.append(name)
        else:
            resolved[name] = place
        if on_progress:
            on_progress(done, len(unique), name)
    return resolved, missing


# The public OpenStreetMap server; its usage policy allows one request a second and a real user agent.
NOMINATIM_DOMAIN = "nominatim.openstreetmap.org"
# Nominatim answers a search in well under a second; ten seconds without an answer means it is overloaded.
NOMINATIM_TIMEOUT_SECONDS = 10.0
# After a failed request (timeout, 429, 5xx), wait this long and try once more before reporting the failure.
NOMINATIM_ERROR_WAIT_SECONDS = 5.0


def make_nominatim_geocoder(
    user_agent: str,
    min_delay_seconds: float,
    *,
    domain: str = NOMINATIM_DOMAIN,
    scheme: str = "https",
    timeout_seconds: float = NOMINATIM_TIMEOUT_SECONDS,
    error_wait_seconds: float = NOMINATIM_ERROR_WAIT_SECONDS,
) -> Geocoder:
    """A geocoder backed by a Nominatim server (OpenStreetMap's unless `domain` says otherwise).

    Requests start at least `min_delay_seconds` apart. A request that fails (no answer within
    `timeout_seconds`, HTTP 429 or 5xx, no connection) is tried once more after `error_wait_seconds`;
    if that fails too, GeocodingError says what went wrong. A name Nominatim does not know gives None.
    """
    from geopy.adapters import RequestsAdapter
    from geopy.exc import (
        GeocoderAuthenticationFailure,
        GeocoderInsufficientPrivileges,
        GeocoderQuotaExceeded,
        GeocoderTimedOut,
        GeocoderUnavailable,
        GeopyError,
    )
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    # max_retries=0: geopy's requests adapter otherwise retries twice at once, inside one rate-limited call (three
    # requests where the policy allows one), and reports a slow answer as "unavailable" instead of a timeout.
    nominatim = Nominatim(
        user_agent=user_agent,
        timeout=timeout_seconds,
        domain=domain,
        scheme=scheme,
        adapter_factory=partial(RequestsAdapter, max_retries=0),
    )
    # No retries with swallowing: a failure must reach the user as a GeocodingError, not a silent None.
    limited = RateLimiter(
        nominatim.geocode,
        min_delay_seconds=min_delay_seconds,
        max_retries=1,
        error_wait_seconds=max(error_wait_seconds, min_delay_seconds),
        swallow_exceptions=False,
    )
    # geopy's error -> what happened and what to do (geopy reports HTTP 503 and 504 as timeouts)
    reasons = (
        (
            (GeocoderQuotaExceeded, GeocoderInsufficientPrivileges, GeocoderAuthenticationFailure),
            "refused the request",
            "It refuses clients that ask too often or give no proper user agent: wait a while and try again",
        ),
        (GeocoderTimedOut, "did not answer in time", "Try again later"),
        (GeocoderUnavailable, "could not be reached", "Check the network connection"),
        (GeopyError, "failed", "Try again later"),
    )

    def geocode(name: str) -> GeocodeResult:
        try:
            location = limited(name)
        except GeopyError as exc:
            what, advice = next((what, advice) for kinds, what, advice in reasons if isinstance(exc, kinds))
            raise GeocodingError(
                f"the geocoder at {domain} {what} for {name!r} ({exc}). {advice}, or add the place to locations.csv."
            ) from exc
        if location is None:
            return None
        return location.latitude, location.longitude, location.address

    return geocode
