"""The map as the page shows it: the session-long base map with its assets served by the dashboard, and
each view's feature group, built once per distinct view and shared by every session that shows it."""

from __future__ import annotations

import hashlib
from functools import lru_cache

import folium
import pandas as pd

from . import queries as q
from .binning import POINTS_LIMIT, BinnedView
from .filters import FilterState
from .map_builder import BASEMAP_ASSET, Selection, build_base_map, build_view_group, cells_extent
from .offline import localize_assets
from .prepared import PreparedData, view_of
from .serving import BINS, IFRAME_BASE, PAYLOADS, asset_url

VIEW_GROUPS_KEPT = 64  # distinct (view, selection) groups; each holds URLs and small inline data only


def view_key(data: PreparedData, state: FilterState) -> str:
    """A short name for one view of one data set (what window.__dmPainted reports)."""
    return hashlib.sha256(repr((data.data_key, state)).encode()).hexdigest()[:16]


def base_map(data: PreparedData) -> folium.Map:
    """Built afresh each run (streamlit-folium adds the view group to it), but rendering the same script
    every time, so the iframe is never remounted."""
    return localize_assets(build_base_map(data.types, asset_url(BASEMAP_ASSET)))


def publish(payload: dict | bytes) -> str:
    """Keep a large payload in the server's memory and return the URL the map fetches it from."""
    return f"{IFRAME_BASE}/payload/{PAYLOADS.put(payload)}"


@lru_cache(maxsize=VIEW_GROUPS_KEPT)
def view_group(
    data: PreparedData,
    state: FilterState,
    selected: str | None,
    pushes: int,
    pan: bool,
    story_leg: tuple[str, str] | None = None,
    story_stop: str | None = None,
) -> folium.FeatureGroup:
    """The feature group of one view with one selection. Cached: the same view renders the same script,
    so a rerun that changes nothing on the map swaps nothing in the map. (`pushes` only keys the cache.)"""
    view = view_of(data, state)
    selection = Selection(data.event_in_view(view, state, selected), pan=pan)
    key = view_key(data, state)
    group = build_view_group(
        view,
        data.cut,
        data.types,
        key=key,
        selection=selection,
        card_base=f"{IFRAME_BASE}/card/{data.data_key}",
        publish=publish,
        story_leg=story_leg,
        story_stop=story_stop,
        bins=binned_source(data, state, key) if view.binned else None,
    )
    return localize_assets(group)


def binned_source(data: PreparedData, state: FilterState, key: str) -> tuple[str, pd.DataFrame]:
    """Register the view with the server's bins route; the URL the map asks, and the cells that frame it."""
    # framed as the whole data set is (a binned view holds a large part of it: counting its own cells would
    # cost a scan of every event at each change); the count of its events with a place is its own
    extent = cells_extent(data.cells)
    located = int(data.store.scalar(q.located_count(), state))
    points_limit = min(POINTS_LIMIT, data.bin_above)  # dots once no more are inside the map than a view may hold
    BINS.register(key, BinnedView(data.store, state, data.cut, tuple(data.types), key, located, points_limit))
    return f"{IFRAME_BASE}/bins/{key}", extent
