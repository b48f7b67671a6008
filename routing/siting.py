"""Siting: where the next stations, AEDs or drone pads go (issue 7).

Classic location models on network travel times, solved exactly with HiGHS through
``scipy.optimize.milp``:

* MCLP (maximal covering): open ``add`` candidate sites so that the most demand (people or
  calls: ``planning.demand``) is within ``limit_s`` of an open site, existing facilities kept
  open;
* LSCP (set covering): the fewest candidate sites so that every coverable demand point is
  within ``limit_s``, existing facilities kept open;
* relocation: move at most ``moves`` existing facilities to candidate sites so that the most
  demand is covered, as many facilities open afterwards as before.

The coverage matrix comes from one bounded search per site (existing and candidate): a demand
point is covered when the site reaches it within the limit, one-way streets included; for drone
pads, from straight-line distance: a point is covered within the site's flight reach.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, identity
from scipy.spatial import cKDTree
from shapely import Polygon

from rescuecircle.errors import InvalidInput, NoRoute
from routing.network import Network
from routing.snap import Snap


@dataclass(frozen=True, eq=False)
class CoverageMatrix:
    """``covers[i, j]``: demand point i is within the limit of site j (existing sites first)."""

    covers: csr_matrix
    weight: np.ndarray        # demand per point: people, calls, or a mix (planning.demand)
    existing: int             # the first ``existing`` columns are facilities kept open


@dataclass(frozen=True, eq=False)
class Siting:
    """A solution: the candidates opened, the existing sites closed (relocation only), and the
    demand weight (people, calls or a mix of them: whatever ``CoverageMatrix.weight`` holds)
    it covers."""

    chosen: list[int]         # indices into the candidate list
    covered_weight: float
    total_weight: float
    uncoverable_weight: float  # beyond the limit of every site, open or not
    covered: np.ndarray       # per demand point: within the limit of an open site
    closed: list[int] = field(default_factory=list)   # indices of existing sites closed


def reach_times(
    network: Network, sites: Sequence[Snap], demand: Sequence[Snap], mode: str, *,
    limit_s: float | np.ndarray, hour: int | None = None,
) -> np.ndarray:
    """Seconds from each site to each demand point (demand x sites; inf beyond ``limit_s``,
    one limit for all or one per demand point: rural people wait longer by standard), by one
    bounded search per site, one-way streets included.

    A demand point is entered through the ends of its edge, even when the site lies on the
    same edge: conservative by at most that edge's length.
    """
    limits = np.broadcast_to(np.asarray(limit_s, float), (len(demand),))
    if len(limits) and not limits.min() > 0:
        raise InvalidInput(f"limit_s {limits.min()} must be positive")
    search_s = float(limits.max()) if len(limits) else 0.0
    seeds = [network.arrival_seeds(d, mode, hour) for d in demand]
    width = max((len(s) for s in seeds), default=1)
    seed_vertex = np.zeros((len(demand), width), np.int64)
    seed_s = np.full((len(demand), width), np.inf)
    for i, row in enumerate(seeds):
        for k, seed in enumerate(row):
            seed_vertex[i, k], seed_s[i, k] = seed.vertex, seed.time_s
    times = np.full((len(demand), len(sites)), np.inf)
    for j, site in enumerate(sites):
        vertex_s = network.search_from(site, mode, limit_s=search_s, hour=hour).time_s
        times[:, j] = (vertex_s[seed_vertex] + seed_s).min(axis=1)
    times[times > limits[:, None]] = np.inf
    return times


def coverage_matrix(
    network: Network, existing: Sequence[Snap], candidates: Sequence[Snap],
    demand: Sequence[Snap], weight: np.ndarray, mode: str, *, limit_s: float | np.ndarray,
    hour: int | None = None,
) -> CoverageMatrix:
    """Which demand point each site (existing first) reaches within ``limit_s`` (one limit,
    or one per demand point)."""
    if len(weight) != len(demand):
        raise InvalidInput("weight must give one value per demand point")
    times = reach_times(network, [*existing, *candidates], demand, mode, limit_s=limit_s,
                        hour=hour)
    return CoverageMatrix(csr_matrix(np.isfinite(times).astype(float)),
                          np.asarray(weight, float), len(existing))


def flight_coverage_matrix(
    existing_xy: np.ndarray, existing_reach_m: np.ndarray, candidate_xy: np.ndarray,
    candidate_reach_m: float, demand_xy: np.ndarray, weight: np.ndarray,
    no_fly: Sequence[Polygon] = (),
) -> CoverageMatrix:
    """Which demand point each site (existing first) reaches by air: within its reach, the
    distance a drone flies within the time limit, on a straight line that crosses no zone
    of ``no_fly`` (local metres throughout)."""
    if len(weight) != len(demand_xy):
        raise InvalidInput("weight must give one value per demand point")
    sites = np.vstack([np.reshape(existing_xy, (-1, 2)), np.reshape(candidate_xy, (-1, 2))])
    reach = np.concatenate([np.asarray(existing_reach_m, float),
                            np.full(len(sites) - len(existing_reach_m), candidate_reach_m)])
    found = cKDTree(np.reshape(demand_xy, (-1, 2))).query_ball_point(sites, reach)
    columns = np.repeat(np.arange(len(sites)), [len(points) for points in found])
    rows = np.concatenate([np.asarray(points, np.int64) for points in found]) \
        if len(sites) else np.zeros(0, np.int64)
    if no_fly and len(rows):
        demand = np.reshape(demand_xy, (-1, 2))
        flights = shapely.linestrings(np.stack([sites[columns], demand[rows]], axis=1))
        clear = ~shapely.intersects(flights, shapely.union_all(list(no_fly)))
        rows, columns = rows[clear], columns[clear]
    covers = csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(weight), len(sites)))
    return CoverageMatrix(covers, np.asarray(weight, float), len(existing_reach_m))


def mclp(matrix: CoverageMatrix, *, add: int) -> Siting:
    """Open ``add`` candidates maximising the demand covered (existing sites fixed open).

    Variables: x_j (site open, binary; existing fixed to 1), y_i (point covered, binary).
    Maximise sum w_i y_i subject to y_i <= sum_{j covers i} x_j and sum of candidate x = add.
    """
    n_demand, n_sites = matrix.covers.shape
    n_candidates = n_sites - matrix.existing
    if not 0 <= add <= n_candidates:
        raise InvalidInput(f"add {add} is outside 0-{n_candidates} (the candidate sites)")
    cost = np.concatenate([np.zeros(n_sites), -matrix.weight])
    cover = LinearConstraint(
        hstack([-matrix.covers, identity(n_demand)], format="csr"), -np.inf, 0)
    count = LinearConstraint(
        np.concatenate([np.zeros(matrix.existing), np.ones(n_candidates),
                        np.zeros(n_demand)])[None, :], add, add)
    lower = np.concatenate([np.ones(matrix.existing), np.zeros(n_candidates + n_demand)])
    return _solve(matrix, cost, [cover, count], lower)


def lscp(matrix: CoverageMatrix) -> Siting:
    """The fewest candidates covering every coverable demand point (existing sites fixed).

    Points no site covers are left out (reported as ``uncoverable_weight``); NoRoute when
    none is coverable.
    """
    n_demand, n_sites = matrix.covers.shape
    coverable = np.asarray(matrix.covers.sum(axis=1)).ravel() > 0
    if not coverable.any():
        raise NoRoute("no demand point is within the limit of any site")
    cost = np.concatenate([np.zeros(matrix.existing), np.ones(n_sites - matrix.existing)])
    cover = LinearConstraint(matrix.covers[np.nonzero(coverable)[0]], 1, np.inf)
    lower = np.concatenate([np.ones(matrix.existing), np.zeros(n_sites - matrix.existing)])
    return _solve(matrix, cost, [cover], lower)


def relocate(matrix: CoverageMatrix, *, moves: int) -> Siting:
    """Close at most ``moves`` existing sites and open as many candidates, maximising the
    weight covered: where the same facilities would do the most good.

    The MCLP with the existing sites free instead of fixed open: maximise sum w_i y_i subject
    to y_i <= sum_{j covers i} x_j, sum of all x = the existing sites, sum of candidate x <=
    ``moves``. Moving none is always feasible, so the answer never covers less than today.
    """
    n_demand, n_sites = matrix.covers.shape
    n_candidates = n_sites - matrix.existing
    if not 0 <= moves <= min(matrix.existing, n_candidates):
        raise InvalidInput(f"moves {moves} is outside 0-{min(matrix.existing, n_candidates)} "
                           "(the existing sites, and the candidate sites)")
    cost = np.concatenate([np.zeros(n_sites), -matrix.weight])
    cover = LinearConstraint(
        hstack([-matrix.covers, identity(n_demand)], format="csr"), -np.inf, 0)
    kept = LinearConstraint(np.concatenate([np.ones(n_sites), np.zeros(n_demand)])[None, :],
                            matrix.existing, matrix.existing)
    moved = LinearConstraint(np.concatenate([np.zeros(matrix.existing), np.ones(n_candidates),
                                             np.zeros(n_demand)])[None, :], 0, moves)
    return _solve(matrix, cost, [cover, kept, moved], np.zeros(n_sites + n_demand))


def _solve(matrix: CoverageMatrix, cost: np.ndarray, constraints: list[LinearConstraint],
           lower: np.ndarray) -> Siting:
    n_sites = matrix.covers.shape[1]
    upper = np.ones(len(cost))
    result = milp(cost, constraints=constraints, integrality=np.ones(len(cost)),
                  bounds=Bounds(lower, upper))
    if result.status != 0 or result.x is None:
        raise NoRoute(f"the siting problem has no solution ({result.message})")
    open_site = np.round(result.x[:n_sites]).astype(bool)
    covered = np.asarray(matrix.covers[:, open_site].sum(axis=1)).ravel() > 0
    coverable = np.asarray(matrix.covers.sum(axis=1)).ravel() > 0
    return Siting(
        chosen=[int(j) - matrix.existing for j in np.nonzero(open_site)[0]
                if j >= matrix.existing],
        covered_weight=float(matrix.weight[covered].sum()),
        total_weight=float(matrix.weight.sum()),
        uncoverable_weight=float(matrix.weight[~coverable].sum()),
        covered=covered,
        closed=[int(j) for j in np.nonzero(~open_site[:matrix.existing])[0]],
    )
