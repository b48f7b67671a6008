"""Routing in SQL (sql/functions/routing.sql) on the toy city, every answer checked by hand.

Toy city (tests/data/toy_city.osm, drawn in its header) on the equator: 0.001 deg of longitude is
111.3195 m, 0.001 deg of latitude 110.5743 m, and ambulances drive its streets at 10 m/s, so a
block east-west takes 11.132 s and north-south 11.057 s. Main Street 1 (0,0) - 12 (0.0005,0) -
2 (0.001,0) - 3 (0.002,0); North Street 4 (0,0.001) -> 5 -> 6 (0.002,0.001) is one way east;
Middle Avenue 2-5 and West Lane 1-4; East Lane 3-6 is closed, so 6 is a trap for cars; the
motorway 14 -> 15 is one way east, entered from 1 and left towards 3; Lonely Road 10-16-11
(lon 0.005-0.007) is an island; footways 3-7 and 8-6 and steps 7-8 are for walkers.

Bad input is checked as pgRouting's pgTAP tests do: SQLSTATE 22023 next to the good call, with a
message naming the parameter, the value and the allowed range.
"""

from collections.abc import Sequence
from itertools import permutations
from typing import Any

import numpy as np
import psycopg
import pytest
import shapely
from sqlalchemy import Connection, Engine, Row, text
from sqlalchemy.exc import DataError

from gis.network_loader import load_network_arrays
from gis.osm_import import import_osm
from rescuecircle.errors import NoRoute
from rescuecircle.paths import PROJECT_ROOT
from routing.arrays import MODES, NetworkArrays
from routing.network import Network
from routing.snap import Snap

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
EAST_M = 111.3195  # 0.001 deg of longitude on the equator
NORTH_M = 110.5743  # 0.001 deg of latitude at the equator
DRIVE_MS = 0.8 * 45 / 3.6  # 10 m/s on every toy street
WALK_MS = 5 / 3.6
EAST_S = EAST_M / DRIVE_MS  # 11.132 s
NORTH_S = NORTH_M / DRIVE_MS  # 11.057 s
LINK_S = NORTH_M / (45 / 3.6)  # motorway_link, 45 km/h: 8.846 s
ROUTING_FUNCTIONS = ("snap", "route", "travel_times", "isochrone", "facility_isochrones",
                     "travel_time_matrix", "_edges_sql")


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    """A fresh database holding the toy city."""
    engine = make_database("sql_routing")
    import_osm(engine, TOY_CITY)
    return engine


def rows(engine: Engine, sql: str, **params: Any) -> list[Row]:
    """All rows of one query."""
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def edge_id(engine: Engine, source: int, target: int) -> int:
    """The id of the toy edge from OSM node ``source`` to ``target``."""
    return rows(engine, "SELECT id FROM rc.road_edge WHERE source = :s AND target = :t",
                s=source, t=target)[0].id


def assert_invalid(engine: Engine, sql: str, mentions: Sequence[str], **params: Any) -> str:
    """The call fails with SQLSTATE 22023 and a one-line message containing ``mentions``."""
    with pytest.raises(DataError) as raised:
        rows(engine, sql, **params)
    error = raised.value.orig
    assert isinstance(error, psycopg.Error)
    assert error.sqlstate == "22023"
    message = error.diag.message_primary or ""
    assert "\n" not in message
    for word in mentions:
        assert word in message, message
    return message


def route(engine: Engine, start: tuple[float, float], end: tuple[float, float],
          mode: str = "drive") -> list[Row]:
    """rc.route's rows, with each step's geometry as text and its length in metres."""
    return rows(engine, (
        "SELECT seq, path_seq, node, edge, cost_s, agg_cost_s, ST_AsText(geom) AS wkt, "
        "ST_SRID(geom) AS srid, ST_Length(geom::geography) AS length_m "
        "FROM rc.route(:x0, :y0, :x1, :y1, :mode) ORDER BY seq"),
        x0=start[0], y0=start[1], x1=end[0], y1=end[1], mode=mode)


# -- rc.snap ---------------------------------------------------------------------------------------

def test_snap_gives_edge_fraction_and_metres(engine):
    # A quarter of the way from 1 to 2 and 0.0001 deg north: Main Street 1-12 half-way, 11.057 m.
    snap = rows(engine, "SELECT * FROM rc.snap(0.00025, 0.0001, 'drive')")[0]
    assert snap.edge_id == edge_id(engine, 1, 12)
    assert snap.fraction == pytest.approx(0.5, abs=1e-9)
    assert snap.distance_m == pytest.approx(NORTH_M / 10, abs=0.01)


def test_snap_uses_only_roads_the_mode_may_use(engine):
    # Half-way along the footway 8-6: walkers are on it; cars go to the end of North Street (6),
    # half a block (55.66 m) west, as East Lane is closed.
    walk = rows(engine, "SELECT * FROM rc.snap(0.0025, 0.001, 'walk')")[0]
    assert (walk.edge_id, walk.distance_m) == (edge_id(engine, 8, 6), 0)
    assert walk.fraction == pytest.approx(0.5, abs=1e-9)
    drive = rows(engine, "SELECT * FROM rc.snap(0.0025, 0.001, 'drive')")[0]
    assert drive.edge_id == edge_id(engine, 5, 6)
    assert drive.fraction == pytest.approx(1.0, abs=1e-9)
    assert drive.distance_m == pytest.approx(EAST_M / 2, abs=0.01)


def test_snap_fraction_is_by_length_not_by_degrees(engine):
    # An L-shaped line at 60 deg N, 0.001 deg east then 0.001 deg north: the legs are 55.80 m
    # and 111.41 m on the ellipsoid, so its corner lies a third of the way (0.3337), not half.
    with engine.begin() as conn:
        located, geodesic = conn.execute(text(
            "SELECT rc._locate(line, ST_SetSRID(ST_MakePoint(10.001, 60), 4326)), "
            "ST_Length(ST_GeomFromText('LINESTRING(10 60, 10.001 60)', 4326)::geography) "
            "/ ST_Length(line::geography) "
            "FROM ST_GeomFromText('LINESTRING(10 60, 10.001 60, 10.001 60.001)', 4326) AS line"
        )).one()
    assert geodesic == pytest.approx(0.33371, abs=1e-5)
    assert located == pytest.approx(geodesic, abs=1e-5)


def insert_edges(conn: Connection, vertices: dict[int, tuple[float, float]],
                 edges: Sequence[tuple[int, int, int, float, float, list[tuple[float, float]]]]
                 ) -> None:
    """Add vertices and edges (same costs for every mode) inside the caller's transaction."""
    for vertex, (lon, lat) in vertices.items():
        conn.execute(text("INSERT INTO rc.road_vertex VALUES (:id, ST_Point(:x, :y, 4326))"),
                     {"id": vertex, "x": lon, "y": lat})
    for edge, source, target, cost, reverse, coordinates in edges:
        conn.execute(text(
            "INSERT INTO rc.road_edge (id, source, target, road_class, length_m, "
            "speed_drive_kmh, speed_walk_kmh, speed_bike_kmh, cost_drive_s, "
            "reverse_cost_drive_s, cost_walk_s, reverse_cost_walk_s, cost_bike_s, "
            "reverse_cost_bike_s, geom) VALUES (:id, :source, :target, 'residential', "
            "ST_Length(ST_GeomFromText(:wkt, 4326)::geography), 36, 5, 16, :cost, :reverse, "
            ":cost, :reverse, :cost, :reverse, ST_GeomFromText(:wkt, 4326))"),
            {"id": edge, "source": source, "target": target, "cost": cost, "reverse": reverse,
             "wkt": shapely.LineString(coordinates).wkt})


def test_snap_picks_the_nearest_in_metres_not_degrees(engine):
    # At 60 deg N a road 0.0015 deg east (83.6 m) is nearer than one 0.001 deg north (111.4 m),
    # though farther in degrees.
    vertices = {951: (10.0, 60.001), 952: (10.01, 60.001), 953: (10.0015, 59.99),
                954: (10.0015, 60.01)}
    edges = [(951, 951, 952, 1.0, 1.0, [(10.0, 60.001), (10.01, 60.001)]),
             (952, 953, 954, 1.0, 1.0, [(10.0015, 59.99), (10.0015, 60.01)])]
    with engine.connect() as conn, conn.begin() as transaction:
        insert_edges(conn, vertices, edges)
        snap = conn.execute(text("SELECT * FROM rc.snap(10.0, 60.0, 'walk')")).one()
        transaction.rollback()
    assert snap.edge_id == 952
    assert snap.distance_m == pytest.approx(83.7, abs=0.1)
    assert snap.fraction == pytest.approx(0.5, abs=1e-3)


def test_snap_limit(engine):
    assert rows(engine, "SELECT * FROM rc.snap(0.00025, 0.0001, 'drive', max_snap_m => 12)")
    message = assert_invalid(
        engine, "SELECT * FROM rc.snap(0.00025, 0.0001, 'drive', max_snap_m => 10)",
        ["lon, lat = (0.00025, 0.0001)", "is 11 m from", "at most 10 m"])
    assert "drive" in message
    # 0.05 deg east is 4.79 km beyond the end of Lonely Road (0.007): the 5 km case of the issue.
    assert_invalid(engine, "SELECT * FROM rc.snap(0.05, 0.0, 'drive')",
                   ["lon, lat = (0.05, 0)", "4787 m", "at most 500 m"])


@pytest.mark.parametrize(("mode", "road"), [("walk", "steps"), ("drive", "Lonely Road")])
def test_snap_leaves_an_island_for_the_connected_network_not_much_farther(engine, mode, road):
    # (0.0041, 0.0002) is 102.6 m from Lonely Road (an island). Walkers have the steps 7-8
    # 122.5 m away: within 1.5 x 102.6 m, so the steps win. Cars' nearest connected road ends
    # at 3, 234.8 m away: too far, the point stays on the island. The engine agrees.
    lon, lat = 0.0041, 0.0002
    snap = rows(engine, "SELECT e.road_class, e.name, s.distance_m FROM rc.snap(:lon, :lat, :mode) "
                "s JOIN rc.road_edge e ON e.id = s.edge_id", lon=lon, lat=lat, mode=mode)[0]
    assert road in (snap.road_class, snap.name)
    assert snap.distance_m == pytest.approx(122.5 if mode == "walk" else 102.6, abs=0.2)
    network = Network(load_network_arrays(engine))
    ours = network.snap(lon, lat, mode)
    assert network.arrays.edge_id[ours.edge] == rows(
        engine, "SELECT edge_id FROM rc.snap(:lon, :lat, :mode)", lon=lon, lat=lat,
        mode=mode)[0].edge_id


@pytest.mark.parametrize(("call", "mentions"), [
    ("rc.snap(0.0, 91.0, 'drive')", ["lat = 91", "-90 to 90"]),
    ("rc.snap(181.0, 0.0, 'drive')", ["lon = 181", "-180 to 180"]),
    ("rc.snap('NaN', 0.0, 'drive')", ["lon = NaN", "-180 to 180"]),
    ("rc.snap(NULL, 0.0, 'drive')", ["lon = NULL", "-180 to 180"]),
    ("rc.snap(0.0, 0.0, 'car')", ["mode = 'car'", "drive, walk or bike"]),
    ("rc.snap(0.0, 0.0, NULL)", ["mode = NULL", "drive, walk or bike"]),
    ("rc.snap(0.0, 0.0, 'drive', 0)", ["max_snap_m = 0", "more than 0 up to 10000"]),
    ("rc.snap(0.0, 0.0, 'drive', 20000)", ["max_snap_m = 20000", "up to 10000"]),
])
def test_snap_bad_input(engine, call, mentions):
    assert rows(engine, "SELECT * FROM rc.snap(0.0, 0.0, 'drive')")  # the good call lives
    assert_invalid(engine, f"SELECT * FROM {call}", mentions)


# -- rc._edges_sql ---------------------------------------------------------------------------------

def test_edges_sql_per_mode_and_bbox(engine):
    counts = {}
    for mode in ("drive", "walk", "bike"):
        sql = rows(engine, "SELECT rc._edges_sql(:mode) AS sql", mode=mode)[0].sql
        counts[mode] = len(rows(engine, sql))
    assert counts == {"drive": 11, "walk": 11, "bike": 10}  # as test_osm_import counts them
    # Around Lonely Road only (expanded by 0.0005 deg): its one edge.
    sql = rows(engine, "SELECT rc._edges_sql('drive', ST_Expand(ST_MakeEnvelope("
                       "0.0055, 0, 0.0065, 0, 4326), 0.0005)) AS sql")[0].sql
    assert [(r.source, r.target) for r in rows(engine, sql)] == [(10, 11)]
    north = rows(engine, "SELECT * FROM pgr_dijkstra(rc._edges_sql('drive'), 4, 6)")
    assert north[-1].agg_cost == pytest.approx(2 * EAST_S, abs=1e-3)


@pytest.mark.parametrize(("call", "mentions"), [
    ("rc._edges_sql('drive; DROP TABLE rc.road_edge')", ["mode = 'drive; DROP", "drive, walk"]),
    ("rc._edges_sql('cost_drive_s')", ["mode = 'cost_drive_s'"]),
    ("rc._edges_sql('drive', ST_MakeEnvelope(0, 0, 1, 1, 3857))", ["bbox SRID = 3857", "4326"]),
    ("rc._edges_sql('drive', 'POLYGON EMPTY'::geometry)", ["bbox", "non-empty"]),
])
def test_edges_sql_is_built_from_a_whitelist(engine, call, mentions):
    assert rows(engine, "SELECT rc._edges_sql('walk', ST_MakeEnvelope(0, 0, 1, 1, 4326))")
    assert_invalid(engine, f"SELECT {call}", mentions)
    assert rows(engine, "SELECT count(*) AS n FROM rc.road_edge")[0].n == 16


# -- rc.route --------------------------------------------------------------------------------------

def test_route_between_vertices_along_main_street(engine):
    steps = route(engine, (0.0, 0.0), (0.002, 0.0))
    assert [(s.node, s.edge) for s in steps] == [
        (1, edge_id(engine, 1, 12)), (12, edge_id(engine, 12, 2)), (2, edge_id(engine, 2, 3)),
        (3, -1)]
    assert [s.cost_s for s in steps] == pytest.approx([EAST_S / 2, EAST_S / 2, EAST_S, 0], abs=1e-3)
    assert steps[-1].agg_cost_s == pytest.approx(2 * EAST_S, abs=1e-3)  # 22.264 s
    assert [s.wkt for s in steps] == ["LINESTRING(0 0,0.0005 0)", "LINESTRING(0.0005 0,0.001 0)",
                                      "LINESTRING(0.001 0,0.002 0)", None]
    assert {s.srid for s in steps[:-1]} == {4326}


def test_route_from_mid_edge_uses_fractions(engine):
    # From a quarter block east of 1 (half-way along 1-12) to half-way along 2-3:
    # 27.83 + 55.66 + 55.66 m at 10 m/s = 13.915 s, pieces cut at both points.
    steps = route(engine, (0.00025, 0.0), (0.0015, 0.0))
    assert [s.node for s in steps] == [-1, 12, 2, -2]
    assert steps[-1].agg_cost_s == pytest.approx(1.25 * EAST_S, abs=1e-3)
    assert steps[0].wkt == "LINESTRING(0.00025 0,0.0005 0)"
    assert steps[2].wkt == "LINESTRING(0.001 0,0.0015 0)"
    assert sum(s.length_m for s in steps[:-1]) == pytest.approx(1.25 * EAST_M, abs=0.01)


def test_route_along_one_edge(engine):
    # Both points on Main Street 2-3, driving west against the edge's direction (it is two-way).
    steps = route(engine, (0.0015, 0.0), (0.0012, 0.0))
    assert [(s.node, s.edge) for s in steps] == [(-1, edge_id(engine, 2, 3)), (-2, -1)]
    assert steps[-1].agg_cost_s == pytest.approx(0.3 * EAST_S, abs=1e-3)  # 3.340 s
    assert steps[0].wkt == "LINESTRING(0.0015 0,0.0012 0)"


def test_route_respects_one_way_street(engine):
    # Eastbound along North Street from 0.0002 to 0.0008: 0.6 of a block, 6.679 s.
    east = route(engine, (0.0002, 0.001), (0.0008, 0.001))
    assert east[-1].agg_cost_s == pytest.approx(0.6 * EAST_S, abs=1e-3)
    # Westbound on the same edge is forbidden: on to 5, down Middle Ave, west along Main St,
    # up West Lane and east again: 0.2 + 1 + 0.2 blocks east-west, 2 north-south = 37.700 s.
    west = route(engine, (0.0008, 0.001), (0.0002, 0.001))
    assert [s.node for s in west] == [-1, 5, 2, 12, 1, 4, -2]
    assert west[-1].agg_cost_s == pytest.approx(1.4 * EAST_S + 2 * NORTH_S, abs=1e-3)
    assert west[0].wkt == "LINESTRING(0.0008 0.001,0.001 0.001)"
    assert west[-2].wkt == "LINESTRING(0 0.001,0.0002 0.001)"
    # On foot the street is walked straight back: 0.6 x 111.3195 m at 5 km/h = 48.090 s.
    walk = route(engine, (0.0008, 0.001), (0.0002, 0.001), "walk")
    assert walk[-1].agg_cost_s == pytest.approx(0.6 * EAST_M / WALK_MS, abs=1e-3)


def test_route_through_a_one_way_edge_end(engine):
    # From vertex 1 the motorway is the only way onto the link 15 -> 3 (8.846 + 22.264 / 2 s):
    # to a point half-way up that link (0.002, -0.0005): 8.846 + 11.132 + 4.423 = 24.401 s.
    steps = route(engine, (0.0, 0.0), (0.002, -0.0005))
    assert [s.node for s in steps] == [1, 14, 15, -2]
    assert steps[-1].agg_cost_s == pytest.approx(1.5 * LINK_S + 2 * EAST_M / 20, abs=1e-3)


def test_no_route_is_no_rows(engine):
    assert route(engine, (0.0015, 0.001), (0.0005, 0.001)) == []  # 6 is a trap for cars
    assert route(engine, (0.0055, 0.0), (0.0, 0.0)) == []  # Lonely Road is an island
    assert len(route(engine, (0.0015, 0.001), (0.0005, 0.001), "walk")) == 3


def test_route_to_the_same_vertex_stands_still(engine):
    steps = route(engine, (0.001, 0.0), (0.001, 0.0))
    assert [(s.node, s.edge, s.agg_cost_s) for s in steps] == [(2, -1, 0.0)]


@pytest.mark.parametrize(("call", "mentions"), [
    ("rc.route(0, 91, 0.002, 0)", ["from_lat = 91", "-90 to 90"]),
    ("rc.route(0, 0, 0.002, -95)", ["to_lat = -95", "-90 to 90"]),
    ("rc.route(0, 0, 200, 0)", ["to_lon = 200", "-180 to 180"]),
    ("rc.route(0, 0, 0.002, 0, 'teleport')", ["mode = 'teleport'", "drive, walk or bike"]),
    ("rc.route(0.05, 0, 0.002, 0)", ["from_lon, from_lat", "at most 500 m"]),
    ("rc.route(0, 0, 0.002, 0.05)", ["to_lon, to_lat", "at most 500 m"]),
])
def test_route_bad_input(engine, call, mentions):
    assert route(engine, (0.0, 0.0), (0.002, 0.0))
    assert_invalid(engine, f"SELECT * FROM {call}", mentions)


# -- rc.travel_times -------------------------------------------------------------------------------

def test_travel_times_from_the_station(engine):
    # From the station (12) within 20 s: 1 and 2 half a block away, the motorway start 14 via
    # the link, 4 via West Lane, 5 via Middle Ave, 3 along Main St; 15 (25.5 s), 6 (27.8 s) not.
    times = {r.node: r.agg_cost_s for r in rows(
        engine, "SELECT * FROM rc.travel_times(0.0005, 0.0, 'drive', 20)")}
    half = EAST_S / 2
    assert times == pytest.approx({12: 0.0, 1: half, 2: half, 14: half + LINK_S,
                                   4: half + NORTH_S, 5: half + NORTH_S, 3: half + EAST_S},
                                  abs=1e-3)


def test_travel_times_respect_one_way(engine):
    # Half-way along North Street 5 -> 6: a car reaches only 6, then nothing (East Lane closed).
    by_car = rows(engine, "SELECT node, agg_cost_s, ST_AsText(geom) AS wkt "
                          "FROM rc.travel_times(0.0015, 0.001, 'drive', 600)")
    assert [(r.node, r.wkt) for r in by_car] == [(6, "POINT(0.002 0.001)")]
    assert by_car[0].agg_cost_s == pytest.approx(EAST_S / 2, abs=1e-3)
    on_foot = {r.node: r.agg_cost_s for r in rows(
        engine, "SELECT * FROM rc.travel_times(0.0015, 0.001, 'walk', 60)")}
    assert on_foot == pytest.approx({5: EAST_M / 2 / WALK_MS, 6: EAST_M / 2 / WALK_MS},
                                    abs=1e-3)  # 40.075 s each way


def test_travel_times_to_a_point_take_one_way_streets_the_other_way_round(engine):
    # To half-way along North Street 5 -> 6 within 20 s: from 5 half a block behind it, from 4
    # one and a half blocks, from 2 up Middle Avenue; never from 6, which the one-way street
    # leaves only eastwards and cars cannot leave at all (East Lane closed).
    times = {r.node: r.agg_cost_s for r in rows(
        engine, "SELECT * FROM rc.travel_times(0.0015, 0.001, 'drive', 20, 'to')")}
    half = EAST_S / 2
    assert times == pytest.approx({5: half, 4: half + EAST_S, 2: half + NORTH_S}, abs=1e-3)
    assert_invalid(engine, "SELECT * FROM rc.travel_times(0.0015, 0.001, 'drive', 20, 'back')",
                   ["direction = 'back'", "from", "to"])


@pytest.mark.parametrize(("call", "mentions"), [
    ("rc.travel_times(0.0005, 0, 'drive', 0)", ["max_s = 0", "more than 0 up to 7200"]),
    ("rc.travel_times(0.0005, 0, 'drive', 7201)", ["max_s = 7201", "up to 7200"]),
    ("rc.travel_times(0.0005, 91, 'drive')", ["lat = 91", "-90 to 90"]),
    ("rc.travel_times(0.0005, 0, 'plane')", ["mode = 'plane'", "drive, walk or bike"]),
])
def test_travel_times_bad_input(engine, call, mentions):
    assert rows(engine, "SELECT * FROM rc.travel_times(0.0005, 0, 'drive', 7200)")
    assert_invalid(engine, f"SELECT * FROM {call}", mentions)


# -- rc.isochrone ----------------------------------------------------------------------------------

def test_isochrone_on_a_one_way_street(engine):
    # From half-way along North Street a car reaches only the 55.66 m to 6 in any time: the
    # piece buffered by 50 m, a 100 m x 55.66 m box plus a 16-sided disc of radius 50 m
    # (8 x 50^2 x sin(pi/8) = 7,654 m2), 0.01322 km2 in every band.
    bands = rows(engine, "SELECT minutes, area_km2, ST_SRID(geom) AS srid, "
                         "GeometryType(geom) AS kind, "
                         "ST_Intersects(geom, 'SRID=4326;POINT(0.001 0.001)') AS has_5, "
                         "ST_Intersects(geom, 'SRID=4326;POINT(0.002 0.001)') AS has_6 "
                         "FROM rc.isochrone(0.0015, 0.001, 'drive', '{1,5}')")
    assert [b.minutes for b in bands] == [1, 5]
    for band in bands:
        assert (band.srid, band.kind, band.has_5, band.has_6) == (4326, "MULTIPOLYGON", False,
                                                                   True)
        assert band.area_km2 == pytest.approx((100 * EAST_M / 2 + 7654) / 1e6, rel=0.01)


def test_isochrone_bands_grow_and_leave_the_island_out(engine):
    bands = rows(engine, "SELECT minutes, area_km2, "
                         "ST_Intersects(geom, 'SRID=4326;POINT(0.006 0)') AS has_island, "
                         "ST_Intersects(geom, 'SRID=4326;POINT(0.002 0.001)') AS has_6 "
                         "FROM rc.isochrone(0.0005, 0.0, 'walk', '{2,1,1}')")
    assert [b.minutes for b in bands] == [1, 2]  # sorted, duplicates dropped
    one, two = bands
    assert 0 < one.area_km2 < two.area_km2
    # Walking 60 s covers 83.3 m: not to 6, which is 222.6 m away (along Main St and Middle
    # Ave, then North St, or via the footways); 120 s covers 166.7 m: still not.
    assert not one.has_6 and not two.has_6
    assert not one.has_island and not two.has_island


@pytest.mark.parametrize(("minutes", "mentions"), [
    ("{0}", ["band_minutes = 0", "1 to 60"]),
    ("{5,500}", ["band_minutes = 500", "1 to 60"]),
    ("{}", ["band_minutes = {}", "one or more values, each 1 to 60"]),
    ("{5,NULL}", ["band_minutes = NULL", "1 to 60"]),
])
def test_isochrone_bad_minutes(engine, minutes, mentions):
    assert len(rows(engine, "SELECT * FROM rc.isochrone(0.0005, 0.0, 'drive', '{1,60}')")) == 2
    assert_invalid(engine, "SELECT * FROM rc.isochrone(0.0005, 0.0, 'drive', "
                           "CAST(:minutes AS integer[]))", mentions, minutes=minutes)


@pytest.mark.parametrize(("call", "mentions"), [
    ("rc.isochrone(0.0005, 91)", ["lat = 91", "-90 to 90"]),
    ("rc.isochrone(0.0005, 0, 'drone')", ["mode = 'drone'", "drive, walk or bike"]),
    ("rc.isochrone(0.0005, 0, 'drive', NULL)", ["band_minutes = NULL", "each 1 to 60"]),
    ("rc.isochrone(0.05, 0)", ["lon, lat", "at most 500 m"]),
])
def test_isochrone_bad_input(engine, call, mentions):
    assert len(rows(engine, "SELECT * FROM rc.isochrone(0.0005, 0)")) == 3  # 5, 8, 12
    assert_invalid(engine, f"SELECT * FROM {call}", mentions)


# -- rc.travel_time_matrix -------------------------------------------------------------------------

def test_travel_time_matrix(engine):
    cells = rows(engine, (
        "SELECT * FROM rc.travel_time_matrix("
        "ARRAY['SRID=4326;POINT(0.0005 0)', 'SRID=4326;POINT(0.0015 0.001)']::geometry[], "
        "ARRAY['SRID=4326;POINT(0.002 0)', 'SRID=4326;POINT(0.0005 0)', "
        "'SRID=4326;POINT(0.006 0)']::geometry[], 'drive')"))
    matrix = {(c.origin_index, c.destination_index): c.cost_s for c in cells}
    assert len(cells) == len(matrix) == 6
    assert matrix == {
        (1, 1): pytest.approx(1.5 * EAST_S, abs=1e-3),  # station to 3 along Main Street
        (1, 2): 0.0,  # the station to itself
        (1, 3): None,  # the island
        (2, 1): None, (2, 2): None, (2, 3): None,  # from North Street only into the trap 6
    }


@pytest.mark.parametrize(("call", "mentions"), [
    ("rc.travel_time_matrix('{}'::geometry[], ARRAY['POINT(0 0)'::geometry])",
     ["origins = 0 points", "1 to 1000 points"]),
    ("rc.travel_time_matrix(ARRAY['POINT(0 0)'::geometry], NULL)",
     ["destinations = 0 points", "1 to 1000 points"]),
    ("rc.travel_time_matrix(ARRAY['POINT(0 0)', 'LINESTRING(0 0, 1 1)']::geometry[], "
     "ARRAY['POINT(0 0)'::geometry])", ["origins[2] = LINESTRING", "a point in SRID 4326"]),
    ("rc.travel_time_matrix(ARRAY['POINT(0 0)'::geometry], ARRAY['POINT(0 95)'::geometry])",
     ["destinations[1] lat = 95", "-90 to 90"]),
    ("rc.travel_time_matrix(ARRAY['POINT(0 0)'::geometry], ARRAY['POINT(0 0)'::geometry], "
     "'hover')", ["mode = 'hover'"]),
])
def test_travel_time_matrix_bad_input(engine, call, mentions):
    assert rows(engine, "SELECT * FROM rc.travel_time_matrix(ARRAY['POINT(0 0)'::geometry], "
                        "ARRAY['POINT(0.002 0)'::geometry])")[0].cost_s > 0
    assert_invalid(engine, f"SELECT * FROM {call}", mentions)


# -- awkward edges: engine and pgRouting agree --------------------------------------------------

# Beside the toy city (lon 0.010-0.012), added in a transaction that is rolled back: the edge
# shapes random real-data pairs rarely hit. Two parallel edges 901-902 (two-way 20 s, and a
# cheaper one-way 5 s), a zero-length edge 903-904, a one-way loop at 902 and a one-way edge
# 904 <- 901 travelled only target to source.
AWKWARD_VERTICES = {901: (0.010, 0.0), 902: (0.011, 0.0), 903: (0.012, 0.0), 904: (0.012, 0.0)}
AWKWARD_EDGES = [  # id, source, target, cost s, reverse cost s, coordinates
    (901, 901, 902, 20.0, 20.0, [(0.010, 0.0), (0.011, 0.0)]),
    (902, 901, 902, 5.0, -1.0, [(0.010, 0.0), (0.0105, 0.0002), (0.011, 0.0)]),
    (903, 902, 903, 10.0, 10.0, [(0.011, 0.0), (0.012, 0.0)]),
    (904, 903, 904, 0.0, 0.0, [(0.012, 0.0), (0.012, 0.0)]),
    (905, 902, 902, 30.0, -1.0, [(0.011, 0.0), (0.011, 0.001), (0.0115, 0.0005), (0.011, 0.0)]),
    (906, 904, 901, -1.0, 40.0, [(0.012, 0.0), (0.011, -0.001), (0.010, 0.0)]),
]
AWKWARD_POINTS = [  # edge id, fraction
    (901, 0.5), (902, 0.5), (903, 0.0), (903, 0.6), (904, 0.5), (904, 1.0), (905, 0.25),
    (905, 0.75), (906, 0.5), (906, 1.0), (904, 0.0),
]


def awkward_network() -> Network:
    """The awkward edges alone, as the engine sees them."""
    geometry = np.array([shapely.LineString(edge[5]) for edge in AWKWARD_EDGES])
    cost = np.array([edge[3] for edge in AWKWARD_EDGES])
    reverse = np.array([edge[4] for edge in AWKWARD_EDGES])
    arrays = NetworkArrays.from_shapely(
        network_id=1, edge_id=np.array([edge[0] for edge in AWKWARD_EDGES]),
        source=np.array([edge[1] for edge in AWKWARD_EDGES]),
        target=np.array([edge[2] for edge in AWKWARD_EDGES]),
        length_m=shapely.length(geometry) * 111_319.5,
        road_class=np.array(["residential"] * len(AWKWARD_EDGES), dtype=object),
        cost_s={m: cost for m in MODES}, reverse_cost_s={m: reverse for m in MODES},
        island={m: np.zeros(len(AWKWARD_EDGES), bool) for m in MODES}, geometry=geometry)
    return Network(arrays)


def test_awkward_edges_engine_and_pgrouting_agree(engine):
    network = awkward_network()
    index = {int(e): i for i, e in enumerate(network.arrays.edge_id)}
    pairs = list(permutations(range(len(AWKWARD_POINTS)), 2))
    expected = {}
    for a, b in pairs:
        (edge_a, fraction_a), (edge_b, fraction_b) = AWKWARD_POINTS[a], AWKWARD_POINTS[b]
        try:
            expected[a, b] = network.route(Snap(index[edge_a], fraction_a, 0, 0, 0),
                                           Snap(index[edge_b], fraction_b, 0, 0, 0), "drive").time_s
        except NoRoute:
            expected[a, b] = None
    edges = [edge for edge, _ in AWKWARD_POINTS]
    fractions = [fraction for _, fraction in AWKWARD_POINTS]
    with engine.connect() as conn, conn.begin() as transaction:
        insert_edges(conn, AWKWARD_VERTICES, AWKWARD_EDGES)
        vids = conn.execute(text(
            "SELECT rc._vid(k::integer, e, f) FROM unnest(CAST(:edges AS bigint[]), "
            "CAST(:fractions AS double precision[])) WITH ORDINALITY AS p (e, f, k) ORDER BY k"),
            {"edges": edges, "fractions": fractions}).scalars().all()
        one_by_one = {}
        for a, b in pairs:  # as rc.route asks: two points at a time
            one_by_one[a, b] = 0.0 if vids[a] == vids[b] else conn.execute(text(
                "SELECT max(agg_cost) FROM pgr_withPoints(rc._edges_sql('drive'), "
                "rc._points_sql(CAST(:edges AS bigint[]), CAST(:fractions AS double precision[])), "
                ":start, :end, directed => true, driving_side => 'b')"),
                {"edges": [edges[a], edges[b]], "fractions": [fractions[a], fractions[b]],
                 "start": vids[a] if vids[a] > 0 else -1, "end": vids[b] if vids[b] > 0 else -2}
            ).scalar()
        all_at_once = {(a, b): None for a, b in pairs}  # as rc.travel_time_matrix asks
        for row in conn.execute(text(
                "SELECT start_pid, end_pid, agg_cost FROM pgr_withPointsCost("
                "rc._edges_sql('drive'), rc._points_sql(CAST(:edges AS bigint[]), "
                "CAST(:fractions AS double precision[])), CAST(:vids AS bigint[]), "
                "CAST(:vids AS bigint[]), directed => true, driving_side => 'b')"),
                {"edges": edges, "fractions": fractions, "vids": vids}):
            for a, b in pairs:
                if (vids[a], vids[b]) == (row.start_pid, row.end_pid):
                    all_at_once[a, b] = row.agg_cost
        all_at_once.update({(a, b): 0.0 for a, b in pairs if vids[a] == vids[b]})
        # rc.route from the far corner of the one-way loop on round it, then half-way to 903.
        loop = conn.execute(text(
            "SELECT node, edge, agg_cost_s, ST_AsText(geom) AS wkt "
            "FROM rc.route(0.011, 0.001, 0.0115, 0.0) ORDER BY seq")).all()
        transaction.rollback()
    origin, destination = network.snap(0.011, 0.001, "drive"), network.snap(0.0115, 0.0, "drive")
    assert [(step.node, step.edge) for step in loop] == [(-1, 905), (902, 903), (-2, -1)]
    assert loop[-1].agg_cost_s == pytest.approx(
        network.route(origin, destination, "drive").time_s, abs=1e-6)
    assert [step.wkt for step in loop] == [
        "LINESTRING(0.011 0.001,0.0115 0.0005,0.011 0)", "LINESTRING(0.011 0,0.0115 0)", None]
    assert one_by_one == pytest.approx(expected, abs=1e-9)
    assert all_at_once == pytest.approx(expected, abs=1e-9)
    # By hand: half-way along the cheap one-way 901 -> 902 (2.5 s to 902), back along the
    # two-way parallel edge to its middle (10 s); the reverse way round: 10 s to 901, 2.5 s on.
    assert expected[1, 0] == pytest.approx(12.5) and expected[0, 1] == pytest.approx(12.5)
    # Round the one-way loop from a quarter to three quarters: 15 s; back: 7.5 + 7.5 s.
    assert expected[6, 7] == pytest.approx(15.0) and expected[7, 6] == pytest.approx(15.0)
    # Across the zero-length edge: its middle is 903 and 904 at once.
    assert expected[4, 10] == expected[4, 5] == expected[10, 5] == expected[5, 10] == 0.0
    # 906 is travelled only from 901 to 904: from its middle 20 s to 904, then 0 + 10 s to 902;
    # from 902 to its middle 20 s back to 901 (the cheap parallel edge is one-way), then 20 s.
    assert expected[8, 2] == pytest.approx(30.0) and expected[2, 8] == pytest.approx(40.0)
    assert sum(value is None for value in expected.values()) == 0


# -- catalogue -------------------------------------------------------------------------------------

def test_every_routing_function_is_commented(engine):
    functions = rows(engine, (
        "SELECT p.oid::regprocedure::text AS signature, "
        "obj_description(p.oid, 'pg_proc') AS comment "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'rc' AND p.proname = ANY(:names)"), names=list(ROUTING_FUNCTIONS))
    assert {f.signature.split("(")[0] for f in functions} == {
        f"rc.{name}" for name in ROUTING_FUNCTIONS}
    assert [f.signature for f in functions if not f.comment] == []
