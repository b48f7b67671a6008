"""One Dijkstra from a set of seeds, compiled: times and the search tree over a mode graph.

What scipy's csgraph did through a virtual vertex joined to the seeds, without building a new
sparse matrix per search (on a city that cost more than a short walking search itself).
"""

import numpy as np
from numba import njit

from routing.heap import pop, push

NO_VERTEX = -9999  # the predecessor of a vertex the search did not reach (scipy's marker)
STOP_SLACK_S = 1e-3  # searched past the targets' bound, so near-ties are settled too


def search_from_seeds(
    indptr: np.ndarray, indices: np.ndarray, cost_s: np.ndarray, seed_vertex: np.ndarray,
    seed_s: np.ndarray, entry_edge: np.ndarray, *, limit_s: float,
    factor: np.ndarray | None = None, target_vertex: np.ndarray | None = None,
    target_s: np.ndarray | None = None, targets: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from the nearest seed to every vertex (inf beyond ``limit_s``) and each vertex's
    predecessor (``len(indptr) - 1`` for a seed, NO_VERTEX where unreached); ``factor`` (per
    network edge; ``entry_edge`` names each CSR entry's edge) multiplies the costs of this
    search only, read where relaxed (not gathered per entry first: a province has millions).

    With ``target_vertex`` (sorted, each once) and ``target_s`` (seconds on from each to a
    target) the search stops once ``targets`` of them are settled and nothing nearer than their
    totals remains: those vertices and every vertex nearer than them have their final times
    and paths; the rest are unfinished (at least their true time).
    """
    n = len(indptr) - 1
    time_s = np.full(n, np.inf)
    predecessor = np.full(n, NO_VERTEX, np.int32)
    _search(indptr, indices, cost_s, entry_edge, np.zeros(0) if factor is None else factor,
            np.asarray(seed_vertex, np.int64), np.asarray(seed_s, np.float64), float(limit_s),
            np.zeros(0, np.int64) if target_vertex is None else target_vertex,
            np.zeros(0) if target_s is None else target_s, targets, STOP_SLACK_S, time_s,
            predecessor)
    return time_s, predecessor


@njit(cache=True, nogil=True)
def _search(indptr, indices, cost_s, entry_edge, factor, seed_vertex, seed_s, limit_s,
            target_vertex, target_s, targets, slack_s, time_s,
            predecessor):  # type: ignore[no-untyped-def]
    n = len(time_s)
    scaled = len(factor) > 0
    stopping = len(target_vertex) > 0
    best = np.full(max(targets, 1), np.inf)  # the smallest target totals, ascending
    heap_s = np.empty(len(indices) + len(seed_vertex) + 1)
    heap_v = np.empty(len(heap_s), np.int64)
    size = 0
    for k in range(len(seed_vertex)):
        v = seed_vertex[k]
        if seed_s[k] <= limit_s and seed_s[k] < time_s[v]:
            time_s[v] = seed_s[k]
            predecessor[v] = n
            size = push(heap_s, heap_v, size, seed_s[k], v)
    while size > 0:
        d = heap_s[0]
        u = heap_v[0]
        size = pop(heap_s, heap_v, size)
        if d > time_s[u]:
            continue
        if stopping:
            if d > best[-1] + slack_s:
                break
            k = np.searchsorted(target_vertex, u)
            total = d + target_s[k] if k < len(target_vertex) and target_vertex[k] == u else np.inf
            if total < best[-1]:
                k = len(best) - 1
                while k > 0 and best[k - 1] > total:
                    best[k] = best[k - 1]
                    k -= 1
                best[k] = total
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            reach = d + (cost_s[e] * factor[entry_edge[e]] if scaled else cost_s[e])
            if reach <= limit_s and reach < time_s[v]:
                time_s[v] = reach
                predecessor[v] = u
                size = push(heap_s, heap_v, size, reach, v)
