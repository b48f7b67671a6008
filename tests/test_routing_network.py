"""The in-memory engine (and the AED finder's ranking on it) on networks small enough to check
by hand (no database)."""

import numpy as np
import pytest
import shapely

from rescuecircle.errors import InvalidInput, NoRoute
from routing.arrays import MODES, NetworkArrays
from routing.network import Network
from routing.time_of_day import FREE_FLOW, SpeedFactors
from services.finder import rank_by_walk

# Four vertices near the equator, about 111 m apart:
#   A -- B : 10 s both ways;  B -> C : 10 s one way (C -> B closed)
#   A -- D : 30 s both ways;  D -- C : 30 s both ways
A, B, C, D = 1, 2, 3, 4
XY = {A: (0.0, 0.0), B: (0.001, 0.0), C: (0.002, 0.0), D: (0.001, 0.001)}
EDGES = [  # id, source, target, forward s, reverse s
    (10, A, B, 10.0, 10.0),
    (11, B, C, 10.0, -1.0),
    (12, A, D, 30.0, 30.0),
    (13, D, C, 30.0, 30.0),
]


def toy_network(speed_factors: SpeedFactors = FREE_FLOW) -> Network:
    edge_id = np.array([e[0] for e in EDGES])
    source = np.array([e[1] for e in EDGES])
    target = np.array([e[2] for e in EDGES])
    geometry = shapely.linestrings([[XY[s], XY[t]] for s, t in zip(source, target, strict=False)])
    length_m = shapely.length(geometry) * 111_320
    forward = np.array([e[3] for e in EDGES])
    reverse = np.array([e[4] for e in EDGES])
    arrays = NetworkArrays.from_shapely(
        network_id=1, edge_id=edge_id, source=source, target=target, length_m=length_m,
        road_class=np.array(["residential"] * len(EDGES), dtype=object),
        cost_s={m: forward for m in MODES}, reverse_cost_s={m: reverse for m in MODES},
        island={m: np.zeros(len(EDGES), bool) for m in MODES}, geometry=geometry)
    return Network(arrays, speed_factors=speed_factors)


def test_one_way_forces_a_detour():
    network = toy_network()
    at_a = network.snap(0.0, 0.0, "drive")
    at_c = network.snap(0.002, 0.0, "drive")
    assert network.route(at_a, at_c, "drive").time_s == pytest.approx(20.0, abs=1e-6)
    back = network.route(at_c, at_a, "drive")
    assert back.time_s == pytest.approx(60.0, abs=1e-6)  # C -> D -> A, B is one way
    assert back.edges == [13, 12]


def test_snapping_keeps_the_fraction_along_the_edge():
    network = toy_network()
    snap = network.snap(0.00025, 0.0, "drive")  # a quarter along A-B
    assert snap.fraction == pytest.approx(0.25, abs=1e-3)
    result = network.search_from(snap, "drive")
    vertex = {int(v): i for i, v in enumerate(network.vertex_id)}
    assert result.time_s[vertex[B]] == pytest.approx(7.5, abs=0.01)
    assert result.time_s[vertex[A]] == pytest.approx(2.5, abs=0.01)
    assert result.time_s[vertex[C]] == pytest.approx(17.5, abs=0.01)


def test_reverse_search_gives_times_to_a_point():
    network = toy_network()
    at_c = network.snap(0.002, 0.0, "drive")
    to_c = network.search_to(at_c, "drive")
    vertex = {int(v): i for i, v in enumerate(network.vertex_id)}
    assert to_c.time_s[vertex[A]] == pytest.approx(20.0, abs=0.01)
    assert to_c.time_s[vertex[D]] == pytest.approx(30.0, abs=0.01)


def test_search_limit_stops_early():
    network = toy_network()
    result = network.search_from(network.snap(0.0, 0.0, "drive"), "drive", limit_s=15)
    assert np.isfinite(result.time_s).sum() == 2  # A and B only


def test_route_along_one_edge_and_its_geometry():
    network = toy_network()
    route = network.route(network.snap(0.0002, 0.0, "walk"), network.snap(0.0008, 0.0, "walk"),
                          "walk")
    assert route.time_s == pytest.approx(6.0, abs=0.05)
    assert route.length_m == pytest.approx(66.8, abs=0.5)
    lon_lat = shapely.get_coordinates(network.to_lonlat(route.geometry))
    assert lon_lat[0] == pytest.approx([0.0002, 0.0], abs=1e-7)
    assert lon_lat[-1] == pytest.approx([0.0008, 0.0], abs=1e-7)


def test_far_point_and_unknown_mode_are_refused():
    network = toy_network()
    with pytest.raises(InvalidInput, match="more than 500 m"):
        network.snap(0.1, 0.1, "drive")
    with pytest.raises(InvalidInput, match="mode 'fly' is unknown"):
        network.snap(0.0, 0.0, "fly")


def test_no_route_when_the_only_way_is_closed():
    edge_id = np.array([1])
    geometry = shapely.linestrings([[(0, 0), (0.001, 0)]])
    arrays = NetworkArrays.from_shapely(
        network_id=2, edge_id=edge_id, source=np.array([1]), target=np.array([2]),
        length_m=np.array([111.3]), road_class=np.array(["residential"], dtype=object),
        cost_s={m: np.array([10.0]) for m in MODES},
        reverse_cost_s={m: np.array([-1.0]) for m in MODES},
        island={m: np.zeros(1, bool) for m in MODES}, geometry=geometry)
    network = Network(arrays)
    with pytest.raises(NoRoute):
        network.route(network.snap(0.0009, 0, "drive"), network.snap(0.0001, 0, "drive"),
                      "drive")


# A street along the equator, a parking lot 49 m north of it mapped without its entrance
# (an island), and a gated compound 400 m north (another island).
NORTH_M = 1 / 110_574.3    # degrees of latitude per metre on the equator
ISLANDS = [  # id, (lon, lat) from, to, island
    (20, (0.0, 0.0), (0.007, 0.0), False),
    (21, (0.005, 49 * NORTH_M), (0.006, 49 * NORTH_M), True),
    (22, (0.001, 400 * NORTH_M), (0.003, 400 * NORTH_M), True),
]


def island_network() -> Network:
    geometry = shapely.linestrings([[a, b] for _, a, b, _ in ISLANDS])
    cost = shapely.length(geometry) * 111_320 / 1.4
    arrays = NetworkArrays.from_shapely(
        network_id=3, edge_id=np.array([e[0] for e in ISLANDS]),
        source=np.array([1, 3, 5]), target=np.array([2, 4, 6]),
        length_m=shapely.length(geometry) * 111_320,
        road_class=np.array(["residential", "service", "service"], dtype=object),
        cost_s={m: cost for m in MODES}, reverse_cost_s={m: cost for m in MODES},
        island={m: np.array([e[3] for e in ISLANDS]) for m in MODES}, geometry=geometry)
    return Network(arrays)


@pytest.mark.parametrize(("lon", "north_m", "expected"), [
    (0.0055, 26, 20),    # 23 m from the lot, 26 m from the street: the street
    (0.0055, 60, 20),    # beyond the lot, 11 m from it: 49 m farther is within 50 m more
    (0.002, 230, 20),    # 170 m from the compound: 230 m is within 1.5 x 170 m
    (0.002, 250, 22),    # 150 m from the compound: 250 m is more than 1.5 x 150 m
    (0.002, 395, 22),    # 5 m from the compound, nothing else near: the compound
])
def test_snapping_prefers_the_connected_network_when_not_much_farther(lon, north_m, expected):
    network = island_network()
    snap = network.snap(lon, north_m * NORTH_M, "walk")
    assert network.arrays.edge_id[snap.edge] == expected
    if expected == 20:  # the street runs along the equator
        assert snap.distance_m == pytest.approx(north_m, abs=0.5)
    [many] = network.snap_many(np.array([lon]), np.array([north_m * NORTH_M]), "walk")
    assert many == snap


def test_a_road_pointed_at_is_the_nearest_island_or_not():
    # Closing a road closes the one pointed at, not the street the point would snap to.
    network = island_network()
    assert network.arrays.edge_id[network.nearest_edge(0.0055, 26 * NORTH_M)] == 21


def test_no_route_from_an_island_says_so():
    network = island_network()
    compound = network.snap(0.002, 395 * NORTH_M, "walk")
    street = network.snap(0.002, 10 * NORTH_M, "walk")
    with pytest.raises(NoRoute, match=r"the origin lies on a part of the walk network cut off "
                                      r"from the rest \(an island\)"):
        network.route(compound, street, "walk")
    with pytest.raises(NoRoute, match=r"the destination lies on .* \(an island\)"):
        network.route(street, compound, "walk")
    across = network.route(compound, network.snap(0.0028, 395 * NORTH_M, "walk"), "walk")
    assert across.length_m == pytest.approx(0.0008 * 111_320, abs=1)  # within the island


def test_aed_finder_leaves_out_aeds_on_an_island_or_off_every_footway():
    network = island_network()
    rows = [{"id": 1, "lon": 0.0015, "lat": 5 * NORTH_M},       # on the street
            {"id": 2, "lon": 0.002, "lat": 400 * NORTH_M},      # in the compound (island)
            {"id": 3, "lon": 0.002, "lat": 1_000 * NORTH_M}]    # 600 m from any road
    found = rank_by_walk(network, 0.001, 10 * NORTH_M, rows, limit=5, max_walk_s=900)
    assert [row["id"] for row in found] == [1]
    assert found[0]["walk_s"] == pytest.approx((10 + 5) / (5 / 3.6) + 0.0005 * 111_320 / 1.4,
                                               abs=1)
