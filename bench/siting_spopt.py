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

from routing.arrays import MODES, NetworkArrays  # noqa: E402
from routing.network import Network  # noqa: E402
from routing.siting import CoverageMatrix, lscp, mclp, reach_times  # noqa: E402

INSTANCES = (  # seed, lattice side, demand points, candidates, add, limit (s)
    (1, 30, 400, 40, 4, 60.0),
    (2, 40, 800, 60, 6, 70.0),
    (3, 50, 1200, 80, 8, 80.0),
)
EXISTING = 2


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
    arrays = NetworkArrays(
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
            f"{limit_s:g} | {weight.sum():,.0f} | {ours.covered_people:,.0f} | "
            f"{their_people:,.0f} | "
            f"{'yes' if abs(ours.covered_people - their_people) < 1e-6 else 'NO'} | "
            f"{our_sites} | {their_sites} | {'yes' if our_sites == their_sites else 'NO'} | "
            f"{ours_s * 1000:.0f} | {theirs_s * 1000:.0f} |")


def main() -> None:
    print("| seed | edges | demand | candidates | add | limit s | people | MCLP people (HiGHS) | "
          "MCLP people (spopt) | equal | LSCP sites (HiGHS) | LSCP sites (spopt) | equal | "
          "MCLP ms (HiGHS) | MCLP ms (spopt+CBC) |")
    print("|" + "---|" * 15)
    for instance in INSTANCES:
        print(run(*instance), flush=True)


if __name__ == "__main__":
    main()
