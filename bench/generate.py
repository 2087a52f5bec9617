"""Synthetic but realistic data folders for the benchmark, written on demand and never committed.

    python -m bench.generate [N ...] [--out DIR]      # default: 1000 10000 100000 into bench/generated/N/
    python -m bench.generate 1000000 10000000 --format parquet   # into bench/generated/N-parquet/

Fixed seed: the same N gives byte-identical files on every machine and every run (`--check` proves it
by writing N twice and comparing SHA-256 hashes). Events cluster around Taiwan and spread over the western
Pacific; all four event types; dates over five years; a few routes; some drill zones. Every row is valid
under the data contract and says in its notes that it is synthetic. A folder is written into a temporary
sibling and renamed into place, so an interrupted run never leaves a half-written folder that looks done.

With `--format parquet` the same rows go to events.parquet instead of events.csv, as `python -m dashboard
import --format parquet` writes it (every column text, row groups of 100,000 rows), generated and written
100,000 rows at a time: ten million events are written in about the memory of one such piece.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import random
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from dashboard import loading
from dashboard.importers.events_parquet import EventsParquetWriter
from dashboard.schema import EVENT_COLUMNS, EVENTS_FILE, EVENTS_PARQUET_FILE

REPO = Path(__file__).resolve().parent.parent
# Ignored by git (.gitignore): 27 MB of files that this module rewrites identically in seconds.
GENERATED = REPO / "bench" / "generated"
SEED = 20241130
# Part of the folder's stamp: bump it when the output changes, so old folders are rewritten.
GENERATOR_VERSION = 1
STAMP_FILE = ".generated"
DEFAULT_SIZES = (1000, 10000, 100000)
FORMATS = ("csv", "parquet")
FIRST_DAY, DAYS = date(2021, 1, 1), 5 * 365
# (lat, lon, spread in degrees, weight): Taiwan and its strait dominate, as in MND daily PLA activity logs
HOTSPOTS = [
    (24.0, 120.5, 1.5, 50),
    (23.5, 122.5, 1.5, 15),
    (21.5, 119.5, 2.0, 10),
    (26.0, 121.0, 2.0, 8),
    (13.5, 144.8, 3.0, 5),
    (7.3, 134.5, 3.0, 3),
    (7.1, 171.4, 3.0, 3),
    (21.3, -157.9, 3.0, 3),
    (35.0, 139.0, 4.0, 3),
]
TYPES = [("military_drill", 60), ("diplomatic", 25), ("arms_sale", 10), ("tour_stop", 5)]
ROUTES = 3
STOPS_PER_ROUTE = 6
MAX_ZONES = 20


def _point(rng: random.Random) -> tuple[float, float]:
    lat, lon, spread, _ = rng.choices(HOTSPOTS, weights=[h[3] for h in HOTSPOTS])[0]
    lon = lon + rng.gauss(0, spread)
    lon = (lon + 180) % 360 - 180
    return round(max(-89.0, min(89.0, lat + rng.gauss(0, spread))), 4), round(lon, 4)


def _stamp(count: int, events_format: str = "csv") -> str:
    fields = {"generator": GENERATOR_VERSION, "seed": SEED, "events": count}
    if events_format != "csv":  # a CSV folder's stamp is the one written before there was a choice
        fields["format"] = events_format
    return json.dumps(fields, sort_keys=True)


def _events(count: int, rng: random.Random, drills: list[tuple[str, float, float]]) -> Iterator[list[str]]:
    """The `count` events' rows as text in contract order; the first MAX_ZONES drills go into `drills`."""
    routed = 0
    for i in range(count):
        kind = rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES])[0]
        route_id = route_seq = ""
        if kind == "tour_stop":
            if routed >= ROUTES * STOPS_PER_ROUTE:
                kind = "diplomatic"
            else:
                route_id, route_seq = f"route-{routed // STOPS_PER_ROUTE + 1}", str(routed % STOPS_PER_ROUTE + 1)
                routed += 1
        start = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        if route_id:  # stops of one route follow each other
            start = FIRST_DAY + timedelta(days=400 * (routed // STOPS_PER_ROUTE) + 2 * int(route_seq))
        end = start + timedelta(days=rng.choice([0, 0, 0, 1, 2]))
        lat, lon = _point(rng)
        event_id = f"syn-{i:06d}"
        if kind == "military_drill" and len(drills) < MAX_ZONES:
            drills.append((event_id, lat, lon))
        yield [
            event_id,  # event_id
            kind,  # event_type
            start.isoformat(),  # start_date
            end.isoformat() if end != start else "",  # end_date
            f"Synthetic {kind.replace('_', ' ')} {i}",  # title
            f"Synthetic place {i % 997}",  # location
            str(lat),  # latitude: str() of a float is the text the csv module writes for it
            str(lon),  # longitude
            f"https://example.org/synthetic/{event_id}",  # source_url
            "Generated for the benchmark; not a real event.",  # description
            rng.choice(["Actor A", "Actor B", "Actor C", "Actor D"]),  # actor
            route_id,  # route_id
            route_seq,  # route_seq
            str(rng.randrange(10, 5000) * 1_000_000) if kind == "arms_sale" else "",  # amount_usd
            rng.choice(["1", "1", "2", "3"]),  # geo_precision
            "Synthetic",  # source_name
            "Synthetic benchmark row.",  # notes
        ]


def write_folder(count: int, out: Path, events_format: str = "csv") -> Path:
    """Write events.csv (or events.parquet), locations.csv and zones.geojson with `count` events into `out`
    (created if needed). The events are written as they are generated, never held all at once."""
    if events_format not in FORMATS:
        raise ValueError(f"unknown format {events_format!r}; known: {', '.join(FORMATS)}")
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "data" / "locations.csv", out / "locations.csv")
    names = [c.name for c in EVENT_COLUMNS]
    drills: list[tuple[str, float, float]] = []
    rows = _events(count, rng, drills)
    if events_format == "csv":
        with open(out / EVENTS_FILE, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(names)
            writer.writerows(rows)
    else:  # a row group's worth at a time, as the importer writes it
        with EventsParquetWriter(out / EVENTS_PARQUET_FILE, names) as parquet:
            while chunk := list(itertools.islice(rows, loading.EVENT_CHUNK_ROWS)):
                parquet.write_rows(chunk)
    features = [
        {
            "type": "Feature",
            "properties": {"event_id": eid, "name": f"Zone of {eid}", "note": "Synthetic square, 1 degree a side."},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [lon - 0.5, lat - 0.5],
                        [lon + 0.5, lat - 0.5],
                        [lon + 0.5, lat + 0.5],
                        [lon - 0.5, lat + 0.5],
                        [lon - 0.5, lat - 0.5],
                    ]
                ],
            },
        }
        for eid, lat, lon in drills
        if -179.5 < lon < 179.5
    ]
    (out / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return out


def folder_name(count: int, events_format: str = "csv") -> str:
    """`<count>` for a CSV folder, `<count>-parquet` for a Parquet one: both may be there at once."""
    return str(count) if events_format == "csv" else f"{count}-{events_format}"


def generated_folder(count: int, root: Path = GENERATED, events_format: str = "csv") -> Path:
    """`root/<count>/` (`root/<count>-parquet/`), written first if it is missing or was written by another
    generator version."""
    folder = root / folder_name(count, events_format)
    stamp = folder / STAMP_FILE
    if stamp.is_file() and stamp.read_text() == _stamp(count, events_format):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=root))
    scratch.chmod(0o755)  # mkdtemp makes it private; the server may run as another user
    try:
        write_folder(count, scratch, events_format)
        (scratch / STAMP_FILE).write_text(_stamp(count, events_format))
        if folder.exists():
            shutil.rmtree(folder)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def folder_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of each data file in `folder` (the stamp excluded)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != STAMP_FILE
    }


def check_reproducible(count: int, events_format: str = "csv") -> dict[str, str]:
    """Write `count` events twice into fresh folders; raise if any file differs. Returns the hashes."""
    with tempfile.TemporaryDirectory() as tmp:
        first = folder_hashes(write_folder(count, Path(tmp) / "a", events_format))
        second = folder_hashes(write_folder(count, Path(tmp) / "b", events_format))
    if first != second:
        raise AssertionError(f"generating {count} events twice gave different files: {first} != {second}")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=list(DEFAULT_SIZES), help="event counts")
    parser.add_argument("--out", type=Path, default=GENERATED, help="parent folder (default: bench/generated)")
    parser.add_argument("--check", action="store_true", help="write each size twice and compare SHA-256 hashes")
    parser.add_argument(
        "--format",
        dest="events_format",
        choices=FORMATS,
        default="csv",
        help="events.csv into N/ (default), or events.parquet into N-parquet/",
    )
    args = parser.parse_args(argv)
    for count in args.sizes:
        if args.check:
            for name, digest in check_reproducible(count, args.events_format).items():
                print(f"{count} {name} {digest}  (identical twice)")
        else:
            print(generated_folder(count, args.out, args.events_format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
