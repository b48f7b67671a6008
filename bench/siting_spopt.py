"""MCLP and LSCP of ``routing.siting`` (HiGHS via scipy) against PySAL ``spopt`` (issue 7).

Three generated instances, no database: a street lattice (``--side`` vertices a side, 111 m
apart) with random travel times per edge (20-60 km/h) and a tenth of the streets one way, so
network times differ from straight lines; population-weighted demand points and candidate
sites drawn uniformly (fixed seeds), two existing stations fixed open. Both solvers get the
same travel-time matrix (``routing.siting.reach_times``, seconds, inf beyond the limit):
spopt through ``MCLP.from_cost_matrix`` / ``LSCP.from_cost_matrix`` with
``predefined_facilities_arr`` (its CBC through PuLP), ours through ``mclp`` / ``lscp``.
The objectives must be equal: people covered (MCLP) and facilities open (LSCP; spopt counts
the predefined ones too).

One more instance weighs calls instead of people (issue 16): 3,000 generated incidents, four
fifths around five hotspots (150 m spread) and the rest anywhere, counted per 250 m cell by
``planning.demand.gather`` as ``rescuecircle site --demand incidents`` does; spopt gets the
same counts as its weights. The table also says how many of the sites chosen by calls the
population-weighted MCLP chooses too, and the calls each choice covers.

Usage (spopt is a bench-only dependency, in bench/.venv)::

    bench/.venv/bin/python bench/siting_spopt.py
"""

import sys
import time
from pathlib import Path

import numpy as np
import pulp
import shapely
from scipy.sparse import csr_matrix
from spopt.locate import LSCP, MCLP

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from planning.demand import Weighting, gather  # noqa: E402
from planning.inputs import Points  # noqa: E402
from routing.arrays import MODES, NetworkArrays  # noqa: E402
from routing.network import Network  # noqa: E402
from routing.siting import CoverageMatrix, lscp, mclp, reach_times  # noqa: E402

INSTANCES = (  # seed, lattice side, demand points, candidates, add, limit (s)
    (1, 30, 400, 40, 4, 60.0),
    (2, 40, 800, 60, 6, 70.0),
    (3, 50, 1200, 80, 8, 80.0),
)
EXISTING = 2
INCIDENTS = (4, 40, 3000, 60, 6, 70.0)  # seed, side, calls, candidates, add, limit (s)


def generated_network(side: int, rng: np.random.Generator) -> Network:
    """A side x side lattice, random speeds, a tenth of the streets one way."""
    ids = np.arange(side * side).reshape(side, side)
    pairs = [(ids[r, c], ids[r, c + 1]) for r in range(side) for c in range(side - 1)]
    pairs += [(ids[r, c], ids[r + 1, c]) for r in range(side - 1) for c in range(side)]
    source, target = np.array(pairs).T
    lonlat = np.column_stack([(ids % side).ravel() * 0.001, (ids // side).ravel() * 0.001])
    geometry = shapely.linestrings(np.stack([lonlat[source], lonlat[target]], axis=1))
    length_m = shapely.length(geometry) * 111_320
    forward = length_m / (rng.uniform(20, 60, len(pairs)) / 3.6)
    reverse = np.where(rng.random(len(pairs)) < 0.1, -1.0, forward)
    arrays = NetworkArrays.from_shapely(
        network_id=1, edge_id=np.arange(len(pairs)) + 1, source=source + 1, target=target + 1,
        length_m=length_m, road_class=np.array(["residential"] * len(pairs), dtype=object),
        cost_s={m: forward for m in MODES}, reverse_cost_s={m: reverse for m in MODES},
        island={m: np.zeros(len(pairs), bool) for m in MODES}, geometry=geometry)
    return Network(arrays)


def run(seed: int, side: int, n_demand: int, n_candidates: int, add: int,
        limit_s: float) -> str:
    rng = np.random.default_rng(seed)
    network = generated_network(side, rng)
    span = (side - 1) * 0.001

    def snaps(count: int) -> list:
        return [network.snap(lon, lat, "drive") for lon, lat in rng.uniform(0, span, (count, 2))]

    demand, sites = snaps(n_demand), snaps(EXISTING + n_candidates)
    weight = rng.integers(1, 500, n_demand).astype(float)
    times = reach_times(network, sites, demand, "drive", limit_s=limit_s)
    matrix = CoverageMatrix(csr_matrix(np.isfinite(times).astype(float)), weight, EXISTING)
    cost = np.where(np.isfinite(times), times, 10 * limit_s)
    fixed = np.r_[np.ones(EXISTING, int), np.zeros(n_candidates, int)]

    started = time.perf_counter()
    ours = mclp(matrix, add=add)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs = MCLP.from_cost_matrix(cost, weight, service_radius=limit_s,
                                   p_facilities=EXISTING + add,
                                   predefined_facilities_arr=fixed)
    theirs.solve(pulp.PULP_CBC_CMD(msg=False))
    theirs_s = time.perf_counter() - started
    their_people = float(theirs.problem.objective.value())

    coverable = np.isfinite(times).any(axis=1)
    ours_l = lscp(matrix)
    theirs_l = LSCP.from_cost_matrix(cost[coverable], service_radius=limit_s,
                                     predefined_facilities_arr=fixed)
    theirs_l.solve(pulp.PULP_CBC_CMD(msg=False))
    their_sites = round(theirs_l.problem.objective.value())
    our_sites = EXISTING + len(ours_l.chosen)
    return (f"| {seed} | {len(network.length_m):,} | {n_demand} | {n_candidates} | {add} | "
            f"{limit_s:g} | {weight.sum():,.0f} | {ours.covered_weight:,.0f} | "
            f"{their_people:,.0f} | "
            f"{'yes' if abs(ours.covered_weight - their_people) < 1e-6 else 'NO'} | "
            f"{our_sites} | {their_sites} | {'yes' if our_sites == their_sites else 'NO'} | "
            f"{ours_s * 1000:.0f} | {theirs_s * 1000:.0f} |")


def run_incidents(seed: int, side: int, n_calls: int, n_candidates: int, add: int,
                  limit_s: float) -> str:
    """MCLP weighted by calls per 250 m cell, ours against spopt; and by people, for contrast."""
    rng = np.random.default_rng(seed)
    network = generated_network(side, rng)
    span = (side - 1) * 0.001
    hotspots = rng.uniform(0.1 * span, 0.9 * span, (5, 2))
    clustered = int(0.8 * n_calls)
    calls = np.vstack([hotspots[rng.integers(0, 5, clustered)]
                       + rng.normal(0, 150 / 111_320, (clustered, 2)),
                       rng.uniform(0, span, (n_calls - clustered, 2))])
    calls = calls[((calls >= 0) & (calls <= span)).all(axis=1)]
    people = rng.uniform(0, span, (2000, 2))
    people_points = Points(people[:, 0], people[:, 1],
                           {"people": rng.integers(1, 500, len(people)).astype(float)})
    demand = gather(network.projection, people_points, Points(calls[:, 0], calls[:, 1]),
                    Weighting(1), cell_m=250)
    lon, lat = network.projection.to_lonlat(demand.x, demand.y)
    points = [network.snap(x, y, "drive") for x, y in zip(lon, lat, strict=True)]
    sites = [network.snap(x, y, "drive")
             for x, y in rng.uniform(0, span, (EXISTING + n_candidates, 2))]
    times = reach_times(network, sites, points, "drive", limit_s=limit_s)
    covers = csr_matrix(np.isfinite(times).astype(float))
    by_calls = mclp(CoverageMatrix(covers, demand.weight, EXISTING), add=add)
    by_people = mclp(CoverageMatrix(covers, demand.people, EXISTING), add=add)
    cost = np.where(np.isfinite(times), times, 10 * limit_s)
    fixed = np.r_[np.ones(EXISTING, int), np.zeros(n_candidates, int)]
    started = time.perf_counter()
    theirs = MCLP.from_cost_matrix(cost, demand.weight, service_radius=limit_s,
                                   p_facilities=EXISTING + add, predefined_facilities_arr=fixed)
    theirs.solve(pulp.PULP_CBC_CMD(msg=False))
    theirs_s = time.perf_counter() - started
    their_calls = float(theirs.problem.objective.value())
    calls_of_people_choice = float(demand.calls[by_people.covered].sum())
    shared = len(set(by_calls.chosen) & set(by_people.chosen))
    return (f"| {seed} | {len(network.length_m):,} | {len(calls):,} | {len(demand.weight):,} | "
            f"{n_candidates} | {add} | {limit_s:g} | {by_calls.covered_weight:,.0f} | "
            f"{their_calls:,.0f} | "
            f"{'yes' if abs(by_calls.covered_weight - their_calls) < 1e-6 else 'NO'} | "
            f"{calls_of_people_choice:,.0f} | {shared} of {add} | {theirs_s * 1000:.0f} |")


def main() -> None:
    print("| seed | edges | demand | candidates | add | limit s | people | MCLP people (HiGHS) | "
          "MCLP people (spopt) | equal | LSCP sites (HiGHS) | LSCP sites (spopt) | equal | "
          "MCLP ms (HiGHS) | MCLP ms (spopt+CBC) |")
    print("|" + "---|" * 15)
    for instance in INSTANCES:
        print(run(*instance), flush=True)
    print()
    print("| seed | edges | calls | demand cells | candidates | add | limit s | MCLP calls (HiGHS) "
          "| MCLP calls (spopt) | equal | calls covered when sited by people | sites shared "
          "with the people's choice | MCLP ms (spopt+CBC) |")
    print("|" + "---|" * 13)
    print(run_incidents(*INCIDENTS), flush=True)


if __name__ == "__main__":
    main()
