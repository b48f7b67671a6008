"""OSM import into PostGIS: a toy city checked by hand, real extracts checked against osmium.

Toy city (tests/data/toy_city.osm, drawn in the file's header): a grid of 0.001 degrees on the
equator. WGS84 geodesics give 0.001 deg of longitude = 111.3195 m (6378137 m x pi/180 / 1000) and
0.001 deg of latitude = 110.5743 m (meridian radius at the equator 6335439 m x pi/180 / 1000).
Every toy street has maxspeed=45, so ambulances drive 0.8 x 45 = 36 km/h = 10 m/s on them.
"""

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import osmium
import pyproj
import pytest
from sqlalchemy import Engine, text

from formats.osm_tags import ROAD_CLASSES
from gis import osm_import
from gis.network_loader import load_network_arrays
from gis.osm_import import ImportSummary, import_osm
from rescuecircle.errors import InvalidInput
from routing.network import Network
from services.routing import RouteRequest, fastest_route

TOY = Path(__file__).parent / "data" / "toy_city.osm"
EAST_M = 111.3195  # 0.001 deg of longitude on the equator
NORTH_M = 110.5743  # 0.001 deg of latitude at the equator
DRIVE_MS = 0.8 * 45 / 3.6  # 10 m/s
MOTORWAY_MS = 0.8 * 90 / 3.6  # 20 m/s on the toy motorway (maxspeed=90)
LINK_MS = 45 / 3.6  # motorway_link without maxspeed: typical 45 km/h
WALK_MS = 5 / 3.6
STEPS_MS = 2.5 / 3.6
BIKE_MS = 16 / 3.6
DRIVE_CLASSES = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential",
    "living_street", "service", "road",
})


def edges_sql(mode: str) -> str:
    return (f"SELECT id, source, target, cost_{mode}_s AS cost, "
            f"reverse_cost_{mode}_s AS reverse_cost FROM rc.road_edge")


def dijkstra(engine: Engine, mode: str, origin: int, target: int) -> tuple[list[int], float]:
    """Vertices along the fastest path and its cost in seconds; ([], 0) when there is none."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT node, agg_cost FROM pgr_dijkstra(:sql, :origin, :target) ORDER BY seq"),
            {"sql": edges_sql(mode), "origin": origin, "target": target}).all()
    return [row.node for row in rows], (rows[-1].agg_cost if rows else 0.0)


def fingerprint(engine: Engine) -> tuple:
    """Counts and a checksum of the loaded network, to show a failed import changed nothing."""
    with engine.connect() as conn:
        return tuple(conn.execute(text("""
            SELECT (SELECT count(*) FROM rc.road_edge), (SELECT count(*) FROM rc.road_vertex),
                   (SELECT count(*) FROM rc.network),
                   (SELECT md5(string_agg(concat_ws(',', id, osm_way_id, source, target,
                           cost_drive_s, reverse_cost_drive_s, cost_walk_s, reverse_cost_walk_s,
                           cost_bike_s, reverse_cost_bike_s, island_drive, island_walk,
                           island_bike, ST_AsBinary(geom)), ';' ORDER BY id))
                    FROM rc.road_edge),
                   (SELECT md5(string_agg(id || ST_AsText(geom), ';' ORDER BY id))
                    FROM rc.road_vertex)
        """)).one())


def scalar(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


# -- toy city ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def toy(make_database) -> tuple[Engine, ImportSummary]:
    engine = make_database("osm_toy")
    return engine, import_osm(engine, TOY)


def test_toy_counts(toy):
    engine, summary = toy
    # Edges: Main St 1-12-2-3 cut at the station (12) and Middle Ave (2) -> 3; North St cut at
    # 5 -> 2; Middle Ave, West Lane, East Lane, two footways, the steps, Lonely Road (16 is no
    # junction), the construction, the motorway and its two links -> 1 each. 16 edges.
    assert summary.edges == 16
    assert summary.vertices == 14  # 1-8, 10, 11, 12, 13, 14, 15
    # drive: Main 3 + North 2 + Middle + West + Lonely + motorway + 2 links
    # walk: Main 3 + North 2 + Middle + West + 2 footways + steps + Lonely
    # bike: as walk, minus the steps
    assert summary.edges_per_mode == {"drive": 11, "walk": 11, "bike": 10}
    assert summary.islands_per_mode == {"drive": 1, "walk": 1, "bike": 1}
    assert summary.pois == {"aed": 1, "hospital": 1, "station": 1, "venue": 0}
    assert "16 edges" in str(summary) and "\n" not in str(summary)
    with engine.connect() as conn:
        network = conn.execute(text(
            "SELECT source, edge_count, vertex_count, ST_AsText(bbox) AS bbox "
            "FROM rc.network ORDER BY id DESC LIMIT 1")).one()
    assert network.source == "toy_city.osm"
    assert (network.edge_count, network.vertex_count) == (16, 14)
    assert network.bbox == ("POLYGON((-0.001 -0.001,-0.001 0.001,0.007 0.001,"
                            "0.007 -0.001,-0.001 -0.001))")


def test_toy_split_points_and_ids(toy):
    engine, _ = toy
    with engine.connect() as conn:
        main = conn.execute(text(
            "SELECT source, target FROM rc.road_edge WHERE osm_way_id = 101 ORDER BY id")).all()
        vertices = set(conn.execute(text("SELECT id FROM rc.road_vertex")).scalars())
        ways = set(conn.execute(text("SELECT DISTINCT osm_way_id FROM rc.road_edge")).scalars())
        ids = list(conn.execute(text("SELECT id FROM rc.road_edge ORDER BY id")).scalars())
    assert [tuple(r) for r in main] == [(1, 12), (12, 2), (2, 3)]
    assert vertices == {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15}
    assert ways.isdisjoint({110, 115, 200})  # area=yes, proposed, hospital outline
    assert ids == list(range(1, 17))


def test_toy_lengths_are_geodesic_metres(toy):
    engine, _ = toy
    with engine.connect() as conn:
        lengths = dict(conn.execute(text(
            "SELECT source || '-' || target, length_m FROM rc.road_edge")).all())
        worst = conn.execute(text(
            "SELECT max(abs(length_m - ST_Length(geom::geography))) FROM rc.road_edge")).scalar()
    assert lengths["1-12"] == pytest.approx(EAST_M / 2, abs=1e-3)
    assert lengths["2-3"] == pytest.approx(EAST_M, abs=1e-3)
    assert lengths["2-5"] == pytest.approx(NORTH_M, abs=1e-3)
    assert lengths["10-11"] == pytest.approx(2 * EAST_M, abs=1e-3)
    assert worst < 1e-6


def edge(engine: Engine, way: int, source: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT * FROM rc.road_edge WHERE osm_way_id = :way AND source = :source"),
            {"way": way, "source": source}).mappings().one())


def test_toy_one_way_street(toy):
    engine, _ = toy
    north = edge(engine, 102, 4)  # North Street 4 -> 5, oneway=yes, oneway:bicycle=no
    assert north["cost_drive_s"] == pytest.approx(EAST_M / DRIVE_MS, abs=1e-3)
    assert north["reverse_cost_drive_s"] < 0
    assert north["cost_walk_s"] == north["reverse_cost_walk_s"] == pytest.approx(
        EAST_M / WALK_MS, abs=1e-3)
    assert north["cost_bike_s"] == north["reverse_cost_bike_s"] > 0
    motorway = edge(engine, 112, 14)  # implied oneway, no walking or cycling
    assert motorway["cost_drive_s"] == pytest.approx(2 * EAST_M / MOTORWAY_MS, abs=1e-3)
    assert motorway["reverse_cost_drive_s"] < 0
    assert max(motorway["cost_walk_s"], motorway["reverse_cost_walk_s"],
               motorway["cost_bike_s"], motorway["reverse_cost_bike_s"]) < 0


@pytest.mark.parametrize("way", [105, 111])  # East Lane access=no; highway=construction
def test_toy_closed_roads_closed_to_every_mode(toy, way):
    engine, _ = toy
    closed = edge(engine, way, 3 if way == 105 else 4)
    for mode in ("drive", "walk", "bike"):
        assert closed[f"cost_{mode}_s"] < 0 and closed[f"reverse_cost_{mode}_s"] < 0


def test_toy_footway_and_steps(toy):
    engine, _ = toy
    footway = edge(engine, 106, 3)
    steps = edge(engine, 107, 7)  # tagged highway=steps;footway
    assert footway["road_class"] == "footway" and steps["road_class"] == "steps"
    assert footway["cost_drive_s"] < 0 and footway["reverse_cost_drive_s"] < 0
    assert footway["cost_walk_s"] == pytest.approx(EAST_M / WALK_MS, abs=1e-3)
    assert steps["cost_walk_s"] == pytest.approx(NORTH_M / STEPS_MS, abs=1e-3)
    assert steps["cost_bike_s"] < 0


def test_toy_islands(toy):
    engine, _ = toy
    with engine.connect() as conn:
        for mode in ("drive", "walk", "bike"):
            islands = conn.execute(text(
                f"SELECT osm_way_id FROM rc.road_edge WHERE island_{mode}")).scalars().all()
            assert islands == [109], mode  # Lonely Road


def test_islands_are_small_pieces_not_whole_towns():
    # Three pieces: a chain of 1,200 vertices (the largest), a chain of 1,000 (a town the
    # walkers cannot leave: not an island) and a chain of 3 (a parking lot: an island).
    chains = [np.arange(start, start + size) for start, size in ((0, 1200), (1200, 1000),
                                                                 (2200, 3))]
    source = np.concatenate([c[:-1] for c in chains])
    target = np.concatenate([c[1:] for c in chains])
    flags = osm_import.island_flags(source, target, np.ones(len(source), bool))
    assert flags.sum() == 2 and flags[-2:].all()


@pytest.mark.parametrize(("country", "walk_and_bike"), [(None, True), ("US", True), ("FR", False)])
def test_country_reaches_the_tag_rules(tmp_path, country, walk_and_bike):
    # A trunk road: open to walkers and cyclists by OSM's worldwide and US defaults, an
    # expressway closed to both by France's.
    path = tmp_path / "trunk.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '  <node id="1" version="1" lat="48.850" lon="2.350"/>\n'
        '  <node id="2" version="1" lat="48.850" lon="2.351"/>\n'
        '  <way id="10" version="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="trunk"/></way>\n</osm>\n')
    (profile,) = osm_import.read_extract(path, country=country).profiles
    assert profile.drive.forward and profile.drive.backward
    assert (profile.walk.forward, profile.walk.backward, profile.bike.forward,
            profile.bike.backward) == (walk_and_bike,) * 4


@pytest.mark.parametrize(("mode", "origin", "target", "path", "seconds"), [
    # North Street eastbound: 2 x 111.3195 m at 10 m/s = 22.264 s
    ("drive", 4, 6, [4, 5, 6], 2 * EAST_M / DRIVE_MS),
    # North Street is one-way, so back west via Middle Ave, Main St and West Lane:
    # (110.5743 + 55.6598 + 55.6598 + 110.5743) m at 10 m/s = 33.247 s
    ("drive", 5, 4, [5, 2, 12, 1, 4], (2 * NORTH_M + EAST_M) / DRIVE_MS),
    # East Lane is closed: 3 -> 2 -> 5 -> 6 = (111.3195 + 110.5743 + 111.3195) m = 33.321 s
    ("drive", 3, 6, [3, 2, 5, 6], (2 * EAST_M + NORTH_M) / DRIVE_MS),
    # Main St 222.639 m at 10 m/s = 22.264 s beats the motorway loop
    # 2 x 110.5743 m at 12.5 m/s + 222.639 m at 20 m/s = 28.824 s
    ("drive", 1, 3, [1, 12, 2, 3], 2 * EAST_M / DRIVE_MS),
    # Walkers ignore oneway: straight back along North Street, 111.3195 m at 5 km/h = 80.150 s
    ("walk", 5, 4, [5, 4], EAST_M / WALK_MS),
    # 3 -> 2 -> 5 -> 6 = 333.213 m at 5 km/h = 239.913 s beats the footways and the steps
    # 111.3195 / 1.3889 + 110.5743 / 0.6944 + 111.3195 / 1.3889 = 319.527 s
    ("walk", 3, 6, [3, 2, 5, 6], (2 * EAST_M + NORTH_M) / WALK_MS),
    # oneway:bicycle=no: west along North Street at 16 km/h, 222.639 m = 50.092 s
    ("bike", 6, 4, [6, 5, 4], 2 * EAST_M / BIKE_MS),
])
def test_toy_shortest_paths_by_hand(toy, mode, origin, target, path, seconds):
    engine, _ = toy
    assert dijkstra(engine, mode, origin, target) == (path, pytest.approx(seconds, abs=1e-2))


@pytest.mark.parametrize(("mode", "origin", "target"), [
    ("drive", 6, 4),  # 6 is a trap: North Street one-way into it, East Lane closed
    ("drive", 1, 10),  # Lonely Road is an island
    ("walk", 1, 11),
    ("drive", 4, 13),  # only the construction site leads to 13
])
def test_toy_no_route(toy, mode, origin, target):
    engine, _ = toy
    assert dijkstra(engine, mode, origin, target) == ([], 0.0)


def test_toy_pois(toy):
    engine, _ = toy
    with engine.connect() as conn:
        aed = conn.execute(text(
            "SELECT *, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM rc.aed")).mappings().one()
        station = conn.execute(text(
            "SELECT s.name, s.ref, s.address, s.source, s.kind, s.osm_type, s.osm_id, "
            "ST_Equals(s.geom, v.geom) AS on_vertex "
            "FROM rc.station s JOIN rc.road_vertex v ON v.id = s.osm_id")).mappings().one()
        hospital = conn.execute(text(
            "SELECT name, osm_type, osm_id, ST_AsText(geom) AS wkt FROM rc.hospital")).one()
    assert {k: aed[k] for k in ("name", "ref", "opening_hours", "access", "indoor", "level",
                                "location_text", "phone", "owner", "osm_type", "osm_id",
                                "source", "status")} == {
        "name": "Town Hall AED", "ref": "AED-1", "opening_hours": "Mo-Fr 08:00-18:00",
        "access": "customers", "indoor": True, "level": "0",
        "location_text": "Lobby, next to the lift", "phone": "+1 555 0100",
        "owner": "Toy Town Council", "osm_type": "n", "osm_id": 20, "source": "osm",
        "status": "ready"}
    assert (aed["lon"], aed["lat"]) == (0.0015, 0.0005)
    assert dict(station) == {
        "name": "Toy Town Ambulance Station", "ref": "S1", "address": "1 Main Street, Toy Town",
        "source": "osm", "kind": "ambulance", "osm_type": "n", "osm_id": 12,
        "on_vertex": True}
    assert tuple(hospital) == ("Toy General Hospital", "w", 200, "POINT(0.0015 0.0015)")


def test_toy_reimport_keeps_registry_rows(toy):
    engine, _ = toy
    with engine.begin() as conn:
        conn.execute(text("UPDATE rc.aed SET status = 'fault', serial = 'SN-1'"))
        conn.execute(text(
            "INSERT INTO rc.ambulance (station_id, call_sign) SELECT id, 'Toy 1' FROM rc.station"))
        before = conn.execute(text(
            "SELECT (SELECT id FROM rc.aed), (SELECT id FROM rc.station)")).one()
    network = fingerprint(engine)
    summary = import_osm(engine, TOY)
    assert summary.edges == 16
    after = fingerprint(engine)
    assert after[:2] == network[:2] and after[3:] == network[3:]
    assert after[2] == network[2] + 1  # one more rc.network row
    with engine.connect() as conn:
        aed = conn.execute(text("SELECT id, status, serial FROM rc.aed")).one()
        station = conn.execute(text("SELECT id FROM rc.station")).scalar_one()
        ambulances = conn.execute(text("SELECT count(*) FROM rc.ambulance")).scalar_one()
    assert tuple(aed) == (before[0], "fault", "SN-1")
    assert (station, ambulances) == (before[1], 1)


def test_toy_failed_load_rolls_back(toy, monkeypatch):
    engine, _ = toy
    before = fingerprint(engine)

    def fail(*args, **kwargs):
        raise RuntimeError("database went away half-way")

    monkeypatch.setattr(osm_import, "_upsert_pois", fail)  # after the network was replaced
    with pytest.raises(RuntimeError, match="half-way"):
        import_osm(engine, TOY)
    assert fingerprint(engine) == before


# -- real extracts ---------------------------------------------------------------------------

def osmium_counts(path: Path) -> dict[str, int]:
    """Ways, edges, vertices and drive one-way segments by the textbook rule, counted afresh.

    A road way (routable highway value, not area=yes) is cut at its ends and at every node used
    twice or more by road ways; nodes missing from the extract are dropped first. One-way:
    oneway=yes, or a motorway (link) or roundabout not tagged oneway=no, unless access forbids
    it (the access values that occur in Futian).
    """
    ways: list[tuple[list[int], osmium.osm.TagList]] = []
    one_way_ways: set[int] = set()
    processor = (osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations()
                 .with_filter(osmium.filter.KeyFilter("highway")))
    for way in processor:
        if not isinstance(way, osmium.osm.Way):
            continue
        highway = way.tags["highway"].split(";")[0]
        if highway not in ROAD_CLASSES or way.tags.get("area") == "yes":
            continue
        refs = [n.ref for n in way.nodes if n.location.valid()]
        if len(refs) < 2:
            continue
        oneway = way.tags.get("oneway")
        implied = highway in ("motorway", "motorway_link") or way.tags.get("junction") in (
            "roundabout", "circular")
        if (highway in DRIVE_CLASSES and (oneway == "yes" or implied and oneway != "no")
                and way.tags.get("access") not in ("no", "private", "bus")):
            one_way_ways.add(len(ways))
        ways.append((refs, way.tags))
    uses = Counter(ref for refs, _ in ways for ref in refs)
    edges = one_way_segments = 0
    vertices: set[int] = set()
    for index, (refs, _) in enumerate(ways):
        cuts = [i for i, ref in enumerate(refs) if i in (0, len(refs) - 1) or uses[ref] >= 2]
        edges += len(cuts) - 1
        one_way_segments += (len(cuts) - 1) if index in one_way_ways else 0
        vertices.update(refs[i] for i in cuts)
    return {"ways": len(ways), "edges": edges, "vertices": len(vertices),
            "one_way_segments": one_way_segments}


@pytest.fixture(scope="module")
def futian(make_database, shared_data) -> tuple[Engine, ImportSummary, Path]:
    engine = make_database("osm_futian")
    path = shared_data / "shenzhen" / "futian.osm.pbf"
    return engine, import_osm(engine, path), path


@pytest.fixture(scope="module")
def imperial(make_database, shared_data) -> tuple[Engine, ImportSummary, Path]:
    engine = make_database("osm_imperial")
    path = shared_data / "us-imperial" / "imperial.osm.pbf"
    return engine, import_osm(engine, path), path


@pytest.fixture(params=["futian", "imperial"])
def extract(request) -> tuple[Engine, ImportSummary, Path]:
    return request.getfixturevalue(request.param)


@pytest.mark.realdata
def test_real_counts_match_osmium(extract):
    engine, summary, path = extract
    expected = osmium_counts(path)
    assert (summary.edges, summary.vertices) == (expected["edges"], expected["vertices"])
    assert scalar(engine, "SELECT count(DISTINCT osm_way_id) FROM rc.road_edge") \
        == expected["ways"]
    assert scalar(engine, "SELECT count(*) FROM rc.road_vertex v WHERE NOT EXISTS ("
                          "SELECT FROM rc.road_edge e WHERE v.id IN (e.source, e.target))") == 0


@pytest.mark.realdata
@pytest.mark.skipif(shutil.which("osmium") is None, reason="osmium-tool not installed")
def test_futian_way_count_matches_osmium_tool(futian):
    engine, _, path = futian
    counted = subprocess.run(["osmium", "tags-count", "-t", "w", str(path), "highway"],
                             capture_output=True, text=True, check=True).stdout
    highway_ways = int(counted.split()[0])  # '2812\t"highway"': every one is a road
    assert highway_ways == 2812
    assert scalar(engine, "SELECT count(DISTINCT osm_way_id) FROM rc.road_edge") == highway_ways


@pytest.mark.realdata
def test_futian_one_way_segments(futian):
    engine, _, path = futian
    assert scalar(engine, (
        "SELECT count(*) FROM rc.road_edge WHERE cost_drive_s >= 0 AND reverse_cost_drive_s < 0"
    )) == osmium_counts(path)["one_way_segments"]


@pytest.mark.realdata
def test_real_one_way_edges_are_not_driven_backwards(extract):
    engine, _, _ = extract
    with engine.connect() as conn:
        sample = conn.execute(text(
            "SELECT id, source, target FROM rc.road_edge WHERE cost_drive_s >= 0 "
            "AND reverse_cost_drive_s < 0 AND NOT island_drive AND source <> target "
            "ORDER BY id LIMIT 25")).all()
        routes = conn.execute(text(
            "SELECT start_vid, end_vid, array_agg(edge) AS edges "
            "FROM pgr_dijkstra(:sql, :combinations) GROUP BY start_vid, end_vid"),
            {"sql": edges_sql("drive"), "combinations": (
                "SELECT target AS source, source AS target FROM rc.road_edge "
                f"WHERE id IN ({','.join(str(row.id) for row in sample)})")}).all()
    assert len(sample) == 25
    used = {(r.start_vid, r.end_vid): set(r.edges) for r in routes}
    for row in sample:  # backwards there is no route, or a detour that avoids the edge
        assert row.id not in used.get((row.target, row.source), set())


@pytest.mark.realdata
def test_real_walk_network_larger_than_drive(extract):
    _, summary, _ = extract
    assert summary.edges_per_mode["walk"] > summary.edges_per_mode["drive"]
    assert summary.edges_per_mode["bike"] > summary.edges_per_mode["drive"]


@pytest.mark.realdata
def test_real_lengths_are_geodesic(extract):
    engine, _, _ = extract
    assert scalar(engine, (
        "SELECT max(abs(length_m - ST_Length(geom::geography))) FROM rc.road_edge")) < 1e-6


@pytest.mark.realdata
def test_imperial_walk_along_a_downtown_trunk_street(imperial):
    # Brawley's West Main Street (state route 78/86) is highway=trunk with sidewalks. While
    # trunks were closed to walkers this 250 m walk along it had no route at all (a 422).
    engine, _, _ = imperial
    network = Network(load_network_arrays(engine))
    west, east = (-115.5507, 32.97861), (-115.5480, 32.97861)
    straight_m = pyproj.Geod(ellps="WGS84").inv(*west, *east)[2]
    route = fastest_route(network, RouteRequest(west, east, "walk", None))
    with engine.connect() as conn:
        streets = conn.execute(text(
            "SELECT DISTINCT road_class, name FROM rc.road_edge WHERE id = ANY(:ids)"),
            {"ids": route.edges}).all()
    assert [tuple(s) for s in streets] == [("trunk", "West Main Street")]
    assert straight_m == pytest.approx(252, abs=1)
    assert route.length_m == pytest.approx(straight_m, rel=0.01)
    assert route.time_s == pytest.approx(route.length_m / WALK_MS, abs=3)  # 3 s: the snap legs


@pytest.mark.realdata
def test_imperial_pois(imperial):
    engine, summary, _ = imperial
    assert summary.pois["hospital"] >= 9  # 3 nodes and 6 outlines in the 2024 extract
    assert summary.pois["aed"] >= 1
    # No ambulance station is mapped; its 11 fire stations load only with --stations-from
    # (tests/test_network_locale.py).
    assert summary.stations == {"ambulance": 0} and summary.pois["station"] == 0
    assert scalar(engine, "SELECT count(*) FROM rc.station") == 0


@pytest.mark.realdata
def test_futian_reimport_replaces_cleanly(futian):
    engine, summary, path = futian
    before = fingerprint(engine)
    again = import_osm(engine, path)
    after = fingerprint(engine)
    assert (again.edges, again.vertices) == (summary.edges, summary.vertices)
    assert after[:2] == before[:2] and after[3:] == before[3:]
    assert after[2] == before[2] + 1
    assert scalar(engine, "SELECT max(id) FROM rc.road_edge") == summary.edges
    with engine.connect() as conn:
        latest = conn.execute(text(
            "SELECT source, edge_count, vertex_count FROM rc.network ORDER BY id DESC LIMIT 1"
        )).one()
    assert tuple(latest) == ("futian.osm.pbf", summary.edges, summary.vertices)


def _truncated_pbf(tmp_path: Path, shared_data: Path) -> Path:
    data = (shared_data / "shenzhen" / "futian.osm.pbf").read_bytes()
    path = tmp_path / "futian.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    return path


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


NO_ROADS = (b'<?xml version="1.0"?><osm version="0.6"><node id="1" lat="0" lon="0"/>'
            b'<node id="2" lat="0" lon="1"/><node id="3" lat="1" lon="1"/><way id="1">'
            b'<nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/>'
            b'</way></osm>')


@pytest.mark.realdata
@pytest.mark.parametrize(("make_file", "problem"), [
    (lambda tmp, data: tmp / "nowhere.osm.pbf", "no such file"),
    (_truncated_pbf, "truncated or corrupt PBF"),
    (lambda tmp, data: _write(tmp, "notes.txt", b"call the ambulance\n"), "not an OSM file"),
    (lambda tmp, data: _write(tmp, "notes.osm.pbf", b"call the ambulance\n"),
     "not an OSM file"),
    (lambda tmp, data: _write(tmp, "map.png", b"\x89PNG\r\n\x1a\n" + bytes(64)), "PNG image"),
    (lambda tmp, data: _write(tmp, "empty.osm", b""), "empty file"),
    (lambda tmp, data: _write(tmp, "half.osm", TOY.read_bytes()[:1500]), "malformed OSM XML"),
    (lambda tmp, data: _write(tmp, "buildings.osm", NO_ROADS), "no roads found"),
])
def test_bad_files_leave_the_network_unchanged(futian, shared_data, tmp_path, make_file,
                                               problem):
    engine, _, _ = futian
    path = make_file(tmp_path, shared_data)
    before = fingerprint(engine)
    with pytest.raises(InvalidInput) as raised:
        import_osm(engine, path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ") and problem in message
    assert fingerprint(engine) == before


def test_a_country_with_its_own_rules_is_found_from_the_roads(make_database, tmp_path):
    """No country given: the import finds France from where the roads are and reads the file
    again with France's rules, which close trunk roads to walkers and cyclists."""
    path = tmp_path / "paris.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '  <node id="1" version="1" lat="48.850" lon="2.350"/>\n'
        '  <node id="2" version="1" lat="48.850" lon="2.351"/>\n'
        '  <node id="3" version="1" lat="48.851" lon="2.351"/>\n'
        '  <way id="10" version="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="trunk"/></way>\n'
        '  <way id="11" version="1"><nd ref="2"/><nd ref="3"/>'
        '<tag k="highway" v="residential"/></way>\n</osm>\n')
    engine = make_database("osm_country")
    summary = osm_import.import_osm(engine, path)
    assert summary.locale.country == "FR"
    with engine.connect() as conn:
        trunk = conn.execute(text("SELECT cost_walk_s, cost_bike_s, cost_drive_s "
                                  "FROM rc.road_edge WHERE osm_way_id = 10")).one()
    assert trunk[0] < 0 and trunk[1] < 0 and trunk[2] > 0
