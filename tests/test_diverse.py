"""Robust, diverse responder choice on a river town small enough to check by hand.

    N0 --- N1 --- N2 --- N3 --- N4 --- N5 --- N6     north bank, y = 0.002
            |                           |
         bridge 1                    bridge 2         (river between)
            |                           |
    S0 --- S1 --- S2 --- S3 --- S4 --- S5 --- S6     south bank, y = 0

0.001 degree is about 111 m; everyone walks at 5 km/h. The patient stands on S1-S2 at
x = 0.0018. Volunteers A (x = 0.0009) and B (x = 0.0012) stand on the north bank by bridge 1,
C (x = 0.005) by bridge 2. A and B are fastest but both need bridge 1: if it is blocked, both
detour over bridge 2 (over 1 km). C is slower but crosses elsewhere.
"""

import numpy as np
import pytest
import shapely

from rescuecircle.errors import InvalidInput
from routing.arrays import MODES, NetworkArrays
from routing.diverse import (
    Responder,
    Scenarios,
    approaches,
    expected_s,
    overlap,
    select_nearest_by_distance,
    select_nearest_by_time,
    select_robust,
    worst_case_s,
)
from routing.network import Network
from tests.conftest import road_points

WALK_MPS = 5 / 3.6


def river_town() -> Network:
    xy, edges = {}, []
    for i in range(7):
        xy[f"N{i}"] = (i * 0.001, 0.002)
        xy[f"S{i}"] = (i * 0.001, 0.0)
    for bank in "NS":
        edges += [(f"{bank}{i}", f"{bank}{i + 1}") for i in range(6)]
    edges += [("N1", "S1"), ("N5", "S5")]
    ids = {name: n + 1 for n, name in enumerate(xy)}
    geometry = shapely.linestrings([[xy[a], xy[b]] for a, b in edges])
    length_m = shapely.length(geometry) * 111_320
    cost = length_m / WALK_MPS
    arrays = NetworkArrays.from_shapely(
        network_id=1, edge_id=np.arange(1, len(edges) + 1),
        source=np.array([ids[a] for a, _ in edges]), target=np.array([ids[b] for _, b in edges]),
        length_m=length_m, road_class=np.array(["footway"] * len(edges), dtype=object),
        cost_s={m: cost for m in MODES}, reverse_cost_s={m: cost for m in MODES},
        island={m: np.zeros(len(edges), bool) for m in MODES}, geometry=geometry)
    return Network(arrays)


@pytest.fixture(scope="module")
def town() -> Network:
    return river_town()


def responders(town: Network) -> dict[str, Responder]:
    spots = {"A": (0.0009, 0.002), "B": (0.0012, 0.002), "C": (0.005, 0.002)}
    return {name: Responder(n, town.snap(*xy, "walk")) for n, (name, xy) in
            enumerate(spots.items())}


def chosen_names(town: Network, **options) -> set[str]:
    people = responders(town)
    patient = town.snap(0.0018, 0.0, "walk")
    selection = select_robust(town, patient, list(people.values()), mode="walk", **options)
    names = {v.id: k for k, v in people.items()}
    return {names[a.responder.id] for a in selection.approaches}


def test_two_responders_sharing_a_bridge_are_not_both_chosen(town):
    assert chosen_names(town, k=2) == {"A", "C"}


def test_robustness_alone_prefers_the_other_bridge(town):
    # With the overlap bound switched off, the worst case still rules out A + B.
    assert chosen_names(town, k=2, theta=1.0) == {"A", "C"}


def test_worst_case_counts_the_detour_when_the_shared_bridge_is_blocked(town):
    people = responders(town)
    patient = town.snap(0.0018, 0.0, "walk")
    scenarios = Scenarios(town, patient, "walk", limit_s=900)
    selection = select_robust(town, patient, list(people.values()), k=3, theta=1.0,
                              scenarios=scenarios)
    by_name = {a.responder.id: a for a in selection.approaches}
    a, b, c = (by_name[people[n].id] for n in "ABC")
    assert overlap(a, b) > 0.8
    assert overlap(a, c) < 0.1
    together = worst_case_s([a, b], scenarios)
    # Bridge 1 blocked, found on reaching it at N1: the first of A and B to arrive is A, who
    # walked 0.0001 deg east to N1, then goes on east to N5 (0.004 deg of longitude), over
    # bridge 2 (0.002 deg of latitude) and back west along the south bank to the patient
    # (0.0032 deg): 812.6 m + 221.1 m = 1033.8 m at 5 km/h = 744.3 s.
    found_m = (0.0001 + 0.004 + 0.0032) * 111_320 + 0.002 * 110_574
    assert together == pytest.approx(found_m / WALK_MPS, rel=0.005)
    # Known before setting off, B's detour is shorter: east from x = 0.0012 straight to N5.
    known_m = (0.0038 + 0.0032) * 111_320 + 0.002 * 110_574
    assert scenarios.detour_s(b, town_bridge(town, 1)) == pytest.approx(
        known_m / WALK_MPS, rel=0.005)
    assert worst_case_s([a, c], scenarios) == pytest.approx(c.time_s, rel=1e-6)


def test_expected_arrival_weighs_closures_near_the_patient_by_length(town):
    people = responders(town)
    patient = town.snap(0.0018, 0.0, "walk")
    scenarios = Scenarios(town, patient, "walk", limit_s=900, closure_radius_m=300)
    found = {a.responder.id: a for a in approaches(
        town, patient, list(people.values()), mode="walk", limit_s=900)}
    a, b, c = (found[people[n].id] for n in "ABC")
    closures = scenarios.closure_weights([a, b, c])
    assert sum(closures.values()) == pytest.approx(1.0)
    bridge = town_bridge(town, 1)
    assert bridge in closures and town_bridge(town, 2) not in closures   # 2 is 370 m away
    # Only a closure of A's own path changes the first arrival; then B's or C's time counts.
    on_a = {e: w for e, w in closures.items() if e in a.edges}
    expected_ab = expected_s([a, b], scenarios, closures)
    expected_ac = expected_s([a, c], scenarios, closures)
    assert expected_ac < expected_ab
    by_hand = a.time_s * (1 - sum(on_a.values())) + sum(
        w * min(scenarios.discovered_s(a, e),
                b.time_s if e not in b.edges else scenarios.discovered_s(b, e))
        for e, w in on_a.items())
    assert expected_ab == pytest.approx(by_hand)


def town_bridge(town: Network, number: int) -> int:
    """The edge index of bridge 1 (N1-S1) or 2 (N5-S5): the last two edges of the town."""
    return len(town.length_m) - 3 + number


def test_bad_parameters_are_refused(town):
    with pytest.raises(InvalidInput, match="k = 0"):
        chosen_names(town, k=0)
    with pytest.raises(InvalidInput, match="theta"):
        chosen_names(town, k=2, theta=1.5)


def test_baselines_send_the_two_by_bridge_one(town):
    people = responders(town)
    patient = town.snap(0.0018, 0.0, "walk")
    scenarios = Scenarios(town, patient, "walk", limit_s=900)
    nearest = select_nearest_by_time(town, patient, list(people.values()), k=2,
                                     scenarios=scenarios)
    straight = select_nearest_by_distance(town, patient, list(people.values()), k=2,
                                          scenarios=scenarios)
    for baseline in (nearest, straight):
        assert {a.responder.id for a in baseline.approaches} == {people["A"].id, people["B"].id}
    robust = select_robust(town, patient, list(people.values()), k=2, scenarios=scenarios)
    assert robust.worst_case_s < nearest.worst_case_s
    assert robust.first_arrival_s == pytest.approx(nearest.first_arrival_s)


def test_a_dead_end_street_has_an_infinite_worst_case_and_still_a_choice():
    # A street A-B-C-D with the patient on C-D: every responder comes along B-C, and if it is
    # blocked nobody arrives. The choice is still made; its worst case is infinite.
    xy = [(0.0, 0.0), (0.001, 0.0), (0.002, 0.0), (0.003, 0.0)]
    geometry = shapely.linestrings([[xy[i], xy[i + 1]] for i in range(3)])
    cost = shapely.length(geometry) * 111_320 / WALK_MPS
    arrays = NetworkArrays.from_shapely(
        network_id=3, edge_id=np.array([1, 2, 3]), source=np.array([1, 2, 3]),
        target=np.array([2, 3, 4]), length_m=shapely.length(geometry) * 111_320,
        road_class=np.array(["footway"] * 3, dtype=object),
        cost_s={m: cost for m in MODES}, reverse_cost_s={m: cost for m in MODES},
        island={m: np.zeros(3, bool) for m in MODES}, geometry=geometry)
    street = Network(arrays)
    patient = street.snap(0.0025, 0.0, "walk")
    people = [Responder(i, street.snap(x, 0.0, "walk")) for i, x in enumerate((0.0002, 0.0005))]
    selection = select_robust(street, patient, people, k=2)
    assert len(selection.approaches) == 2
    assert selection.worst_case_s == float("inf")


def test_a_replan_keeps_who_is_on_the_way_and_fills_only_the_free_place(town):
    people = responders(town)
    # B is already on the way: kept although A + C would be the diverse pair.
    assert chosen_names(town, k=2, keep=frozenset({people["B"].id})) == {"A", "B"}
    # B and C are kept at k = 2: nothing is free, so the faster A does not displace them.
    assert chosen_names(town, k=2, keep=frozenset({people["B"].id, people["C"].id})) == {"B", "C"}


def test_closing_a_bridge_reroutes_on_a_view_and_leaves_the_network_alone(town):
    people = responders(town)
    patient = town.snap(0.0018, 0.0, "walk")
    bridge = town_bridge(town, 1)
    closed = town.with_closed([bridge])
    on_view = approaches(closed, patient, [people["A"]], mode="walk", limit_s=900)[0]
    on_town = approaches(town, patient, [people["A"]], mode="walk", limit_s=900)[0]
    assert bridge not in on_view.edges and town_bridge(town, 2) in on_view.edges
    assert bridge in on_town.edges
    scenarios = Scenarios(town, patient, "walk", limit_s=900)
    assert on_view.time_s == pytest.approx(scenarios.detour_s(on_town, bridge))


@pytest.mark.parametrize(("mode", "hour", "first"), [("walk", None, 7), ("drive", 8, 1),
                                                      ("bike", None, 3)])
def test_the_first_approaches_are_exactly_the_head_of_the_whole_list(futian_streets, mode,
                                                                     hour, first):
    """Ranked by the search's times and followed only for the fastest, the first approaches
    are the whole list's head, paths and times alike; a kept responder comes back too."""
    snaps = road_points(futian_streets, mode, 150, seed=5)
    patient, responders = snaps[0], [Responder(i, s) for i, s in enumerate(snaps[1:])]
    every = approaches(futian_streets, patient, responders, mode=mode, limit_s=900, hour=hour)
    assert len(every) > 3 * first
    head = approaches(futian_streets, patient, responders, mode=mode, limit_s=900, hour=hour,
                      first=first)
    assert [(a.responder.id, a.time_s, a.steps) for a in head] == [
        (a.responder.id, a.time_s, a.steps) for a in every[:first]]
    slow = every[-1].responder.id
    kept = approaches(futian_streets, patient, responders, mode=mode, limit_s=900, hour=hour,
                      first=first, keep=frozenset({slow}))
    assert [a.responder.id for a in kept] == [*(a.responder.id for a in head), slow]
    with pytest.raises(ValueError, match="first"):
        approaches(futian_streets, patient, responders, mode=mode, limit_s=900,
                   edge_factor=np.ones(len(futian_streets.length_m)), first=first)
