"""Tests of the synthetic demo city generator: pure files, no database.

The default city is generated once per module and read back with pyosmium, rasterio and
shapely, so every property is checked on the files an importer would see.
"""

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import osmium
import pytest
import rasterio
import shapely
from shapely.geometry import LineString, Polygon, shape

from demo.city import CITY_NAME, FIRST_WAY_ID, DemoCityFiles, generate_demo_city
from demo.extras import read_extras
from demo.facilities import MALFORMED_OPENING_HOURS, REFERENCE_DATE
from demo.layout import CENTRE_LAT, CENTRE_LON, M_PER_DEG_LAT, M_PER_DEG_LON
from demo.sizes import generate_network_of_size

# A plain OSM opening_hours rule list: "24/7" or "Mo-Fr 08:00-18:00; Sa 09:00-12:00".
OPENING_HOURS = re.compile(
    r"^(24/7|[A-Z][a-z](-[A-Z][a-z])? \d\d:\d\d-\d\d:\d\d(; [A-Z][a-z](-[A-Z][a-z])? "
    r"\d\d:\d\d-\d\d:\d\d)*(; PH off)?)$"
)


@dataclass
class Osm:
    """What an importer reads: node coordinates, tagged nodes, ways in file order."""

    node_ids: list[int]
    coords: dict[int, tuple[float, float]]
    node_tags: dict[int, dict[str, str]]
    ways: list[tuple[int, list[int], dict[str, str]]]

    def line(self, nodes: list[int]) -> LineString:
        return LineString([self.coords[n] for n in nodes])

    def roads(self) -> list[tuple[int, list[int], dict[str, str]]]:
        return [w for w in self.ways if "highway" in w[2]]

    def pois(self, key: str, value: str) -> dict[int, dict[str, str]]:
        return {i: t for i, t in self.node_tags.items() if t.get(key) == value}


def read_osm(path: Path) -> Osm:
    osm = Osm([], {}, {}, [])
    for obj in osmium.FileProcessor(str(path)):
        if isinstance(obj, osmium.osm.Node):
            osm.node_ids.append(obj.id)
            osm.coords[obj.id] = (obj.location.lon, obj.location.lat)
            if len(obj.tags):
                osm.node_tags[obj.id] = dict(obj.tags)
        elif isinstance(obj, osmium.osm.Way):
            osm.ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
    return osm


def to_metres(lon: float, lat: float) -> tuple[float, float]:
    """Metres east and north of the city centre."""
    return (lon - CENTRE_LON) * M_PER_DEG_LON, (lat - CENTRE_LAT) * M_PER_DEG_LAT


def count_edges(osm: Osm) -> int:
    """Road segments between intersections, split as a pgRouting importer splits ways."""
    uses = Counter(n for _, nodes, _ in osm.roads() for n in nodes)
    edges = 0
    for _, nodes, _ in osm.roads():
        cuts = [i for i, n in enumerate(nodes) if uses[n] > 1 or i in (0, len(nodes) - 1)]
        edges += len(cuts) - 1
    return edges


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> DemoCityFiles:
    return generate_demo_city(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def osm(city: DemoCityFiles) -> Osm:
    return read_osm(city.osm_pbf)


def test_same_seed_gives_byte_identical_files(tmp_path: Path, city: DemoCityFiles) -> None:
    again = generate_demo_city(tmp_path / "again")
    for a, b in zip(
        (city.osm_pbf, city.extras_json, city.population_tif),
        (again.osm_pbf, again.extras_json, again.population_tif),
        strict=True,
    ):
        assert a.name == b.name
        assert sha256(a) == sha256(b), a.name
    other = generate_demo_city(tmp_path / "other", seed=7)
    assert sha256(other.osm_pbf) != sha256(city.osm_pbf)


def test_regenerating_into_the_same_directory_replaces_the_files(tmp_path: Path) -> None:
    first = generate_demo_city(tmp_path, size_km=6.0)
    digest = sha256(first.osm_pbf)
    second = generate_demo_city(tmp_path, size_km=6.0)
    assert sha256(second.osm_pbf) == digest


def test_ids_are_positive_sorted_and_refs_resolve(osm: Osm) -> None:
    assert osm.node_ids == sorted(osm.node_ids)
    assert osm.node_ids[0] >= 1 and len(set(osm.node_ids)) == len(osm.node_ids)
    way_ids = [w[0] for w in osm.ways]
    assert way_ids == sorted(way_ids) and way_ids[0] == FIRST_WAY_ID
    assert max(osm.node_ids) < FIRST_WAY_ID
    assert all(n in osm.coords for _, nodes, _ in osm.ways for n in nodes)


def test_road_hierarchy_has_every_class_and_tag_syntax(osm: Osm) -> None:
    kinds = Counter(tags["highway"] for _, _, tags in osm.roads())
    expected = {
        "primary", "secondary", "tertiary", "residential", "unclassified", "track",
        "motorway", "motorway_link", "footway", "path", "steps", "pedestrian",
    }  # fmt: skip
    assert expected <= set(kinds)
    assert kinds["residential"] > kinds["tertiary"] > kinds["pedestrian"]
    speeds = {tags.get("maxspeed") for _, _, tags in osm.roads()}
    assert {"60", "50", "30 mph", "CN:urban"} <= speeds
    assert all(t["maxspeed"] == "60" for _, _, t in osm.roads() if t["highway"] == "primary")
    assert sum("name" in tags for _, _, tags in osm.roads()) >= 5
    rings = [nodes for _, nodes, t in osm.roads() if t.get("junction") == "roundabout"]
    assert len(rings) == 1 and rings[0][0] == rings[0][-1]


def test_residential_streets_are_dense_in_the_core_only(osm: Osm) -> None:
    def residential_m_per_km2(inner_m: float, outer_m: float) -> float:
        length_m = 0.0
        for _, nodes, tags in osm.roads():
            if tags["highway"] != "residential":
                continue
            for a, b in zip(nodes[:-1], nodes[1:], strict=True):
                (xa, ya), (xb, yb) = to_metres(*osm.coords[a]), to_metres(*osm.coords[b])
                if inner_m <= max(abs(xa + xb), abs(ya + yb)) / 2 < outer_m:
                    length_m += math.hypot(xb - xa, yb - ya)
        return length_m / ((2 * outer_m / 1000) ** 2 - (2 * inner_m / 1000) ** 2)

    core = residential_m_per_km2(0, 2400)
    suburbs = residential_m_per_km2(2600, 4900)
    fringe = residential_m_per_km2(5100, 7500)
    assert core > 1.6 * suburbs > 10 * fringe  # 125 m grid, 250 m grid, a few villages


def test_roads_cross_only_at_shared_nodes(osm: Osm) -> None:
    roads = osm.roads()
    lines = [osm.line(nodes) for _, nodes, _ in roads]
    left, right = shapely.STRtree(lines).query(lines, predicate="intersects")
    checked = 0
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        shared = [osm.coords[n] for n in set(roads[i][1]) & set(roads[j][1])]
        meet = shapely.get_coordinates(lines[i].intersection(lines[j]))
        assert shared, (roads[i], roads[j])
        gaps = np.abs(meet[:, None, :] - np.array(shared)[None]).max(axis=2).min(axis=1)
        assert gaps.max() < 1e-6, (roads[i][2], roads[j][2])
        checked += 1
    assert checked > 3000


def test_one_way_pair_runs_in_opposite_directions(osm: Osm) -> None:
    heading: dict[str, list[float]] = {}
    for _, nodes, tags in osm.roads():
        if tags["highway"] == "residential" and tags.get("oneway") == "yes":
            dx = osm.coords[nodes[-1]][0] - osm.coords[nodes[0]][0]
            heading.setdefault(tags["name"], []).append(dx)
    assert set(heading) == {"Demo East Street", "Demo West Street"}
    assert all(dx > 0 for dx in heading["Demo East Street"])
    assert all(dx < 0 for dx in heading["Demo West Street"])


def test_motorway_has_two_implied_one_way_carriageways(osm: Osm) -> None:
    carriageways = [nodes for _, nodes, t in osm.roads() if t["highway"] == "motorway"]
    assert all("oneway" not in t for _, _, t in osm.roads() if t["highway"] == "motorway")
    east = [n for n in carriageways if osm.coords[n[-1]][0] > osm.coords[n[0]][0]]
    west = [n for n in carriageways if osm.coords[n[-1]][0] < osm.coords[n[0]][0]]
    assert east and west and len(east) + len(west) == len(carriageways)
    links = [t for _, _, t in osm.roads() if t["highway"] == "motorway_link"]
    assert len(links) >= 4 and all(t["oneway"] == "yes" for t in links)
    south_m = [to_metres(*osm.coords[n])[1] for nodes in carriageways for n in nodes]
    assert max(south_m) < -6500  # along the south side of the 15 km city


def test_exactly_four_bridges_cross_the_river(osm: Osm) -> None:
    (river_nodes,) = [nodes for _, nodes, t in osm.ways if t.get("waterway") == "river"]
    (water_nodes,) = [nodes for _, nodes, t in osm.ways if t.get("natural") == "water"]
    river, water = osm.line(river_nodes), Polygon([osm.coords[n] for n in water_nodes])
    assert water_nodes[0] == water_nodes[-1] and water.is_valid
    assert river.difference(water).length < 0.01 * river.length  # the area covers the line
    west, _, east, _ = river.bounds
    assert east - west > 0.95 * 15_000 / M_PER_DEG_LON  # crosses the whole city west-east
    assert (river.bounds[3] - river.bounds[1]) * M_PER_DEG_LAT > 300  # with a meander

    crossing = [t for _, nodes, t in osm.roads() if osm.line(nodes).intersects(river)]
    wet = [t for _, nodes, t in osm.roads() if osm.line(nodes).intersects(water)]
    assert len(crossing) == 4 and wet == crossing
    assert all(t["bridge"] == "yes" and t["layer"] == "1" for t in crossing)
    assert sorted(t["highway"] for t in crossing).count("footway") == 1
    assert sum(t.get("bridge") == "yes" for _, _, t in osm.roads()) == 4


def test_aeds_carry_registry_tags_and_one_malformed_opening_hours(osm: Osm) -> None:
    aeds = osm.pois("emergency", "defibrillator")
    assert len(aeds) == 150
    refs = [t["ref"] for t in aeds.values()]
    assert refs == [f"DEMO-AED-{i:04d}" for i in range(1, 151)]
    hours = [t["opening_hours"] for t in aeds.values()]
    assert hours.count(MALFORMED_OPENING_HOURS) == 1
    assert not OPENING_HOURS.match(MALFORMED_OPENING_HOURS)
    assert all(OPENING_HOURS.match(h) for h in hours if h != MALFORMED_OPENING_HOURS)
    assert {"24/7", "Mo-Fr 08:00-18:00; PH off", "Mo-Su 07:00-22:00"} <= set(hours)
    assert {t["access"] for t in aeds.values()} == {"yes", "private", "customers"}
    assert {t["indoor"] for t in aeds.values()} == {"yes", "no"}
    assert all(t["level"] and t["defibrillator:location"] and t["name"] for t in aeds.values())

    xy = np.array([to_metres(*osm.coords[i]) for i in aeds])
    in_core = np.abs(xy).max(axis=1) < 2500
    core_per_km2, other_per_km2 = in_core.sum() / 25, (~in_core).sum() / (225 - 25)
    assert core_per_km2 > 5 * other_per_km2


def test_hospitals_and_ambulance_stations(osm: Osm) -> None:
    hospitals = osm.pois("amenity", "hospital")
    stations = osm.pois("emergency", "ambulance_station")
    assert 3 <= len(hospitals) <= 4
    assert [t["ref"] for t in stations.values()] == [f"DEMO-AMB-{i:02d}" for i in range(1, 9)]
    assert all(t["name"] for t in [*hospitals.values(), *stations.values()])
    reach_m = [np.abs(to_metres(*osm.coords[i])).max() for i in stations]
    assert sum(r > 5000 for r in reach_m) >= 2  # a couple in the rural fringe
    xy = np.array([to_metres(*osm.coords[i]) for i in stations])
    gaps_m = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    assert gaps_m[np.triu_indices(len(xy), 1)].min() > 1000  # spread out


def test_population_raster(city: DemoCityFiles, osm: Osm) -> None:
    with rasterio.open(city.population_tif) as src:
        people = src.read(1)
        assert src.crs.to_epsg() == 4326
        assert abs(src.res[0] * M_PER_DEG_LON - 100) < 1
        assert abs(src.res[1] * M_PER_DEG_LAT - 100) < 1
        (river_nodes,) = [nodes for _, nodes, t in osm.ways if t.get("waterway") == "river"]
        on_river = [v[0] for v in src.sample([osm.coords[n] for n in river_nodes])]
        centre = next(src.sample([(CENTRE_LON, CENTRE_LAT)]))[0]
        corner = next(src.sample([(CENTRE_LON + 0.06, CENTRE_LAT - 0.06)]))[0]
    assert 500_000 < people.sum() < 3_000_000
    assert people.min() >= 0
    assert max(on_river) == 0
    assert 10_000 < centre * 100 < 35_000  # people per km2 in the core (a cell is 0.01 km2)
    assert 20 < corner * 100 < 500  # rural fringe


def test_extras_match_the_osm_data(city: DemoCityFiles, osm: Osm) -> None:
    extras = read_extras(city.extras_json)
    assert extras.name == CITY_NAME and extras.synthetic
    assert extras.reference_date == REFERENCE_DATE.isoformat()

    aed_refs = {t["ref"] for t in osm.pois("emergency", "defibrillator").values()}
    assert set(extras.aed_registry) == aed_refs
    status = Counter(e.status for e in extras.aed_registry.values())
    assert set(status) == {"ready", "fault", "in_use", "out_of_service", "missing"}
    assert status["ready"] > len(aed_refs) / 2
    expired = [
        e for e in extras.aed_registry.values()
        if min(date.fromisoformat(e.battery_expires_on), date.fromisoformat(e.pads_expire_on))
        < REFERENCE_DATE
    ]  # fmt: skip
    assert 0 < len(expired) < len(aed_refs) / 2
    assert all(e.last_inspected_at < "2026-11-01" for e in extras.aed_registry.values())

    station_refs = {t["ref"] for t in osm.pois("emergency", "ambulance_station").values()}
    assert set(extras.ambulances) == station_refs
    fleet = [a for crews in extras.ambulances.values() for a in crews]
    assert all(crews for crews in extras.ambulances.values())
    assert {a.status for a in fleet} == {"available", "busy"}
    assert len({a.call_sign for a in fleet}) == len(fleet)

    assert len(extras.drone_pads) == 4 and len(extras.training_sites) == 5
    assert all(p.range_km > 0 and p.cruise_speed_kmh > 0 for p in extras.drone_pads)


def test_volunteers_live_where_people_live(city: DemoCityFiles) -> None:
    volunteers = read_extras(city.extras_json).volunteers
    assert len(volunteers) == 300
    assert volunteers[0].name == "Volunteer 0001"
    assert {v.level for v in volunteers} == {"emergency_responder", "junior", "senior"}
    assert {v.availability for v in volunteers} == {"available", "busy", "off_duty"}
    assert all(v.accuracy_m > 0 for v in volunteers)
    with rasterio.open(city.population_tif) as src:
        at_volunteers = np.array([v[0] for v in src.sample([(v.lon, v.lat) for v in volunteers])])
        everywhere = src.read(1)
    assert at_volunteers.min() > 0
    assert at_volunteers.mean() > 3 * everywhere.mean()


def test_districts_tile_the_city(city: DemoCityFiles) -> None:
    extras = read_extras(city.extras_json)
    polygons = [shape(d.geometry) for d in extras.districts]
    assert len(polygons) == 6 and all(p.is_valid for p in polygons)
    assert {d.kind for d in extras.districts} == {"urban", "rural"}
    assert len({d.code for d in extras.districts}) == 6
    union = shapely.union_all(polygons)
    west, south, east, north = extras.bbox
    assert union.area == pytest.approx((east - west) * (north - south), rel=1e-6)
    assert sum(p.area for p in polygons) == pytest.approx(union.area, rel=1e-6)


def test_network_of_requested_size(tmp_path: Path) -> None:
    files = generate_network_of_size(tmp_path, target_edges=5000)
    assert count_edges(read_osm(files.osm_pbf)) == pytest.approx(5000, rel=0.2)
    assert read_extras(files.extras_json).size_km < 15.0


def test_bad_sizes_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="size_km"):
        generate_demo_city(tmp_path, size_km=2.0)
    with pytest.raises(ValueError, match="target_edges"):
        generate_network_of_size(tmp_path, target_edges=50)
