"""`python -m dashboard validate | export | geocode` on copies of the bundled data; never online."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from helpers import edit_event, read_rows, refuse_network

from dashboard import cli, files
from dashboard.config import DATA_DIR_ENV
from dashboard.errors import GeocodingError

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data"
# file:row: column: value: message
PROBLEM_LINE = re.compile(r"^(?P<file>[\w.]+):(?P<row>\d+|-): (?P<column>[\w.-]+): (?P<value>.*): (?P<message>.+)$")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No test reaches the network: sockets refuse and the Nominatim geocoder cannot be built."""
    refuse_network(monkeypatch, cli)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.delenv("DASHBOARD_MAX_FILE_MB", raising=False)


@pytest.fixture
def data_dir(data_copy: Path) -> Path:
    return data_copy


@pytest.fixture
def broken_dir(data_dir: Path) -> tuple[Path, list[int]]:
    """A copy with two broken events: latitude 91 and a javascript: source."""
    rows = [
        edit_event(data_dir, "pla-joint-sword-2024a", latitude="91"),
        edit_event(data_dir, "lai-2024-majuro", source_url="javascript:alert(1)"),
    ]
    return data_dir, rows


def leftovers(folder: Path) -> list[str]:
    """Temporary files an atomic write might have left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp")


# validate ----------------------------------------------------------------------------------------


def test_validate_bundled_data_exits_0(capsys):
    assert cli.main(["validate", "--data-dir", str(BUNDLED)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("OK: 55 events, 11 places, 25 zones in ")
    assert err == ""


def test_validate_broken_folder_exits_1_and_lists_every_problem(broken_dir, capsys):
    data_dir, (lat_row, url_row) = broken_dir
    assert cli.main(["validate", "--data-dir", str(data_dir)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[:-1] == [
        f"events.csv:{lat_row}: latitude: '91': out of range -90 to 90",
        f"events.csv:{url_row}: source_url: 'javascript:alert(1)': not an http:// or https:// address",
    ]
    assert all(PROBLEM_LINE.match(line) for line in lines[:-1])
    assert lines[-1] == f"2 error(s) in {data_dir.resolve()}"


def test_validate_prints_warnings_but_exits_0(data_dir, capsys):
    path = data_dir / "events.csv"
    rows = read_rows(path)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0] + ["colour"]] + [r + [""] for r in rows[1:]])
    path.write_text(out.getvalue(), encoding="utf-8")
    assert cli.main(["validate", "--data-dir", str(data_dir)]) == 0
    _out, err = capsys.readouterr()
    line = err.strip()
    assert line.startswith("events.csv:1: colour: 'colour': unknown column") and line.endswith(" (warning)")


def test_validate_as_a_subprocess(broken_dir):
    """`python -m dashboard validate` really runs: exit 0 on the bundled data, 1 on the broken copy."""
    env = {k: v for k, v in os.environ.items() if k not in (DATA_DIR_ENV, "DASHBOARD_MAX_FILE_MB")}
    good = subprocess.run(
        [sys.executable, "-m", "dashboard", "validate", "--data-dir", str(BUNDLED)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("OK: 55 events")
    data_dir, (lat_row, _url_row) = broken_dir
    bad = subprocess.run(
        [sys.executable, "-m", "dashboard", "validate", "--data-dir", str(data_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert f"events.csv:{lat_row}: latitude: '91': out of range -90 to 90" in bad.stderr.splitlines()


def test_data_dir_environment_variable_is_honoured(monkeypatch, broken_dir, tmp_path, capsys):
    """Without --data-dir, $DASHBOARD_DATA_DIR chooses the folder; --data-dir still wins."""
    data_dir, _rows = broken_dir
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    assert cli.main(["validate"]) == 1
    assert f"error(s) in {data_dir.resolve()}" in capsys.readouterr().err
    assert cli.main(["validate", "--data-dir", str(BUNDLED)]) == 0
    good = tmp_path / "good"
    shutil.copytree(BUNDLED, good)
    monkeypatch.setenv(DATA_DIR_ENV, str(good))
    capsys.readouterr()
    assert cli.main(["validate"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"in {good.resolve()}")


def test_missing_data_folder_exits_1(tmp_path, capsys):
    assert cli.main(["validate", "--data-dir", str(tmp_path / "nowhere")]) == 1
    assert "data folder not found" in capsys.readouterr().err


# help and arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--help"], ["validate", "export", "geocode"]),
        (["export", "--help"], ["--data-dir", "--start", "--end", "--types", "--output", "tour_stop"]),
        (["geocode", "--help"], ["--data-dir", "--online", "Nominatim"]),
    ],
    ids=["main", "export", "geocode"],
)
def test_help_works(argv, words, capsys):
    """--help prints usage and the options, and exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m dashboard")
    for word in words:
        assert word in out


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "required"),
        (["export", "--start", "30/11/2024"], "not a date"),
    ],
    ids=["no-command", "bad-date"],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_an_event_type_the_data_does_not_declare_is_refused(capsys):
    """Types are checked against the data folder (its types.csv may add some), so after loading it."""
    assert cli.main(["export", "--data-dir", str(BUNDLED), "--types", "parade,tour_stop"]) == 1
    err = capsys.readouterr().err
    assert "unknown event type(s) parade" in err and "tour_stop" in err


# export ------------------------------------------------------------------------------------------


def expected_ids(start: date, end: date, types: set[str]) -> set[str]:
    """Events of those types overlapping [start, end], straight from the CSV."""
    ids = set()
    for row in csv.DictReader(io.StringIO((BUNDLED / "events.csv").read_text(encoding="utf-8"))):
        first = date.fromisoformat(row["start_date"])
        last = date.fromisoformat(row["end_date"]) if row["end_date"] else first
        if row["event_type"] in types and first <= end and last >= start:
            ids.add(row["event_id"])
    return ids


def test_export_with_filters_writes_only_events_in_range(tmp_path, capsys):
    out = tmp_path / "tour.geojson"
    argv = [
        "export",
        "--data-dir",
        str(BUNDLED),
        "--start",
        "2024-11-29",
        "--end",
        "2024-12-03",
        "--types",
        "tour_stop,arms_sale",
        "-o",
        str(out),
    ]
    assert cli.main(argv) == 0
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    events = [f["properties"] for f in collection["features"] if f["properties"]["kind"] == "event"]
    ids = {e["event_id"] for e in events}
    assert ids == expected_ids(date(2024, 11, 29), date(2024, 12, 3), {"tour_stop", "arms_sale"})
    assert ids == {
        "arms-2024-11-f16-spares",
        "arms-2024-11-imse",
        "lai-2024-depart-taoyuan",
        "lai-2024-honolulu",
        "lai-2024-majuro",
    }
    for event in events:
        assert event["start_date"] <= "2024-12-03" and event["end_date"] >= "2024-11-29"
    legs = [f["properties"] for f in collection["features"] if f["properties"]["kind"] == "route_leg"]
    assert [(leg["from_event_id"], leg["to_event_id"]) for leg in legs] == [
        ("lai-2024-depart-taoyuan", "lai-2024-honolulu"),
        ("lai-2024-honolulu", "lai-2024-majuro"),
    ]
    assert not [f for f in collection["features"] if f["properties"]["kind"] == "zone"]
    assert "wrote 5 events, 2 legs, 0 zones" in capsys.readouterr().err
    assert leftovers(tmp_path) == []


def test_export_to_standard_output_includes_drill_zones(capsys):
    assert (
        cli.main(
            [
                "export",
                "--data-dir",
                str(BUNDLED),
                "--start",
                "2024-10-14",
                "--end",
                "2024-10-14",
                "--types",
                "military_drill",
            ]
        )
        == 0
    )
    collection = json.loads(capsys.readouterr().out)
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("event") == 1 and kinds.count("zone") == 7
    assert {f["properties"]["event_id"] for f in collection["features"]} == {"pla-joint-sword-2024b"}


def test_export_of_broken_data_exits_1_and_writes_nothing(broken_dir, tmp_path, capsys):
    data_dir, _rows = broken_dir
    out = tmp_path / "out.geojson"
    assert cli.main(["export", "--data-dir", str(data_dir), "-o", str(out)]) == 1
    assert not out.exists()
    assert "out of range" in capsys.readouterr().err


# geocode -----------------------------------------------------------------------------------------


def test_geocode_fills_blank_coordinates_from_the_gazetteer(data_dir, capsys):
    """Blank coordinates of gazetteer places are filled; every other cell keeps its content."""
    path = data_dir / "events.csv"
    before = read_rows(path)
    header = before[0]
    lat_i, lon_i, loc_i = header.index("latitude"), header.index("longitude"), header.index("location")
    places = {r[0]: (r[1], r[2]) for r in read_rows(data_dir / "locations.csv")[1:]}
    blank = [n for n, r in enumerate(before) if n and not r[lat_i] and not r[lon_i]]
    assert len(blank) > 40

    assert cli.main(["geocode", "--data-dir", str(data_dir)]) == 0
    after = read_rows(path)
    assert len(after) == len(before) and after[0] == header
    for number, (old, new) in enumerate(zip(before, after, strict=True)):
        others = [i for i in range(len(header)) if i not in (lat_i, lon_i)]
        assert [new[i] for i in others] == [old[i] for i in others], f"row {number + 1} changed"
        if number in blank:
            lat, lon = places[old[loc_i]]
            assert (new[lat_i], new[lon_i]) == (f"{float(lat):.6f}", f"{float(lon):.6f}")
        else:
            assert (new[lat_i], new[lon_i]) == (old[lat_i], old[lon_i])
    assert f"filled coordinates on {len(blank)} of {len(blank)} rows" in capsys.readouterr().err
    assert leftovers(data_dir) == []
    assert not (data_dir / "geocode_cache.csv").exists()  # offline: nothing new to cache

    # The filled file still validates, and a second run has nothing to do and leaves it alone.
    assert cli.main(["validate", "--data-dir", str(data_dir)]) == 0
    filled = path.read_bytes()
    assert cli.main(["geocode", "--data-dir", str(data_dir)]) == 0
    assert path.read_bytes() == filled


def test_geocode_with_an_unknown_place_exits_1_and_names_it(data_dir, capsys):
    row = edit_event(data_dir, "lai-2024-honolulu", location="Atlantis Harbour")
    assert cli.main(["geocode", "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert "'Atlantis Harbour'" in err and "could not be located" in err
    rows = read_rows(data_dir / "events.csv")
    header = rows[0]
    assert rows[row - 1][header.index("latitude")] == "" and rows[row - 1][header.index("longitude")] == ""
    majuro = next(r for r in rows if r[0] == "lai-2024-majuro")
    assert majuro[header.index("latitude")] == "7.089700"  # the places it knows are still filled


def test_geocode_online_uses_the_geocoder_last_and_caches_its_answers(data_dir, monkeypatch, capsys):
    """--online asks the geocoder (a fake here) only for places found nowhere else, and saves them."""
    asked: list[str] = []
    answers = {"Kaohsiung, Taiwan": (22.6273, 120.3014, "Kaohsiung, Taiwan")}

    def fake_nominatim(user_agent, min_delay_seconds):
        assert "dashboard" in user_agent and min_delay_seconds >= 1.0
        return lambda name: asked.append(name) or answers.get(name)

    monkeypatch.setattr(cli, "make_nominatim_geocoder", fake_nominatim)
    row = edit_event(data_dir, "lai-2024-trip-announced", location="Kaohsiung, Taiwan")
    assert cli.main(["geocode", "--data-dir", str(data_dir), "--online"]) == 0
    assert asked == ["Kaohsiung, Taiwan"]
    rows = read_rows(data_dir / "events.csv")
    assert rows[row - 1][rows[0].index("latitude") : rows[0].index("longitude") + 1] == ["22.627300", "120.301400"]
    cache = read_rows(data_dir / "geocode_cache.csv")
    assert cache == [
        ["name", "latitude", "longitude", "display_name", "source"],
        ["Kaohsiung, Taiwan", "22.627300", "120.301400", "Kaohsiung, Taiwan", "geocoder"],
    ]
    assert leftovers(data_dir) == []


def test_geocode_online_keeps_the_answers_it_got_when_the_geocoder_fails_later(data_dir, monkeypatch, capsys):
    """The first place is answered, the second request fails: exit 1, and the first answer is in the cache."""
    answers = iter([(22.6273, 120.3014, "Kaohsiung, Taiwan")])

    def fake_nominatim(user_agent, min_delay_seconds):
        def geocode(name):
            for answer in answers:
                return answer
            raise GeocodingError(f"the geocoder at example.org did not answer in time for {name!r}")

        return geocode

    monkeypatch.setattr(cli, "make_nominatim_geocoder", fake_nominatim)
    edit_event(data_dir, "lai-2024-trip-announced", location="Kaohsiung, Taiwan")
    edit_event(data_dir, "lai-2024-transit-announced", location="Tainan, Taiwan")
    assert cli.main(["geocode", "--data-dir", str(data_dir), "--online"]) == 1
    assert "did not answer in time for 'Tainan, Taiwan'" in capsys.readouterr().err
    assert ["Kaohsiung, Taiwan", "22.627300", "120.301400", "Kaohsiung, Taiwan", "geocoder"] in read_rows(
        data_dir / "geocode_cache.csv"
    )


@pytest.mark.parametrize(
    "failure, exit_code", [(OSError("disk full"), None), (KeyboardInterrupt(), 130)], ids=["os-error", "ctrl-c"]
)
def test_geocode_never_leaves_events_half_written(data_dir, monkeypatch, capsys, failure, exit_code):
    """If the final rename fails, the original events.csv is intact and no temporary file remains."""
    path = data_dir / "events.csv"
    original = path.read_bytes()
    written: list[bytes] = []

    def failing_replace(src, dst):
        written.append(Path(src).read_bytes())  # the new file was complete when the rename failed
        raise failure

    monkeypatch.setattr(files.os, "replace", failing_replace)
    if exit_code is None:
        with pytest.raises(OSError, match="disk full"):
            cli.main(["geocode", "--data-dir", str(data_dir)])
    else:
        assert cli.main(["geocode", "--data-dir", str(data_dir)]) == exit_code
        assert "no file was changed" in capsys.readouterr().err
    assert path.read_bytes() == original
    assert leftovers(data_dir) == []
    assert len(written) == 1 and written[0] != original and written[0].endswith(b"\n")
