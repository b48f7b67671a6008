"""Tag interpretation: maxspeed, oneway, first-of-list, access per mode, POIs (no database)."""

import pytest

from formats.osm_tags import (
    MPH_KMH,
    WALK_PACE_KMH,
    country_closed_classes,
    first_value,
    mode_allowed,
    oneway,
    parse_maxspeed,
    poi_fields,
    poi_kind,
    road_class,
    speed_kmh,
    way_profile,
)
from rescuecircle.errors import InvalidInput


@pytest.mark.parametrize(("value", "expected"), [
    ("steps;footway", "steps"),
    ("primary;trunk", "primary"),
    (" yes ; no", "yes"),
    ("residential", "residential"),
    (";footway", None),
    ("", None),
    (None, None),
])
def test_first_value(value, expected):
    assert first_value(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("50", 50.0),
    ("50 km/h", 50.0),
    ("50kmh", 50.0),
    ("30 mph", 30 * MPH_KMH),
    ("30mph", 30 * MPH_KMH),
    ("10 knots", 18.52),
    ("7,5", 7.5),
    ("60;40", 60.0),
    ("DE:urban", 50.0),
    ("de:rural", 100.0),
    ("RU:urban", 60.0),
    ("RU:rural", 90.0),
    ("CN:urban", 50.0),
    ("FR:zone30", 30.0),
    ("XX:motorway", 130.0),
    ("walk", WALK_PACE_KMH),
    ("none", None),
    ("DE:motorway", None),
    ("signals", None),
    ("fast", None),
    ("50 furlongs", None),
    ("DE:moon", None),
    ("0", None),
    ("9000", None),
    (None, None),
])
def test_parse_maxspeed(value, expected):
    if expected is None:
        assert parse_maxspeed(value) is None
    else:
        assert parse_maxspeed(value) == pytest.approx(expected)


@pytest.mark.parametrize(("tags", "drive", "walk", "bike"), [
    ({"highway": "residential"}, (True, True), (True, True), (True, True)),
    ({"highway": "residential", "oneway": "yes"}, (True, False), (True, True), (True, False)),
    ({"highway": "residential", "oneway": "true"}, (True, False), (True, True), (True, False)),
    ({"highway": "residential", "oneway": "1"}, (True, False), (True, True), (True, False)),
    ({"highway": "residential", "oneway": "-1"}, (False, True), (True, True), (False, True)),
    ({"highway": "residential", "oneway": "reverse"}, (False, True), (True, True), (False, True)),
    ({"highway": "residential", "oneway": "no"}, (True, True), (True, True), (True, True)),
    ({"highway": "residential", "oneway": "reversible"}, (False, False), (True, True),
     (False, False)),
    ({"highway": "residential", "oneway": "alternating"}, (True, True), (True, True),
     (True, True)),
    ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, (True, False),
     (True, True), (True, True)),
    ({"highway": "residential", "oneway:bicycle": "yes"}, (True, True), (True, True),
     (True, False)),
    ({"highway": "footway", "oneway:foot": "yes"}, (True, True), (True, False), (True, True)),
    ({"highway": "motorway"}, (True, False), (True, True), (True, False)),
    ({"highway": "motorway_link"}, (True, False), (True, True), (True, False)),
    ({"highway": "motorway", "oneway": "no"}, (True, True), (True, True), (True, True)),
    ({"highway": "trunk"}, (True, True), (True, True), (True, True)),
    ({"highway": "primary", "junction": "roundabout"}, (True, False), (True, True),
     (True, False)),
    ({"highway": "tertiary", "junction": "circular"}, (True, False), (True, True),
     (True, False)),
    ({"highway": "residential", "oneway": "yes;no"}, (True, False), (True, True), (True, False)),
])
def test_oneway(tags, drive, walk, bike):
    highway = road_class(tags)
    assert oneway(tags, highway, "drive") == drive
    assert oneway(tags, highway, "walk") == walk
    assert oneway(tags, highway, "bike") == bike


@pytest.mark.parametrize(("tags", "drive", "walk", "bike"), [
    ({"highway": "residential"}, True, True, True),
    ({"highway": "motorway"}, True, False, False),
    ({"highway": "motorway_link"}, True, False, False),
    ({"highway": "motorway", "sidewalk": "both"}, True, False, False),  # still a motorway
    ({"highway": "trunk"}, True, True, True),  # OSM's worldwide default
    ({"highway": "trunk_link"}, True, True, True),
    ({"highway": "trunk", "sidewalk": "both", "maxspeed": "35 mph"}, True, True, True),
    ({"highway": "trunk", "sidewalk": "separate"}, True, True, True),
    ({"highway": "trunk", "sidewalk": "no"}, True, False, True),
    ({"highway": "trunk", "sidewalk": "none"}, True, False, True),
    ({"highway": "trunk_link", "sidewalk:both": "no"}, True, False, True),
    ({"highway": "trunk", "sidewalk:left": "no", "sidewalk:right": "no"}, True, False, True),
    ({"highway": "trunk", "sidewalk:left": "no"}, True, True, True),  # right side unknown
    ({"highway": "trunk", "sidewalk": "no", "sidewalk:left": "yes"}, True, True, True),
    ({"highway": "trunk", "sidewalk": "no", "foot": "yes"}, True, True, True),
    ({"highway": "trunk", "sidewalk": "no", "access": "yes"}, True, False, True),
    ({"highway": "residential", "sidewalk": "no"}, True, True, True),  # the roadside is walked
    ({"highway": "trunk", "foot": "no"}, True, False, True),
    ({"highway": "trunk", "bicycle": "no"}, True, True, False),
    ({"highway": "trunk", "motorroad": "yes"}, True, False, False),
    ({"highway": "trunk", "motorroad": "yes", "foot": "yes"}, True, True, False),
    ({"highway": "motorway", "foot": "yes"}, True, True, False),
    ({"highway": "trunk", "foot": "designated"}, True, True, True),
    ({"highway": "primary", "motorroad": "yes"}, True, False, False),
    ({"highway": "footway"}, False, True, True),
    ({"highway": "path"}, False, True, True),
    ({"highway": "steps"}, False, True, False),
    ({"highway": "steps", "bicycle": "yes"}, False, True, True),
    ({"highway": "pedestrian"}, False, True, True),
    ({"highway": "cycleway"}, False, True, True),
    ({"highway": "track"}, False, True, True),
    ({"highway": "track", "motor_vehicle": "yes"}, True, True, True),
    ({"highway": "footway", "access": "yes"}, False, True, True),
    ({"highway": "corridor"}, False, True, False),
    ({"highway": "residential", "access": "no"}, False, False, False),
    ({"highway": "service", "access": "private"}, False, False, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, False, True, False),
    ({"highway": "residential", "access": "no", "bicycle": "yes"}, False, False, True),
    ({"highway": "residential", "motor_vehicle": "no"}, False, True, True),
    ({"highway": "residential", "vehicle": "no"}, False, True, False),
    ({"highway": "residential", "access": "destination"}, True, True, True),
    ({"highway": "residential", "access": "unknown"}, True, True, True),
    ({"highway": "service", "access": "no", "emergency": "yes"}, True, False, False),
    ({"highway": "service", "access": "emergency"}, True, False, False),
    ({"highway": "busway"}, False, False, False),
    ({"highway": "busway", "emergency": "designated"}, True, False, False),
    ({"highway": "residential", "bicycle": "use_sidepath"}, True, True, False),
    ({"highway": "construction", "construction": "primary"}, False, False, False),
    ({"highway": "construction", "access": "yes", "foot": "yes"}, False, False, False),
])
def test_access_per_mode(tags, drive, walk, bike):
    highway = road_class(tags)
    assert highway is not None
    assert (mode_allowed(tags, highway, "drive"), mode_allowed(tags, highway, "walk"),
            mode_allowed(tags, highway, "bike")) == (drive, walk, bike)


@pytest.mark.parametrize(("country", "tags", "walk", "bike"), [
    (None, {"highway": "trunk"}, True, True),
    ("US", {"highway": "trunk"}, True, True),
    ("DE", {"highway": "trunk"}, True, True),  # a Kraftfahrstrasse is tagged motorroad=yes
    ("FR", {"highway": "trunk"}, False, False),  # a voie express
    ("fr", {"highway": "trunk_link"}, False, False),
    ("CH", {"highway": "trunk", "sidewalk": "both"}, False, False),
    ("AT", {"highway": "trunk", "foot": "yes"}, True, False),
    ("BE", {"highway": "trunk", "bicycle": "designated"}, False, True),
    ("FR", {"highway": "primary"}, True, True),
    ("BR", {"highway": "motorway"}, False, False),  # motorways stay closed everywhere
    ("US", {"highway": "motorway"}, False, False),
])
def test_access_by_country(country, tags, walk, bike):
    highway = road_class(tags)
    assert highway is not None
    assert mode_allowed(tags, highway, "drive", country=country)
    assert mode_allowed(tags, highway, "walk", country=country) == walk
    assert mode_allowed(tags, highway, "bike", country=country) == bike


def test_countries_closing_trunks_to_walkers_and_cyclists():
    closing = {"AT", "BE", "CH", "DK", "FR", "HU", "SK"}
    for country in closing:
        assert country_closed_classes(country) == {"trunk", "trunk_link"}
    for country in ("US", "GB", "DE", "CN", "BR", "MX", "NL", "IT", None):
        assert country_closed_classes(country) == frozenset()


@pytest.mark.parametrize("country", ["USA", "", "U", "1A", "F R"])
def test_country_must_be_an_alpha_2_code(country):
    with pytest.raises(InvalidInput, match="alpha-2"):
        way_profile({"highway": "trunk"}, country=country)


@pytest.mark.parametrize(("tags", "expected"), [
    ({"highway": "steps;footway"}, "steps"),
    ({"highway": "primary;trunk"}, "primary"),
    ({"highway": "Residential"}, "residential"),
    ({"highway": "pedestrian", "area": "yes"}, None),
    ({"highway": "proposed"}, None),
    ({"highway": "abandoned"}, None),
    ({"highway": "platform"}, None),
    ({"highway": "bus_stop"}, None),
    ({"building": "yes"}, None),
])
def test_road_class(tags, expected):
    assert road_class(tags) == expected


def test_speeds_per_mode():
    assert speed_kmh({}, "residential", None, "drive") == 25
    assert speed_kmh({}, "trunk", 35 * MPH_KMH, "walk") == 5.0  # no penalty on a trunk road
    assert speed_kmh({}, "residential", 50.0, "drive") == pytest.approx(40.0)  # 80 % of limit
    assert speed_kmh({}, "motorway", None, "drive") == 90
    assert speed_kmh({}, "footway", None, "walk") == 5.0
    assert speed_kmh({}, "steps", None, "walk") == 2.5
    assert speed_kmh({}, "cycleway", None, "bike") == 18
    assert speed_kmh({}, "residential", None, "bike") == 16
    assert speed_kmh({}, "living_street", WALK_PACE_KMH, "bike") == WALK_PACE_KMH
    assert speed_kmh({}, "footway", None, "bike") == 5.0  # pushed
    assert speed_kmh({"bicycle": "designated"}, "footway", None, "bike") == 16


def test_way_profile_combines_rules():
    profile = way_profile({"highway": "residential", "oneway": "yes", "maxspeed": "30 mph",
                           "name": "Elm Street"})
    assert profile is not None
    assert (profile.road_class, profile.name) == ("residential", "Elm Street")
    assert profile.maxspeed_kmh == pytest.approx(48.28032)
    assert (profile.drive.forward, profile.drive.backward) == (True, False)
    assert (profile.walk.forward, profile.walk.backward) == (True, True)
    assert profile.drive.speed_kmh == pytest.approx(0.8 * 48.28032)
    closed = way_profile({"highway": "residential", "access": "private"})
    assert closed is not None
    assert not any((closed.rule(m).forward or closed.rule(m).backward)
                   for m in ("drive", "walk", "bike"))
    assert way_profile({"highway": "proposed"}) is None


def test_way_profile_of_a_downtown_trunk_street():
    # A US main street: a one-way trunk road at 35 mph with sidewalks on both sides.
    main_street = {"highway": "trunk", "oneway": "yes", "maxspeed": "35 mph", "sidewalk": "both",
                   "name": "West Main Street"}
    profile = way_profile(main_street, country="US")
    assert profile is not None
    assert (profile.walk.forward, profile.walk.backward, profile.walk.speed_kmh) == (
        True, True, 5.0)
    assert (profile.bike.forward, profile.bike.backward, profile.bike.speed_kmh) == (
        True, False, 16.0)
    assert profile.drive.speed_kmh == pytest.approx(0.8 * 35 * MPH_KMH)
    in_france = way_profile(main_street, country="FR")
    assert in_france is not None
    assert not (in_france.walk.forward or in_france.walk.backward or in_france.bike.forward)
    assert in_france.drive == profile.drive


def test_poi_kinds_and_fields():
    aed = {"emergency": "defibrillator", "name": "Lobby AED", "indoor": "yes", "level": "1",
           "defibrillator:location": "next to the lift", "operator": "City",
           "opening_hours": "24/7", "access": "yes", "contact:phone": "+49 1", "ref": "A7"}
    assert poi_kind(aed) == "aed"
    assert poi_fields("aed", aed) == {
        "name": "Lobby AED", "ref": "A7", "owner": "City", "phone": "+49 1", "address": None,
        "location_text": "next to the lift", "indoor": True, "level": "1",
        "opening_hours": "24/7", "access": "yes"}
    assert poi_fields("aed", {"indoor": "no"})["indoor"] is False
    assert poi_fields("aed", {"indoor": "room"})["indoor"] is None
    assert poi_kind({"amenity": "hospital"}) == "hospital"
    assert poi_kind({"emergency": "ambulance_station", "amenity": "hospital"}) == "station"
    assert poi_kind({"amenity": "clinic"}) is None
    assert poi_kind({"healthcare": "hospital"}) == "hospital"
    assert poi_fields("hospital", {"name": "H", "emergency": "yes"}) == {
        "name": "H", "emergency": True}
    assert poi_fields("hospital", {"emergency": "no"})["emergency"] is False
    assert poi_fields("hospital", {})["emergency"] is None      # unknown: never a destination
    station = {"emergency": "ambulance_station", "addr:housenumber": "5",
               "addr:street": "Elm Street", "addr:city": "Springfield"}
    assert poi_fields("station", station)["address"] == "5 Elm Street, Springfield"
