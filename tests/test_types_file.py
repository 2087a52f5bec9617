"""types.csv: a data folder may declare event types beyond the four; a bad file is reported exactly where it is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dashboard import cli
from dashboard.config import load_settings
from dashboard.errors import DataError
from dashboard.loading import load_dataset
from dashboard.schema import EVENT_TYPES, EXTRA_TYPE_PALETTE, TYPE_COLUMNS, TYPES_FILE
from dashboard.validation import errors_only, validate_events, validate_types

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data"
HEADER = "event_type,label,description,color,radius"
EVENT_HEADER = (
    "event_id,event_type,start_date,end_date,title,location,latitude,longitude,source_url,description,"
    "actor,route_id,route_seq,amount_usd,geo_precision,source_name,notes"
)


def folder(tmp_path: Path, types: str | None, events: list[tuple[str, str]]) -> Path:
    """A minimal data folder: the given types.csv text and one event per (event_id, event_type)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "locations.csv").write_text("name,latitude,longitude,country,aliases\n", encoding="utf-8")
    rows = [
        f"{event_id},{event_type},2024-05-24,,A title,Taipei,25.03,121.52,https://example.org/{event_id},,,,,,,,"
        for event_id, event_type in events
    ]
    (data / "events.csv").write_text("\n".join([EVENT_HEADER, *rows]) + "\n", encoding="utf-8")
    if types is not None:
        (data / TYPES_FILE).write_text(types, encoding="utf-8")
    return data


def types_frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"event_type": "acled_protests", "label": "Protests", "description": "", "color": "", "radius": "", **row}
            for row in rows
        ],
        dtype=str,
    )


def test_without_types_csv_the_dataset_has_the_four_built_in_types(tmp_path):
    dataset = load_dataset(load_settings(folder(tmp_path, None, [("e1", "diplomatic")])))
    assert dataset.types == EVENT_TYPES
    assert list(dataset.types) == ["tour_stop", "military_drill", "arms_sale", "diplomatic"]


def test_declared_types_follow_the_built_in_ones_in_file_order(tmp_path):
    types = (
        f"{HEADER}\nacled_protests,Protests,Public demonstrations,#e69f00,6\ngdelt_verbal_conflict,Verbal conflict,,,\n"
    )
    dataset = load_dataset(
        load_settings(
            folder(tmp_path, types, [("e1", "acled_protests"), ("e2", "gdelt_verbal_conflict"), ("e3", "tour_stop")])
        )
    )
    assert list(dataset.types) == [*EVENT_TYPES, "acled_protests", "gdelt_verbal_conflict"]
    protests = dataset.types["acled_protests"]
    assert (protests.label, protests.description, protests.color, protests.radius, protests.layer_name) == (
        "Protests",
        "Public demonstrations",
        "#e69f00",
        6,
        "Protests",
    )
    fallback = dataset.types["gdelt_verbal_conflict"]
    assert fallback.color in EXTRA_TYPE_PALETTE and fallback.color != "#e69f00"  # a palette colour not yet taken
    assert fallback.radius == 6
    assert dataset.warnings == []


def test_built_in_types_keep_their_look(tmp_path):
    types = f"{HEADER}\nmilitary_drill,Drills,,#000000,12\n"
    dataset = load_dataset(load_settings(folder(tmp_path, types, [("e1", "military_drill")])))
    assert dataset.types["military_drill"] == EVENT_TYPES["military_drill"]
    assert [(w.file, w.row, w.column, w.value) for w in dataset.warnings] == [
        ("types.csv", 2, "event_type", "military_drill")
    ]


def test_an_undeclared_type_stays_an_error(tmp_path):
    types = f"{HEADER}\nacled_protests,Protests,,,\n"
    with pytest.raises(DataError) as caught:
        load_dataset(load_settings(folder(tmp_path, types, [("e1", "acled_riots")])))
    [problem] = errors_only(caught.value.problems)
    assert (problem.file, problem.row, problem.column, problem.value) == ("events.csv", 2, "event_type", "acled_riots")
    assert "acled_protests" in problem.message and "types.csv" in problem.message


def test_validate_events_defaults_to_the_built_in_types():
    frame = pd.DataFrame(
        [
            {
                "event_id": "e1",
                "event_type": "acled_protests",
                "start_date": "2024-05-24",
                "title": "t",
                "location": "Taipei",
                "latitude": "25",
                "longitude": "121",
                "source_url": "https://example.org/",
            }
        ],
        dtype=str,
    )
    assert [p.column for p in validate_events(frame, "events.csv")[1]] == ["event_type"]
    assert validate_events(frame, "events.csv", [*EVENT_TYPES, "acled_protests"])[1] == []


# (row changes, expected (row, column, value, severity)); row 2 is the first declared type, as in a spreadsheet
BROKEN = {
    "blank-key": ([{"event_type": ""}], [(2, "event_type", "", "error")]),
    "key-with-capitals": ([{"event_type": "Protests"}], [(2, "event_type", "Protests", "error")]),
    "key-with-comma": ([{"event_type": "a,b"}], [(2, "event_type", "a,b", "error")]),
    "key-with-script": ([{"event_type": "<script>"}], [(2, "event_type", "<script>", "error")]),
    "key-starts-with-digit": ([{"event_type": "1st"}], [(2, "event_type", "1st", "error")]),
    "blank-label": ([{"label": ""}], [(2, "label", "", "error")]),
    "colour-name": ([{"color": "red"}], [(2, "color", "red", "error")]),
    "colour-css-injection": ([{"color": "#fff;background:url(x)"}], [(2, "color", "#fff;background:url(x)", "error")]),
    "colour-five-digits": ([{"color": "#12345"}], [(2, "color", "#12345", "error")]),
    "radius-word": ([{"radius": "big"}], [(2, "radius", "big", "error")]),
    "radius-fraction": ([{"radius": "5.5"}], [(2, "radius", "5.5", "error")]),
    "radius-too-big": ([{"radius": "40"}], [(2, "radius", "40", "error")]),
    "radius-too-small": ([{"radius": "1"}], [(2, "radius", "1", "error")]),
    "declared-twice": ([{}, {"label": "Again"}], [(3, "event_type", "acled_protests", "error")]),
    "built-in-redeclared": ([{"event_type": "arms_sale"}], [(2, "event_type", "arms_sale", "warning")]),
}


@pytest.mark.parametrize("changes, expected", BROKEN.values(), ids=BROKEN.keys())
def test_each_broken_types_row_is_reported_where_it_is(changes, expected):
    _declared, problems = validate_types(types_frame(*changes), "types.csv")
    assert sorted((p.row, p.column, p.value, p.severity) for p in problems) == expected
    assert all(p.file == "types.csv" for p in problems)


@pytest.mark.parametrize(
    "color, expected", [("#E69F00", "#e69f00"), ("#abc", "#aabbcc"), ("", None)], ids=["upper-case", "short", "blank"]
)
def test_colours_are_normalised_or_picked(color, expected):
    declared, problems = validate_types(types_frame({"color": color}), "types.csv")
    assert problems == []
    chosen = declared["acled_protests"].color
    assert chosen == expected if expected else chosen in EXTRA_TYPE_PALETTE


def test_blank_colours_are_distinct_and_stable():
    frame = types_frame(
        *({"event_type": f"t{i}", "color": ""} for i in range(5)), {"event_type": "x", "color": "#e69f00"}
    )
    first, _ = validate_types(frame, "types.csv")
    again, _ = validate_types(frame, "types.csv")
    colours = [first[f"t{i}"].color for i in range(5)]
    assert len(set(colours)) == 5 and "#e69f00" not in colours
    assert colours == [again[f"t{i}"].color for i in range(5)]
    assert not set(colours) & {t.color for t in EVENT_TYPES.values()}


def test_a_row_with_a_bad_colour_still_declares_its_type(tmp_path):
    """Its events are not reported a second time as unknown: only the colour is."""
    types = f"{HEADER}\nacled_protests,Protests,,purple,\n"
    with pytest.raises(DataError) as caught:
        load_dataset(load_settings(folder(tmp_path, types, [("e1", "acled_protests")])))
    assert [(p.file, p.row, p.column) for p in errors_only(caught.value.problems)] == [("types.csv", 2, "color")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("event_type;label\nx;X\n", ("types.csv", 1, None)),
        ("label,color\nX,#000000\n", ("types.csv", 1, "event_type")),
        ("", ("types.csv", None, None)),
    ],
    ids=["semicolons", "no-key-column", "empty-file"],
)
def test_a_broken_types_file_is_reported(tmp_path, text, expected):
    with pytest.raises(DataError) as caught:
        load_dataset(load_settings(folder(tmp_path, text, [("e1", "diplomatic")])))
    assert expected in [(p.file, p.row, p.column) for p in errors_only(caught.value.problems)]


def test_validate_command_prints_file_row_column_value(tmp_path, capsys):
    data = folder(tmp_path, f"{HEADER}\nacled_protests,Protests,,#e69f00,huge\n", [("e1", "acled_protests")])
    assert cli.main(["validate", "--data-dir", str(data)]) == 1
    assert "types.csv:2: radius: 'huge': not a whole number of pixels from 3 to 12" in capsys.readouterr().err


def test_bundled_data_still_loads_with_its_four_types(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("README.md"))
    dataset = load_dataset(load_settings(data))
    assert set(dataset.events["event_type"]) <= set(dataset.types)


@pytest.mark.parametrize("name", [c.name for c in TYPE_COLUMNS])
def test_every_types_column_is_documented(name):
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## `types.csv`") :]
    assert f"`{name}`" in section
