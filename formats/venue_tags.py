"""Which OpenStreetMap objects are venues that must have an AED (issue 16, item 5).

Hangzhou's plan puts an AED "in every public place with more than 3,000 visitors a day or
more than 40,000 m²" and more of them on public transport. OSM counts no visitors, so the
busy places are found by what they are: railway and metro stations, metro entrances, bus
stations, passenger airports (an IATA code, or ``aerodrome:type`` international, regional or
public; not military) and their terminals, stadiums, sports centres, malls and department
stores, schools and universities; and the large ones by floor area, a building's footprint
times its ``building:levels`` (one level when not tagged), over 40,000 m². Homes, industry
and storage are not public places whatever their size.

Pure: tag mappings (and a footprint in m²) in, a venue kind or None out.
"""

from collections.abc import Sequence
from typing import Literal, get_args

import pyproj
import shapely

from formats.osm_tags import Tags, address, first_value, tag

VenueKind = Literal["railway_station", "subway_entrance", "bus_station", "airport", "stadium",
                    "sports_centre", "mall", "school", "university", "large_building"]
VENUE_KINDS: tuple[VenueKind, ...] = get_args(VenueKind)
LARGE_FLOOR_AREA_M2 = 40_000.0
_GEOD = pyproj.Geod(ellps="WGS84")

# (key, value) -> kind, in order: the first that matches names the venue.
_TAGGED: tuple[tuple[str, str, VenueKind], ...] = (
    ("railway", "station", "railway_station"),
    ("railway", "halt", "railway_station"),
    ("public_transport", "station", "railway_station"),
    ("railway", "subway_entrance", "subway_entrance"),
    ("railway", "train_station_entrance", "subway_entrance"),
    ("amenity", "bus_station", "bus_station"),
    ("aeroway", "aerodrome", "airport"),
    ("aeroway", "terminal", "airport"),
    ("leisure", "stadium", "stadium"),
    ("building", "stadium", "stadium"),
    ("leisure", "sports_centre", "sports_centre"),
    ("leisure", "sports_hall", "sports_centre"),
    ("shop", "mall", "mall"),
    ("shop", "department_store", "mall"),
    ("amenity", "school", "school"),
    ("amenity", "university", "university"),
    ("amenity", "college", "university"),
)
# Buildings that are no public place, however large.
_NOT_PUBLIC = frozenset({
    "house", "residential", "apartments", "detached", "semidetached_house", "terrace",
    "dormitory", "industrial", "warehouse", "factory", "manufacture", "storage_tank", "garage",
    "garages", "shed", "roof", "farm", "farm_auxiliary", "barn", "greenhouse", "construction",
    "ruins", "bunker", "silo", "hangar", "service", "transformer_tower", "no"})
# An aerodrome is a passenger airport when it has an IATA code or says it is one: a county's
# dozen farm strips and gliding fields see no crowds.
_PASSENGER = frozenset({"international", "regional", "public"})


def venue_kind(tags: Tags) -> VenueKind | None:
    """The kind of duty venue the tags describe, or None (size aside: see ``large_building``)."""
    for key, value, kind in _TAGGED:
        if tag(tags, key) == value:
            if value == "aerodrome" and (tags.get("military") or not (
                    tags.get("iata") or tag(tags, "aerodrome:type") in _PASSENGER)):
                continue
            if kind == "railway_station" and tag(tags, "station") == "miniature":
                continue
            return kind
    return None


def may_be_large(tags: Tags) -> bool:
    """Whether a building's size could make it a duty venue: a building, and a public one."""
    building = tag(tags, "building")
    return building is not None and building not in _NOT_PUBLIC


def floor_area_m2(tags: Tags, footprint_m2: float) -> float:
    """A building's floor area: its footprint times its levels (one when not tagged or
    unreadable)."""
    try:
        levels = max(1.0, float(first_value(tags.get("building:levels")) or "1"))
    except ValueError:
        levels = 1.0
    return footprint_m2 * levels


def is_large(floor_m2: float) -> bool:
    """Over the plan's 40,000 m²."""
    return floor_m2 > LARGE_FLOOR_AREA_M2



# The keys whose objects may be duty venues, for a reader's tag filter.
VENUE_KEYS = ("railway", "public_transport", "aeroway", "leisure", "shop", "amenity",
              "building")


def venue_fields(tags: Tags, kind: VenueKind, floor_m2: float | None
                 ) -> dict[str, str | float | None]:
    """The columns of ``rc.aed_venue`` an OSM object fills."""
    return {"kind": kind, "name": tags.get("name"), "address": address(tags),
            "floor_area_m2": None if floor_m2 is None else round(floor_m2, 1)}


def way_venue(tags: Tags, coords: Sequence[tuple[float, float]], *, closed: bool
              ) -> tuple[shapely.Point, dict[str, str | float | None]] | None:
    """A way's venue: where walking time is measured to (the centroid of its area, or of its
    nodes) and its columns, the outline as hex WKB among them (an AED inside it serves the
    venue); None when the way is no venue, by its tags or its floor area (geodesic, WGS84)."""
    kind = venue_kind(tags)
    outline = shapely.Polygon(coords) if closed and len(coords) >= 4 else None
    if outline is not None and not outline.is_valid:
        outline = None
    floor_m2 = None
    if outline is not None and may_be_large(tags):
        lon, lat = zip(*coords, strict=True)
        floor_m2 = floor_area_m2(tags, abs(_GEOD.polygon_area_perimeter(lon, lat)[0]))
    if kind is None and (floor_m2 is None or not is_large(floor_m2)):
        return None
    if not coords:
        return None
    centre = (outline if outline is not None else shapely.MultiPoint(coords)).centroid
    fields = venue_fields(tags, kind or "large_building", floor_m2)
    fields["outline"] = None if outline is None else shapely.to_wkb(outline, hex=True)
    return centre, fields
