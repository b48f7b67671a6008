"""Siting weighted by incidents, by population or a mix, and the AED relocation what-if, on the
lattice of test_coverage (15 x 15 blocks of 111 m, 10 s per block): checked by hand and
against brute force."""

from itertools import combinations

import numpy as np
import pytest

from planning.demand import Weighting, gather
from planning.inputs import PlanningInputs, Points
from planning.sites import plan_sites, sites_geojson
from rescuecircle.errors import InvalidInput
from routing.siting import coverage_matrix, relocate
from tests.test_coverage import SIDE, lattice

NONE = Points(np.zeros(0), np.zeros(0))
WEST, EAST = (0.002, 0.002), (0.012, 0.012)   # two corners 2.2 km apart


def cluster(rng: np.random.Generator, centre: tuple[float, float], count: int) -> np.ndarray:
    """Points within about 100 m of ``centre`` (degrees)."""
    return np.asarray(centre) + rng.uniform(-0.001, 0.001, size=(count, 2))


def inputs_with(people: np.ndarray, per_point: int, aeds: np.ndarray | None = None
                ) -> PlanningInputs:
    aed = np.zeros((0, 2)) if aeds is None else aeds
    return PlanningInputs(
        stations=Points(np.array([0.0]), np.array([0.0]), {"ambulances": np.array([1])}),
        aeds=Points(aed[:, 0], aed[:, 1], {"id": np.arange(len(aed)) + 101,
                                           "available": np.ones(len(aed), bool)}),
        drone_pads=NONE,
        people=Points(people[:, 0], people[:, 1],
                      {"people": np.full(len(people), per_point)}))


def near(lonlat: tuple[float, float], centre: tuple[float, float]) -> bool:
    return float(np.hypot(lonlat[0] - centre[0], lonlat[1] - centre[1])) < 0.004


def test_weighting_parses_and_names_its_range():
    assert Weighting.parse("population").incidents_share == 0
    assert Weighting.parse("Incidents").incidents_share == 1
    assert Weighting.parse("mix:0.25").incidents_share == 0.25
    assert Weighting.parse("mix:0.25").label() == "mix:0.25"
    for bad in ("mix:1.5", "mix:-0.1", "mix:", "mix:half", "calls"):
        with pytest.raises(InvalidInput, match=r"demand .* allowed range 0-1"):
            Weighting.parse(bad)


def test_gather_counts_calls_per_cell_and_mixes_equal_totals():
    network = lattice()
    people = Points(np.array([0.0005, 0.0006, 0.0105]), np.array([0.0005, 0.0005, 0.0105]),
                    {"people": np.array([100.0, 300.0, 0.0])})
    calls = Points(np.array([0.0005, 0.0104, 0.0106]), np.array([0.0005, 0.0104, 0.0106]))
    by_people = gather(network.projection, people, calls, Weighting(0), cell_m=250)
    assert sorted(by_people.people) == [0, 400] and sorted(by_people.calls) == [1, 2]
    assert sorted(by_people.weight) == [0, 400]       # the calls' cell weighs nothing
    by_calls = gather(network.projection, people, calls, Weighting(1), cell_m=250)
    assert sorted(by_calls.weight) == [1, 2]
    mixed = gather(network.projection, people, calls, Weighting(0.5), cell_m=250)
    # each call counts as 400 / 3 people, times 0.5; each person 0.5
    assert sorted(mixed.weight) == pytest.approx(sorted([200 + 0.5 * 400 / 3, 400 / 3]))
    assert mixed.weight.sum() == pytest.approx(400)
    with pytest.raises(InvalidInput, match="no incident was selected"):
        gather(network.projection, people, NONE, Weighting(0.5), cell_m=250)


def test_siting_by_incidents_goes_where_the_calls_are_not_where_people_live():
    """People live in the west corner; the calls came from the east corner (a station
    concourse, say), 2.2 km away, far beyond one AED's minute: each weighting must choose its
    own corner, and each plan covers the most of what it weighs."""
    network = lattice()
    rng = np.random.default_rng(7)
    inputs = inputs_with(cluster(rng, WEST, 40), 50)
    calls = Points(*cluster(rng, EAST, 30).T)
    options = {"minutes": 1.0, "demand_cell_m": 200, "candidate_cell_m": 300}
    by_people = plan_sites(network, inputs, "aeds", add=1, calls=calls, **options)
    by_calls = plan_sites(network, inputs, "aeds", add=1, calls=calls,
                          weighting=Weighting(1), **options)
    assert near(by_people.chosen_lonlat[0], WEST) and near(by_calls.chosen_lonlat[0], EAST)
    assert by_calls.after.calls > 0 == by_people.after.calls
    assert by_people.after.people > 0 == by_calls.after.people
    assert by_calls.total.calls == 30 and by_people.total.people == 2000
    both = plan_sites(network, inputs, "aeds", add=2, calls=calls, weighting=Weighting(0.5),
                      **options)
    corners = sorted(("W" if near(site, WEST) else "E" if near(site, EAST) else "?")
                     for site in both.chosen_lonlat)
    assert corners == ["E", "W"]
    geojson = sites_geojson(by_calls)
    assert geojson["demand"] == "incidents" and geojson["covered_calls"] == by_calls.after.calls
    assert geojson["features"][0]["properties"]["gained_calls"] == by_calls.after.calls


def test_new_sites_are_ranked_by_what_each_adds():
    network = lattice()
    rng = np.random.default_rng(3)
    people = np.vstack([cluster(rng, WEST, 40), cluster(rng, EAST, 10)])
    plan = plan_sites(network, inputs_with(people, 10), "aeds", add=2, minutes=1.0,
                      demand_cell_m=200, candidate_cell_m=300)
    gains = [site.gained.people for site in plan.sites]
    assert gains == sorted(gains, reverse=True) and gains[1] > 0
    assert sum(gains) == pytest.approx(plan.after.people - plan.before.people)
    assert near(plan.chosen_lonlat[0], WEST)


@pytest.mark.parametrize("moves", [1, 2])
def test_relocation_matches_brute_force(moves):
    network = lattice()
    rng = np.random.default_rng(11)
    span = (SIDE - 1) * 0.001
    snap = [network.snap(lon, lat, "walk") for lon, lat in rng.uniform(0, span, (60, 2))]
    demand, sites = snap[:48], snap[48:]        # 4 existing, 8 candidates
    weight = rng.integers(1, 100, len(demand)).astype(float)
    matrix = coverage_matrix(network, sites[:4], sites[4:], demand, weight, "walk", limit_s=40)

    def covered(columns) -> float:
        hit = np.asarray(matrix.covers[:, list(columns)].sum(axis=1)).ravel() > 0
        return float(weight[hit].sum())

    best = max(covered([*(j for j in range(4) if j not in out), *(4 + c for c in into)])
               for m in range(moves + 1) for out in combinations(range(4), m)
               for into in combinations(range(8), m))
    found = relocate(matrix, moves=moves)
    assert found.covered_weight == pytest.approx(best)
    assert len(found.closed) == len(found.chosen) <= moves
    assert found.covered_weight >= covered(range(4))      # never worse than not moving
    with pytest.raises(InvalidInput, match="moves 5 is outside 0-4"):
        relocate(matrix, moves=5)


def test_relocation_moves_the_idle_aeds_to_the_people():
    """One AED where people live, one in an empty corner, none in the east where people live
    too: relocating one moves the idle one (by its id) east, and says what is gained."""
    network = lattice()
    rng = np.random.default_rng(5)
    people = np.vstack([cluster(rng, WEST, 30), cluster(rng, EAST, 30)])
    aeds = np.array([[0.002, 0.002], [0.013, 0.001]])
    inputs = inputs_with(people, 10, aeds)
    options = {"minutes": 1.0, "demand_cell_m": 200, "candidate_cell_m": 300}
    plan = plan_sites(network, inputs, "aeds", add=None, relocate=1, **options)
    assert plan.model == "relocate" and len(plan.moves) == 1
    move, = plan.moves
    assert move.facility_id == 102 and near(move.to_lonlat, EAST)
    assert plan.after.people > plan.before.people
    assert plan.sites[0].gained.people == pytest.approx(plan.after.people - plan.before.people)
    geojson = sites_geojson(plan)
    assert geojson["moves"][0]["aed_id"] == 102
    assert geojson["features"][0]["properties"]["moved_aed_id"] == 102
    assert geojson["gained_people"] > 0
    nothing = plan_sites(network, inputs, "aeds", add=None, relocate=0, **options)
    assert not nothing.moves and nothing.after.people == plan.before.people
    with pytest.raises(InvalidInput, match="kind 'stations' cannot be relocated"):
        plan_sites(network, inputs, "stations", add=None, relocate=1, **options)
    with pytest.raises(InvalidInput, match="not both"):
        plan_sites(network, inputs, "aeds", add=1, relocate=1, **options)
