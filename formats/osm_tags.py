"""What OpenStreetMap tags mean for our three modes: pure functions over plain tag mappings.

The rules follow the OSRM profiles (car.lua, foot.lua, bicycle.lua) and the OSM wiki, adapted to
emergency response:

* ``drive`` is an ambulance keeping to traffic rules: it honours ``oneway`` and access
  restrictions, but may use roads open to emergency vehicles (``emergency=yes``,
  ``access=emergency``). Footways, paths, steps, pedestrian streets, cycleways, bridleways,
  corridors and tracks are closed to it unless a vehicle tag opens them (OSRM excludes tracks).
* ``walk`` is a responder on foot: every road but motorways and motor roads (unless
  ``foot=yes`` or similar), trunks included as OSM's worldwide default has it (a US town's main
  street is often a trunk road with sidewalks), except a trunk tagged as having no sidewalk or
  in a country whose law closes trunks (see ``mode_allowed``); in both directions whatever
  ``oneway`` says (only ``oneway:foot`` binds walkers); steps at half pace.
* ``bike`` rides cycleways, paths, tracks and roads up to trunks (trunks not in the countries
  that close them), obeys ``oneway`` unless ``oneway:bicycle=no``, pushes the bike at walking
  pace on footways and pedestrian streets, and never takes motorways or steps unless
  ``bicycle=yes`` says so.

``access=no|private|agricultural|forestry|military|...`` closes a road for the modes it applies to
(the most specific key present wins: ``access`` < ``vehicle`` < ``motor_vehicle`` < ``motorcar``
< ``emergency`` for driving, ``access`` < ``foot`` for walking, ``access`` < ``vehicle`` <
``bicycle`` for cycling). ``access=private`` closes a road to ambulances too: a private road is
no through route, and an incident on one is reached from the public road at its entrance.
A road under construction is loaded but closed to every mode; proposed, abandoned and other
non-road ``highway`` values and ``area=yes`` are not part of the network at all.

A ``;``-joined value counts as its first item: ``steps;footway`` is steps, ``primary;trunk`` is
primary, ``yes;no`` is yes.

Access defaults depend on the country (``country``: ISO 3166-1 alpha-2, None for OSM's
worldwide defaults); see ``country_closed_classes``.
"""

import re
from dataclasses import dataclass
from typing import Literal, Protocol

from rescuecircle.errors import InvalidInput
from routing.arrays import MODES, Mode


class Tags(Protocol):
    """Read access to an object's tags: a dict, or pyosmium's TagList."""

    def get(self, key: str, /) -> str | None: ...



MPH_KMH = 1.609344
KNOT_KMH = 1.852
WALK_PACE_KMH = 6.0  # maxspeed=walk: walking pace, 4-7 km/h in most traffic codes
DRIVE_MAXSPEED_FACTOR = 0.8  # OSRM car.lua speed_reduction: traffic and junctions eat 20 %
WALK_SPEED_KMH = 5.0
STEPS_WALK_SPEED_KMH = 2.5
PUSH_SPEED_KMH = WALK_SPEED_KMH  # a cyclist pushing the bike on a footway
CONSTRUCTION = "construction"

# Typical driving speeds (km/h) where no maxspeed is tagged, after OSRM car.lua.
_DRIVE_DEFAULT_KMH: dict[str, float] = {
    "motorway": 90, "motorway_link": 45, "trunk": 85, "trunk_link": 40,
    "primary": 65, "primary_link": 30, "secondary": 55, "secondary_link": 25,
    "tertiary": 40, "tertiary_link": 20, "unclassified": 25, "residential": 25,
    "living_street": 10, "service": 15, "road": 25, "track": 15,
}
_DRIVE_FALLBACK_KMH = 10.0  # classes driven only when a tag opens them (pedestrian, busway, ...)
_BIKE_DEFAULT_KMH = 16.0
_BIKE_KMH: dict[str, float] = {"cycleway": 18, "path": 12, "track": 12, "bridleway": 10}
_BIKE_PUSHED = frozenset({"footway", "pedestrian", "corridor"})
_RIDE_VALUES = frozenset({"yes", "designated", "permissive"})  # bicycle=... lets one ride

# Classes each mode may use when no access tag says otherwise.
_OPEN_BY_DEFAULT: dict[Mode, frozenset[str]] = {
    "drive": frozenset({
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "road",
    }),
    "walk": frozenset({
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link", "unclassified", "residential", "living_street", "service",
        "road", "track", "pedestrian", "footway", "path", "steps", "cycleway", "bridleway",
        "corridor",
    }),
    "bike": frozenset({
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link", "unclassified", "residential", "living_street", "service",
        "road", "track", "pedestrian", "footway", "path", "cycleway", "bridleway",
    }),
}
# Every class that is part of the network: open to some mode by default, or under construction.
# ``busway`` is loaded but closed unless e.g. ``emergency=yes`` opens it to ambulances.
ROAD_CLASSES: frozenset[str] = frozenset().union(*_OPEN_BY_DEFAULT.values()) | {
    "busway", CONSTRUCTION}

_ACCESS_KEYS: dict[Mode, tuple[str, ...]] = {  # least to most specific
    "drive": ("access", "vehicle", "motor_vehicle", "motorcar", "emergency"),
    "walk": ("access", "foot"),
    "bike": ("access", "vehicle", "bicycle"),
}
_OPEN_VALUES = frozenset({
    "yes", "designated", "permissive", "destination", "customers", "delivery", "official",
    "discouraged",
})
_CLOSED_VALUES = frozenset({
    "no", "private", "agricultural", "forestry", "military", "permit", "restricted",
    "use_sidepath", "emergency", "psv", "bus", "staff",
})
_NON_MOTOR: frozenset[Mode] = frozenset({"walk", "bike"})  # modes motor roads are closed to

# The OSM wiki's per-country access table, where it departs from the worldwide defaults for our
# modes: trunk roads are expressways closed to walkers and cyclists (see country_closed_classes).
_TRUNKS = frozenset({"trunk", "trunk_link"})
_COUNTRY_CLOSED: dict[str, frozenset[str]] = {
    country: _TRUNKS for country in ("AT", "BE", "CH", "DK", "FR", "HU", "SK")}
_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")
# Walkers use these classes only where a sidewalk may exist; a tagged "none" closes them.
_SIDEWALK_NEEDED = _TRUNKS
_SIDEWALK_KEYS = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
_NO_SIDEWALK = frozenset({"no", "none"})

# Zone limits (km/h) for ``maxspeed=CC:zone``; country entries override the generic ones.
_ZONE_KMH: dict[str, float] = {
    "urban": 50, "rural": 90, "trunk": 110, "motorway": 130, "living_street": 10,
    "bicycle_road": 30, "school": 30, "zone30": 30, "zone20": 20, "walk": WALK_PACE_KMH,
}
_COUNTRY_ZONE_KMH: dict[str, float] = {
    "at:rural": 100, "at:motorway": 130, "be:rural": 70, "be:motorway": 120, "by:urban": 60,
    "ch:rural": 80, "ch:trunk": 100, "ch:motorway": 120, "cn:urban": 50, "cn:rural": 70,
    "cn:motorway": 120, "de:rural": 100, "de:living_street": 7, "dk:rural": 80,
    "fr:rural": 80, "gb:nsl_single": 60 * MPH_KMH, "gb:nsl_dual": 70 * MPH_KMH,
    "gb:motorway": 70 * MPH_KMH, "it:rural": 90, "nl:rural": 80, "nl:trunk": 100,
    "no:rural": 80, "no:motorway": 110, "pl:rural": 90, "pl:motorway": 140, "ro:rural": 90,
    "ru:urban": 60, "ru:rural": 90, "ru:living_street": 20, "ru:motorway": 110,
    "ua:urban": 50, "ua:rural": 90, "uk:nsl_single": 60 * MPH_KMH,
    "uk:nsl_dual": 70 * MPH_KMH, "uk:motorway": 70 * MPH_KMH, "za:urban": 60, "za:rural": 100,
}
_NO_LIMIT_ZONES = frozenset({"de:motorway", "none", "signals", "variable"})
_NUMBER = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?$", re.IGNORECASE)
_ZONE = re.compile(r"^([a-z]{2}(?:-[a-z0-9]+)?):([a-z_0-9]+)$", re.IGNORECASE)
_MAX_PLAUSIBLE_KMH = 300.0

_YES = frozenset({"yes", "true", "1"})
_NO = frozenset({"no", "false", "0"})
_REVERSE = frozenset({"-1", "reverse"})
_IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
_IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})


def first_value(value: str | None) -> str | None:
    """The first item of a ``;``-joined OSM value, stripped; None for a missing or empty value.

    >>> first_value("steps;footway")
    'steps'
    """
    if value is None:
        return None
    head = value.split(";", 1)[0].strip()
    return head or None


def tag(tags: Tags, key: str) -> str | None:
    """The first value of ``key``, lower-cased (OSM values are case-sensitive only in names)."""
    value = first_value(tags.get(key))
    return value.lower() if value is not None else None


def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` value in km/h; None when untagged, unlimited (``none``) or unparsable.

    Accepts numbers (km/h unless a unit says otherwise: ``30 mph``, ``10 knots``), zone values
    (``DE:urban``, ``RU:rural``, ``CN:urban``, ``DE:zone30``) and ``walk``.

    >>> parse_maxspeed("30 mph")
    48.28032
    """
    text = first_value(value)
    if text is None:
        return None
    text = text.lower()
    if text == "walk":
        return WALK_PACE_KMH
    number = _NUMBER.match(text)
    if number:
        kmh = float(number[1].replace(",", "."))
        unit = (number[2] or "km/h").lower()
        kmh *= MPH_KMH if unit == "mph" else KNOT_KMH if unit == "knots" else 1.0
        return kmh if 0 < kmh <= _MAX_PLAUSIBLE_KMH else None
    if text in _NO_LIMIT_ZONES:
        return None
    zone = _ZONE.match(text)
    if not zone:
        return None
    return _COUNTRY_ZONE_KMH.get(text, _ZONE_KMH.get(zone[2]))


def road_class(tags: Tags) -> str | None:
    """The edge's road class (the first ``highway`` value), or None when the way is no road.

    Areas (``area=yes``) and values outside ``ROAD_CLASSES`` (proposed, abandoned, platform,
    rest_area, ...) are not roads.
    """
    highway = tag(tags, "highway")
    if highway not in ROAD_CLASSES or tag(tags, "area") in _YES:
        return None
    return highway


def mode_allowed(tags: Tags, highway: str, mode: Mode, *, country: str | None = None) -> bool:
    """Whether ``mode`` may use a road of class ``highway`` at all (direction aside).

    The most specific access key with a known value decides; a mode-specific ``yes`` (``foot=yes``
    on a motorway, ``motor_vehicle=yes`` on a track) opens a class closed by default, but a general
    ``access=yes`` does not turn a footway into a road. For ambulances ``emergency`` is the most
    specific key, and ``access=emergency`` reads as ``emergency=yes``. Without such a key,
    ``motorroad=yes`` and the country's defaults (``country_closed_classes``) close a road to
    walkers and cyclists, and a trunk road without a sidewalk (``without_sidewalk``) is closed to
    walkers: walking in the carriageway of a 55 mph road is no route to send a responder on,
    while on slower roads the roadside is walked, as every engine does.

    How the engines compare. Valhalla (lua/graph.lua) opens trunk roads to pedestrians and
    bicycles and closes motorways, as we do; it drops both on ``motorroad=yes``
    (mjolnir/graphenhancer.cc), applies the country table only when built with its admin
    database, and reads sidewalk tags as a preference (``sidewalk_factor``), never as access.
    OSRM's stock foot.lua and bicycle.lua leave trunk out of their speed tables, closing it
    everywhere unless ``foot``/``bicycle=yes`` (the strict European reading, which leaves walkers
    no way along many US main streets), avoid ``motorroad=yes``, and foot.lua closes any road whose
    sidewalk is drawn as a separate way (``sidewalk*=separate``). We keep such roads open, as
    Valhalla does: the separate sidewalk takes the same time and is often not joined to the
    network at every crossing.
    """
    if highway == CONSTRUCTION:
        return False
    key, value = _decisive_access(tags, mode)
    if value in _CLOSED_VALUES:
        return False
    if key is not None and key != "access":
        return True
    if mode in _NON_MOTOR and (tag(tags, "motorroad") in _YES
                               or highway in country_closed_classes(country)):
        return False
    if mode == "walk" and highway in _SIDEWALK_NEEDED and without_sidewalk(tags):
        return False
    return highway in _OPEN_BY_DEFAULT[mode]


def country_closed_classes(country: str | None) -> frozenset[str]:
    """Road classes the country's defaults close to walkers and cyclists (motorways aside).

    From the OSM wiki's per-country table,
    https://wiki.openstreetmap.org/wiki/OSM_tags_for_routing/Access_restrictions (revision of
    21 July 2024, Special:PermanentLink/2734618): worldwide, and in most countries (US, GB, DE,
    CN, BR, ...), trunk roads are open to pedestrians and bicycles; in Austria, Belgium,
    Denmark, France, Hungary, Slovakia and Switzerland a trunk road is an expressway
    (Autostrasse, voie express, autóút, ...) closed to both, and trunk_link with it. Germany's
    Kraftfahrstrasse is tagged ``motorroad=yes`` on the way instead. OSRM's transcription of the
    table (profiles/lib/country_foot_data.lua, country_bicycle_data.lua) and Valhalla's
    (valhalla/mjolnir/adminconstants.h, ``kCountryAccess``: trunk and trunk_link for motor
    vehicles only) name the same seven countries.

    Where we depart from the table on purpose: motorways stay closed everywhere (OSRM's
    transcription opens them in Brazil), and the modes' defaults off the carriageway, set out at
    the top of this module, are the same in every country: walkers on cycleways and bridleways
    and cyclists pushing along footways, which the table closes in several countries.
    ``country`` is an ISO 3166-1 alpha-2 code in either case; None means the worldwide defaults.
    """
    if country is None:
        return frozenset()
    if not _COUNTRY_CODE.match(country):
        raise InvalidInput(f"country {country!r} is not an ISO 3166-1 alpha-2 code such as 'US'")
    return _COUNTRY_CLOSED.get(country.upper(), frozenset())


def without_sidewalk(tags: Tags) -> bool:
    """Whether the tags say the road has no sidewalk on either side.

    ``sidewalk=no|none``, ``sidewalk:both=no`` or ``sidewalk:left=no`` with ``sidewalk:right=no``,
    and no sidewalk key saying anything else: ``sidewalk=no`` beside ``sidewalk:left=yes`` (a
    later, finer survey) has a sidewalk, and so has ``sidewalk=separate`` (drawn as its own way).
    """
    values = {key: tag(tags, key) for key in _SIDEWALK_KEYS}
    if any(value is not None and value not in _NO_SIDEWALK for value in values.values()):
        return False
    return (values["sidewalk"] is not None or values["sidewalk:both"] is not None
            or (values["sidewalk:left"] is not None and values["sidewalk:right"] is not None))


def _decisive_access(tags: Tags, mode: Mode) -> tuple[str | None, str | None]:
    """The most specific access key for ``mode`` whose value we understand, and that value."""
    for key in reversed(_ACCESS_KEYS[mode]):
        value = tag(tags, key)
        if mode == "drive" and value == "emergency":
            return "emergency", "yes"
        if value in _OPEN_VALUES or value in _CLOSED_VALUES:
            return key, value
    return None, None


def oneway(tags: Tags, highway: str, mode: Mode) -> tuple[bool, bool]:
    """Which directions ``(forward, backward)`` along the way's node order ``mode`` may travel.

    Walkers ignore ``oneway`` and obey only ``oneway:foot`` (as OSRM's foot profile does).
    Drivers and cyclists honour ``yes|true|1`` and ``-1|reverse``; ``motorway``,
    ``motorway_link``, ``junction=roundabout|circular`` imply ``oneway=yes`` unless tagged
    ``oneway=no``; ``reversible`` roads are closed (their direction changes by the hour, as in
    OSRM); ``alternating`` is two-way. ``oneway:bicycle`` overrides ``oneway`` for cyclists.
    """
    if mode == "walk":
        foot = tag(tags, "oneway:foot")
        return (foot not in _REVERSE, foot not in _YES)
    value = tag(tags, "oneway")
    if mode == "bike":
        bicycle = tag(tags, "oneway:bicycle")
        if bicycle in _YES | _NO | _REVERSE:
            value = bicycle
    if value in _YES:
        return True, False
    if value in _REVERSE:
        return False, True
    if value == "reversible":
        return False, False
    if value in _NO or value == "alternating":
        return True, True
    implied = (highway in _IMPLIED_ONEWAY_HIGHWAYS
               or tag(tags, "junction") in _IMPLIED_ONEWAY_JUNCTIONS)
    return (True, False) if implied else (True, True)


def speed_kmh(tags: Tags, highway: str, maxspeed_kmh: float | None, mode: Mode) -> float:
    """The travel speed of ``mode`` on this road in km/h, whether or not the mode may use it.

    Driving: 80 % of a tagged maxspeed, else the class's typical speed (OSRM car.lua). Walking:
    5 km/h, 2.5 km/h on steps. Cycling: 16 km/h on roads, 18 on cycleways, 12 on paths and
    tracks, walking pace where the bike is pushed, never above maxspeed.
    """
    if mode == "drive":
        if maxspeed_kmh is not None:
            return maxspeed_kmh * DRIVE_MAXSPEED_FACTOR
        return _DRIVE_DEFAULT_KMH.get(highway, _DRIVE_FALLBACK_KMH)
    if mode == "walk":
        return STEPS_WALK_SPEED_KMH if highway == "steps" else WALK_SPEED_KMH
    if highway in _BIKE_PUSHED and tag(tags, "bicycle") not in _RIDE_VALUES:
        return PUSH_SPEED_KMH
    bike = _BIKE_KMH.get(highway, _BIKE_DEFAULT_KMH)
    return min(bike, maxspeed_kmh) if maxspeed_kmh is not None else bike


@dataclass(frozen=True)
class ModeRule:
    """How one mode may travel a way: speed (km/h) and the directions open to it."""

    speed_kmh: float
    forward: bool
    backward: bool


@dataclass(frozen=True)
class WayProfile:
    """Everything the network needs from one highway way's tags."""

    road_class: str
    name: str | None
    maxspeed_kmh: float | None
    drive: ModeRule
    walk: ModeRule
    bike: ModeRule

    def rule(self, mode: Mode) -> ModeRule:
        """The rule of ``mode``."""
        return {"drive": self.drive, "walk": self.walk, "bike": self.bike}[mode]


def has_own_access_rules(country: str | None) -> bool:
    """Whether ``country`` (ISO alpha-2) departs from the worldwide access defaults."""
    return country is not None and country.upper() in _COUNTRY_CLOSED


def way_profile(tags: Tags, *, country: str | None = None) -> WayProfile | None:
    """Interpret one way's tags; None when the way is not part of the road network.

    ``country`` (ISO 3166-1 alpha-2, None for OSM's worldwide defaults) picks the access
    defaults of the country the way is in.
    """
    highway = road_class(tags)
    if highway is None:
        return None
    maxspeed = parse_maxspeed(tags.get("maxspeed"))
    rules = {}
    for mode in MODES:
        forward, backward = oneway(tags, highway, mode)
        allowed = mode_allowed(tags, highway, mode, country=country)
        rules[mode] = ModeRule(speed_kmh(tags, highway, maxspeed, mode),
                               forward and allowed, backward and allowed)
    return WayProfile(highway, tags.get("name"), maxspeed, **rules)


PoiKind = Literal["aed", "hospital", "station", "venue"]  # venue: formats.venue_tags
POI_KINDS: tuple[PoiKind, ...] = ("aed", "hospital", "station", "venue")
StationKind = Literal["ambulance", "fire"]
STATION_KINDS: tuple[StationKind, ...] = ("ambulance", "fire")
DEFAULT_STATION_KINDS: tuple[StationKind, ...] = ("ambulance",)  # fire stations: on request


def poi_kind(tags: Tags) -> PoiKind | None:
    """Which of our facility tables an OSM object belongs in, if any."""
    if tag(tags, "emergency") == "defibrillator":
        return "aed"
    if station_kind(tags) is not None:
        return "station"
    if tag(tags, "amenity") == "hospital" or tag(tags, "healthcare") == "hospital":
        return "hospital"
    return None


def station_kind(tags: Tags) -> StationKind | None:
    """``ambulance`` for an ambulance station, ``fire`` for a fire station (a place to post
    ambulances beside the fire engines, as plans that co-locate them do), else None. An
    object tagged as both is an ambulance station."""
    if tag(tags, "emergency") == "ambulance_station":
        return "ambulance"
    if tag(tags, "amenity") == "fire_station":
        return "fire"
    return None


def poi_fields(kind: PoiKind, tags: Tags) -> dict[str, str | bool | None]:
    """The columns of ``rc.aed``, ``rc.hospital`` or ``rc.station`` an OSM object fills."""
    if kind == "hospital":
        emergency = tag(tags, "emergency")
        return {"name": tags.get("name"),
                "emergency": True if emergency in _YES else False if emergency in _NO else None}
    if kind == "station":
        return {"kind": station_kind(tags), "name": tags.get("name"), "ref": tags.get("ref"),
                "address": address(tags)}
    indoor = tag(tags, "indoor")
    return {
        "name": tags.get("name"),
        "ref": tags.get("ref"),
        "owner": tags.get("operator"),
        "phone": tags.get("phone") or tags.get("contact:phone"),
        "address": address(tags),
        "location_text": tags.get("defibrillator:location"),
        "indoor": True if indoor in _YES else False if indoor in _NO else None,
        "level": tags.get("level"),
        "opening_hours": tags.get("opening_hours"),
        "access": tags.get("access"),
    }


def address(tags: Tags) -> str | None:
    """A one-line address from ``addr:*`` tags ("12 Main Street, Springfield"), or None."""
    street = " ".join(v for v in (tags.get("addr:housenumber"), tags.get("addr:street")) if v)
    line = ", ".join(v for v in (street, tags.get("addr:city")) if v)
    return line or None
