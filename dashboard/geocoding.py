"""Place name -> (lat, lon): the gazetteer first, then the persisted cache, then (only when asked) geopy.

A geocoder is any callable `name -> (lat, lon, display_name) | None`, so tests pass a dict's `.get`.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

import pandas as pd

from .errors import GeocodingError
from .files import write_text_atomic
from .schema import GEOCODE_CACHE_COLUMNS
from .validation import normalize_place

GeocodeResult = Optional[tuple[float, float, str]]
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
                place = Place(row["name"], float(row["latitude"]), float(row["longitude"]), "cache",
                              row.get("display_name") or "")
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


def make_nominatim_geocoder(user_agent: str, min_delay_seconds: float) -> Geocoder:
    """A geocoder backed by OpenStreetMap's Nominatim, one request per `min_delay_seconds` at most."""
    from geopy.exc import GeopyError
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    nominatim = Nominatim(user_agent=user_agent, timeout=10)
    # No retries with swallowing: a failure must reach the user as a GeocodingError, not a silent None.
    limited = RateLimiter(nominatim.geocode, min_delay_seconds=min_delay_seconds, max_retries=1,
                          swallow_exceptions=False)

    def geocode(name: str) -> GeocodeResult:
        try:
            location = limited(name)
        except GeopyError as exc:
            raise GeocodingError(f"the geocoder failed for {name!r}: {exc}. Check the network connection, "
                                 "or add the place to locations.csv.") from exc
        if location is None:
            return None
        return location.latitude, location.longitude, location.address

    return geocode
