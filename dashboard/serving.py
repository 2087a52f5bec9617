"""What the map fetches from the dashboard's own server, answered from memory and installed packages.

Nothing here writes a file: Leaflet comes straight from the XStatic wheel, our script and the basemap from
the package folder, and a view's event data and one event's card from memory. The project folder can be
read-only. `routes()` is mounted beside Streamlit's own by `dashboard/app.py` (Streamlit's `st.App`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import sys
import threading
import types
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .config import STATIC_DIR
from .errors import DashboardError

ROUTE_PREFIX = "/dm"
# Where the map inside the streamlit-folium iframe (/component/streamlit_folium.st_folium/index.html)
# finds these routes: relative, so that no host name or port is baked into the map.
IFRAME_BASE = "../../dm"
VENDOR_PACKAGES = {"leaflet": "xstatic.pkg.leaflet"}  # static/vendor/<name>/... -> that wheel's data folder
# Content-addressed URLs never change meaning, so browsers may keep them for a year.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


class AssetError(DashboardError, LookupError):
    """Raised when the map asks for a file that neither the package nor an installed wheel has."""


def asset_path(relative: str) -> Path:
    """The file behind `static/<relative>`: the vendor wheels for `vendor/...`, else the package folder.
    Refuses anything that would leave those folders."""
    parts = Path(relative).parts
    if not parts or any(p in ("..", "") or p.startswith("/") for p in parts):
        raise AssetError(f"not an asset path: {relative!r}")
    if parts[0] == "vendor" and len(parts) > 2 and parts[1] in VENDOR_PACKAGES:
        root = vendor_dir(parts[1])
        path = root.joinpath(*parts[2:])
    else:
        root = STATIC_DIR
        path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
        raise AssetError(f"no such asset: {relative!r}")
    return path


def vendor_dir(name: str) -> Path:
    """The data folder of the XStatic wheel that carries `name` (Leaflet)."""
    try:
        return Path(importlib.import_module(VENDOR_PACKAGES[name]).BASE_DIR)
    except ImportError as exc:
        raise AssetError(f"{VENDOR_PACKAGES[name]} is not installed: run `pip install -r requirements.txt`") from exc


@lru_cache(maxsize=64)
def asset_version(relative: str) -> str:
    """A short hash of an asset's content, put in its URL so that a changed file is a new URL."""
    return hashlib.sha256(asset_path(relative).read_bytes()).hexdigest()[:12]


def asset_url(relative: str, base: str = IFRAME_BASE) -> str:
    """The URL the map loads `static/<relative>` from."""
    return f"{base}/static/{relative}?v={asset_version(relative)}"


class PayloadStore:
    """Recently published map payloads, by content hash, bounded by their total size (least recently
    used goes first). Every session that shows the same view shares one entry."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, payload: dict | bytes) -> str:
        """Keep `payload` (compact JSON, or bytes as they are); return its key."""
        body = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
        )
        key = hashlib.sha256(body).hexdigest()[:24] + (".bin" if isinstance(payload, bytes) else ".json")
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return key
            self._items[key] = body
            self._size += len(body)
            while self._size > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._size -= len(old)
        return key

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    @property
    def size(self) -> int:
        return self._size


class DatasetRegistry:
    """Each data set this process serves, by key: how to draw one event's card from its row, so that a
    click on one dot of millions fetches just that event (one query of the engine)."""

    def __init__(self):
        self._cards: dict[str, Callable[[int], dict | None]] = {}
        self._lock = threading.Lock()

    def register(self, key: str, card_of: Callable[[int], dict | None]) -> None:
        with self._lock:
            self._cards[key] = card_of

    def card(self, key: str, row: int) -> dict | None:
        """The card of the event at position `row` (file order) of data set `key`, or None."""
        with self._lock:
            card_of = self._cards.get(key)
        return card_of(row) if card_of is not None and row >= 0 else None


class BinsRegistry:
    """The aggregated views the map may ask about, by view key: each answers a box and a zoom with counts
    per cell (or the events themselves when few are inside). The most recent MAX_VIEWS are kept."""

    MAX_VIEWS = 256

    def __init__(self):
        self._views: OrderedDict[str, Callable[..., dict]] = OrderedDict()
        self._lock = threading.Lock()

    def register(self, key: str, answer: Callable[..., dict]) -> None:
        with self._lock:
            self._views[key] = answer
            self._views.move_to_end(key)
            while len(self._views) > self.MAX_VIEWS:
                self._views.popitem(last=False)

    def get(self, key: str) -> Callable[..., dict] | None:
        with self._lock:
            return self._views.get(key)


def _process_state() -> types.SimpleNamespace:
    """One store of each per server process, kept where Streamlit's file watcher cannot reach: when it
    reloads this module after an edit, the routes mounted at start-up (bound to the old module) and the
    page (importing the new one) must still share the same stores."""
    holder = sys.modules.get(_STATE_MODULE)
    if holder is None:
        holder = types.ModuleType(_STATE_MODULE)
        holder.state = types.SimpleNamespace(
            payloads=PayloadStore(max_bytes=256 * 1024 * 1024),  # sized by configure() from Settings
            datasets=DatasetRegistry(),
            bins=BinsRegistry(),
            mounted=False,
        )
        sys.modules[_STATE_MODULE] = holder
    return holder.state


_STATE_MODULE = "dashboard._serving_process_state"  # a module with no file: never reloaded
_STATE = _process_state()
# The page fills them, the routes below read them.
PAYLOADS: PayloadStore = _STATE.payloads
DATASETS: DatasetRegistry = _STATE.datasets
BINS: BinsRegistry = _STATE.bins


def configure(max_payload_bytes: int) -> None:
    """Size the payload store (from Settings) before the first page runs."""
    PAYLOADS.max_bytes = max_payload_bytes


def routes_mounted() -> bool:
    """True when this process serves the routes below (started as `streamlit run dashboard/app.py`)."""
    return _STATE.mounted


async def _static(request: Request) -> Response:
    try:
        path = asset_path(request.path_params["path"])
    except AssetError:
        return Response("not found", status_code=404, media_type="text/plain")
    headers = IMMUTABLE if request.query_params.get("v") else {"Cache-Control": "no-cache"}
    return FileResponse(path, headers=headers)


async def _payload(request: Request) -> Response:
    key = request.path_params["key"]
    body = PAYLOADS.get(key)
    if body is None:
        return Response("this view is no longer held: reload the page", status_code=404, media_type="text/plain")
    if key.endswith(".bin"):
        # Packed numbers barely compress, and gzip would cost ~90 ms a MB on the server: send them as they are.
        return Response(
            body, media_type="application/octet-stream", headers={**IMMUTABLE, "Content-Encoding": "identity"}
        )
    return Response(body, media_type="application/json", headers=IMMUTABLE)


async def _card(request: Request) -> Response:
    # a query of the engine: on a worker thread, so the server keeps answering meanwhile
    card = await run_in_threadpool(DATASETS.card, request.path_params["data_key"], request.path_params["row"])
    if card is None:
        return JSONResponse({"error": "no such event"}, status_code=404)
    return JSONResponse(card, headers={"Cache-Control": "private, max-age=3600"})


BOX_PARAMS = ("s", "w", "n", "e")
MAX_ZOOM = 22


async def _bins(request: Request) -> Response:
    answer = BINS.get(request.path_params["view_key"])
    if answer is None:
        return JSONResponse({"error": "this view is no longer held: reload the page"}, status_code=404)
    try:
        box = [float(request.query_params[name]) for name in BOX_PARAMS]
        zoom = int(request.query_params["z"])
    except (KeyError, ValueError):
        return JSONResponse({"error": "give s, w, n, e (degrees) and z (zoom)"}, status_code=400)
    if not all(math.isfinite(v) for v in box) or not 0 <= zoom <= MAX_ZOOM or box[0] > box[2] or box[1] > box[3]:
        return JSONResponse({"error": "not a box on the map"}, status_code=400)
    body = await run_in_threadpool(answer, tuple(box), zoom)
    return JSONResponse(body, headers={"Cache-Control": "private, max-age=3600"})


def routes() -> list[Route]:
    """The dashboard's own routes, for `st.App(..., routes=routes())`."""
    _STATE.mounted = True
    return [
        Route(ROUTE_PREFIX + "/static/{path:path}", _static),
        Route(ROUTE_PREFIX + "/payload/{key:str}", _payload),
        Route(ROUTE_PREFIX + "/card/{data_key:str}/{row:int}", _card),
        Route(ROUTE_PREFIX + "/bins/{view_key:str}", _bins),
    ]
