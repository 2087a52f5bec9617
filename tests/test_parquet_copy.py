"""The typed Parquet copy the engine queries: checked and built once per version of a folder, rebuilt when a
file changes, never cached with errors, built once when asked twice at once, kept outside the project."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date

import pyarrow.parquet as pq
import pytest
from helpers import edit_event, located
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import parquet_copy, serving
from dashboard import queries as q
from dashboard.binning import BinnedView
from dashboard.config import load_settings
from dashboard.errors import DashboardError, DataError
from dashboard.event_store import EngineChoice, EventStore
from dashboard.filters import FilterState
from dashboard.importers.events_parquet import write_csv_as_parquet
from dashboard.parquet_copy import cache_root, copy_folder, typed_copy
from dashboard.prepared import data_stamp, prepare, view_of


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(parquet_copy.CACHE_ENV, str(folder))
    return folder


def test_built_once_then_reused(data_copy, cache):
    settings = load_settings(data_copy)
    first, warnings = typed_copy(settings)
    assert first.is_relative_to(cache) and warnings == []
    built_at = first.stat().st_mtime_ns
    again, _ = typed_copy(settings)
    assert again == first and again.stat().st_mtime_ns == built_at
    table = pq.read_table(first)
    assert table.num_rows == 55 and table.schema.names == list(q.EVENT_SCHEMA.names)


def test_rebuilt_when_the_csv_changes_and_the_old_copy_removed(data_copy, cache):
    settings = load_settings(data_copy)
    old, _ = typed_copy(settings)
    edit_event(data_copy, "lai-2024-honolulu", title="Honolulu, edited")
    new, _ = typed_copy(settings)
    assert new != old and not old.exists()
    store = EventStore.open(str(new), EngineChoice(), cache)
    assert store.frame(q.by_ids(["lai-2024-honolulu"]))["title"].tolist() == ["Honolulu, edited"]


def test_errors_are_reported_with_file_row_column_and_value_and_nothing_is_cached(data_copy, cache):
    row = edit_event(data_copy, "lai-2024-honolulu", start_date="2024-13-01")
    with pytest.raises(DataError) as caught:
        typed_copy(load_settings(data_copy))
    assert located(caught.value.problems) == [("events.csv", row, "start_date", "2024-13-01")]
    assert not copy_folder(load_settings(data_copy)).exists()
    assert not any(p.name.startswith(".building-") for p in cache.rglob("*"))


@pytest.mark.parametrize(
    "edit", [{"latitude": "91", "longitude": "121"}, {"start_date": "3 Dec"}, {"event_type": "invasion"}, {"title": ""}]
)
def test_a_parquet_folder_is_checked_the_same_way_with_the_csv_row_numbers(data_copy, cache, edit):
    row = edit_event(data_copy, "lai-2024-honolulu", **edit)
    with pytest.raises(DataError) as as_csv:
        typed_copy(load_settings(data_copy))
    write_csv_as_parquet(data_copy / "events.csv", data_copy / "events.parquet")
    (data_copy / "events.csv").unlink()
    with pytest.raises(DataError) as as_parquet:
        typed_copy(load_settings(data_copy))
    expected = [(p.row, p.column, p.value, p.message) for p in as_csv.value.problems]
    assert [(p.row, p.column, p.value, p.message) for p in as_parquet.value.problems] == expected
    assert {p.file for p in as_parquet.value.problems} == {"events.parquet"} and expected[0][0] == row


def test_a_folder_with_both_event_files_is_refused(data_copy, cache):
    write_csv_as_parquet(data_copy / "events.csv", data_copy / "events.parquet")
    with pytest.raises(DataError) as caught:
        typed_copy(load_settings(data_copy))
    assert "both events.csv and events.parquet" in caught.value.problems[0].message


def test_two_opens_at_once_build_once(data_copy, cache, monkeypatch):
    builds = []
    real = parquet_copy._build_in_child
    monkeypatch.setattr(parquet_copy, "_build_in_child", lambda *a: (builds.append(1), real(*a)))
    settings = load_settings(data_copy)
    results = []
    threads = [threading.Thread(target=lambda: results.append(typed_copy(settings)[0])) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len(set(results)) == 1


def test_without_a_writable_home_the_cache_is_in_the_temporary_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(parquet_copy.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "/dev/null")  # as for `nobody`: no folder can be made there
    monkeypatch.setattr(parquet_copy.tempfile, "gettempdir", lambda: str(tmp_path))
    assert cache_root() == tmp_path / f"{parquet_copy.APP_NAME}-{parquet_copy.os.getuid()}"


def test_a_file_that_is_not_a_typed_copy_is_refused_clearly(tmp_path, cache):
    (tmp_path / "x.parquet").write_bytes(b"not parquet")
    with pytest.raises(DashboardError, match="cannot be read as the events' typed copy"):
        EventStore.open(str(tmp_path / "x.parquet"), EngineChoice(), cache)


def test_validate_copy_to_then_events_parquet(data_copy, cache, tmp_path, capsys):
    from dashboard.cli import main

    target = tmp_path / "shared" / "events.parquet"
    target.parent.mkdir()
    assert main(["validate", "--data-dir", str(data_copy), "--copy-to", str(target)]) == 0
    out = tmp_path / "out.geojson"
    assert main(["export", "--data-dir", str(data_copy), "--events-parquet", str(target), "-o", str(out)]) == 0
    ref = tmp_path / "ref.geojson"
    assert main(["export", "--data-dir", str(data_copy), "-o", str(ref)]) == 0
    assert json.loads(out.read_text()) == json.loads(ref.read_text())


@pytest.fixture
def binned(data_copy, cache, monkeypatch):
    monkeypatch.setenv("DASHBOARD_BIN_ABOVE", "10")
    settings = load_settings(data_copy)
    return prepare(str(data_copy), data_stamp(settings), EngineChoice())


def test_a_view_past_the_limit_is_binned_and_holds_only_its_route_stops(binned):
    view = view_of(binned, FilterState())
    assert view.binned and view.size == 55
    assert set(view.events["event_type"]) == {"tour_stop"} and len(view.legs) == 6
    small = view_of(binned, FilterState(date(2024, 12, 3), date(2024, 12, 3)))
    assert not small.binned and len(small.events) == small.size <= 10


@pytest.mark.parametrize(
    ("box", "zoom", "points"),
    [((-80.0, 60.0, 80.0, 330.0), 2, False), ((24.0, 121.0, 25.5, 122.0), 9, True)],
)
def test_the_bins_route_answers_cells_or_dots(binned, box, zoom, points):
    located_events = 55  # every bundled event has a position
    answer = BinnedView(binned.store, FilterState(), binned.cut, tuple(binned.types), "v1", located_events, 10)
    serving.BINS.register("v1", answer)
    client = TestClient(Starlette(routes=serving.routes()))
    s, w, n, e = box
    body = client.get(f"/dm/bins/v1?s={s}&w={w}&n={n}&e={e}&z={zoom}").json()
    assert body["inside"] + body["outside"] == located_events
    if points:
        assert body["bins"] == [] and sum(len(d["row"]) for d in body["points"].values()) == body["inside"] > 0
    else:
        assert "points" not in body and sum(c[2] for c in body["bins"]) == body["inside"]
        assert all(sum(c[3]) == c[2] for c in body["bins"]), "each cell's types add up to its count"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/dm/bins/unknown?s=0&w=0&n=1&e=1&z=3", 404),
        ("/dm/bins/v1?s=0&w=0&n=1&e=1", 400),
        ("/dm/bins/v1?s=x&w=0&n=1&e=1&z=3", 400),
        ("/dm/bins/v1?s=5&w=0&n=1&e=1&z=3", 400),
        ("/dm/bins/v1?s=0&w=0&n=1&e=1&z=99", 400),
        ("/dm/bins/v1?s=nan&w=0&n=1&e=1&z=3", 400),
    ],
)
def test_the_bins_route_refuses_what_is_not_a_box(binned, url, status):
    serving.BINS.register("v1", BinnedView(binned.store, FilterState(), binned.cut, tuple(binned.types), "v1", 55))
    assert TestClient(Starlette(routes=serving.routes())).get(url).status_code == status


def test_the_copy_lives_outside_the_project(data_copy, cache):
    from dashboard.config import REPO_DIR

    path, _ = typed_copy(load_settings(data_copy))
    assert not path.is_relative_to(REPO_DIR) and not path.is_relative_to(data_copy)
    shutil.rmtree(cache)


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, EngineChoice("duckdb", "local[2]", None)),
        (
            (),
            {"DASHBOARD_ENGINE": "Spark", "DASHBOARD_SPARK_MASTER": "spark://h:7077"},
            EngineChoice("spark", "spark://h:7077"),
        ),
        (("duckdb", None, None), {"DASHBOARD_ENGINE": "spark"}, EngineChoice("duckdb")),  # the argument wins
        (("spark", "yarn", "s3a://b/e.parquet"), {}, EngineChoice("spark", "yarn", "s3a://b/e.parquet")),
        (
            (),
            {"DASHBOARD_EVENTS_PARQUET": "/mnt/shared/e.parquet"},
            EngineChoice("duckdb", "local[2]", "/mnt/shared/e.parquet"),
        ),
    ],
)
def test_the_engine_is_chosen_by_argument_then_environment(monkeypatch, args, env, expected):
    for name in ("DASHBOARD_ENGINE", "DASHBOARD_SPARK_MASTER", "DASHBOARD_EVENTS_PARQUET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert EngineChoice.from_env(*args) == expected


def test_an_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setenv("DASHBOARD_ENGINE", "trino")
    with pytest.raises(DashboardError, match="unknown engine 'trino': choose one of duckdb, spark"):
        EngineChoice.from_env()
