"""Choosing k responders robustly, on diverse paths, so one blocked road cannot delay them all.

Formulation (docs/dispatch.md has the long form). Each candidate responder v reaches the
patient by an *approach*: a path P_v with nominal time t_v. The fastest responder is always
sent, on their shortest path: dropping them for diversity's sake made the replay set's p90
first arrival worse (bench/dispatch_eval.py). The other k - 1 are chosen against single-road
closures that nobody knows of when the plan is made (a known closure is closed in the network
before planning): a responder finds the segment e blocked on reaching it and takes the best
way on from there, d_v(e). For a set S, with e drawn near the patient (within
``closure_radius_m``, where paths converge) with probability proportional to its length:

* E(S), the expected first arrival (the objective): min over S of t_v, or d_v(e) for those
  whose path uses e;
* W(S), the worst first arrival over any e on the chosen paths (the first tie-break):
  computed exactly (a search with e closed) where every member uses e; elsewhere the next
  fastest member not using e is taken as the arrival (an upper bound);
* then the first arrival when every road within ``slow_radius_m`` of the patient slows by
  ``slow_factor`` (rain, a crowd), then the smaller sum of times.

Constraints: pairwise overlap (shared length / length of the shorter path) at most ``theta``,
and each path at most ``max_stretch`` times the responder's shortest. Candidates are the fastest
few by network time; each has its shortest path and an alternative found by penalising the
fastest responder's path (the penalty method). When no choice meets ``theta``, it is relaxed
step by step and the selection says so.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rescuecircle.errors import InvalidInput, NoRoute
from routing.graph import SearchResult, Seed
from routing.network import Network
from routing.snap import Snap

PENALTY_FACTOR = 2.0     # how much slower the best path's roads are for alternative paths
MAX_CANDIDATES = 7       # fastest responders considered for the robust choice
SUM_TOLERANCE_S = 1e-6   # a path's time summed along it vs the search's: rounding apart
RELAXED_THETAS = (0.75, 1.0)


@dataclass(frozen=True)
class Responder:
    """A candidate: an id the caller knows, and where they stand on the network."""

    id: int
    snap: Snap


@dataclass(frozen=True, eq=False)
class Approach:
    """One way a responder reaches the patient: the path, its time and what it is made of."""

    responder: Responder
    time_s: float
    vertices: list[int]
    steps: list[tuple[int, float, float]]
    edges: frozenset[int] = field(init=False)
    length_m: float = field(init=False)
    shortest_s: float = 0.0        # the responder's shortest time (stretch = time / shortest)
    slow_extra_s: float = 0.0      # delay under the correlated slow-down
    step_length_m: dict[int, float] = field(default_factory=dict)
    # Per edge: seconds walked before reaching it, and the vertex it is entered by (None on
    # the responder's own edge, where a closure is seen at once).
    entered: dict[int, tuple[float, int | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "edges", frozenset(edge for edge, _, _ in self.steps))
        object.__setattr__(self, "length_m", sum(self.step_length_m.values()))

    @property
    def stretch(self) -> float:
        """Time of this path over the responder's shortest time."""
        return self.time_s / self.shortest_s if self.shortest_s > 0 else 1.0


@dataclass(frozen=True)
class Selection:
    """The chosen approaches (fastest first) and how robust they are."""

    approaches: list[Approach]
    worst_case_s: float
    theta: float                 # the overlap bound the choice meets
    relaxed: bool                # True when theta had to be relaxed to find k responders
    expected_s: float = float("nan")   # mean first arrival under one closure near the patient

    @property
    def first_arrival_s(self) -> float:
        """Nominal time of the first responder to arrive."""
        return min(a.time_s for a in self.approaches)


@dataclass
class Scenarios:
    """The disruption model for one patient: closures, the slow-down zone, cached searches.

    A closure is one road segment blocked both ways, found by a responder only on reaching it
    (nobody knows of it when the plan is made: a closure the dispatcher knows of is closed in
    the network before planning, see replan).
    """

    network: Network
    patient: Snap
    mode: str
    limit_s: float
    hour: int | None = None
    slow_radius_m: float = 500.0
    slow_factor: float = 1.5
    closure_radius_m: float = 300.0
    _blocked: dict[int, SearchResult] = field(default_factory=dict)
    _open: np.ndarray | None = None  # 1 per edge: one closure at a time is set and reset

    def blocked(self, edge: int) -> SearchResult:
        """Times to the patient from every vertex with ``edge`` closed (cached per edge)."""
        if edge not in self._blocked:
            if self._open is None:
                self._open = np.ones(len(self.network.length_m))
            graph = self.network.graph(self.mode, self.hour, reverse=True)
            seeds = self.network.arrival_seeds(self.patient, self.mode, self.hour)
            self._open[edge] = np.inf
            try:
                self._blocked[edge] = graph.search(seeds, limit_s=self.limit_s * 3,
                                                   edge_factor=self._open)
            finally:
                self._open[edge] = 1.0
        return self._blocked[edge]

    def detour_s(self, approach: Approach, blocked_edge: int) -> float:
        """The responder's best time with ``blocked_edge`` closed, known before setting off."""
        result = self.blocked(blocked_edge)
        return float(min(
            (seed.time_s + result.time_s[seed.vertex]
             for seed in self.network.seeds(approach.responder.snap, self.mode, self.hour)),
            default=np.inf))

    def discovered_s(self, approach: Approach, blocked_edge: int) -> float:
        """The responder's arrival when they find ``blocked_edge`` closed on reaching it."""
        if blocked_edge not in approach.edges:
            return approach.time_s
        known_s = self.detour_s(approach, blocked_edge)
        walked_s, vertex = approach.entered[blocked_edge]
        if vertex is None:
            return known_s
        return max(known_s, walked_s + float(self.blocked(blocked_edge).time_s[vertex]))

    def closure_weights(self, options: Sequence[Approach]) -> dict[int, float]:
        """Closures near the patient on any path considered, each with its probability.

        A segment is closed with probability proportional to its length; only segments
        within ``closure_radius_m`` count, where the paths converge and one closure can
        delay them all. The patient's own segment is left out: no choice avoids it.
        """
        middle = self.network.edge_middle_xy
        edges = sorted({e for a in options for e in a.edges} - {self.patient.edge})
        near = [e for e in edges if np.hypot(middle[e, 0] - self.patient.x,
                                             middle[e, 1] - self.patient.y)
                <= self.closure_radius_m]
        total_m = float(self.network.length_m[near].sum()) if near else 0.0
        return {e: float(self.network.length_m[e]) / total_m for e in near} if total_m else {}


def approaches(
    network: Network, patient: Snap, responders: Sequence[Responder], *, mode: str,
    limit_s: float, hour: int | None = None, edge_factor: np.ndarray | None = None,
    slow_radius_m: float | None = None, first: int | None = None,
    keep: frozenset[int] = frozenset(),
) -> list[Approach]:
    """Each responder's best path to the patient (one reverse search), fastest first.

    With ``edge_factor`` the paths are chosen on penalised times but timed on true ones.
    Responders who cannot arrive within ``limit_s`` are left out. With ``first``, only the
    fastest ``first`` come back (and those in ``keep``): the search's times rank everyone, and
    only they are followed along their paths (a path is hundreds of Python steps, a time one
    lookup). The answer is the first ``first`` of the whole list, exactly. Without ``keep``
    the search also stops once they are certain: each responder leaves by one of two vertices
    (their edge's ends), so ``2 * first`` of those settled hold the ``first`` fastest.
    """
    if first is not None and edge_factor is not None:
        raise ValueError("first needs true times: penalised ones rank differently")
    graph = network.graph(mode, hour, reverse=True)
    seeds = network.arrival_seeds(patient, mode, hour)
    leave_seeds = [network.seeds(responder.snap, mode, hour) for responder in responders]
    targets_s = None if first is None or keep else _leaving_s(leave_seeds)
    result = graph.search(seeds, limit_s=limit_s * (PENALTY_FACTOR if edge_factor is not None
                                                    else 1.0), edge_factor=edge_factor,
                          targets_s=targets_s, targets=2 * (first or 1))
    leaving = [(responder, *best) for responder, own in zip(responders, leave_seeds, strict=True)
               if (best := _best_leave(own, result))]
    if first is not None:
        leaving = _fastest(leaving, first, limit_s, keep)
    forward, reverse = network.costs(mode, hour)
    found = []
    for responder, vertex, _ in leaving:
        path = result.vertex_path(vertex)[::-1]     # forward order: responder -> patient
        steps = network.path_steps(responder.snap, patient, path, mode, hour)
        time_s = responder.snap.off_network_s + patient.off_network_s + sum(
            abs(end - start) * (forward[e] if end > start else reverse[e])
            for e, start, end in steps)
        if time_s > limit_s:
            continue
        lengths = {e: network.length_m[e] * abs(end - start) for e, start, end in steps}
        slow = 0.0
        if slow_radius_m is not None:
            slowed = _in_slow_zone(network, patient, [e for e, _, _ in steps], slow_radius_m)
            slow = sum(abs(end - start) * (forward[e] if end > start else reverse[e])
                       for (e, start, end), inside in zip(steps, slowed, strict=True) if inside)
        found.append(Approach(responder, float(time_s), path, steps, slow_extra_s=slow,
                              step_length_m=lengths,
                              entered=_entries(network, responder.snap, steps, forward, reverse)))
    found.sort(key=lambda a: a.time_s)
    if first is not None:
        found = [a for i, a in enumerate(found) if i < first or a.responder.id in keep]
    return found


def _leaving_s(leave_seeds: list[list[Seed]]) -> tuple[np.ndarray, np.ndarray]:
    """The vertices responders leave their edges by (sorted, each once) and the least time
    any of them takes to reach each: the targets of a search that stops at the fastest."""
    leaving = [(seed.vertex, seed.time_s) for seeds in leave_seeds for seed in seeds]
    if not leaving:
        return np.zeros(0, np.int64), np.zeros(0)
    vertex = np.array([v for v, _ in leaving], np.int64)
    time_s = np.array([t for _, t in leaving])
    order = np.lexsort((time_s, vertex))
    vertex, time_s = vertex[order], time_s[order]
    first = np.ones(len(vertex), bool)
    first[1:] = vertex[1:] != vertex[:-1]
    return vertex[first], time_s[first]


def _fastest(
    leaving: list[tuple[Responder, int, float]], first: int, limit_s: float,
    keep: frozenset[int],
) -> list[tuple[Responder, int, float]]:
    """The responders who may be among the ``first`` fastest within ``limit_s`` (and those in
    ``keep``), in their given order. A path's time summed along it differs from the search's
    by rounding only (SUM_TOLERANCE_S); whoever is within twice that of the ``first``-th
    search time stays, so the ones summed and ranked after are exactly the fastest."""
    times = sorted(time_s for _, _, time_s in leaving if time_s <= limit_s + SUM_TOLERANCE_S)
    if len(times) > first:
        limit_s = min(limit_s, times[first - 1] + 2 * SUM_TOLERANCE_S)
    return [entry for entry in leaving
            if entry[2] <= limit_s + SUM_TOLERANCE_S or entry[0].id in keep]


def select_robust(
    network: Network, patient: Snap, responders: Sequence[Responder], *, k: int = 3,
    theta: float = 0.5, max_stretch: float = 1.4, mode: str = "walk", limit_s: float = 900,
    hour: int | None = None, scenarios: Scenarios | None = None,
    keep: frozenset[int] = frozenset(),
) -> Selection:
    """The k responders with the soonest expected first arrival under a closure found en route,
    on diverse paths (the module docstring has the formulation).

    Responders in ``keep`` (already on their way, for a replan) stay in the choice, on their
    shortest paths; the fastest joins them when a place is free; the rest fill the places.
    """
    _check(k, theta, max_stretch)
    scenarios = scenarios or Scenarios(network, patient, mode, limit_s, hour)
    shortest = approaches(network, patient, responders, mode=mode, limit_s=limit_s, hour=hour,
                          slow_radius_m=scenarios.slow_radius_m, first=MAX_CANDIDATES,
                          keep=keep)
    if not shortest:
        raise NoRoute(f"no responder can reach the patient by {mode} within {limit_s:.0f} s"
                      + network.island_reasons(mode, {"the patient": patient}))
    candidates = [replace(a, shortest_s=a.time_s) for i, a in enumerate(shortest)
                  if i < MAX_CANDIDATES or a.responder.id in keep]
    options = list(candidates)
    factor = np.ones(len(network.length_m))
    factor[list(candidates[0].edges)] = PENALTY_FACTOR
    shortest_by_id = {a.responder.id: a for a in candidates}
    for penalised in approaches(network, patient, [a.responder for a in candidates],
                                mode=mode, limit_s=limit_s * max_stretch, hour=hour,
                                edge_factor=factor,
                                slow_radius_m=scenarios.slow_radius_m):
        own = shortest_by_id[penalised.responder.id]
        alternative = replace(penalised, shortest_s=own.time_s)
        if alternative.stretch <= max_stretch and alternative.edges != own.edges:
            options.append(alternative)
    size = min(k, len(candidates))
    for bound, relaxed in ((theta, False), *((t, True) for t in RELAXED_THETAS if t > theta)):
        best = _best_choice(options, size, bound, scenarios, keep)
        if best is not None:
            chosen, worst = best
            return Selection(sorted(chosen, key=lambda a: a.time_s), worst, bound, relaxed,
                             expected_s(chosen, scenarios, scenarios.closure_weights(chosen)))
    raise NoRoute("no choice of responders was found")  # unreachable: theta 1.0 always fits


def worst_case_s(chosen: Sequence[Approach], scenarios: Scenarios) -> float:
    """W(S): the latest first arrival when any one road on the chosen paths is blocked."""
    ordered = sorted(chosen, key=lambda a: a.time_s)
    worst = ordered[0].time_s
    shared: frozenset[int] = ordered[0].edges
    for next_fastest in ordered[1:]:
        if shared - next_fastest.edges:
            worst = max(worst, next_fastest.time_s)   # block an edge only the faster ones use
        shared = shared & next_fastest.edges
    # Edges every one of them uses; the patient's own street is the same for any choice.
    for edge in shared - {scenarios.patient.edge}:
        worst = max(worst, min(scenarios.discovered_s(a, edge) for a in ordered))
    return float(worst)


def expected_s(
    chosen: Sequence[Approach], scenarios: Scenarios, closures: dict[int, float]
) -> float:
    """E(S): the mean first arrival over ``closures`` (edge -> probability), found en route.

    Only closures on the fastest member's path can change the first arrival; a responder's
    detour is searched only when it could beat the members the closure leaves untouched.
    """
    nominal_s = min(a.time_s for a in chosen)
    total = 0.0
    for edge, weight in closures.items():
        users = [a for a in chosen if edge in a.edges]
        free_s = min((a.time_s for a in chosen if edge not in a.edges), default=np.inf)
        if not users or free_s <= nominal_s:
            total += weight * min(free_s, nominal_s)
            continue
        best_s = free_s
        for a in users:
            if (a.shortest_s or a.time_s) < best_s:   # no detour beats their shortest time
                best_s = min(best_s, scenarios.discovered_s(a, edge))
        total += weight * best_s
    return float(total + (1 - sum(closures.values())) * nominal_s)


def slowed_first_arrival_s(chosen: Sequence[Approach], scenarios: Scenarios) -> float:
    """First arrival when the roads near the patient slow down by ``slow_factor``."""
    return float(min(a.time_s + a.slow_extra_s * (scenarios.slow_factor - 1) for a in chosen))


def overlap(a: Approach, b: Approach) -> float:
    """Shared length over the length of the shorter path (0 = disjoint, 1 = one inside other)."""
    shorter = min(a.length_m, b.length_m)
    if shorter <= 0:
        return 1.0
    common = sum(min(a.step_length_m[e], b.step_length_m[e]) for e in a.edges & b.edges)
    return float(common / shorter)


def _best_choice(
    options: list[Approach], size: int, theta: float, scenarios: Scenarios,
    keep: frozenset[int] = frozenset(),
) -> tuple[list[Approach], float] | None:
    """The best set holding the kept responders and, if there is room, ``options[0]`` (the
    fastest responder on their shortest path); options start with everyone's shortest path."""
    first: dict[int, int] = {}
    for i, a in enumerate(options):
        if a.responder.id in keep:
            first.setdefault(a.responder.id, i)
    kept = sorted(first.values())
    fixed = (kept if len(kept) >= size or 0 in kept else [0, *kept])[:size]
    taken = {options[i].responder.id for i in fixed}
    others = [i for i in range(len(options)) if options[i].responder.id not in taken]
    closures = scenarios.closure_weights(options)
    best: tuple[tuple[float, ...], list[Approach], float] | None = None
    pair_ok: dict[tuple[int, int], bool] = {}
    for rest in itertools.combinations(others, size - len(fixed)):
        combo = (*fixed, *rest)
        chosen = [options[i] for i in combo]
        if len({a.responder.id for a in chosen}) < size:
            continue
        if not all(pair_ok.setdefault((i, j), overlap(options[i], options[j]) <= theta)
                   for i, j in itertools.combinations(combo, 2)):
            continue
        worst = worst_case_s(chosen, scenarios)
        key = (expected_s(chosen, scenarios, closures), worst,
               slowed_first_arrival_s(chosen, scenarios), sum(a.time_s for a in chosen))
        if best is None or key < best[0]:
            best = (key, chosen, worst)
    return None if best is None else (best[1], best[2])


def _in_slow_zone(network: Network, patient: Snap, edges: list[int],
                  radius_m: float) -> np.ndarray:
    """Which of ``edges`` have their midpoint within ``radius_m`` of the patient (the zone a
    correlated slow-down covers); only a path's edges are looked at, not the network's."""
    middle = network.edge_middle_xy[edges]
    return np.hypot(middle[:, 0] - patient.x, middle[:, 1] - patient.y) <= radius_m


def _entries(
    network: Network, snap: Snap, steps: list[tuple[int, float, float]], forward: np.ndarray,
    reverse: np.ndarray,
) -> dict[int, tuple[float, int | None]]:
    """Per edge of a path: seconds travelled before reaching it and the vertex it is entered
    by (None for the responder's own edge: they stand on it)."""
    found: dict[int, tuple[float, int | None]] = {}
    travelled_s = snap.off_network_s
    for edge, start, end in steps:
        vertex = (int(network.source[edge]) if start == 0.0 else
                  int(network.target[edge]) if start == 1.0 else None)
        found.setdefault(edge, (travelled_s, vertex))
        travelled_s += abs(end - start) * (forward[edge] if end > start else reverse[edge])
    return found


def _best_leave(seeds: list[Seed], result: SearchResult) -> tuple[int, float] | None:
    """The vertex by which a responder's fastest path leaves their own edge (``seeds``: the
    ways off it), and the time to the patient that way."""
    best_s, best_vertex = np.inf, -1
    for seed in seeds:
        total = seed.time_s + result.time_s[seed.vertex]
        if total < best_s:
            best_s, best_vertex = total, seed.vertex
    return (best_vertex, float(best_s)) if np.isfinite(best_s) else None


def _check(k: int, theta: float, max_stretch: float) -> None:
    if not 1 <= k <= 5:
        raise InvalidInput(f"k = {k} is outside the allowed range 1 to 5")
    if not 0 <= theta <= 1:
        raise InvalidInput(f"theta = {theta} is outside the allowed range 0 to 1")
    if not 1 <= max_stretch <= 3:
        raise InvalidInput(f"max_stretch = {max_stretch} is outside the allowed range 1 to 3")


def select_nearest_by_time(
    network: Network, patient: Snap, responders: Sequence[Responder], *, k: int = 3,
    mode: str = "walk", limit_s: float = 900, hour: int | None = None,
    scenarios: Scenarios | None = None,
) -> Selection:
    """Baseline: the k responders with the shortest network times, paths as they come."""
    _check(k, 1.0, 1.0)
    scenarios = scenarios or Scenarios(network, patient, mode, limit_s, hour)
    found = approaches(network, patient, responders, mode=mode, limit_s=limit_s, hour=hour,
                       slow_radius_m=scenarios.slow_radius_m, first=k)
    if not found:
        raise NoRoute(f"no responder can reach the patient by {mode} within {limit_s:.0f} s"
                      + network.island_reasons(mode, {"the patient": patient}))
    return Selection(found, worst_case_s(found, scenarios), 1.0, False,
                     expected_s(found, scenarios, scenarios.closure_weights(found)))


def select_nearest_by_distance(
    network: Network, patient: Snap, responders: Sequence[Responder], *, k: int = 3,
    mode: str = "walk", limit_s: float = 900, hour: int | None = None,
    scenarios: Scenarios | None = None,
) -> Selection:
    """Baseline: the k responders nearest in a straight line (what many apps still do)."""
    _check(k, 1.0, 1.0)
    ranked = sorted(responders, key=lambda r: np.hypot(r.snap.x - patient.x,
                                                       r.snap.y - patient.y))
    return select_nearest_by_time(network, patient, ranked[:k], k=k, mode=mode,
                                  limit_s=limit_s, hour=hour, scenarios=scenarios)
