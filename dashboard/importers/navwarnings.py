"""Navigation warnings for military exercises and live fire: each becomes a military_drill with its zone.

The input is a CSV with a header row and one warning a row. Fields (rename with --map FIELD=COLUMN):
`title`, `start_date`, `area` and `url` are required; `end_date`, `id`, `location`, `actor`,
`description` and `source_name` are read when present.

`area` is written the way warnings write it; all of these read the same point:

- degrees and minutes with a hemisphere: `21-23.00N 108-47.40E` (also `21-23N`, `21 23.0N`)
- with symbols: `21°23.0'N 108°47.4'E`, with seconds `21°23'00"N 108°47'24"E`
- decimal degrees with a hemisphere: `21.3833N 108.79E`
- decimal pairs, latitude first: `21.3833,108.79` (west and south negative)

Points are separated by `;`, `,`, `/`, spaces, "to" or "and"; a warning with several areas separates them
with `|` or a line break. A ring is closed if the warning does not repeat its first point. One point with
a radius (`within 5 nm of 21-23.00N 108-47.40E`, `radius 3 km`, `5海里`) is drawn as a circle. Text
around the coordinates is ignored, but any number that is not read as part of a point stops the row with
a message, so a mistyped coordinate is never silently dropped.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from pathlib import Path

from ..validation import Problem
from .common import (
    ImportBatch,
    ImportOptions,
    Progress,
    RowError,
    cell,
    check_column_map,
    clean_url,
    event_row,
    format_coordinate,
    host_of,
    inside_bbox,
    make_id,
    parse_date,
    read_csv_records,
    slug,
)

FORMAT = "navwarnings"
FIELDS = ("id", "title", "start_date", "end_date", "area", "url", "location", "actor", "description", "source_name")
REQUIRED = ("title", "start_date", "area", "url")
LatLon = tuple[float, float]

_NUMBER = r"\d+(?:[.,]\d+)?"
# 21-23.00N | 21°23.0'N | 21°23'00"N | 21 23.0 N | 21.3833N | 021-23.00N
_HEMISPHERE_POINT = re.compile(
    r"(?P<deg>\d{1,3}(?:\.\d+)?)\s*(?:[°º˚]|-|\s)?\s*"
    r"(?:(?P<min>\d{1,2}(?:\.\d+)?)\s*[′'’]?\s*"
    r"(?:(?P<sec>\d{1,2}(?:\.\d+)?)\s*(?:[″\"”]|''|′′)?\s*)?)?"
    r"(?P<hem>[NSEW])(?![A-Za-z])",  # not the N of "NM"; a Chinese character may follow ("E为中心")
)
_DECIMAL_PAIR = re.compile(r"(?<![\d.])(?P<lat>-?\d{1,2}(?:\.\d+)?)\s*,\s*(?P<lon>-?\d{1,3}(?:\.\d+)?)(?![\d.])")
_RADIUS = re.compile(
    rf"(?P<value>{_NUMBER})\s*(?P<unit>nautical\s+miles?|nmi|nm|NM|海里|km|公里|kilometres?|kilometers?)", re.IGNORECASE
)
_AREA_SEPARATOR = re.compile(r"\s*(?:\||\n|\r)+\s*")
_NM_KM = 1.852
_EARTH_RADIUS_KM = 6371.0088
CIRCLE_POINTS = 48


def read(paths: Sequence[Path], options: ImportOptions) -> ImportBatch:
    """Read navigation-warning CSVs into military_drill events with their zones."""
    check_column_map(options.column_map, FIELDS, FORMAT)
    batch = ImportBatch(FORMAT, max_events_bytes=options.max_events_bytes)
    progress = Progress(options, paths)
    for path in paths:
        batch.files_read += 1
        for number, cells, columns in read_csv_records(path, options, FIELDS, REQUIRED, progress, batch):
            batch.layouts["navigation warnings CSV"] += 1
            values = {name: cell(cells, columns, name) for name in FIELDS}
            try:
                _warning(values, path.name, number, batch, options)
            except RowError as exc:
                batch.skip(
                    Problem(path.name, number, options.column_map.get(exc.column, exc.column), exc.value, exc.message)
                )
    return batch


def _warning(values: dict[str, str], file: str, number: int, batch: ImportBatch, options: ImportOptions) -> None:
    title = values["title"]
    if not title:
        raise RowError("title", "", "required value is blank")
    start = parse_date(values["start_date"], "start_date")
    end = parse_date(values["end_date"], "end_date") if values["end_date"] else None
    if end is not None and end < start:
        raise RowError("end_date", values["end_date"], f"ends before its start_date ({start.isoformat()})")
    url = clean_url(values["url"])
    if url is None:
        raise RowError(
            "url",
            values["url"],
            "not an http:// or https:// address"
            if values["url"]
            else "required value is blank: a warning needs the link it came from",
        )
    polygons = parse_area(values["area"], "area")
    if values["id"]:
        readable = slug(values["id"]).replace("_", "-")
        if not re.fullmatch(r"[A-Za-z0-9 ._/:-]+", values["id"]):  # 闽航警1234/24 and 粤航警1234/24 stay apart
            readable += "-" + hashlib.sha1(values["id"].encode("utf-8")).hexdigest()[:8]
        event_id = make_id("navwarn", readable.strip("-") or "id", "id")
    else:  # stable across imports of the same warning, so that importing it again changes nothing
        digest = hashlib.sha1("\n".join((title, start.isoformat(), values["area"])).encode("utf-8")).hexdigest()
        event_id = f"navwarn-{start.isoformat()}-{digest[:10]}"
    lat, lon = centroid(polygons)
    if not inside_bbox(lat, lon, options.bbox):
        batch.skip_counted("outside --bbox", f"{file}:{number}")
        return
    where = f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'} {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"
    count = len(polygons)
    row = event_row(
        event_id=event_id,
        event_type="military_drill",
        start_date=start.isoformat(),
        end_date=end.isoformat() if end and end != start else "",
        title=title,
        location=values["location"] or f"Warning area around {where}",
        latitude=format_coordinate(lat),
        longitude=format_coordinate(lon),
        source_url=url,
        description=values["description"],
        actor=values["actor"],
        geo_precision="2",
        source_name=values["source_name"] or host_of(url),
        notes=(
            f"Navigation warning; {count} area{'s' if count != 1 else ''} from the coordinates it publishes; "
            f"the point is the centre of the area{'s' if count != 1 else ''}."
        ),
    )
    zones = []
    for index, ring in enumerate(polygons, start=1):
        name = title if count == 1 else f"{title} (area {index} of {count})"
        zones.append(
            {
                "type": "Feature",
                "properties": {
                    "event_id": event_id,
                    "name": name,
                    "note": "Published coordinates: the corner points (or the centre and radius) given in the "
                    f"navigation warning, converted to decimal degrees. As written: {values['area'][:300]}",
                },
                "geometry": {"type": "Polygon", "coordinates": [[[round(p[1], 6), round(p[0], 6)] for p in ring]]},
            }
        )
    batch.add(event_id, row, zones)


def parse_area(text: str, column: str) -> list[list[LatLon]]:
    """The closed rings (lat, lon), counter-clockwise, of an area as navigation warnings write it."""
    if not text.strip():
        raise RowError(column, text, "required value is blank")
    rings = []
    for part in _AREA_SEPARATOR.split(text.strip()):
        if part.strip():
            rings.append(_ring(part, text, column))
    if not rings:
        raise RowError(column, text, "no coordinates found")
    return rings


def _ring(part: str, whole: str, column: str) -> list[LatLon]:
    points, leftover = parse_points(part, whole, column)
    radius = None
    if match := _RADIUS.search(leftover):
        radius = _kilometres(match)
        leftover = leftover[: match.start()] + " " + leftover[match.end() :]
    if re.search(r"\d", leftover):
        stray = " ".join(re.findall(r"\S*\d\S*", leftover))
        raise RowError(
            column,
            whole,
            f"cannot read {stray!r} as part of a coordinate (write points as "
            "21-23.00N 108-47.40E, 21°23.0'N 108°47.4'E or 21.3833,108.79)",
        )
    if radius is not None:
        if len(points) != 1:
            raise RowError(column, whole, f"a radius goes with one centre point, this area has {len(points)}")
        return circle(points[0], radius)
    unique = list(dict.fromkeys(points))
    if len(unique) < 3:
        raise RowError(
            column,
            whole,
            f"an area needs at least 3 corner points (or a centre and a radius); "
            f"found {len(unique)} in {part.strip()[:80]!r}",
        )
    ring = list(points)
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    if _signed_area(ring) < 0:  # RFC 7946: exterior rings counter-clockwise
        ring.reverse()
    return ring


def parse_points(part: str, whole: str, column: str) -> tuple[list[LatLon], str]:
    """The points of one area and the text left once they are taken out."""
    matches = list(_HEMISPHERE_POINT.finditer(part))
    if matches:
        coordinates = [(_degrees(m, whole, column), m["hem"].upper()) for m in matches]
        points: list[LatLon] = []
        for first, second in zip(coordinates[::2], coordinates[1::2], strict=False):
            kinds = {first[1] in "NS", second[1] in "NS"}
            if kinds != {True, False}:
                raise RowError(
                    column,
                    whole,
                    "coordinates must come in latitude/longitude pairs "
                    f"(N or S with E or W): found {first[1]} then {second[1]}",
                )
            lat, lon = (first, second) if first[1] in "NS" else (second, first)
            points.append((_signed(lat), _signed(lon)))
        if len(coordinates) % 2:
            raise RowError(column, whole, "a latitude or longitude has no partner: coordinates come in pairs")
        return points, _without(part, matches)
    pairs = list(_DECIMAL_PAIR.finditer(part))
    points = []
    for match in pairs:
        lat, lon = float(match["lat"]), float(match["lon"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise RowError(column, whole, f"point {match[0]!r} is out of range (write latitude first)")
        points.append((lat, lon))
    return points, _without(part, pairs)


def _degrees(match: re.Match, whole: str, column: str) -> float:
    degrees = float(match["deg"])
    minutes = float(match["min"]) if match["min"] else 0.0
    seconds = float(match["sec"]) if match["sec"] else 0.0
    if (match["min"] and "." in match["deg"]) or minutes >= 60 or seconds >= 60:
        raise RowError(column, whole, f"{match[0].strip()!r} is not a valid degrees-minutes coordinate")
    value = degrees + minutes / 60 + seconds / 3600
    limit = 90 if match["hem"].upper() in "NS" else 180
    if value > limit:
        raise RowError(column, whole, f"{match[0].strip()!r} is out of range (at most {limit} degrees)")
    return value


def _signed(coordinate: tuple[float, str]) -> float:
    value, hemisphere = coordinate
    return -value if hemisphere in "SW" else value


def _without(text: str, matches: list[re.Match]) -> str:
    for match in reversed(matches):
        text = text[: match.start()] + " " + text[match.end() :]
    return text


def _kilometres(match: re.Match) -> float:
    value = float(match["value"].replace(",", "."))
    unit = match["unit"].casefold()
    return value if unit in ("km", "公里") or unit.startswith("kilomet") else value * _NM_KM


def circle(center: LatLon, radius_km: float) -> list[LatLon]:
    """A closed counter-clockwise ring of CIRCLE_POINTS points at radius_km around center (spherical earth)."""
    lat0, lon0 = map(math.radians, center)
    angular = radius_km / _EARTH_RADIUS_KM
    ring = []
    for step in range(CIRCLE_POINTS):
        bearing = -2 * math.pi * step / CIRCLE_POINTS  # decreasing bearing: counter-clockwise on the map
        lat = math.asin(math.sin(lat0) * math.cos(angular) + math.cos(lat0) * math.sin(angular) * math.cos(bearing))
        lon = lon0 + math.atan2(
            math.sin(bearing) * math.sin(angular) * math.cos(lat0), math.cos(angular) - math.sin(lat0) * math.sin(lat)
        )
        ring.append((math.degrees(lat), (math.degrees(lon) + 540) % 360 - 180))
    ring.append(ring[0])
    return ring


def _signed_area(ring: list[LatLon]) -> float:
    """Twice the signed area in the (lon, lat) plane: positive when counter-clockwise."""
    return sum(a[1] * b[0] - b[1] * a[0] for a, b in zip(ring, ring[1:], strict=False))


def centroid(rings: list[list[LatLon]]) -> LatLon:
    """The mean of the corner points of all rings (the closing point counted once)."""
    points = [p for ring in rings for p in ring[:-1]]
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
