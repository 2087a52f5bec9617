"""The single description of the data: event types and the columns of each file.

Loading, validation, the documentation in data/README.md and its test all read from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    """One kind of event: the label people see and its whole look on the map, legend and chart.

    This is the only place a type's colour and size are written down; the map receives them as data."""

    key: str
    label: str
    description: str
    color: str  # CSS colour of its dots, stop badges, chart lane and legend swatch
    radius: int  # dot radius in pixels
    layer_name: str  # how the legend names the layer
    # Its shape, so that no type is told by colour alone: circle, square, diamond or triangle; blank takes
    # the next shape in map_builder.SHAPE_CYCLE (types declared in types.csv).
    shape: str = ""


EVENT_TYPES: dict[str, EventType] = {
    t.key: t
    for t in (
        EventType(
            "tour_stop",
            "Tour stop",
            "A stop on a leader's journey; ordered by route_id and route_seq.",
            "#1f4e8c",
            8,
            "Tour route and stops",
            "circle",  # drawn as a numbered badge
        ),
        EventType(
            "military_drill",
            "Military drill",
            "An exercise or deployment, with a zone where one is known.",
            "#b3261e",
            8,
            "Military drills and zones",
            "square",
        ),
        EventType(
            "arms_sale",
            "Arms sale",
            "An arms sale approved or notified, with amount_usd.",
            "#2e7d32",
            7,
            "Arms sales",
            "diamond",
        ),
        EventType(
            "diplomatic",
            "Diplomatic",
            "A meeting, statement, protest or sanction.",
            "#7b3fa0",
            6,
            "Diplomatic events",
            "circle",
        ),
    )
}


# Declared types (types.csv) that give no colour take the next one from here that no other type uses, in
# file order (so a file always gets the same colours): the Okabe-Ito and Paul Tol colour-blind-safe sets,
# minus the yellows that vanish on a light basemap and the hues the four built-in types already use.
EXTRA_TYPE_PALETTE: tuple[str, ...] = (
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#d55e00",
    "#cc79a7",
    "#0072b2",
    "#999933",
    "#882255",
    "#44aa99",
    "#661100",
    "#332288",
    "#88ccee",
)
# A declared type without a radius gets the diplomatic dots' size: the built-in types keep the larger ones.
DEFAULT_EXTRA_RADIUS = 6
EXTRA_RADIUS_RANGE = (3, 12)  # pixels: smaller cannot be clicked, larger hides its neighbours
# Keys go into URLs (?types=a,b), CSS and the map's JavaScript as data: keep them to a safe alphabet.
TYPE_KEY_PATTERN = r"[a-z][a-z0-9_]{0,63}"
COLOR_PATTERN = r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})"


def declared_type(
    key: str, label: str, description: str = "", color: str = "", radius: int | None = None, position: int = 0
) -> EventType:
    """An event type declared in types.csv; a blank colour or radius falls back to the palette and default."""
    if not color:
        color = EXTRA_TYPE_PALETTE[position % len(EXTRA_TYPE_PALETTE)]
    elif len(color) == 4:  # "#abc" -> "#aabbcc": one spelling for the map and the chart
        color = "#" + "".join(c * 2 for c in color[1:])
    return EventType(key, label, description, color.lower(), radius or DEFAULT_EXTRA_RADIUS, label)


@dataclass(frozen=True)
class Column:
    """One column of a CSV file; `kind` tells validation how to check it."""

    name: str
    kind: str
    required: bool
    description: str


EVENT_COLUMNS: tuple[Column, ...] = (
    Column("event_id", "id", True, "Unique, stable identifier (letters, digits, '-', '_', '.', ':')."),
    Column("event_type", "event_type", True, "One of: " + ", ".join(EVENT_TYPES) + "."),
    Column("start_date", "date", True, "Local date at the event's place, YYYY-MM-DD."),
    Column("end_date", "date", True, "Local last day, YYYY-MM-DD, inclusive; blank means the same day."),
    Column("title", "text", True, "Short headline."),
    Column("location", "text", True, "Place name; resolves through the gazetteer when coordinates are blank."),
    Column("latitude", "latitude", True, "Decimal degrees, -90 to 90; may be blank if location resolves."),
    Column("longitude", "longitude", True, "Decimal degrees, -180 to 180; may be blank if location resolves."),
    Column(
        "source_url",
        "url",
        True,
        "An http or https page that supports the row; blank only where the publisher gives no link and "
        "source_name names the source.",
    ),
    Column("description", "text", False, "What happened, in a sentence or two."),
    Column("actor", "text", False, "Who acted (a government, a military command, a company); several as 'A; B'."),
    Column("route_id", "text", False, "Groups tour stops into one route."),
    Column("route_seq", "int", False, "Order of a stop within its route: 1, 2, 3 ..."),
    Column("amount_usd", "money", False, "Value of an arms sale in US dollars, digits only."),
    Column("geo_precision", "precision", False, "1 = exact place, 2 = near a place, 3 = only the region (as ACLED)."),
    Column(
        "source_name",
        "text",
        False,
        "Publisher of the source; required when source_url is blank (a source without a link, as ACLED's).",
    ),
    Column("notes", "text", False, "Caveats, disagreements between sources, date-line remarks."),
)

LOCATION_COLUMNS: tuple[Column, ...] = (
    Column("name", "text", True, "Place name as used in events.csv location."),
    Column("latitude", "latitude", True, "Decimal degrees, -90 to 90."),
    Column("longitude", "longitude", True, "Decimal degrees, -180 to 180."),
    Column("country", "text", True, "Country or territory."),
    Column("aliases", "text", False, "Other names, separated by ';'."),
)

ZONE_PROPERTIES: tuple[Column, ...] = (
    Column("event_id", "id", True, "The military_drill event the zone belongs to; must exist in events.csv."),
    Column("name", "text", True, "Name of the area."),
    Column("note", "text", True, "How approximate the outline is and where it comes from."),
)

TYPE_COLUMNS: tuple[Column, ...] = (
    Column(
        "event_type",
        "type_key",
        True,
        "The key events.csv uses: lower-case letters, digits and '_', e.g. acled_protests.",
    ),
    Column("label", "text", True, "The name shown in the legend, filters, chart and table."),
    Column("description", "text", False, "What the type means."),
    Column("color", "color", False, "Hex colour #rrggbb or #rgb; blank picks one from a colour-blind-safe palette."),
    Column("radius", "int", False, "Dot radius in pixels, 3 to 12; blank means 6."),
)

EVENTS_FILE = "events.csv"
EVENTS_PARQUET_FILE = "events.parquet"  # the same columns as text, as `import --format parquet` writes
LOCATIONS_FILE = "locations.csv"
ZONES_FILE = "zones.geojson"
GEOCODE_CACHE_FILE = "geocode_cache.csv"
TYPES_FILE = "types.csv"
ACTOR_SEPARATOR = "; "  # between the actors of one event in the actor column (as the importers write them)
GEOCODE_CACHE_COLUMNS = ("name", "latitude", "longitude", "display_name", "source")

PRECISION_LABELS = {1: "exact place", 2: "near a place", 3: "region only"}


def column_names(columns: tuple[Column, ...], required_only: bool = False) -> list[str]:
    """Names of the given columns, in contract order."""
    return [c.name for c in columns if c.required or not required_only]
