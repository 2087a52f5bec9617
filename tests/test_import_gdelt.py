"""`python -m dashboard import gdelt`: GDELT 1.0 and 2.0 event files as distributed, plain or zipped."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from helpers import EVENTS_HEADER

from dashboard import cli
from dashboard.config import Settings, load_settings
from dashboard.importers import ImportOptions, ImportRefused, gdelt, import_files
from dashboard.loading import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "import"
V2_FILE = FIXTURES / "20241210083000.export.CSV"  # 2.0 export, 61 columns
V1_FILE = FIXTURES / "gdelt_v1_backfile_and_daily.CSV"  # 1.0: two backfile rows (57), two daily rows (58)

# The column lists as the codebooks print them (GDELT Data Format Codebook 1.03, 8/25/2013; GDELT Event
# Codebook 2.0, 2/19/2015), written out here rather than taken from the importer.
_ACTOR = [
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
]
CODEBOOK_V1 = (
    ["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"]
    + [f"Actor1{n}" for n in _ACTOR]
    + [f"Actor2{n}" for n in _ACTOR]
    + [
        "IsRootEvent",
        "EventCode",
        "EventBaseCode",
        "EventRootCode",
        "QuadClass",
        "GoldsteinScale",
        "NumMentions",
        "NumSources",
        "NumArticles",
        "AvgTone",
    ]
    + [
        "Actor1Geo_Type",
        "Actor1Geo_FullName",
        "Actor1Geo_CountryCode",
        "Actor1Geo_ADM1Code",
        "Actor1Geo_Lat",
        "Actor1Geo_Long",
        "Actor1Geo_FeatureID",
    ]
    + [
        "Actor2Geo_Type",
        "Actor2Geo_FullName",
        "Actor2Geo_CountryCode",
        "Actor2Geo_ADM1Code",
        "Actor2Geo_Lat",
        "Actor2Geo_Long",
        "Actor2Geo_FeatureID",
    ]
    + [
        "ActionGeo_Type",
        "ActionGeo_FullName",
        "ActionGeo_CountryCode",
        "ActionGeo_ADM1Code",
        "ActionGeo_Lat",
        "ActionGeo_Long",
        "ActionGeo_FeatureID",
    ]
    + ["DATEADDED"]
)
CODEBOOK_V1_DAILY = [*CODEBOOK_V1, "SOURCEURL"]
CODEBOOK_V2 = (
    CODEBOOK_V1[:35]
    + [
        "Actor1Geo_Type",
        "Actor1Geo_FullName",
        "Actor1Geo_CountryCode",
        "Actor1Geo_ADM1Code",
        "Actor1Geo_ADM2Code",
        "Actor1Geo_Lat",
        "Actor1Geo_Long",
        "Actor1Geo_FeatureID",
    ]
    + [
        "Actor2Geo_Type",
        "Actor2Geo_FullName",
        "Actor2Geo_CountryCode",
        "Actor2Geo_ADM1Code",
        "Actor2Geo_ADM2Code",
        "Actor2Geo_Lat",
        "Actor2Geo_Long",
        "Actor2Geo_FeatureID",
    ]
    + [
        "ActionGeo_Type",
        "ActionGeo_FullName",
        "ActionGeo_CountryCode",
        "ActionGeo_ADM1Code",
        "ActionGeo_ADM2Code",
        "ActionGeo_Lat",
        "ActionGeo_Long",
        "ActionGeo_FeatureID",
    ]
    + ["DATEADDED", "SOURCEURL"]
)


def rows_of(batch) -> dict[str, dict[str, str]]:
    return {
        event_id: dict(zip(EVENTS_HEADER, next(csv.reader([line])), strict=True))
        for event_id, line in batch.events.items()
    }


def zipped(tmp_path: Path, source: Path, members: int = 1) -> Path:
    path = tmp_path / (source.name + ".zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(members):
            archive.writestr(source.name if number == 0 else f"other{number}.CSV", source.read_bytes())
    return path


def test_the_importers_column_lists_are_the_codebooks():
    assert (len(CODEBOOK_V1), len(CODEBOOK_V1_DAILY), len(CODEBOOK_V2)) == (57, 58, 61)
    assert list(gdelt.V1_BACKFILE) == CODEBOOK_V1
    assert list(gdelt.V1_DAILY) == CODEBOOK_V1_DAILY
    assert list(gdelt.V2_EXPORT) == CODEBOOK_V2


@pytest.mark.parametrize(
    "path, widths",
    [(V2_FILE, [61, 61, 61, 61]), (V1_FILE, [57, 57, 58, 58])],
    ids=["2.0-export", "1.0-backfile-and-daily"],
)
def test_fixtures_have_the_published_widths(path, widths):
    assert [len(line.split("\t")) for line in path.read_text(encoding="utf-8").splitlines()] == widths


# event_id -> (type, date, location, lat, lon, geo_precision, source_url, source_name, title)
EXPECTED = {
    "gdelt-1219730590": (
        "gdelt_material_conflict",
        "2024-12-09",
        "Taipei, T'ai-pei, Taiwan",
        "25.0392",
        "121.525",
        "1",
        "https://focustaiwan.tw/cross-strait/202412090012",
        "focustaiwan.tw",
        "Exhibit force posture: CHINA → TAIWAN",
    ),
    "gdelt-1219731004": (
        "gdelt_verbal_conflict",
        "2024-12-10",
        "Taiwan",
        "23.5",
        "121",
        "3",
        "https://www.reuters.com/world/asia-pacific/taiwan-says-china-deploys-ships-2024-12-10/",
        "reuters.com",
        "Disapprove: TAIWAN → CHINA",
    ),
    "gdelt-1219699871": (
        "gdelt_verbal_cooperation",
        "2024-11-30",
        "Hawaii, United States",
        "21.1098",
        "-157.5311",
        "3",
        "https://apnews.com/article/taiwan-lai-hawaii-2024",
        "apnews.com",
        "Consult: UNITED STATES → TAIWAN",
    ),
    "gdelt-1400001": (
        "gdelt_material_conflict",
        "1996-03-08",
        "Kinmen, Fu-chien, Taiwan",
        "24.4368",
        "118.3186",
        "1",
        "",
        "GDELT event 1400001 (1.0 backfile: GDELT gives no source URL before April 2013)",
        "Coerce: CHINA → TAIWAN",
    ),
    "gdelt-298761532": (
        "gdelt_material_conflict",
        "2014-03-18",
        "Taipei, T'ai-pei, Taiwan",
        "25.0392",
        "121.525",
        "1",
        "http://www.taipeitimes.com/News/front/archives/2014/03/19/2003585894",
        "taipeitimes.com",
        "Protest: TAIWAN → TAIWAN",
    ),
    "gdelt-298761777": (
        "gdelt_material_cooperation",
        "2014-03-19",
        "Kinmen, Fu-chien, Taiwan",
        "24.4368",
        "118.3186",
        "1",
        "",
        "BBC Monitoring (cited by GDELT event 298761777; no link)",
        "Yield: CHINA → TAIWAN",
    ),
}
KEYS = (
    "event_type",
    "start_date",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source_url",
    "source_name",
    "title",
)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "zip"])
@pytest.mark.parametrize(
    "source, ids, layouts",
    [
        (V2_FILE, ["gdelt-1219730590", "gdelt-1219731004", "gdelt-1219699871"], {"GDELT 2.0 export (61 columns)": 4}),
        (
            V1_FILE,
            ["gdelt-1400001", "gdelt-298761532", "gdelt-298761777"],
            {"GDELT 1.0 historical backfile (57 columns, no SOURCEURL)": 2, "GDELT 1.0 daily file (58 columns)": 2},
        ),
    ],
    ids=["2.0-export", "1.0-backfile-and-daily"],
)
def test_each_version_plain_or_zipped(tmp_path, source, ids, layouts, packed):
    path = zipped(tmp_path, source) if packed else source
    batch = gdelt.read([path], ImportOptions())
    assert batch.problems == []
    assert dict(batch.layouts) == layouts
    rows = rows_of(batch)
    assert list(rows) == ids
    for event_id in ids:
        assert tuple(rows[event_id][k] for k in KEYS) == EXPECTED[event_id], event_id


def test_rows_without_a_place_are_counted_and_named_not_guessed():
    batch = gdelt.read([V2_FILE, V1_FILE], ImportOptions())
    assert batch.rows_read == 8 and len(batch.events) == 6
    assert batch.skipped[gdelt.NO_PLACE] == 2
    assert batch.examples[gdelt.NO_PLACE] == [
        "20241210083000.export.CSV:3 (GLOBALEVENTID 1219731120)",
        "gdelt_v1_backfile_and_daily.CSV:2 (GLOBALEVENTID 1400002)",
    ]
    assert "gdelt-1219731120" not in batch.events


def test_a_row_without_a_link_names_its_source_and_loads(tmp_path):
    """No stand-in link: a blank SOURCEURL, a citation and a backfile row keep source_url blank and say why in
    source_name; the loaded frame holds exactly that (source_url '', source_name not blank)."""
    blank = edited(tmp_path, V2_FILE, 1, "SOURCEURL", "")
    row = rows_of(gdelt.read([blank], ImportOptions()))["gdelt-1219730590"]
    assert (row["source_url"], row["source_name"]) == ("", "GDELT event 1219730590 (the row gives no source URL)")
    into = tmp_path / "folder"
    assert cli.main(["import", "gdelt", str(blank), str(V1_FILE), "--into", str(into)]) == 0
    events = load_dataset(load_settings(into)).events.set_index("event_id")
    linkless = ["gdelt-1219730590", "gdelt-1400001", "gdelt-298761777"]
    assert list(events.loc[linkless, "source_url"]) == ["", "", ""]
    assert list(events.loc[linkless, "source_name"]) == [
        "GDELT event 1219730590 (the row gives no source URL)",
        EXPECTED["gdelt-1400001"][7],
        EXPECTED["gdelt-298761777"][7],
    ]
    assert events.at["gdelt-298761532", "source_url"].startswith("http://www.taipeitimes.com/")


def test_notes_keep_the_cameo_coding():
    notes = rows_of(gdelt.read([V2_FILE], ImportOptions()))["gdelt-1219730590"]["notes"]
    for kept in (
        "GDELT 2.0 event 1219730590",
        "CAMEO 150 (Exhibit force posture)",
        "material conflict",
        "Goldstein -7.2",
        "10 mentions in 10 article(s) from 2 source(s)",
        "tone -4.18",
        "city or landmark level",
    ):
        assert kept in notes


def edited(tmp_path: Path, source: Path, line: int, column: str, value: str, names=CODEBOOK_V2) -> Path:
    """The source file with one field of one line (1-based) changed."""
    lines = source.read_text(encoding="utf-8").splitlines()
    fields = lines[line - 1].split("\t")
    fields[names.index(column)] = value
    lines[line - 1] = "\t".join(fields)
    path = tmp_path / source.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "quad, key",
    [
        ("1", "gdelt_verbal_cooperation"),
        ("2", "gdelt_material_cooperation"),
        ("3", "gdelt_verbal_conflict"),
        ("4", "gdelt_material_conflict"),
    ],
)
def test_the_type_comes_from_the_quad_class(tmp_path, quad, key):
    batch = gdelt.read([edited(tmp_path, V2_FILE, 1, "QuadClass", quad)], ImportOptions())
    assert rows_of(batch)["gdelt-1219730590"]["event_type"] == key
    assert batch.types[key].label == gdelt.QUAD_TYPES[quad].label


@pytest.mark.parametrize("geo_type, precision", [("1", "3"), ("2", "3"), ("3", "1"), ("4", "1"), ("5", "3")])
def test_action_geo_type_gives_the_precision(tmp_path, geo_type, precision):
    batch = gdelt.read([edited(tmp_path, V2_FILE, 1, "ActionGeo_Type", geo_type)], ImportOptions())
    assert rows_of(batch)["gdelt-1219730590"]["geo_precision"] == precision


BAD = {
    "quad-class-5": ("QuadClass", "5", "QuadClass is 1, 2, 3 or 4"),
    "sqldate-month-13": ("SQLDATE", "20241310", "not a real date"),
    "sqldate-iso": ("SQLDATE", "2024-12-09", "YYYYMMDD"),
    "latitude-95": ("ActionGeo_Lat", "95.1", "out of range"),
    "longitude-text": ("ActionGeo_Long", "east", "not a number"),
    "event-id-text": ("GLOBALEVENTID", "abc", "digits"),
}


@pytest.mark.parametrize("column, value, words", BAD.values(), ids=BAD.keys())
def test_a_bad_value_skips_its_row_with_file_line_column_and_value(tmp_path, column, value, words):
    batch = gdelt.read([edited(tmp_path, V2_FILE, 2, column, value)], ImportOptions())
    [problem] = batch.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (V2_FILE.name, 2, column, value)
    assert words in problem.message
    assert len(batch.events) == 2


def test_a_row_of_another_width_later_in_the_file_is_skipped(tmp_path):
    lines = V2_FILE.read_text(encoding="utf-8").splitlines()
    lines[1] = "\t".join(lines[1].split("\t")[:40])
    (tmp_path / "cut.CSV").write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = gdelt.read([tmp_path / "cut.CSV"], ImportOptions())
    assert [(p.row, p.value) for p in batch.problems] == [(2, "40 fields")]


@pytest.mark.parametrize(
    "text, words",
    [
        (
            "1219730590\t20241209\t20241209061500\t1\tfocustaiwan.tw\thttps://focustaiwan.tw/x\t1\t-1\t-1\t-1\t1\t80\t2000\t-4.1\n",
            "not a GDELT event file",
        ),
        ("GLOBALEVENTID,SQLDATE\n1,20240101\n", "required column is missing"),
    ],
    ids=["a-mentions-file", "a-header-without-the-needed-columns"],
)
def test_a_file_that_is_not_a_gdelt_event_file_is_refused(tmp_path, text, words):
    (tmp_path / "other.CSV").write_text(text, encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        gdelt.read([tmp_path / "other.CSV"], ImportOptions())
    assert refused.value.problems[0].file == "other.CSV" and words in refused.value.problems[0].message


def test_a_zip_with_several_files_is_refused(tmp_path):
    with pytest.raises(ImportRefused, match="1 problem"):
        gdelt.read([zipped(tmp_path, V2_FILE, members=2)], ImportOptions())


def test_a_file_with_a_header_row_is_read_by_name_and_map_renames(tmp_path):
    """A BigQuery export: comma-separated, a header row, columns in its own order and naming."""
    names = [
        "GLOBALEVENTID",
        "Day",
        "EventCode",
        "EventRootCode",
        "QuadClass",
        "ActionGeo_Type",
        "ActionGeo_FullName",
        "lat",
        "lon",
        "Actor1Name",
        "Actor2Name",
        "SOURCEURL",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerow(
        [
            "1219730590",
            "20241209",
            "150",
            "15",
            "4",
            "4",
            "Taipei, T'ai-pei, Taiwan",
            "25.0392",
            "121.525",
            "CHINA",
            "TAIWAN",
            "https://focustaiwan.tw/cross-strait/202412090012",
        ]
    )
    (tmp_path / "bq.csv").write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(ImportRefused):
        gdelt.read([tmp_path / "bq.csv"], ImportOptions())
    batch = gdelt.read(
        [tmp_path / "bq.csv"], ImportOptions(column_map={"ActionGeo_Lat": "lat", "ActionGeo_Long": "lon"})
    )
    row = rows_of(batch)["gdelt-1219730590"]
    assert (row["start_date"], row["latitude"], row["title"]) == (
        "2024-12-09",
        "25.0392",
        "Exhibit force posture: CHINA → TAIWAN",
    )


def test_map_with_a_column_number_on_a_headerless_file(tmp_path):
    """--map FIELD=N points a field at another (1-based) column: here the actor's place instead of the action's."""
    batch = gdelt.read(
        [V2_FILE], ImportOptions(column_map={"ActionGeo_Lat": "41", "ActionGeo_Long": "42", "ActionGeo_FullName": "37"})
    )
    row = rows_of(batch)["gdelt-1219730590"]
    assert (row["location"], row["latitude"], row["longitude"]) == ("China", "35", "105")


def test_bbox_keeps_the_strait_and_drops_hawaii():
    batch = gdelt.read([V2_FILE, V1_FILE], ImportOptions(bbox=(20, 115, 28, 125)))
    assert "gdelt-1219699871" not in batch.events and len(batch.events) == 5
    assert batch.skipped["outside --bbox"] == 1


def test_round_trip_import_load_validate_and_import_again(tmp_path, capsys):
    into = tmp_path / "gdelt"
    files = [str(zipped(tmp_path, V2_FILE)), str(V1_FILE)]
    assert cli.main(["import", "gdelt", *files, "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert "skipped: 2 rows, no action geography" in out and "6 new" in out
    dataset = load_dataset(load_settings(into))
    assert len(dataset.events) == 6 and dataset.warnings == []
    assert [key for key in dataset.types if key.startswith("gdelt_")] == [t.key for t in gdelt.QUAD_TYPES.values()]
    assert cli.main(["validate", "--data-dir", str(into)]) == 0
    capsys.readouterr()
    assert cli.main(["import", "gdelt", *files, "--into", str(into)]) == 0
    assert "0 new, 0 updated, 6 unchanged" in capsys.readouterr().out


def test_gdelt_and_acled_share_a_folder(tmp_path):
    into = tmp_path / "mixed"
    import_files("gdelt", [V2_FILE], into, load_settings(into))
    import_files("acled", [FIXTURES / "acled_2023_actor_based.csv"], into, load_settings(into))
    dataset = load_dataset(load_settings(into))
    assert len(dataset.events) == 6
    declared = [key for key in dataset.types if key.startswith(("gdelt_", "acled_"))]
    assert declared == [
        "gdelt_verbal_cooperation",
        "gdelt_verbal_conflict",
        "gdelt_material_conflict",
        "acled_protests",
        "acled_strategic_developments",
    ]
    colours = [dataset.types[key].color for key in declared]
    assert len(set(colours)) == len(colours)


def test_progress_reaches_the_total_of_all_files():
    calls = []
    gdelt.read([V2_FILE, V1_FILE], ImportOptions(progress=lambda done, total, name: calls.append((done, total, name))))
    total = V2_FILE.stat().st_size + V1_FILE.stat().st_size
    assert calls[-1] == (total, total, V1_FILE.name)
    assert [done for done, _total, _name in calls] == sorted(done for done, _total, _name in calls)


def test_more_events_than_the_dashboard_loads_stop_the_reading(tmp_path):
    """The loader's size limit is known before anything is written: reading stops, with the way out named."""
    into = tmp_path / "too-big"
    settings = Settings(data_dir=into, max_file_bytes=1000)
    with pytest.raises(ImportRefused) as refused:
        import_files("gdelt", [V2_FILE, V1_FILE], into, settings)
    assert "--bbox" in refused.value.problems[0].message and refused.value.problems[0].file == "events.csv"
    assert not into.exists()
    _batch, report = import_files("gdelt", [V2_FILE], into, settings, ImportOptions(bbox=(24, 120, 26, 122)))
    assert report.new == 1
