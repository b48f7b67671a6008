"""Siting (MCLP, LSCP with HiGHS) against brute force on the lattice of test_coverage."""

import dataclasses
from itertools import combinations

import numpy as np
import pytest
import shapely

from planning.demand import Weighting, gather
from planning.inputs import PlanningInputs, Points
from planning.layers import build_layer
from planning.sites import candidate_vertices, plan_sites
from rescuecircle.errors import InvalidInput, NoRoute
from routing.drone import DroneSpec
from routing.network import Network
from routing.siting import coverage_matrix, lscp, mclp
from tests.test_coverage import SIDE, lattice

NO_CALLS = Points(np.zeros(0), np.zeros(0))


def instance(seed: int = 3):
    network = lattice()
    rng = np.random.default_rng(seed)
    lonlat = rng.uniform(0, (SIDE - 1) * 0.001, size=(60, 2))
    demand = [network.snap(lon, lat, "drive") for lon, lat in lonlat]
    weight = rng.integers(1, 100, size=len(demand)).astype(float)
    sites = [network.snap(lon, lat, "drive")
             for lon, lat in rng.uniform(0, (SIDE - 1) * 0.001, size=(9, 2))]
    matrix = coverage_matrix(network, sites[:1], sites[1:], demand, weight, "drive",
                             limit_s=80)
    return matrix


def covered_by(matrix, columns) -> float:
    hit = np.asarray(matrix.covers[:, list(columns)].sum(axis=1)).ravel() > 0
    return float(matrix.weight[hit].sum())


@pytest.mark.parametrize("add", [1, 2, 3])
def test_mclp_matches_brute_force(add):
    matrix = instance()
    found = mclp(matrix, add=add)
    best = max(covered_by(matrix, [0, *(1 + c for c in combo)])
               for combo in combinations(range(8), add))
    assert found.covered_weight == pytest.approx(best)
    assert len(found.chosen) == add and all(0 <= c < 8 for c in found.chosen)
    assert covered_by(matrix, [0, *(1 + c for c in found.chosen)]) == pytest.approx(best)
    assert found.covered_weight >= covered_by(matrix, [0])  # the existing site stays open


def test_lscp_is_the_smallest_cover():
    matrix = instance()
    found = lscp(matrix)
    coverable = covered_by(matrix, range(9))
    smallest = next(k for k in range(9) if any(
        covered_by(matrix, [0, *(1 + c for c in combo)]) == coverable
        for combo in combinations(range(8), k)))
    assert len(found.chosen) == smallest
    assert found.covered_weight == pytest.approx(coverable)
    assert found.uncoverable_weight == pytest.approx(found.total_weight - coverable)


def test_bad_requests_are_refused():
    matrix = instance()
    with pytest.raises(InvalidInput, match="add 9"):
        mclp(matrix, add=9)


def planning_inputs(rng: np.random.Generator) -> PlanningInputs:
    span = (SIDE - 1) * 0.001
    people = rng.uniform(0, span, size=(300, 2))
    none = Points(np.zeros(0), np.zeros(0))
    return PlanningInputs(
        stations=Points(np.array([0.001]), np.array([0.001]), {"ambulances": np.array([1])}),
        aeds=Points(np.zeros(0), np.zeros(0), {"available": np.zeros(0, bool)}),
        drone_pads=none,
        people=Points(people[:, 0], people[:, 1], {"people": rng.integers(1, 50, 300)}))


def test_plan_sites_adds_coverage_and_lscp_covers_everyone():
    network = lattice()
    inputs = planning_inputs(np.random.default_rng(5))
    # The lattice's walk is as fast as its drive (10 s per 111 m): limits of a fraction of
    # a minute keep the models from covering everything with one site.
    none_added = plan_sites(network, inputs, "stations", add=0, minutes=0.5,
                            demand_cell_m=200, candidate_cell_m=400)
    one = plan_sites(network, inputs, "stations", add=1, minutes=0.5, demand_cell_m=200,
                     candidate_cell_m=400)
    assert one.after.people > none_added.after.people
    assert len(one.chosen_lonlat) == 1 and not none_added.chosen_lonlat
    aeds = plan_sites(network, inputs, "aeds", add=2, minutes=0.5, demand_cell_m=200,
                      candidate_cell_m=300)
    assert len(aeds.chosen_lonlat) == 2
    # Candidates are road vertices: lattice corners.
    assert all(abs(v * 1000 - round(v * 1000)) < 1e-6 for xy in aeds.chosen_lonlat for v in xy)
    cover_all = plan_sites(network, inputs, "aeds", add=None, minutes=0.5, demand_cell_m=200,
                           candidate_cell_m=300)
    assert cover_all.model == "lscp" and len(cover_all.chosen_lonlat) > 2
    assert cover_all.after.people == pytest.approx(
        cover_all.total.people - cover_all.uncoverable.people)
    assert aeds.after.people < cover_all.after.people
    with pytest.raises(InvalidInput, match="drone"):
        plan_sites(network, inputs, "drones", add=1)


def test_drone_pads_cover_by_air_only_the_people_beyond_an_aed_walk():
    network = lattice()
    inputs = planning_inputs(np.random.default_rng(5))
    slow = DroneSpec(cruise_speed_kmh=10, takeoff_s=0, landing_s=0, range_km=5)   # 333 m in 2 min
    one = plan_sites(network, inputs, "drone-pads", add=1, minutes=2, demand_cell_m=200,
                     candidate_cell_m=300, drone=slow)
    # By hand: the candidate with the most people (on 200 m cells) within 333 m in a line.
    demand = gather(network.projection, inputs.people, NO_CALLS, Weighting(0), cell_m=200)
    dx, dy, weight = demand.x, demand.y, demand.weight
    cx, cy = candidate_vertices(network, cell_m=300)
    within = np.hypot(dx[:, None] - cx[None, :], dy[:, None] - cy[None, :]) <= 2 * 60 * 10 / 3.6
    assert one.after.people == pytest.approx((weight[:, None] * within).sum(0).max())
    assert one.total.people == pytest.approx(weight.sum())   # no AED: everyone counts
    everyone = plan_sites(network, inputs, "drone-pads", add=None, minutes=2, demand_cell_m=200,
                          candidate_cell_m=300, drone=slow)
    assert everyone.model == "lscp" and len(everyone.chosen_lonlat) > 1
    assert everyone.after.people == pytest.approx(everyone.total.people)
    # An existing pad is kept and counted; an AED takes its walkers out of the demand.
    (lon, lat), = one.chosen_lonlat
    with_pad = dataclasses.replace(inputs, drone_pads=Points(
        np.array([lon]), np.array([lat]), {"range_km": np.array([5.0]),
                                           "cruise_speed_kmh": np.array([10.0])}))
    none_added = plan_sites(network, with_pad, "drone-pads", add=0, minutes=2,
                            demand_cell_m=200, candidate_cell_m=300, drone=slow)
    # The existing pad's drone spends the default 60 s taking off and landing: it reaches less.
    assert none_added.after.people < one.after.people
    # On foot at 4 km/h (100 s per 111 m) an AED serves about three blocks in 5 minutes.
    arrays = network.arrays
    walking = Network(dataclasses.replace(
        arrays, cost_s={**arrays.cost_s, "walk": arrays.cost_s["walk"] * 10},
        reverse_cost_s={**arrays.reverse_cost_s, "walk": arrays.reverse_cost_s["walk"] * 10}))
    with_aed = dataclasses.replace(inputs, aeds=Points(
        np.array([0.007]), np.array([0.007]), {"available": np.array([True])}))
    fewer = plan_sites(walking, with_aed, "drone-pads", add=1, minutes=2, demand_cell_m=200,
                       candidate_cell_m=300, drone=slow)
    assert 0 < fewer.total.people < one.total.people
    # Where everyone can walk to an AED in time, no pad is proposed.
    with pytest.raises(NoRoute, match="5-minute walk"):
        plan_sites(network, with_aed, "drone-pads", add=1, minutes=2, drone=slow)


def test_no_fly_zones_block_flights_in_pad_siting_and_drone_layers():
    network = lattice()
    inputs = planning_inputs(np.random.default_rng(5))
    slow = DroneSpec(cruise_speed_kmh=10, takeoff_s=0, landing_s=0, range_km=5)   # 333 m in 2 min
    wall = shapely.box(0.0069, -0.002, 0.0071, 0.016)   # a no-fly strip down the middle
    walled = dataclasses.replace(inputs, no_fly=(wall,))
    found = plan_sites(network, walled, "drone-pads", add=1, minutes=2, demand_cell_m=200,
                       candidate_cell_m=300, drone=slow)
    # By hand: people within 333 m and on the same side of the wall as the candidate.
    demand = gather(network.projection, inputs.people, NO_CALLS, Weighting(0), cell_m=200)
    dx, dy, weight = demand.x, demand.y, demand.weight
    cx, cy = candidate_vertices(network, cell_m=300)
    wx0, _ = network.projection.to_xy(np.array([0.0069]), np.array([0.0]))
    wx1, _ = network.projection.to_xy(np.array([0.0071]), np.array([0.0]))
    near = np.hypot(dx[:, None] - cx[None, :], dy[:, None] - cy[None, :]) <= 2 * 60 * 10 / 3.6
    west = (dx[:, None] < wx0[0]) & (cx[None, :] < wx0[0])
    east = (dx[:, None] > wx1[0]) & (cx[None, :] > wx1[0])
    best = (weight[:, None] * (near & (west | east))).sum(0).max()
    assert found.after.people == pytest.approx(best)
    # The drone-pads coverage layer shrinks behind the wall too.
    pad = Points(np.array([0.0065]), np.array([0.007]),
                 {"range_km": np.array([5.0]), "cruise_speed_kmh": np.array([60.0])})
    open_sky = build_layer(network, dataclasses.replace(inputs, drone_pads=pad), "drone-pads",
                           minutes=[2])
    blocked = build_layer(network, dataclasses.replace(walled, drone_pads=pad), "drone-pads",
                          minutes=[2])
    assert 0 < blocked.bands[0].area_km2 < 0.8 * open_sky.bands[0].area_km2
