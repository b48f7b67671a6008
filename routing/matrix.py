"""Travel-time and distance matrices: every source to every target, by multi-source searches.

The searches run from the smaller side: one Dijkstra per source on the mode's graph, or one per
target on its transpose when there are fewer targets, all in compiled code (scipy's csgraph,
one call per chunk of rows, see ``ModeGraph.search_rows``). A cell's time is the best of the
target's arrival seeds, exactly as ``Network.route`` finishes a route, so a matrix cell and a
route between the same two points agree; points on one edge may also go straight along it.

Distances are those of the fastest path (not the shortest one), summed up the search trees by
pointer jumping: a few vectorised passes over all vertices instead of one walk per pair.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing import direction as directions
from routing.direction import Direction, opposite
from routing.graph import ModeGraph, Seed
from routing.network import Network, Snap

CHUNK_CELLS = 4_000_000  # vertices x rows searched in one scipy call (32 MB of float64)


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Seconds (inf: no route) and metres along the fastest path (None unless asked), shaped
    (sources, targets)."""

    time_s: np.ndarray
    length_m: np.ndarray | None


def travel_matrix(
    network: Network, sources: Sequence[Snap], targets: Sequence[Snap], mode: str, *,
    hour: int | None = None, lengths: bool = False,
) -> TravelMatrix:
    """From each source to each target by ``mode`` (driving at ``hour``'s speeds), with the
    distances when ``lengths``. Times include the walks between the points and their roads,
    as routes' do; distances are along the roads only, as routes' are."""
    if len(targets) < len(sources):
        found = _from_rows(network, targets, sources, mode, hour, "to", lengths)
        result = TravelMatrix(found.time_s.T.copy(),
                              None if found.length_m is None else found.length_m.T.copy())
    else:
        result = _from_rows(network, sources, targets, mode, hour, "from", lengths)
    _along_shared_edges(network, sources, targets, mode, hour, result)
    return result


def _from_rows(
    network: Network, rows: Sequence[Snap], columns: Sequence[Snap], mode: str,
    hour: int | None, direction: Direction, lengths: bool,
) -> TravelMatrix:
    """Searches ``direction`` each row point; columns read through their seeds the other way."""
    graph = directions.graph(network, mode, hour, direction)
    row_seeds = [directions.seeds(network, snap, mode, hour, direction) for snap in rows]
    column_seeds = [directions.seeds(network, snap, mode, hour, opposite(direction))
                    for snap in columns]
    width = max(1, max(len(seeds) for seeds in column_seeds))
    vertex = np.zeros((len(columns), width), np.int64)
    seed_s = np.full((len(columns), width), np.inf)
    seed_m = np.zeros((len(columns), width))
    for j, seeds in enumerate(column_seeds):
        for k, seed in enumerate(seeds):
            vertex[j, k], seed_s[j, k], seed_m[j, k] = seed.vertex, seed.time_s, seed.length_m
    time_s = np.full((len(rows), len(columns)), np.inf)
    length_m = np.full((len(rows), len(columns)), np.nan) if lengths else None
    step = max(1, CHUNK_CELLS // (graph.n_vertices + 1))
    for start in range(0, len(rows), step):
        chunk = row_seeds[start:start + step]
        vertex_s, predecessor = graph.search_rows(chunk, predecessors=lengths)
        at = vertex_s[:, vertex] + seed_s  # (rows, columns, seeds)
        best = np.argmin(at, axis=2)
        time_s[start:start + len(chunk)] = np.take_along_axis(at, best[..., None], 2)[..., 0]
        if length_m is not None and predecessor is not None:
            vertex_m = _tree_lengths(network, graph, chunk, predecessor)
            along = vertex_m[:, vertex] + seed_m
            length_m[start:start + len(chunk)] = np.take_along_axis(
                along, best[..., None], 2)[..., 0]
    if length_m is not None:
        length_m[~np.isfinite(time_s)] = np.nan
    return TravelMatrix(time_s, length_m)


def _tree_lengths(
    network: Network, graph: ModeGraph, groups: Sequence[Sequence[Seed]],
    predecessor: np.ndarray,
) -> np.ndarray:
    """Metres from each row's seeds to every vertex along its search tree (rows x vertices).

    Each vertex first gets the length of the step into it (the edge from its predecessor, or
    the seed's part of the snapped edge), then pointer jumping adds the ancestors' steps:
    after pass k every vertex holds the sum over its 2^k nearest steps.
    """
    n = graph.n_vertices
    parent = predecessor[:, :n].astype(np.int64)
    rows = np.arange(len(groups))[:, None]
    step_m = np.zeros(parent.shape)
    real = (parent >= 0) & (parent < n)
    keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.indptr[:n + 1])) * n \
        + graph.indices
    children = np.broadcast_to(np.arange(n), parent.shape)[real]
    entry = np.searchsorted(keys, parent[real] * n + children)
    step_m[real] = network.length_m[graph.edge[entry]]
    for k, seeds in enumerate(groups):
        from_seed = parent[k] >= n
        best: dict[int, Seed] = {}
        for seed in seeds:
            if seed.vertex not in best or seed.time_s < best[seed.vertex].time_s:
                best[seed.vertex] = seed
        for vertex in np.nonzero(from_seed)[0]:
            step_m[k, vertex] = best[int(vertex)].length_m
    jump = np.where(real, parent, -1)
    while (jump >= 0).any():
        up = jump >= 0
        safe = np.where(up, jump, 0)
        step_m = step_m + np.where(up, step_m[rows, safe], 0.0)
        jump = np.where(up, jump[rows, safe], -1)
    return step_m


def _along_shared_edges(
    network: Network, sources: Sequence[Snap], targets: Sequence[Snap], mode: str,
    hour: int | None, result: TravelMatrix,
) -> None:
    """Where a source and a target lie on one edge, going straight along it may be quicker
    than leaving it by an end (``Network.along_same_edge``, as routes do)."""
    by_edge: dict[int, list[int]] = {}
    for j, target in enumerate(targets):
        by_edge.setdefault(target.edge, []).append(j)
    for i, source in enumerate(sources):
        for j in by_edge.get(source.edge, []):
            along = network.along_same_edge(source, targets[j], mode, hour)
            if along is not None and along <= result.time_s[i, j]:
                result.time_s[i, j] = along
                if result.length_m is not None:
                    result.length_m[i, j] = network.length_m[source.edge] * abs(
                        targets[j].fraction - source.fraction)
