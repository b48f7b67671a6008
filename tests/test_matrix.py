"""The travel-time and distance matrix (issue #17, item 3): the engine against routes, the OGC
process ``matrix`` through OWSLib, ``POST /api/matrix``, jobs for large ones, and no route as
null on the toy city.

A matrix cell must be what the route between the same two points says, time and length, in
both search directions (one search per source, or per target on the transposed graph, whichever
side is smaller): the engine is checked against ``Network.route`` pair by pair.
"""

import time

import numpy as np
import pytest
import shapely
from owslib.ogcapi.processes import Processes
from sqlalchemy import Engine

from gis.network_loader import load_network_arrays
from gis.osm_import import import_osm
from gis.tokens import create_token
from rescuecircle.errors import NoRoute
from routing import direction as directions
from routing.direction import opposite
from routing.hierarchy import Hierarchy, hierarchy_of
from routing.matrix import travel_matrix
from routing.network import Network
from routing.row_search import search_to_columns
from services.matrix import MAX_SYNC_CELLS
from tests.conftest import road_points, served
from tests.test_reach import demo_city, unlimited, unlimited_client
from tests.test_routing_api import TOY_CITY

MATRIX = "/ogc/processes/matrix/execution"
ROUTE = "/ogc/processes/route/execution"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return demo_city(make_database)


@pytest.fixture(scope="module")
def network(engine) -> Network:
    return Network(load_network_arrays(engine))


@pytest.fixture(scope="module")
def client(engine):
    return unlimited_client(engine)


def random_points(network: Network, count: int, seed: int) -> list[list[float]]:
    """Points spread over the network's extent (WGS84)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = shapely.total_bounds(network.arrays.lines.all())
    return np.column_stack([rng.uniform(west, east, count),
                            rng.uniform(south, north, count)]).round(6).tolist()


@pytest.mark.parametrize("mode", ["drive", "walk"])
@pytest.mark.parametrize(("sources", "targets"), [(30, 12), (12, 30)])
def test_matrix_cells_are_the_routes(network, mode, sources, targets):
    points = random_points(network, sources + targets, seed=sources)
    snaps = [network.snap(lon, lat, mode) for lon, lat in points]
    origins, destinations = snaps[:sources], snaps[sources:]
    destinations.append(origins[0])  # a point to itself
    found = travel_matrix(network, origins, destinations, mode, lengths=True)
    assert found.time_s.shape == found.length_m.shape == (sources, targets + 1)
    for i, origin in enumerate(origins):
        for j, destination in enumerate(destinations):
            try:
                route = network.route(origin, destination, mode)
            except NoRoute:
                assert found.time_s[i, j] == np.inf and np.isnan(found.length_m[i, j])
                continue
            assert found.time_s[i, j] == pytest.approx(route.time_s, abs=1e-6)
            assert found.length_m[i, j] == pytest.approx(route.length_m, abs=1e-3)
    assert found.length_m[0, -1] == 0.0


def test_owslib_describes_and_executes_matrix(engine, network):
    points = random_points(network, 7, seed=7)
    with served(engine, unlimited(engine)) as base:
        processes = Processes(f"{base}/ogc/")
        assert "matrix" in [p["id"] for p in processes.processes()]
        described = processes.process("matrix")
        assert {"sources", "targets", "mode", "metrics"} <= set(described["inputs"])
        assert described["jobControlOptions"] == ["sync-execute", "async-execute"]
        answer = processes.execute("matrix", inputs={
            "sources": points[:3], "targets": points[3:], "mode": "drive"})
    assert len(answer["durations_s"]) == 3 and len(answer["durations_s"][0]) == 4
    assert len(answer["sources"]) == 3 and len(answer["targets"]) == 4
    client = unlimited_client(engine)
    for i in range(3):
        for j in range(4):
            route = client.post(ROUTE, json={"inputs": {
                "origin": points[i], "destination": points[3 + j], "mode": "drive"}}).json
            assert answer["durations_s"][i][j] == route["properties"]["duration_s"]
            assert answer["distances_m"][i][j] == route["properties"]["length_m"]


def test_rest_matrix_is_the_process(client, network):
    points = random_points(network, 6, seed=3)
    inputs = {"sources": points[:2], "targets": points[2:], "mode": "walk",
              "metrics": ["duration"]}
    rest = client.post("/api/matrix", json=inputs)
    assert rest.status_code == 200, rest.json
    assert rest.json == client.post(MATRIX, json={"inputs": inputs}).json
    assert "distances_m" not in rest.json and len(rest.json["durations_s"]) == 2


def test_large_matrix_runs_as_a_job(engine, client, network):
    points = random_points(network, 400, seed=11)
    inputs = {"sources": points, "targets": points[:300], "mode": "drive"}
    assert MAX_SYNC_CELLS < 400 * 300
    refused = client.post(MATRIX, json={"inputs": inputs})
    assert refused.status_code == 400
    assert "respond-async" in refused.json["description"]
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst', label='matrix')}"}
    started = client.post("/api/matrix", json=inputs,
                          headers={**analyst, "Prefer": "respond-async"})
    assert started.status_code == 201, started.json
    deadline = time.monotonic() + 120
    while (status := client.get(started.headers["Location"], headers=analyst).json)[
            "status"] not in ("successful", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status["status"] == "successful", status
    result = client.get(started.headers["Location"] + "/results", headers=analyst).json
    assert np.array(result["durations_s"], dtype=float).shape == (400, 300)
    sources = [network.snap(lon, lat, "drive") for lon, lat in points[:5]]
    direct = travel_matrix(network, sources, sources, "drive", lengths=True)
    assert np.allclose(np.array(result["durations_s"], float)[:5, :5], direct.time_s, atol=0.05)
    assert np.allclose(np.array(result["distances_m"], float)[:5, :5], direct.length_m, atol=0.05)


@pytest.mark.parametrize(("inputs", "words"), [
    ({"targets": [[0, 0]]}, ["sources", "1 to 1000"]),
    ({"sources": [[0, 0]] * 1001, "targets": [[0, 0]]}, ["sources", "1 to 1000"]),
    ({"sources": [[114.0, 22.0]], "targets": [[114.0, 95]]}, ["targets[0] latitude", "-90"]),
    ({"sources": [[114.0, 22.0]], "targets": [[0, 0]], "metrics": ["time"]}, ["metrics"]),
    ({"sources": [[0.0, 0.0]], "targets": [[0.0, 0.0]]}, ["sources[0]", "from any road"]),
])
def test_bad_matrix_inputs_name_the_parameter(client, inputs, words):
    response = client.post(MATRIX, json={"inputs": inputs})
    assert response.status_code == 400, response.json
    assert all(word in response.json["description"] for word in words), response.json


def test_no_route_is_null_on_the_toy_city(make_database):
    # Toy city: 6 (0.002, 0.001) is a trap for cars (North Street one way into it, East Lane
    # closed); the island Lonely Road is reached from nowhere. Walkers leave 6 freely.
    engine = make_database("matrix_toy")
    import_osm(engine, TOY_CITY)
    client = unlimited_client(engine)
    points = [[0.0, 0.0], [0.002, 0.001], [0.006, 0.0]]
    answer = client.post(MATRIX, json={"inputs": {
        "sources": points, "targets": points, "mode": "drive"}}).json
    durations, distances = answer["durations_s"], answer["distances_m"]
    assert durations[1][0] is None and distances[1][0] is None  # out of the trap: no way
    assert durations[0][1] > 0 and distances[0][1] > 200  # into it: fine
    assert durations[0][2] is None and durations[2][0] is None  # the island
    assert [distances[i][i] for i in range(3)] == [0.0, 0.0, 0.0]  # a point to itself
    walked = client.post(MATRIX, json={"inputs": {
        "sources": points[1:2], "targets": points[:1], "mode": "walk"}}).json
    assert walked["durations_s"][0][0] > 0


def test_depart_at_takes_the_hours_speeds_as_routes_do(client, network):
    # The demo city is in Asia/Shanghai; its default speed factors slow driving at 08:00.
    points = random_points(network, 4, seed=5)
    answers = {}
    for at in ("2026-11-25T03:00:00+08:00", "2026-11-25T08:00:00+08:00"):
        answers[at] = client.post(MATRIX, json={"inputs": {
            "sources": points[:2], "targets": points[2:], "depart_at": at}}).json["durations_s"]
        route = client.post(ROUTE, json={"inputs": {
            "origin": points[1], "destination": points[3], "depart_at": at}}).json
        assert answers[at][1][1] == route["properties"]["duration_s"]
    night, rush = answers.values()
    assert all(r > n for rr, nn in zip(rush, night, strict=True)
               for r, n in zip(rr, nn, strict=True))


@pytest.mark.parametrize(("mode", "hour"), [("drive", None), ("drive", 8), ("walk", None)])
def test_hierarchy_times_are_the_row_searches(futian_streets, mode, hour):
    """Every cell through the contraction hierarchy equals the full Dijkstra's, both ways."""
    snaps = road_points(futian_streets, mode, 120, seed=7)
    for direction in ("from", "to"):
        graph = directions.graph(futian_streets, mode, hour, direction)
        rows = [directions.seeds(futian_streets, snap, mode, hour, direction)
                for snap in snaps[:60]]
        columns = np.unique([seed.vertex for snap in snaps[60:] for seed in directions.seeds(
            futian_streets, snap, mode, hour, opposite(direction))])
        expected, _ = search_to_columns(graph, rows, columns)
        found = Hierarchy.build(graph).times_to_columns(rows, columns)
        assert np.isfinite(expected).mean() > 0.9
        assert np.array_equal(np.isfinite(found), np.isfinite(expected))
        finite = np.isfinite(expected)
        assert np.allclose(found[finite], expected[finite], rtol=0, atol=1e-6)


def test_matrix_of_times_uses_the_hierarchy_once_built(futian_streets):
    """The first large matrix starts the build and is answered by row searches; once the
    hierarchy is there the same request gives the same times through it."""
    snaps = road_points(futian_streets, "drive", 40, seed=11)
    graph = futian_streets.graph("drive", 17)
    assert hierarchy_of(graph) is None  # not built yet: the build starts in the background
    first = travel_matrix(futian_streets, snaps[:20], snaps[20:], "drive", hour=17)
    assert hierarchy_of(graph, wait=True) is not None
    again = travel_matrix(futian_streets, snaps[:20], snaps[20:], "drive", hour=17)
    assert np.array_equal(np.isfinite(first.time_s), np.isfinite(again.time_s))
    finite = np.isfinite(first.time_s)
    assert finite.mean() > 0.9
    assert np.allclose(first.time_s[finite], again.time_s[finite], rtol=0, atol=1e-6)
