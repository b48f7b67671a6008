"""Many searches at once, compiled: one Dijkstra per row of seeds, read at a few column vertices.

What a travel-time matrix needs, and nothing more: each row's search stops as soon as every
column vertex is settled, keeps the length of the fastest path beside its time (no search
tree to walk afterwards), and writes only the columns. Rows are split between threads; the
compiled kernel (numba, ``nogil``) releases the GIL, so they run on all cores.
"""

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from routing.graph import FlatSeeds, ModeGraph, Seed
from routing.heap import pop as _pop
from routing.heap import push as _push

ROW_THREADS = max(1, min(8, os.cpu_count() or 1))


def search_to_columns(
    graph: ModeGraph, rows: Sequence[Sequence[Seed]], column_vertex: np.ndarray, *,
    entry_m: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Seconds (inf: unreached) from each row's seeds to each of ``column_vertex``, shaped
    (rows, columns), and, when ``entry_m`` gives each CSR entry's metres, the metres along
    those fastest paths (seeds start at their ``length_m``)."""
    seeds = FlatSeeds.of(rows)
    columns = np.asarray(column_vertex, np.int64)
    time_s = np.full((len(rows), len(columns)), np.inf)
    length_m = None if entry_m is None else np.full((len(rows), len(columns)), np.nan)
    n = graph.n_vertices
    indptr = graph.indptr[:n + 1]
    metres = np.zeros(0) if entry_m is None else np.asarray(entry_m, np.float64)
    is_column = np.zeros(n, np.bool_)
    is_column[columns] = True
    column_count = int(is_column.sum())

    def run(first: int, last: int) -> None:
        _rows_kernel(indptr, graph.indices, graph.cost_s, metres, seeds.start, seeds.vertex,
                     seeds.time_s, seeds.length_m, first, last, is_column, column_count, columns,
                     time_s, np.zeros((0, 0)) if length_m is None else length_m)

    bounds = np.linspace(0, len(rows), min(ROW_THREADS, len(rows)) + 1).astype(int)
    if len(bounds) <= 2:
        run(0, len(rows))
    else:
        with ThreadPoolExecutor(len(bounds) - 1) as pool:
            list(pool.map(run, bounds[:-1], bounds[1:]))
    return time_s, length_m


@njit(cache=True, nogil=True)
def _rows_kernel(indptr, indices, cost_s, entry_m, seed_start, seed_vertex, seed_s, seed_m,
                 first, last, is_column, column_count, columns, time_s, length_m):  # type: ignore[no-untyped-def]  # noqa: E501
    """Rows ``first..last-1``: a binary-heap Dijkstra each, into ``time_s``/``length_m``."""
    n = len(indptr) - 1
    with_m = len(entry_m) > 0
    dist = np.empty(n)
    metres = np.empty(n)
    heap_s = np.empty(len(indices) + len(seed_vertex) + 1)
    heap_v = np.empty(len(indices) + len(seed_vertex) + 1, np.int32)
    for row in range(first, last):
        dist[:] = np.inf
        size = 0
        for k in range(seed_start[row], seed_start[row + 1]):
            v = seed_vertex[k]
            if seed_s[k] < dist[v]:
                dist[v] = seed_s[k]
                if with_m:
                    metres[v] = seed_m[k]
                size = _push(heap_s, heap_v, size, seed_s[k], v)
        left = column_count
        while size > 0 and left > 0:
            d = heap_s[0]
            u = heap_v[0]
            size = _pop(heap_s, heap_v, size)
            if d > dist[u]:
                continue  # a stale entry: u was reached sooner since
            if is_column[u]:
                left -= 1
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                reach = d + cost_s[e]
                if reach < dist[v]:
                    dist[v] = reach
                    if with_m:
                        metres[v] = metres[u] + entry_m[e]
                    size = _push(heap_s, heap_v, size, reach, v)
        for j in range(len(columns)):
            time_s[row, j] = dist[columns[j]]
            if with_m and dist[columns[j]] < np.inf:
                length_m[row, j] = metres[columns[j]]
