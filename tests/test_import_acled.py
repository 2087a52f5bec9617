"""`python -m dashboard import acled`: ACLED's three export layouts, their date forms, one event per id."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import EVENTS_HEADER

from dashboard import cli
from dashboard.config import load_settings
from dashboard.importers import ImportOptions, ImportRefused, UsageError, acled, import_files
from dashboard.loading import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "import"
BUNDLED = Path(__file__).resolve().parents[1] / "data"

# Each fixture keeps its layout's published column order (see dashboard/importers/acled.py for the lists).
LAYOUTS = {
    "2023-actor-based": "acled_2023_actor_based.csv",
    "2019-2023": "acled_2019_previous.csv",
    "before-2019-with-index-column": "acled_2017_older.csv",
}
# The events each fixture holds: event_id -> (date, event type key, actors)
EXPECTED = {
    "2023-actor-based": {
        "acled-TWN3301": (
            "2024-05-24",
            "acled_protests",
            ["Protesters (Taiwan)", "Students (Taiwan)", "Labor Group (Taiwan)", "Police Forces of Taiwan (2016-)"],
        ),
        "acled-CHN12001": (
            "2024-05-23",
            "acled_strategic_developments",
            ["Military Forces of China (1949-)", "Military Forces of China (1949-) Eastern Theater Command"],
        ),
        "acled-TWN3305": (
            "2024-05-23",
            "acled_strategic_developments",
            ["Military Forces of Taiwan (2016-)", "Military Forces of China (1949-)", "China Coast Guard"],
        ),
    },
    "2019-2023": {
        "acled-KOR8801": ("2021-08-05", "acled_protests", ["Protesters (South Korea)", "Civilians (South Korea)"]),
        "acled-KOR8802": (
            "2021-08-12",
            "acled_riots",
            ["Rioters (South Korea)", "Police Forces of South Korea (2017-)"],
        ),
        "acled-TWN1202": ("2021-08-24", "acled_strategic_developments", ["Military Forces of Taiwan (2016-)"]),
    },
    "before-2019-with-index-column": {
        "acled-1001PHL": (
            "2016-04-18",
            "acled_battle_no_change_of_territory",
            ["Military Forces of the Philippines (2016-)", "Abu Sayyaf Group"],
        ),
        "acled-1002PHL": (
            "2016-04-21",
            "acled_riots_protests",
            ["Protesters (Philippines)", "Farmers (Philippines)", "Police Forces of the Philippines (2016-)"],
        ),
        "acled-1003PHL": (
            "2016-04-30",
            "acled_violence_against_civilians",
            ["Unidentified Armed Group (Philippines)", "Civilians (Philippines)"],
        ),
    },
}
DATE_FORMS = {
    "iso": lambda d: d.isoformat(),
    "spreadsheet-d-mon-yy": lambda d: f"{d.day}-{d:%b}-{d:%y}",
    "long-d-month-yyyy": lambda d: f"{d.day} {d:%B} {d:%Y}",
    "day-first-slashes": lambda d: f"{d:%d/%m/%Y}",
}


def fixture_date(text: str) -> date:
    for form in ("%Y-%m-%d", "%d-%b-%y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(text)


def variant(tmp_path: Path, layout: str, date_form: str, quoting: int, bom: bool) -> Path:
    """The layout's fixture rewritten with another date form, quoting and byte-order mark."""
    rows = list(csv.reader(io.StringIO((FIXTURES / LAYOUTS[layout]).read_text(encoding="utf-8-sig"))))
    at = [h.casefold() for h in rows[0]].index("event_date")
    for row in rows[1:]:
        row[at] = DATE_FORMS[date_form](fixture_date(row[at]))
    out = io.StringIO()
    csv.writer(out, quoting=quoting, lineterminator="\r\n").writerows(rows)
    path = tmp_path / f"{layout}.csv"
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + out.getvalue().encode("utf-8"))
    return path


def rows_of(batch) -> dict[str, dict[str, str]]:
    return {
        event_id: dict(zip(EVENTS_HEADER, next(csv.reader([line])), strict=True))
        for event_id, line in batch.events.items()
    }


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
@pytest.mark.parametrize("quoting", [csv.QUOTE_ALL, csv.QUOTE_MINIMAL], ids=["quoted", "unquoted"])
@pytest.mark.parametrize("date_form", DATE_FORMS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_reads_in_every_date_form_quoting_and_bom(tmp_path, layout, date_form, quoting, bom):
    batch = acled.read([variant(tmp_path, layout, date_form, quoting, bom)], ImportOptions())
    assert batch.problems == []
    rows = rows_of(batch)
    assert {
        event_id: (row["start_date"], row["event_type"], row["actor"].split("; ")) for event_id, row in rows.items()
    } == EXPECTED[layout]
    assert list(batch.layouts) == [
        acled.layout_of(
            {"disorder_type": 0}
            if layout.startswith("2023")
            else {"sub_event_type": 0}
            if layout == "2019-2023"
            else {"gwno": 0}
        )
    ]


def test_actor_based_rows_become_one_event_with_all_actors():
    batch = acled.read([FIXTURES / LAYOUTS["2023-actor-based"]], ImportOptions())
    assert batch.rows_read == 5 and len(batch.events) == 3 and batch.rows_folded == 2
    assert rows_of(batch)["acled-TWN3301"]["actor"] == (
        "Protesters (Taiwan); Students (Taiwan); Labor Group (Taiwan); Police Forces of Taiwan (2016-)"
    )


def test_acleds_own_values_are_kept():
    row = rows_of(acled.read([FIXTURES / LAYOUTS["2023-actor-based"]], ImportOptions()))["acled-TWN3305"]
    assert row["geo_precision"] == "2"
    assert row["source_name"] == "Ministry of National Defense (Taiwan)"
    assert row["description"].startswith("Fixture row: Taiwanese forces reported monitoring")
    assert row["source_url"] == ""  # ACLED publishes no link per event: its source is named instead
    assert row["title"] == "Disrupted weapons use in Matsu Islands"
    assert row["location"] == "Matsu Islands, Lienchiang County, Taiwan"
    for kept in (
        "ACLED event TWN3305",
        "Strategic developments / Strategic developments / Disrupted weapons use",
        "fatalities: 0",
        "time_precision: 2",
        "interaction: State forces-External/Other forces",
        "source_scale: National",
    ):
        assert kept in row["notes"]


def test_fatalities_show_in_the_title():
    rows = rows_of(acled.read([FIXTURES / LAYOUTS["before-2019-with-index-column"]], ImportOptions()))
    assert rows["acled-1001PHL"]["title"] == "Battle-No change of territory in Tipo-Tipo (3 fatalities)"
    assert rows["acled-1003PHL"]["title"] == "Violence against civilians in Manila (1 fatality)"


def test_each_acled_type_is_declared_once_with_its_own_colour():
    batch = acled.read([FIXTURES / name for name in LAYOUTS.values()], ImportOptions())
    assert list(batch.types) == [
        "acled_violence_against_civilians",
        "acled_protests",
        "acled_riots",
        "acled_strategic_developments",
        "acled_battle_no_change_of_territory",
        "acled_riots_protests",
    ]
    colours = [t.color for t in batch.types.values()]
    assert len(set(colours)) == len(colours)
    assert batch.types["acled_riots_protests"].label == "Riots/Protests"


# (column, bad value, words of the message); the row is reported with its file, row, column and value
BAD_VALUES = {
    "date-30-february": ("event_date", "2024-02-30", "not a real date"),
    "date-words": ("event_date", "last Tuesday", "not a date"),
    "date-month-first-slashes": ("event_date", "05/24/2024", "not a real date"),
    "latitude-91": ("latitude", "91", "out of range"),
    "longitude-text": ("longitude", "121E", "not a number"),
    "blank-id": ("event_id_cnty", "", "required value is blank"),
    "id-with-space": ("event_id_cnty", "TWN 3301", "cannot make an event_id"),
    "geo-precision-4": ("geo_precision", "4", "1, 2 or 3"),
    "blank-type": ("event_type", "", "required value is blank"),
}


@pytest.mark.parametrize("column, value, words", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_value_skips_its_row_with_file_row_column_and_value(tmp_path, column, value, words):
    rows = list(csv.reader(io.StringIO((FIXTURES / LAYOUTS["2019-2023"]).read_text(encoding="utf-8"))))
    rows[2][rows[0].index(column)] = value  # the second event, spreadsheet row 3
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    batch = acled.read([path], ImportOptions())
    [problem] = batch.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("export.csv", 3, column, value)
    assert words in problem.message and problem.message.endswith("row skipped")
    assert len(batch.events) == 2 and batch.rows_with_problems == 1


def test_a_row_with_a_missing_field_is_reported(tmp_path):
    text = (FIXTURES / LAYOUTS["2019-2023"]).read_text(encoding="utf-8").splitlines()
    text[3] = ",".join(text[3].split(",")[:10])
    (tmp_path / "cut.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    batch = acled.read([tmp_path / "cut.csv"], ImportOptions())
    assert [(p.row, p.value) for p in batch.problems] == [(4, "10 fields")]


def test_a_missing_required_column_refuses_the_file_and_map_names_it(tmp_path):
    text = (FIXTURES / LAYOUTS["2019-2023"]).read_text(encoding="utf-8").replace("event_date,", "date,", 1)
    (tmp_path / "renamed.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        acled.read([tmp_path / "renamed.csv"], ImportOptions())
    first = refused.value.problems[0]
    assert (first.file, first.row, first.column) == ("renamed.csv", 1, "event_date")
    assert "--map event_date=COLUMN" in first.message
    batch = acled.read([tmp_path / "renamed.csv"], ImportOptions(column_map={"event_date": "date"}))
    assert len(batch.events) == 3 and batch.problems == []


def test_an_unknown_map_field_is_a_usage_error():
    with pytest.raises(UsageError, match="'area'"):
        acled.read([FIXTURES / LAYOUTS["2019-2023"]], ImportOptions(column_map={"area": "x"}))


def test_a_spreadsheet_saved_in_cp1252_needs_its_encoding(tmp_path):
    text = (FIXTURES / LAYOUTS["2019-2023"]).read_text(encoding="utf-8").replace("Jongno", "Jongnö")
    (tmp_path / "excel.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(ImportRefused) as refused:
        acled.read([tmp_path / "excel.csv"], ImportOptions())
    assert refused.value.problems[0].row == 2 and "--encoding" in refused.value.problems[0].message
    batch = acled.read([tmp_path / "excel.csv"], ImportOptions(encoding="cp1252"))
    assert "Seoul - Jongnö" in rows_of(batch)["acled-KOR8801"]["location"]


def test_a_later_file_replaces_an_event_an_earlier_one_gave(tmp_path):
    newer = (
        (FIXTURES / LAYOUTS["2019-2023"])
        .read_text(encoding="utf-8")
        .replace("Seoul - Jongno,37.5735", "Seoul - Jongno,37.5800")
    )
    (tmp_path / "newer.csv").write_text(newer, encoding="utf-8")
    batch = acled.read([FIXTURES / LAYOUTS["2019-2023"], tmp_path / "newer.csv"], ImportOptions())
    assert batch.replaced_by_later_file == 3
    assert rows_of(batch)["acled-KOR8801"]["latitude"] == "37.58"


def test_bbox_keeps_only_the_region():
    batch = acled.read([FIXTURES / name for name in LAYOUTS.values()], ImportOptions(bbox=(20, 115, 28, 125)))
    assert sorted(batch.events) == ["acled-CHN12001", "acled-TWN1202", "acled-TWN3301", "acled-TWN3305"]
    assert batch.skipped["outside --bbox"] == 5


# writing the folder ------------------------------------------------------------------------------------


def test_round_trip_import_load_and_validate(tmp_path, capsys):
    into = tmp_path / "acled"
    assert cli.main(["import", "acled", *(str(FIXTURES / n) for n in LAYOUTS.values()), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert "events.csv now 9 events (9 new, 0 updated, 0 unchanged, 0 kept from before)" in out
    dataset = load_dataset(load_settings(into))
    assert len(dataset.events) == 9 and dataset.warnings == []
    assert set(dataset.events["event_type"]) <= set(dataset.types)
    assert dataset.types["acled_protests"].label == "Protests"
    assert cli.main(["validate", "--data-dir", str(into)]) == 0


def test_acled_rows_load_with_no_link_and_their_named_source(tmp_path):
    """The loaded frame: source_url '' and source_name ACLED's `source`, for every ACLED row."""
    into = tmp_path / "acled"
    import_files("acled", [FIXTURES / n for n in LAYOUTS.values()], into, load_settings(into))
    events = load_dataset(load_settings(into)).events
    assert (events["source_url"] == "").all()
    assert (events["source_name"].str.strip() != "").all()
    assert events.set_index("event_id").at["acled-TWN3305", "source_name"] == "Ministry of National Defense (Taiwan)"


def test_a_blank_acled_source_still_names_acled(tmp_path):
    """An export row whose `source` is blank keeps a named source, so that the row still passes."""
    text = (FIXTURES / LAYOUTS["2023-actor-based"]).read_text(encoding="utf-8")
    (tmp_path / "blank.csv").write_text(
        text.replace('"Ministry of National Defense (Taiwan)"', '""').replace(
            ",Ministry of National Defense (Taiwan),", ",,"
        ),
        encoding="utf-8",
    )
    row = rows_of(acled.read([tmp_path / "blank.csv"], ImportOptions()))["acled-TWN3305"]
    assert (row["source_url"], row["source_name"]) == ("", acled.NO_SOURCE_NAMED)
    into = tmp_path / "out"
    import_files("acled", [tmp_path / "blank.csv"], into, load_settings(into))
    assert (
        load_dataset(load_settings(into)).events.set_index("event_id").at["acled-TWN3305", "source_name"]
        == acled.NO_SOURCE_NAMED
    )


def test_importing_the_same_file_again_changes_nothing(tmp_path, capsys):
    into = tmp_path / "acled"
    files = [FIXTURES / n for n in LAYOUTS.values()]
    import_files("acled", files, into, load_settings(into))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in into.iterdir()}
    _batch, report = import_files("acled", files, into, load_settings(into))
    assert (report.new, report.updated, report.unchanged, report.files_written) == (0, 0, 9, [])
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in into.iterdir()} == before


def test_merging_into_the_bundled_data_keeps_every_row(tmp_path):
    into = tmp_path / "data"
    shutil.copytree(BUNDLED, into, ignore=shutil.ignore_patterns("README.md"))
    bundled = load_dataset(load_settings(into))
    _batch, report = import_files("acled", [FIXTURES / LAYOUTS["2023-actor-based"]], into, load_settings(into))
    assert (report.new, report.kept) == (3, len(bundled.events))
    merged = load_dataset(load_settings(into))
    assert list(merged.events["event_id"][: len(bundled.events)]) == list(bundled.events["event_id"])
    assert len(merged.zones) == len(bundled.zones)
    assert (into / "locations.csv").read_bytes() == (BUNDLED / "locations.csv").read_bytes()


def test_a_corrected_export_updates_its_events(tmp_path):
    into = tmp_path / "acled"
    import_files("acled", [FIXTURES / LAYOUTS["2019-2023"]], into, load_settings(into))
    corrected = (
        (FIXTURES / LAYOUTS["2019-2023"])
        .read_text(encoding="utf-8")
        .replace('clashed with police in Busan; 2 were injured.",0', 'clashed with police in Busan; 2 were injured.",1')
    )
    (tmp_path / "corrected.csv").write_text(corrected, encoding="utf-8")
    _batch, report = import_files("acled", [tmp_path / "corrected.csv"], into, load_settings(into))
    assert (report.updated, report.unchanged) == (1, 2)
    row = load_dataset(load_settings(into)).events.set_index("event_id").loc["acled-KOR8802"]
    assert row["title"].endswith("(1 fatality)")


def test_a_folder_with_problems_is_refused_and_left_alone(tmp_path, capsys):
    into = tmp_path / "broken"
    shutil.copytree(BUNDLED, into, ignore=shutil.ignore_patterns("README.md"))
    events = into / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace(",2024-05-23,", ",2024-05-32,", 1), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in into.iterdir()}
    code = cli.main(["import", "acled", str(FIXTURES / LAYOUTS["2019-2023"]), "--into", str(into)])
    err = capsys.readouterr().err
    assert code == 1
    assert "events.csv:2: start_date: '2024-05-32'" in err and "import refused" in err
    assert {p.name: p.read_bytes() for p in into.iterdir()} == before


def test_strict_refuses_a_file_with_a_bad_row(tmp_path, capsys):
    text = (FIXTURES / LAYOUTS["2019-2023"]).read_text(encoding="utf-8").replace("12-Aug-21", "32-Aug-21")
    (tmp_path / "bad.csv").write_text(text, encoding="utf-8")
    into = tmp_path / "out"
    assert cli.main(["import", "acled", str(tmp_path / "bad.csv"), "--into", str(into), "--strict"]) == 1
    assert "bad.csv:3: event_date: '32-Aug-21'" in capsys.readouterr().err
    assert not (into / "events.csv").exists()
    assert cli.main(["import", "acled", str(tmp_path / "bad.csv"), "--into", str(into)]) == 0
    captured = capsys.readouterr()
    assert "bad.csv:3: event_date: '32-Aug-21': not a real date" in captured.err
    assert "skipped: 1 rows, each with a problem (listed above)" in captured.out


def test_help_lists_the_import_command_and_its_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["import", "--help"])
    out = capsys.readouterr().out
    for word in ("acled", "gdelt", "navwarnings", "--into", "--map", "--bbox", "--encoding", "--strict"):
        assert word in out
