"""Cut the bundled offline basemap from Natural Earth (public domain), via the npm package world-atlas.

Run:  python tools/make_basemap.py            (fetches world-atlas@2 with `npm pack`)
      python tools/make_basemap.py DIR        (uses an unpacked world-atlas package in DIR)

The output, dashboard/static/basemap/pacific_countries.geojson, is in *display* coordinates: longitudes run
from 60 to 300 so that the Pacific is continuous across the antimeridian (Leaflet does not wrap vector
layers). It is for drawing only; it is not RFC 7946 and never leaves the map.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

WEST, EAST = 60.0, 300.0  # display longitudes: Indian Ocean to the Atlantic coast of the Americas
SOUTH, NORTH = -50.0, 66.0
DECIMALS = 2  # about 1 km: plenty for a fallback basemap, and keeps the file small
MIN_STEP = 0.1  # degrees between kept vertices (about 10 km): low resolution, a third of the size
OUT = Path(__file__).resolve().parent.parent / "dashboard" / "static" / "basemap" / "pacific_countries.geojson"
# Small island states the 1:50m cut leaves out but the story needs; taken from the 1:10m cut.
FROM_10M = {"Tuvalu"}


def decode_topology(topo: dict, object_name: str) -> list[dict]:
    """TopoJSON object -> list of GeoJSON features (delta-encoded, quantized arcs)."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for i in indexes:
            pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            out.extend(pts if not out else pts[1:])
        return out

    features = []
    for geom in topo["objects"][object_name]["geometries"]:
        if geom["type"] == "Polygon":
            polys = [geom["arcs"]]
        elif geom["type"] == "MultiPolygon":
            polys = geom["arcs"]
        else:
            continue
        features.append(
            {
                "name": geom.get("properties", {}).get("name", ""),
                "polygons": [[ring(r) for r in poly] for poly in polys],
            }
        )
    return features


def shift_polygon(poly: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]] | None:
    """Move a polygon into the display window (adding 360 east of the antimeridian) or drop it."""
    lons = [p[0] for p in poly[0]]
    lats = [p[1] for p in poly[0]]
    offset = 360.0 if max(lons) < WEST else 0.0
    if max(lons) + offset < WEST or min(lons) + offset > EAST or max(lats) < SOUTH or min(lats) > NORTH:
        return None
    out = []
    # Thin only big outlines: atolls such as Funafuti or Majuro would vanish.
    step = MIN_STEP if max(lons) - min(lons) > 2 or max(lats) - min(lats) > 2 else 0.0
    for r in poly:
        pts = []
        for lon, lat in r:
            p = [round(lon + offset, DECIMALS), round(lat, DECIMALS)]
            if not pts or max(abs(p[0] - pts[-1][0]), abs(p[1] - pts[-1][1])) > step:
                pts.append(p)
        if len(pts) >= 3:
            out.append(pts + [pts[0]])
    return out or None


def build(atlas_dir: Path) -> dict:
    """Features of countries in the display window, 1:50m plus the islands listed in FROM_10M."""
    countries = decode_topology(json.loads((atlas_dir / "countries-50m.json").read_text()), "countries")
    countries += [
        c
        for c in decode_topology(json.loads((atlas_dir / "countries-10m.json").read_text()), "countries")
        if c["name"] in FROM_10M
    ]
    features = []
    for c in countries:
        polys = [p for p in (shift_polygon(poly) for poly in c["polygons"]) if p]
        if polys:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": c["name"]},
                    "geometry": {"type": "MultiPolygon", "coordinates": polys},
                }
            )
    return {
        "type": "FeatureCollection",
        "note": "Natural Earth 1:50m admin-0 countries (public domain) via world-atlas 2.0.2, "
        "with Tuvalu from 1:10m; display longitudes 60..300, rounded to 0.01 degree, vertices thinned to 0.1 degree.",
        "features": features,
    }


def main() -> None:
    if len(sys.argv) > 1:
        atlas_dir = Path(sys.argv[1])
    else:
        tmp = Path(tempfile.mkdtemp())
        subprocess.run(["npm", "pack", "world-atlas@2.0.2"], cwd=tmp, check=True)
        with tarfile.open(next(tmp.glob("world-atlas-*.tgz"))) as tar:
            tar.extractall(tmp, filter="data")
        atlas_dir = tmp / "package"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(atlas_dir), separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
