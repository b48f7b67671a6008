"""Isochrones *to* a point and of several facilities at once (issue #17, item 2), on the demo
city: the in-memory engine, the OGC process, ``POST /api/isochrones`` and SQL.

The demo city's one-way pair (Demo East Street eastbound, Demo West Street westbound) makes the
two directions differ: from a point on East Street a car can only drive on eastwards, and only
cars coming from the west reach it. The engine's search *to* a point is checked against
pgRouting's own: ``pgr_drivingDistance`` on the graph with each edge's costs swapped.
"""

import numpy as np
import pytest
import shapely
from flask.testing import FlaskClient
from shapely.geometry import shape
from sqlalchemy import Engine, text

from gis.demo_load import load_demo_city
from gis.network_loader import current_network_id, load_network_arrays
from rescuecircle.settings import Settings
from routing.coverage import network_coverage_grid
from routing.isochrone import (
    bands,
    facilities_time_grid,
    facility_bands,
    network_time_grid,
)
from routing.network import Network
from routing.snap import Snap
from tests.conftest import app_settings, client_for

ISOCHRONE = "/ogc/processes/isochrone/execution"
LIMIT_S = 600.0


def demo_city(make_database) -> Engine:
    """The demo city in the database the travel tests share (loaded once per session)."""
    engine = make_database("travel")
    if current_network_id(engine) is None:
        load_demo_city(engine)
    return engine


def unlimited(engine: Engine) -> Settings:
    """Settings without the public rate limit: these tests ask hundreds of questions a minute
    without a token, from one address."""
    return app_settings(engine).model_copy(update={"public_compute_per_min": 100_000})


def unlimited_client(engine: Engine) -> FlaskClient:
    """A test client of the app over ``engine`` with ``unlimited`` settings."""
    return client_for(engine, unlimited(engine))


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return demo_city(make_database)


@pytest.fixture(scope="module")
def network(engine) -> Network:
    return Network(load_network_arrays(engine))


@pytest.fixture(scope="module")
def client(engine):
    return unlimited_client(engine)


@pytest.fixture(scope="module")
def east_street(engine) -> tuple[float, float, int]:
    """The middle of the longest one-way edge of Demo East Street: (lon, lat, edge id)."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ST_X(ST_LineInterpolatePoint(geom, 0.5)) AS lon, "
            "ST_Y(ST_LineInterpolatePoint(geom, 0.5)) AS lat, id FROM rc.road_edge "
            "WHERE name = 'Demo East Street' AND cost_drive_s > 0 AND reverse_cost_drive_s < 0 "
            "ORDER BY length_m DESC, id LIMIT 1")).one()
    return row.lon, row.lat, row.id


@pytest.fixture(scope="module")
def stations(engine) -> list[list[float]]:
    with engine.connect() as conn:
        return [[x, y] for x, y in conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.station ORDER BY id"))]


def test_search_to_a_vertex_equals_pgrouting_on_the_reversed_graph(engine, network, east_street):
    # A vertex of the one-way edge: the engine's times *to* it against pgr_drivingDistance from
    # it on the graph whose cost and reverse_cost are swapped; every vertex, to the second.
    _, _, edge_id = east_street
    edge = int(np.nonzero(network.arrays.edge_id == edge_id)[0][0])
    vertex = int(network.source[edge])
    x, y = network.vertex_xy[vertex]
    at_vertex = Snap(edge, 0.0, 0.0, float(x), float(y))
    ours = network.search_to(at_vertex, "drive", limit_s=LIMIT_S).time_s
    with engine.connect() as conn:
        theirs = dict(conn.execute(text(
            "SELECT node, agg_cost FROM pgr_drivingDistance("
            "'SELECT id, source, target, reverse_cost_drive_s AS cost, "
            "cost_drive_s AS reverse_cost FROM rc.road_edge', :vertex, :limit, true)"),
            {"vertex": int(network.vertex_id[vertex]), "limit": LIMIT_S}).all())
    reached = {int(network.vertex_id[v]): float(ours[v]) for v in np.nonzero(ours <= LIMIT_S)[0]}
    assert len(reached) > 500
    assert set(reached) == set(theirs)
    assert max(abs(reached[node] - theirs[node]) for node in reached) < 1.0
    # The edge's other end: reached along the one-way edge, but back only round the block.
    forward = network.search_from(at_vertex, "drive", limit_s=LIMIT_S).time_s
    downstream = int(network.target[edge])
    assert forward[downstream] == pytest.approx(network.arrays.cost_s["drive"][edge])
    assert ours[downstream] > forward[downstream] + 10


def test_sql_travel_times_to_a_point_equal_the_engine(engine, network, east_street):
    # rc.travel_times(..., 'to') is pgr_withPointsDD on the transposed graph; the engine adds
    # the walk from the point to its road, which the SQL leaves out.
    lon, lat, _ = east_street
    snap = network.snap(lon, lat, "drive")
    for direction, search in (("to", network.search_to), ("from", network.search_from)):
        ours = search(snap, "drive", limit_s=300).time_s - snap.off_network_s
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT node, agg_cost_s FROM rc.travel_times(:lon, :lat, 'drive', 200, :d)"),
                {"lon": lon, "lat": lat, "d": direction}).all()
        index = {int(v): i for i, v in enumerate(network.vertex_id)}
        assert len(rows) > 50
        assert max(abs(ours[index[node]] - seconds) for node, seconds in rows) < 1.0


def test_reverse_drive_isochrone_differs_on_the_one_way_street(client, east_street):
    lon, lat, _ = east_street
    answers = {}
    for direction in ("from", "to"):
        response = client.post(ISOCHRONE, json={"inputs": {
            "point": [lon, lat], "mode": "drive", "minutes": [1, 2], "direction": direction}})
        assert response.status_code == 200, response.json
        features = response.json["features"]
        assert {f["properties"]["direction"] for f in features} == {direction}
        answers[direction] = {f["properties"]["minutes"]: f for f in features}
    one_from, one_to = (shape(answers[d][1]["geometry"]) for d in ("from", "to"))
    # one minute on from the point runs east; one minute before it came from the west
    assert one_from.centroid.x > lon > one_to.centroid.x
    assert one_from.symmetric_difference(one_to).area > 0.3 * one_from.area
    walked = [client.post(ISOCHRONE, json={"inputs": {
        "point": [lon, lat], "mode": "walk", "minutes": [2], "direction": d}}).json
        for d in ("from", "to")]  # walkers ignore one-way streets: the same both ways
    assert (walked[0]["features"][0]["properties"]["area_km2"]
            == walked[1]["features"][0]["properties"]["area_km2"])


def test_facilities_grid_is_the_earliest_of_each_facilitys_own(network, stations):
    # One labelled search: time = the cell-wise minimum of the single isochrones' grids, the
    # label the facility that minimum is from, and the union as city-wide coverage draws it.
    snaps = [network.snap(lon, lat, "drive") for lon, lat in stations]
    for direction in ("from", "to"):
        grid = facilities_time_grid(network, snaps, "drive", limit_s=300, direction=direction)
        assert grid.facility is not None
        singles = np.full((len(snaps), *grid.time_s.shape), np.inf)
        for k, snap in enumerate(snaps):
            own = network_time_grid(network, snap, "drive", limit_s=300, direction=direction)
            col = round((own.transform.c - grid.transform.c) / grid.cell_m)
            row = round((grid.transform.f - own.transform.f) / grid.cell_m)
            height, width = own.time_s.shape
            singles[k, row:row + height, col:col + width] = own.time_s
        assert np.array_equal(singles.min(axis=0), grid.time_s)
        clear = np.isfinite(grid.time_s) & (np.sort(singles, axis=0)[1] > grid.time_s + 1e-6)
        assert clear.sum() > 10_000
        assert np.array_equal(np.argmin(singles, axis=0)[clear], grid.facility[clear])
        assert set(np.unique(grid.facility)) == {-1, *range(len(snaps))}
    union = network_coverage_grid(network, snaps, "drive", limit_s=300)
    from_grid = facilities_time_grid(network, snaps, "drive", limit_s=300)
    assert np.array_equal(union.time_s, from_grid.time_s)
    parts = facility_bands(from_grid, [3, 5], len(snaps))
    for minutes, whole in zip((3, 5), bands(from_grid, [3, 5]), strict=True):
        mine = [band for band in parts if band.minutes == minutes]
        assert sorted(band.facility for band in mine) == list(range(len(snaps)))
        assert sum(band.area_km2 for band in mine) == pytest.approx(whole.area_km2, rel=0.01)


def test_facilities_isochrone_over_http_and_rest(client, stations):
    inputs = {"points": stations, "mode": "drive", "minutes": [3, 5], "direction": "to"}
    response = client.post(ISOCHRONE, json={"inputs": inputs})
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/geo+json"
    features = response.json["features"]
    keys = [(f["properties"]["minutes"], f["properties"]["facility"]) for f in features]
    assert keys == [(m, k) for m in (5, 3) for k in range(len(stations))]
    assert all(f["properties"]["population"] > 0 for f in features)
    rest = client.post("/api/isochrones", json=inputs)
    assert rest.status_code == 200 and rest.json == response.json
    surface = client.post("/api/isochrones", json={**inputs, "format": "geotiff"})
    assert surface.status_code == 200 and surface.data[:4] in (b"II*\x00", b"MM\x00*")


@pytest.mark.parametrize(("inputs", "words"), [
    ({"points": [], "minutes": [5]}, ["points", "1 to 100"]),
    ({"points": [[0, 0]] * 101}, ["points", "1 to 100"]),
    ({"points": [[114.0, 22.0], [200, 0]]}, ["points[1] longitude", "-180"]),
    ({"points": [[0.0, 0.0]]}, ["points[0]", "from any road"]),
    ({"point": [0, 0], "points": [[0, 0]]}, ["either point", "or points"]),
    ({"point": [114.0, 22.0], "direction": "towards"}, ["direction 'towards'", "from", "to"]),
])
def test_bad_isochrone_inputs_name_the_parameter(client, inputs, words):
    response = client.post(ISOCHRONE, json={"inputs": inputs})
    assert response.status_code == 400, response.json
    assert all(word in response.json["description"] for word in words), response.json


def test_sql_isochrone_to_a_point_and_facility_isochrones(engine, east_street, stations):
    lon, lat, _ = east_street
    with engine.connect() as conn:
        areas = {d: conn.execute(text(
            "SELECT geom FROM rc.isochrone(:lon, :lat, 'drive', '{1}', :d)"),
            {"lon": lon, "lat": lat, "d": d}).scalar_one() for d in ("from", "to")}
        shapes = {d: shapely.from_wkb(bytes.fromhex(str(g))) for d, g in areas.items()}
        assert shapes["from"].centroid.x > lon > shapes["to"].centroid.x
        rows = conn.execute(text(
            "SELECT minutes, facility_index, area_km2, geom FROM rc.facility_isochrones("
            "ARRAY(SELECT geom FROM rc.station ORDER BY id), 'drive', '{3,5}', 'to')")).all()
        assert [(r.minutes, r.facility_index) for r in rows] == [
            (m, k) for m in (3, 5) for k in range(1, len(stations) + 1)]
        assert all(r.area_km2 > 0.5 for r in rows)
        with pytest.raises(Exception, match="direction = 'up'"):
            conn.execute(text("SELECT * FROM rc.isochrone(:lon, :lat, 'drive', '{1}', 'up')"),
                         {"lon": lon, "lat": lat})
