"""Shared fixtures: the bundled data, loaded once, and throw-away copies of the data folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.config import load_settings
from dashboard.page_state import PreparedData, prepare

REPO = Path(__file__).resolve().parent.parent
BUNDLED_DATA = REPO / "data"


@pytest.fixture(scope="session")
def prepared() -> PreparedData:
    """The bundled data set, loaded and prepared as the page does."""
    return prepare(str(BUNDLED_DATA), ())


@pytest.fixture(scope="session")
def events(prepared):
    return prepared.dataset.events


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the bundled data folder."""
    target = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, target, ignore=shutil.ignore_patterns("README.md"))
    return target


@pytest.fixture
def settings_for():
    return lambda path: load_settings(path)
