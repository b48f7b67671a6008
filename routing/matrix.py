"""Travel-time and distance matrices: every source to every target, by multi-source searches.

The searches run from the smaller side: one Dijkstra per source on the mode's graph, or one per
target on its transpose when there are fewer targets, compiled and on every core
(``routing.row_search``), each stopping once all the other side's vertices are settled. Once
the graph's contraction hierarchy is built (``routing.hierarchy``), matrices of times use it
instead: upward searches of a few hundred vertices each, the same times. A cell's time is the
best of the target's arrival seeds, exactly as ``Network.route`` finishes a route, so a matrix
cell and a route between the same two points agree; points on one edge may also go straight
along it.

Distances are those of the fastest path (not the shortest one), carried along by the searches.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing import direction as directions
from routing.direction import Direction, opposite
from routing.hierarchy import hierarchy_of
from routing.network import Network
from routing.row_search import search_to_columns
from routing.snap import Snap

# From this many rows on, a matrix of times asks for the graph's contraction hierarchy (built
# once in the background; until it is ready, and for distances, the row searches answer).
HIERARCHY_MIN_ROWS = 10


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
    column_vertex, at_column = np.unique(vertex, return_inverse=True)
    at_column = at_column.reshape(vertex.shape)
    hierarchy = None if lengths or len(rows) < HIERARCHY_MIN_ROWS else hierarchy_of(graph)
    if hierarchy is not None:
        vertex_s, vertex_m = hierarchy.times_to_columns(row_seeds, column_vertex), None
    else:
        vertex_s, vertex_m = search_to_columns(
            graph, row_seeds, column_vertex,
            entry_m=network.length_m[graph.edge] if lengths else None)
    at = vertex_s[:, at_column] + seed_s  # (rows, columns, seeds)
    best = np.argmin(at, axis=2)[..., None]
    time_s = np.take_along_axis(at, best, 2)[..., 0]
    length_m = None
    if vertex_m is not None:
        length_m = np.take_along_axis(vertex_m[:, at_column] + seed_m, best, 2)[..., 0]
        length_m[~np.isfinite(time_s)] = np.nan
    return TravelMatrix(time_s, length_m)


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
