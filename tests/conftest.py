"""Shared fixtures: the bundled data, loaded once, and throw-away copies of the data folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import browser_support
import pytest
from helpers import all_events

from dashboard.prepared import PreparedData, prepare

REPO = Path(__file__).resolve().parent.parent
BUNDLED_DATA = REPO / "data"


@pytest.fixture(scope="session", autouse=True)
def test_cache(tmp_path_factory):
    """The typed Parquet copies the tests build go to a folder of this run (servers the tests start inherit
    it), not into the user's own cache; a test may still set DASHBOARD_CACHE_DIR itself."""
    before = os.environ.get("DASHBOARD_CACHE_DIR")
    os.environ["DASHBOARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("dashboard-cache"))
    yield
    if before is None:
        os.environ.pop("DASHBOARD_CACHE_DIR", None)
    else:
        os.environ["DASHBOARD_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def prepared(test_cache) -> PreparedData:
    """The bundled data set, loaded and prepared as the page does."""
    return prepare(str(BUNDLED_DATA), ())


@pytest.fixture(scope="session")
def events(prepared):
    return all_events(prepared)


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the bundled data folder."""
    target = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, target, ignore=shutil.ignore_patterns("README.md"))
    return target


# Browser fixtures live here, defined once, so every browser test module shares one Chromium.
@pytest.fixture(scope="session")
def chromium_path():
    path = browser_support.find_chromium()
    if path is None:
        message = f"no Chromium found: {browser_support.INSTALL_HINT}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=browser_support.CHROMIUM_FLAGS)
        yield browser
        browser.close()
