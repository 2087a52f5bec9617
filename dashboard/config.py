"""Paths and tunables in one frozen settings object; environment overrides are read once, here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
# The map's script, styles and basemap; served read-only by serving.py (nothing is ever written here).
STATIC_DIR = PACKAGE_DIR / "static"
BASEMAP_FILE = STATIC_DIR / "basemap" / "pacific_countries.geojson"
DATA_DIR_ENV = "DASHBOARD_DATA_DIR"


@dataclass(frozen=True)
class Settings:
    """Everything a run can tune; build it with `load_settings()`."""

    data_dir: Path = REPO_DIR / "data"
    # Locations, types, zones and the geocoding cache are read whole: 512 MB is far past any real one.
    max_file_bytes: int = 512 * 1024 * 1024
    # The events are streamed, never held: checked a piece at a time into the typed Parquet copy that the
    # engine queries. 10,000,000 generated events make 1.6 GB of CSV; a GDELT year, several GB.
    max_events_bytes: int = 16 * 1024 * 1024 * 1024
    # Nominatim's usage policy asks for an identifying user agent and at most one request a second.
    geocoder_user_agent: str = "taiwan-strait-pacific-dashboard/1.0 (open-source research tool)"
    geocoder_min_delay_seconds: float = 1.0
    # Spacing of points along a geodesic leg: 100 km keeps a 8,000 km leg smooth with 80 points.
    geodesic_step_km: float = 100.0
    # Problems shown on the page before "and N more": the CLI always prints all of them.
    max_problems_shown: int = 200
    # Map payloads held in memory for the browser to fetch (least recently used dropped first). A view of
    # 100,000 events is about 2 MB, so this keeps about a hundred distinct large views.
    max_payload_bytes: int = 256 * 1024 * 1024
    # A view of more events than this is drawn as counts per cell of the visible map (the engine bins them
    # at each pan and zoom) instead of one dot an event: 100,000 dots are 1.2 MB and a quarter second.
    bin_above: int = 100_000


def load_settings(data_dir: str | os.PathLike | None = None) -> Settings:
    """Settings with the data folder from the argument, else $DASHBOARD_DATA_DIR, else ./data."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    overrides: dict = {}
    if chosen:
        overrides["data_dir"] = Path(chosen).expanduser().resolve()
    for variable, field_name in (
        ("DASHBOARD_MAX_FILE_MB", "max_file_bytes"),
        ("DASHBOARD_MAX_EVENTS_MB", "max_events_bytes"),
    ):
        limit = os.environ.get(variable)
        if limit and limit.isdigit():
            overrides[field_name] = int(limit) * 1024 * 1024
    bin_above = os.environ.get("DASHBOARD_BIN_ABOVE")
    if bin_above and bin_above.isdigit():
        overrides["bin_above"] = int(bin_above)
    payload_mb = os.environ.get("DASHBOARD_PAYLOAD_CACHE_MB")
    if payload_mb and payload_mb.isdigit():
        overrides["max_payload_bytes"] = int(payload_mb) * 1024 * 1024
    return Settings(**overrides)
