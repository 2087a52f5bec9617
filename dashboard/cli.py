"""`python -m dashboard validate | export | geocode | import`: the data tools, without the browser."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import date

from . import queries as q
from .config import Settings, load_settings
from .errors import DashboardError, DataError, UnknownPlaceError
from .event_store import (
    DEFAULT_SPARK_MASTER,
    ENGINE_ENV,
    ENGINES,
    EVENTS_PARQUET_ENV,
    SPARK_MASTER_ENV,
    EngineChoice,
)
from .export import geojson_pieces
from .files import write_chunks_atomic, write_text_atomic
from .filters import FilterState
from .geocoding import Gazetteer, make_nominatim_geocoder, read_cache, resolve_places, write_cache
from .importers import EVENT_FORMATS, READERS, ImportOptions, ImportRefused, import_files, summarize
from .importers.common import parse_column_map, print_progress
from .loading import read_csv_strings, read_text_file
from .parquet_copy import typed_copy
from .prepared import data_stamp, prepare, view_of
from .schema import EVENT_COLUMNS, EVENT_TYPES, EVENTS_FILE, GEOCODE_CACHE_FILE, LOCATION_COLUMNS, LOCATIONS_FILE
from .validation import errors_only, validate_locations


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _types(text: str) -> tuple[str, ...]:
    """Comma-separated type keys; checked against the data folder's types once it is loaded."""
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _map_pair(text: str) -> str:
    name, sep, column = text.partition("=")
    if not sep or not name.strip() or not column.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=COLUMN, got {text!r} (put the files before --map)")
    return text


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        south, west, north, east = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SOUTH,WEST,NORTH,EAST in degrees, got {text!r}") from None
    if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise argparse.ArgumentTypeError(f"not a box: {text!r} (south <= north, longitudes -180 to 180)")
    return south, west, north, east


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    data_help = "data folder (default: $DASHBOARD_DATA_DIR, else the bundled data/)"

    p = sub.add_parser(
        "validate",
        help="check the data files and build the engine's Parquet copy of the events (once per version of the "
        "folder, so the page then opens at once); exit 1 and list every problem if any",
    )
    p.add_argument("--data-dir", help=data_help)
    p.add_argument(
        "--copy-to",
        metavar="FILE",
        help="also write the typed Parquet copy to FILE (a shared or mounted path a Spark cluster reads; upload "
        "it to object storage from there), for --events-parquet",
    )

    p = sub.add_parser("export", help="write events, route legs and zones as one GeoJSON FeatureCollection")
    p.add_argument("--data-dir", help=data_help)
    p.add_argument("--start", type=_iso_date, help="first day, YYYY-MM-DD (inclusive)")
    p.add_argument("--end", type=_iso_date, help="last day, YYYY-MM-DD (inclusive)")
    p.add_argument("--types", type=_types, default=(), help="comma-separated event types: " + ",".join(EVENT_TYPES))
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument("--engine", choices=ENGINES, help=f"query engine (default: ${ENGINE_ENV}, else duckdb)")
    p.add_argument(
        "--spark-master",
        metavar="URL",
        help=f"Spark master for --engine spark: spark://host:7077, yarn, k8s://..., local[N] "
        f"(default: ${SPARK_MASTER_ENV}, else {DEFAULT_SPARK_MASTER})",
    )
    p.add_argument(
        "--events-parquet",
        metavar="URL",
        help=f"read the events from this typed copy (made by validate --copy-to; e.g. s3a://bucket/events.parquet) "
        f"instead of this machine's cache (default: ${EVENTS_PARQUET_ENV})",
    )

    p = sub.add_parser("geocode", help="fill blank coordinates in events.csv from the gazetteer, cache or geocoder")
    p.add_argument("--data-dir", help=data_help)
    p.add_argument(
        "--online",
        action="store_true",
        help="ask OpenStreetMap Nominatim (1 request/second) for places found nowhere else",
    )

    p = sub.add_parser(
        "import",
        help="read ACLED exports, GDELT event files or navigation warnings into a data folder, merged by event id",
        description="Read published event files into a data folder. Events whose event_id is "
        "already there are replaced, the others kept; nothing is written unless the "
        "merged folder passes validation.",
    )
    p.add_argument("format", choices=list(READERS), help="the files' format")
    p.add_argument("files", nargs="+", metavar="FILE", help="files to read (a .zip holding one file is read inside)")
    p.add_argument("--into", dest="data_dir", required=True, metavar="DIR", help="data folder to create or merge into")
    p.add_argument(
        "--map",
        dest="column_map",
        action="extend",
        nargs="+",
        type=_map_pair,
        default=[],
        metavar="FIELD=COLUMN",
        help="read FIELD from the file's COLUMN (e.g. area=coordinates_raw)",
    )
    p.add_argument("--encoding", default="utf-8", help="the files' text encoding (default utf-8; e.g. cp1252)")
    p.add_argument("--bbox", type=_bbox, metavar="S,W,N,E", help="keep only events inside this box (degrees)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse the import if any row has a problem (by default such rows are skipped and listed)",
    )
    p.add_argument(
        "--format",
        dest="events_format",
        choices=list(EVENT_FORMATS),
        help="write the folder's events as events.csv or events.parquet (the same columns, as text), "
        "replacing the other; default: the folder's own, csv for a new folder",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; return the process exit code."""
    args = build_parser().parse_args(argv)
    settings = load_settings(args.data_dir)
    try:
        return {"validate": run_validate, "export": run_export, "geocode": run_geocode, "import": run_import}[
            args.command
        ](args, settings)
    except DataError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        count = len(errors_only(exc.problems))
        print(f"{count} error(s) in {settings.data_dir}", file=sys.stderr)
        return 1
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: no file was changed", file=sys.stderr)
        return 130


def run_validate(args: argparse.Namespace, settings: Settings) -> int:
    data = prepare(str(settings.data_dir), data_stamp(settings), EngineChoice("duckdb"))
    for problem in data.warnings:
        print(problem.format() + " (warning)", file=sys.stderr)
    folder = data.folder
    print(f"OK: {data.total} events, {len(folder.locations)} places, {len(folder.zones)} zones in {settings.data_dir}")
    data.store.close()
    if args.copy_to:
        copy, _warnings = typed_copy(settings)
        with open(copy, "rb") as source:
            write_chunks_atomic(args.copy_to, iter(lambda: source.read(1 << 20), b""))
        print(f"wrote the typed copy of the events to {args.copy_to}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    engine = EngineChoice.from_env(args.engine, args.spark_master, args.events_parquet)
    data = prepare(str(settings.data_dir), data_stamp(settings), engine)
    unknown = [t for t in args.types if t not in data.types]
    if unknown:
        raise DashboardError(f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(data.types)}")
    state = FilterState(args.start, args.end, args.types)
    view = view_of(data, state)
    pieces = geojson_pieces(data.store.frames(q.rows(), state), view.legs, view.zones)
    if args.output:
        write_chunks_atomic(args.output, pieces)
        print(
            f"wrote {view.size} events, {len(view.legs)} legs, {len(view.zones)} zones to {args.output}",
            file=sys.stderr,
        )
    else:
        for piece in pieces:
            sys.stdout.buffer.write(piece)
        sys.stdout.flush()
    return 0


def _progress(done: int, total: int, name: str) -> None:
    width = 30
    filled = round(width * done / total) if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_geocode(args: argparse.Namespace, settings: Settings) -> int:
    data_dir = settings.data_dir
    raw_locations, problems = read_csv_strings(data_dir / LOCATIONS_FILE, settings, LOCATION_COLUMNS)
    if raw_locations is None or errors_only(problems):
        raise DataError(problems)
    locations, problems = validate_locations(raw_locations, LOCATIONS_FILE)
    if errors_only(problems):
        raise DataError(problems)
    events_path = data_dir / EVENTS_FILE
    text, problems = read_text_file(events_path, settings)
    if text is None:
        raise DataError(problems)
    _frame, problems = read_csv_strings(events_path, settings, EVENT_COLUMNS)
    if errors_only(problems):
        raise DataError(problems)

    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    lat_i, lon_i, loc_i = header.index("latitude"), header.index("longitude"), header.index("location")
    blank = [r for r in rows[1:] if len(r) == len(header) and not r[lat_i].strip() and not r[lon_i].strip()]
    cache_path = data_dir / GEOCODE_CACHE_FILE
    cache = read_cache(cache_path)
    geocoder = (
        make_nominatim_geocoder(settings.geocoder_user_agent, settings.geocoder_min_delay_seconds)
        if args.online
        else None
    )
    names = [r[loc_i] for r in blank]
    try:
        resolved, missing = resolve_places(
            names, Gazetteer(locations), cache, geocoder, _progress if sys.stderr.isatty() or args.online else None
        )
    finally:
        if args.online:
            write_cache(cache_path, cache.values())  # saved even when the geocoder fails: paid-for answers stay
    filled = 0
    for row in blank:
        place = resolved.get(row[loc_i])
        if place:
            row[lat_i], row[lon_i] = f"{place.lat:.6f}", f"{place.lon:.6f}"
            filled += 1
    if filled:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        write_text_atomic(events_path, out.getvalue())
    print(
        f"filled coordinates on {filled} of {len(blank)} rows with blank coordinates in {events_path}", file=sys.stderr
    )
    if missing:
        raise UnknownPlaceError(missing)
    return 0


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    show_progress = sys.stderr.isatty()
    options = ImportOptions(
        column_map=parse_column_map(args.column_map),
        encoding=args.encoding,
        bbox=args.bbox,
        strict=args.strict,
        progress=print_progress if show_progress else None,
    )
    try:
        batch, report = import_files(
            args.format, args.files, settings.data_dir, settings, options, events_format=args.events_format
        )
    except ImportRefused as exc:
        if show_progress:
            sys.stderr.write("\n")
        for problem in exc.problems:
            print(problem.format() + ("" if problem.is_error else " (warning)"), file=sys.stderr)
        print(f"import refused: {exc.reason}; {settings.data_dir} was not changed", file=sys.stderr)
        return 1
    if show_progress:
        sys.stderr.write("\n")
    for problem in batch.problems + (report.warnings if report else []):
        print(problem.format() + ("" if problem.is_error else " (warning)"), file=sys.stderr)
    for line in summarize(batch, report):
        print(line)
    return 0 if report is not None else 1
