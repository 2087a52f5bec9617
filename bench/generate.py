"""Synthetic but realistic data folders for the benchmark: `python -m bench.generate N OUT_DIR`.

Fixed seed; events cluster around Taiwan and spread over the western Pacific; all four event types; dates
over five years; a few routes; some drill zones. Every row is valid under the data contract and says in
its notes that it is synthetic.
"""
from __future__ import annotations

import csv
import json
import random
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

from dashboard.schema import EVENT_COLUMNS

REPO = Path(__file__).resolve().parent.parent
SEED = 20241130
FIRST_DAY, DAYS = date(2021, 1, 1), 5 * 365
# (lat, lon, spread in degrees, weight): Taiwan and its strait dominate, as in MND daily PLA activity logs
HOTSPOTS = [(24.0, 120.5, 1.5, 50), (23.5, 122.5, 1.5, 15), (21.5, 119.5, 2.0, 10), (26.0, 121.0, 2.0, 8),
            (13.5, 144.8, 3.0, 5), (7.3, 134.5, 3.0, 3), (7.1, 171.4, 3.0, 3), (21.3, -157.9, 3.0, 3),
            (35.0, 139.0, 4.0, 3)]
TYPES = [("military_drill", 60), ("diplomatic", 25), ("arms_sale", 10), ("tour_stop", 5)]
ROUTES = 3
STOPS_PER_ROUTE = 6


def _point(rng: random.Random) -> tuple[float, float]:
    lat, lon, spread, _ = rng.choices(HOTSPOTS, weights=[h[3] for h in HOTSPOTS])[0]
    lon = lon + rng.gauss(0, spread)
    lon = (lon + 180) % 360 - 180
    return round(max(-89.0, min(89.0, lat + rng.gauss(0, spread))), 4), round(lon, 4)


def generate(count: int, out: Path) -> Path:
    """Write events.csv, locations.csv and zones.geojson with `count` events into `out`."""
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "data" / "locations.csv", out / "locations.csv")
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
            if kind == "military_drill" and len(drills) < 20:
                drills.append((event_id, lat, lon))
            writer.writerow({
                "event_id": event_id, "event_type": kind, "start_date": start.isoformat(),
                "end_date": end.isoformat() if end != start else "",
                "title": f"Synthetic {kind.replace('_', ' ')} {i}", "location": f"Synthetic place {i % 997}",
                "latitude": lat, "longitude": lon, "source_url": f"https://example.org/synthetic/{event_id}",
                "description": "Generated for the benchmark; not a real event.",
                "actor": rng.choice(["Actor A", "Actor B", "Actor C", "Actor D"]),
                "route_id": route_id, "route_seq": route_seq,
                "amount_usd": str(rng.randrange(10, 5000) * 1_000_000) if kind == "arms_sale" else "",
                "geo_precision": rng.choice(["1", "1", "2", "3"]), "source_name": "Synthetic",
                "notes": "Synthetic benchmark row.",
            })
    features = [{"type": "Feature", "properties": {"event_id": eid, "name": f"Zone of {eid}",
                                                   "note": "Synthetic square, 1 degree a side."},
                 "geometry": {"type": "Polygon", "coordinates": [[[lon - .5, lat - .5], [lon + .5, lat - .5],
                                                                  [lon + .5, lat + .5], [lon - .5, lat + .5],
                                                                  [lon - .5, lat - .5]]]}}
                for eid, lat, lon in drills if -179.5 < lon < 179.5]
    (out / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return out


if __name__ == "__main__":
    size, target = int(sys.argv[1]), Path(sys.argv[2])
    print(generate(size, target))
