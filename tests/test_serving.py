"""The dashboard's own routes: assets from the package and the XStatic wheel, payloads and cards from memory."""

from __future__ import annotations

import pytest
from helpers import all_events
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import serving
from dashboard.serving import AssetError, PayloadStore, asset_path, asset_url


@pytest.fixture
def client(prepared):
    serving.DATASETS.register(prepared.data_key, prepared.card)
    return TestClient(Starlette(routes=serving.routes()))


@pytest.mark.parametrize(
    "path",
    [
        "dashboard-map.js",
        "basemap/pacific_countries.geojson",
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/images/layers.png",
    ],
)
def test_assets_come_from_the_package_and_the_wheel(client, path):
    response = client.get(asset_url(path, base="/dm"))
    assert response.status_code == 200 and response.content == asset_path(path).read_bytes()
    assert "immutable" in response.headers["cache-control"], "versioned URLs may be kept"


@pytest.mark.parametrize(
    "path",
    [
        "../config.py",
        "vendor/../../config.py",
        "vendor/leaflet/../../../config.py",
        "/etc/passwd",
        "",
        "nothing-here.js",
        "vendor/jquery/jquery.js",
    ],
)
def test_nothing_outside_the_asset_folders_is_served(client, path):
    with pytest.raises(AssetError):
        asset_path(path)
    assert client.get(f"/dm/static/{path}").status_code in (404, 400)


def test_a_changed_file_gets_a_new_url():
    assert asset_url("dashboard-map.js").startswith("../../dm/static/dashboard-map.js?v=")
    assert asset_url("dashboard-map.js") != asset_url("dashboard-map.css")


def test_the_payload_store_keeps_the_most_recent_views_within_its_size():
    store = PayloadStore(max_bytes=100)
    first = store.put(b"a" * 40)
    second = store.put(b"b" * 40)
    assert store.get(first) == b"a" * 40  # used again: now the most recent
    third = store.put(b"c" * 40)
    assert store.get(second) is None, "the least recently used goes first"
    assert store.get(first) and store.get(third) and store.size == 80
    assert store.put(b"a" * 40) == first, "the same content is one entry"
    assert store.put({"x": 1}).endswith(".json") and first.endswith(".bin")


def test_payloads_are_served_packed_or_as_json(client):
    packed = serving.PAYLOADS.put(b"\x01\x00\x00\x00")
    response = client.get(f"/dm/payload/{packed}", headers={"Accept-Encoding": "gzip"})
    assert response.content == b"\x01\x00\x00\x00" and response.headers["content-type"] == "application/octet-stream"
    assert client.get(f"/dm/payload/{serving.PAYLOADS.put({'a': [1, 2]})}").json() == {"a": [1, 2]}
    assert client.get("/dm/payload/unknown.json").status_code == 404


def test_a_card_is_one_event_by_its_row_in_the_file(client, prepared):
    row = int(all_events(prepared).index[all_events(prepared)["event_id"] == "lai-2024-honolulu"][0])
    card = client.get(f"/dm/card/{prepared.data_key}/{row}").json()
    assert card["title"] == "Transit stopover in Honolulu, Hawaii" and card["type_label"] == "Tour stop"
    assert card["source_url"].startswith("https://")
    assert client.get(f"/dm/card/{prepared.data_key}/{len(all_events(prepared))}").status_code == 404
    assert client.get(f"/dm/card/no-such-data/{row}").status_code == 404
    assert client.get(f"/dm/card/{prepared.data_key}/-1").status_code == 404


def test_the_stores_survive_streamlits_module_reload(client):
    """Streamlit's file watcher re-imports edited modules; routes mounted at start keep the old module's
    functions, so the page and the routes must still share one payload store and one dataset registry."""
    import importlib
    import sys

    key = serving.PAYLOADS.put(b"\x00\x00\x00\x00")
    old_payloads, old_datasets = serving.PAYLOADS, serving.DATASETS
    del sys.modules["dashboard.serving"]
    fresh = importlib.import_module("dashboard.serving")
    try:
        assert fresh.PAYLOADS is old_payloads and fresh.DATASETS is old_datasets and fresh.routes_mounted()
        assert client.get(f"/dm/payload/{key}").status_code == 200  # the routes of the old module
    finally:
        sys.modules["dashboard.serving"] = serving
