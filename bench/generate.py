"""Synthetic but realistic data folders for the benchmark, written on demand and never committed.

    python -m bench.generate [N ...] [--out DIR]      # default: 1000 10000 100000 into bench/generated/N/

Fixed seed: the same N gives byte-identical files on every machine and every run (`--check` proves it
by writing N twice and comparing SHA-256 hashes). Events cluster around Taiwan and spread over the western
Pacific; all four event types; dates over five years; a few routes; some drill zones. Every row is valid
under the data contract and says in its notes that it is synthetic. A folder is written into a temporary
sibling and renamed into place, so an interrupted run never leaves a half-written folder that looks done.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from dashboard.schema import EVENT_COLUMNS

REPO = Path(__file__).resolve().parent.parent
# Ignored by git (.gitignore): 27 MB of files that this module rewrites identically in seconds.
GENERATED = REPO / "bench" / "generated"
SEED = 20241130
# Part of the folder's stamp: bump it when the output changes, so old folders are rewritten.
GENERATOR_VERSION = 1
STAMP_FILE = ".generated"
DEFAULT_SIZES = (1000, 10000, 100000)
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


def _stamp(count: int) -> str:
    return json.dumps({"generator": GENERATOR_VERSION, "seed": SEED, "events": count}, sort_keys=True)


def write_folder(count: int, out: Path) -> Path:
    """Write events.csv, locations.csv and zones.geojson with `count` events into `out` (created if needed)."""
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "data" / "locations.csv", out / "locations.csv")
    names = [c.name for c in EVENT_COLUMNS]
    drills = []
    with open(out / "events.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, names, lineterminator="\n")
        writer.writeheader()
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
            writer.writerow(
                {
                    "event_id": event_id,
                    "event_type": kind,
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat() if end != start else "",
                    "title": f"Synthetic {kind.replace('_', ' ')} {i}",
                    "location": f"Synthetic place {i % 997}",
                    "latitude": lat,
                    "longitude": lon,
                    "source_url": f"https://example.org/synthetic/{event_id}",
                    "description": "Generated for the benchmark; not a real event.",
                    "actor": rng.choice(["Actor A", "Actor B", "Actor C", "Actor D"]),
                    "route_id": route_id,
                    "route_seq": route_seq,
                    "amount_usd": str(rng.randrange(10, 5000) * 1_000_000) if kind == "arms_sale" else "",
                    "geo_precision": rng.choice(["1", "1", "2", "3"]),
                    "source_name": "Synthetic",
                    "notes": "Synthetic benchmark row.",
                }
            )
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


def generated_folder(count: int, root: Path = GENERATED) -> Path:
    """`root/<count>/`, written first if it is missing or was written by another generator version."""
    folder = root / str(count)
    stamp = folder / STAMP_FILE
    if stamp.is_file() and stamp.read_text() == _stamp(count):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{count}-", dir=root))
    scratch.chmod(0o755)  # mkdtemp makes it private; the server may run as another user
    try:
        write_folder(count, scratch)
        (scratch / STAMP_FILE).write_text(_stamp(count))
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


def check_reproducible(count: int) -> dict[str, str]:
    """Write `count` events twice into fresh folders; raise if any file differs. Returns the hashes."""
    with tempfile.TemporaryDirectory() as tmp:
        first = folder_hashes(write_folder(count, Path(tmp) / "a"))
        second = folder_hashes(write_folder(count, Path(tmp) / "b"))
    if first != second:
        raise AssertionError(f"generating {count} events twice gave different files: {first} != {second}")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=list(DEFAULT_SIZES), help="event counts")
    parser.add_argument("--out", type=Path, default=GENERATED, help="parent folder (default: bench/generated)")
    parser.add_argument("--check", action="store_true", help="write each size twice and compare SHA-256 hashes")
    args = parser.parse_args(argv)
    for count in args.sizes:
        if args.check:
            for name, digest in check_reproducible(count).items():
                print(f"{count} {name} {digest}  (identical twice)")
        else:
            print(generated_folder(count, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
