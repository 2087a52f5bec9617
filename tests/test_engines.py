"""The same query cases on DuckDB and on Apache Spark (local[2]), each checked against pandas' own answer
(`filters.apply_filters` over the whole frame): one set of expressions, two engines, one truth."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date

import pandas as pd
import pytest
from helpers import all_events

from dashboard import queries as q
from dashboard.cli import main as cli_main
from dashboard.config import load_settings
from dashboard.event_store import EngineChoice, EventStore
from dashboard.filters import FilterState, apply_filters
from dashboard.parquet_copy import cache_root, typed_copy
from dashboard.prepared import data_stamp, prepare_from, view_of

ENGINE_NAMES = ["duckdb", "spark"]

STATES = {
    "everything": FilterState(),
    "the tour's week": FilterState(date(2024, 11, 30), date(2024, 12, 6)),
    "one day": FilterState(date(2024, 12, 3), date(2024, 12, 3)),
    "open start": FilterState(end=date(2024, 10, 31)),
    "open end": FilterState(start=date(2025, 1, 1)),
    "arms sales and drills": FilterState(types=("arms_sale", "military_drill")),
    "one actor of several": FilterState(actors=("Taiwan",)),
    "an actor naming a part": FilterState(actors=("China (PLA Eastern Theater Command)",)),
    "two actors": FilterState(actors=("Palau", "Tuvalu")),
    "an actor's name is not a prefix": FilterState(actors=("Chin",)),
    "search, any case": FilterState(text="HONOLULU"),
    "search a place": FilterState(text="majuro"),
    "search text that is SQL": FilterState(text="%' OR 1=1 --"),
    "search a wildcard": FilterState(text="_"),
    "search a bracket": FilterState(text="("),
    "nothing": FilterState(date(2030, 1, 1), date(2030, 1, 2)),
    "everything at once": FilterState(date(2024, 1, 1), date(2025, 12, 31), ("diplomatic",), ("China",), "taiwan"),
}


def java_or_skip() -> None:
    if shutil.which("java") is None:
        message = "Spark needs Java 17: apt-get install -y openjdk-17-jre-headless"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def parquet(prepared):
    path, _warnings = typed_copy(load_settings(str(prepared.folder.data_dir)))
    return str(path)


@pytest.fixture(scope="module", params=ENGINE_NAMES)
def store(request, parquet):
    if request.param == "spark":
        java_or_skip()
        pytest.importorskip("pyspark")
    opened = EventStore.open(parquet, EngineChoice(request.param, "local[2]"), cache_root())
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def reference(prepared):
    return all_events(prepared)


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_the_filter_keeps_what_pandas_keeps(store, reference, state):
    expected = apply_filters(reference, state)
    rows = store.frame(q.rows(), state)
    assert rows["event_id"].tolist() == expected["event_id"].tolist()  # and in file order
    assert rows[q.ROW].tolist() == expected.index.tolist()
    assert store.scalar(q.count(), state) == len(expected)


@pytest.mark.parametrize("state", list(STATES.values())[:6], ids=list(STATES.keys())[:6])
def test_a_page_of_the_table_is_by_date_then_file_order(store, reference, state):
    expected = apply_filters(reference, state).rename_axis("r").sort_values(["start_date", "r"])
    for offset in (0, 7):
        page = store.frame(q.page(offset, 7), state)
        assert page["event_id"].tolist() == expected["event_id"].iloc[offset : offset + 7].tolist()


def test_the_columns_come_back_typed_as_loading_types_them(store, reference):
    rows = store.frame(q.rows(), FilterState()).set_index(q.ROW)
    rows.index.name = None
    pd.testing.assert_frame_equal(rows, reference, check_dtype=False)
    assert str(rows["route_seq"].dtype) == "Int64" and rows["start_date"].dtype.kind == "M"


def test_one_event_by_row_and_by_id(store, reference):
    honolulu = int(reference.index[reference["event_id"] == "lai-2024-honolulu"][0])
    assert store.frame(q.by_row(honolulu))["event_id"].tolist() == ["lai-2024-honolulu"]
    assert store.frame(q.by_row(len(reference))).empty
    found = store.frame(q.by_ids(["lai-2024-majuro", "no-such-event", "lai-2024-honolulu"]))
    assert set(found["event_id"]) == {"lai-2024-majuro", "lai-2024-honolulu"}


def test_the_timeline_counts(store, reference):
    origin = date(2024, 5, 1)
    for bin_days in (1, 7, 30):
        counted = store.frame(q.daily_counts(origin, bin_days), FilterState())
        days = (reference["start_date"] - pd.Timestamp(origin)).dt.days // bin_days * bin_days
        expected = reference.groupby([reference["event_type"], days]).size()
        got = counted.set_index(["event_type", "bin"])["events"]
        assert dict(got.astype(int)) == {k: int(v) for k, v in expected.items()}


def test_the_same_day_and_the_route_stops(store, reference):
    day = date(2024, 12, 3)
    same = store.frame(q.same_day(day, "lai-pacific-2024", 100))
    ts = pd.Timestamp(day)
    expected = reference[
        (reference["start_date"] <= ts) & (reference["end_date"] >= ts) & (reference["route_id"] != "lai-pacific-2024")
    ]
    assert same["event_id"].tolist() == expected["event_id"].tolist()
    stops = store.frame(q.route_stops())
    assert stops["route_seq"].tolist() == list(range(1, 8))


def test_the_span_and_the_actors(store, reference):
    span = store.frame(q.span()).iloc[0]
    assert int(span["events"]) == len(reference)
    assert pd.Timestamp(span["first"]) == reference["start_date"].min()
    assert pd.Timestamp(span["last"]) == reference["end_date"].max()
    assert set(store.frame(q.actors())["actor"]) == set(reference["actor"])


@pytest.mark.parametrize(
    ("box", "zoom"),
    [
        ((-60.0, 90.0, 60.0, 290.0), 2),  # the Pacific, across the antimeridian (drawn longitudes past 180)
        ((15.0, 115.0, 30.0, 130.0), 5),  # around Taiwan
        ((-85.0, -400.0, 85.0, 400.0), 0),  # wider than the world: no longitude limit
    ],
)
def test_bins_count_every_event_in_the_box_once(store, reference, prepared, box, zoom):
    cut = prepared.cut
    cells = store.frame(q.bins(cut, box, zoom, 56), FilterState())
    located = reference.dropna(subset=["latitude", "longitude"])
    lon = located["longitude"].where(located["longitude"] >= cut, located["longitude"] + 360)
    south, west, north, east = box
    inside = (located["latitude"] >= south) & (located["latitude"] <= north)
    if east - west < 360:
        inside &= (lon >= west) & (lon <= east)
    assert int(cells["events"].sum()) == int(inside.sum())
    by_type = cells.groupby("event_type")["events"].sum().astype(int).to_dict()
    assert by_type == located[inside].groupby("event_type").size().astype(int).to_dict()
    assert store.scalar(q.count_in_bounds(cut, box), FilterState()) == int(inside.sum())


def test_bins_are_the_same_cells_on_both_engines(parquet, prepared):
    java_or_skip()
    pytest.importorskip("pyspark")
    answers = []
    for name in ENGINE_NAMES:
        store = EventStore.open(parquet, EngineChoice(name, "local[2]"), cache_root())
        cells = store.frame(q.bins(prepared.cut, (-60.0, 90.0, 60.0, 290.0), 3, 56), FilterState())
        answers.append(cells.sort_values(["cx", "cy", "event_type"]).reset_index(drop=True))
    pd.testing.assert_frame_equal(answers[0], answers[1], check_dtype=False, atol=1e-9)


def test_a_prepared_view_is_the_same_on_both_engines(parquet, prepared):
    java_or_skip()
    pytest.importorskip("pyspark")
    settings = load_settings(str(prepared.folder.data_dir))
    views = []
    for name in ENGINE_NAMES:
        store = EventStore.open(parquet, EngineChoice(name, "local[2]"), cache_root())
        data = prepare_from(store, settings, [], data_stamp(settings))
        view = view_of(data, STATES["the tour's week"])
        views.append((view.size, view.events["event_id"].tolist(), [leg.to_event_id for leg in view.legs]))
        views.append((data.cut, data.first_day, data.last_day, data.actors, data.routes))
    assert views[0] == views[2] and views[1] == views[3]


@pytest.mark.parametrize(
    "args", [[], ["--start", "2024-11-30", "--end", "2024-12-06", "--types", "tour_stop,diplomatic"]]
)
def test_export_on_spark_gives_the_same_features_as_on_duckdb(tmp_path, prepared, args):
    java_or_skip()
    pytest.importorskip("pyspark")
    folder = str(prepared.folder.data_dir)
    outputs = []
    for name in ENGINE_NAMES:
        out = tmp_path / f"{name}.geojson"
        assert (
            cli_main(
                ["export", "--data-dir", folder, "--engine", name, "--spark-master", "local[2]", "-o", str(out), *args]
            )
            == 0
        )
        outputs.append(json.loads(out.read_text(encoding="utf-8")))
    assert outputs[0] == outputs[1]
    assert len([f for f in outputs[0]["features"] if f["properties"]["kind"] == "event"]) > 0
