"""A contraction hierarchy of one mode graph, for travel-time matrices (Geisberger et al. 2008).

Vertices are contracted one by one, least important first (edge difference plus contracted
neighbours, updated lazily); contracting a vertex adds a shortcut between two of its
neighbours unless a witness search finds a path at least as quick around it. A matrix then
needs only *upward* searches: one backward from every column vertex, leaving its times in
buckets on the vertices it settles, and one forward from every row's seeds, reading the
buckets it meets (Knopp et al. 2007, many-to-many). Each search settles a few hundred
vertices instead of the whole network. Times only: distances come from the row searches.
"""

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from routing.graph import FlatSeeds, ModeGraph, Seed
from routing.heap import pop as _pop
from routing.heap import push as _push

WITNESS_SETTLED = 200  # vertices a witness search may settle before it gives up (a shortcut)
_built: "weakref.WeakKeyDictionary[ModeGraph, Hierarchy]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """The upward graphs: ``up_*`` from a vertex to higher ones (forward searches),
    ``down_*`` from a vertex to higher ones against the edges (backward searches)."""

    n_vertices: int
    up_indptr: np.ndarray
    up_indices: np.ndarray
    up_cost_s: np.ndarray
    down_indptr: np.ndarray
    down_indices: np.ndarray
    down_cost_s: np.ndarray

    @classmethod
    def build(cls, graph: ModeGraph) -> "Hierarchy":
        """Contract ``graph`` (closed entries, of infinite cost, left out)."""
        n = graph.n_vertices
        rows = np.repeat(np.arange(n), np.diff(graph.indptr[:n + 1]))
        open_ = np.isfinite(graph.cost_s)
        tail, head = rows[open_].astype(np.int64), graph.indices[open_].astype(np.int64)
        cost = graph.cost_s[open_].astype(np.float64)
        capacity = 3 * len(tail) + 64
        while True:
            found = _contract(n, tail, head, cost, capacity)
            if found[0] >= 0:
                break
            capacity *= 2  # more shortcuts than room: contract again with more
        count, e_tail, e_head, e_cost, rank = found
        e_tail, e_head, e_cost = e_tail[:count], e_head[:count], e_cost[:count]
        upward = rank[e_tail] < rank[e_head]
        up = _csr(n, e_tail[upward], e_head[upward], e_cost[upward])
        down = _csr(n, e_head[~upward], e_tail[~upward], e_cost[~upward])
        return cls(n, *up, *down)

    def times_to_columns(
        self, rows: Sequence[Sequence[Seed]], column_vertex: np.ndarray
    ) -> np.ndarray:
        """Seconds from each row's seeds to each column vertex (inf: unreachable)."""
        seeds = FlatSeeds.of(rows)
        time_s = np.full((len(rows), len(column_vertex)), np.inf)
        _many_to_many(self.up_indptr, self.up_indices, self.up_cost_s, self.down_indptr,
                      self.down_indices, self.down_cost_s, seeds.start, seeds.vertex, seeds.time_s,
                      np.asarray(column_vertex, np.int64), time_s)
        return time_s


def hierarchy_of(graph: ModeGraph, *, wait: bool = False) -> Hierarchy | None:
    """The graph's hierarchy once built (kept as long as the graph is). Until then None, and
    a build starts in the background, one graph at a time (seconds on a city: requests
    meanwhile use the row searches); ``wait`` builds it now instead."""
    found = _built.get(graph)
    if found is not None or not (wait or _lock.acquire(blocking=False)):
        return found
    if wait:
        with _lock:
            return _build_once(graph)
    threading.Thread(target=_build_released, args=(graph,), daemon=True,
                     name="contraction hierarchy").start()
    return None


def _build_released(graph: ModeGraph) -> None:
    try:
        _build_once(graph)
    finally:
        _lock.release()


def _build_once(graph: ModeGraph) -> Hierarchy:
    found = _built.get(graph)
    if found is None:
        found = _built[graph] = Hierarchy.build(graph)
    return found


def _csr(n: int, tail: np.ndarray, head: np.ndarray, cost: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(tail, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
    return indptr, head[order], cost[order]


@njit(cache=True, nogil=True)
def _contract(n, tail, head, cost, capacity):  # type: ignore[no-untyped-def]
    """Contract every vertex; (edges incl. shortcuts, their tails, heads, costs, ranks), or a
    count of -1 when ``capacity`` edges were not enough."""
    e_tail = np.empty(capacity, np.int64)
    e_head = np.empty(capacity, np.int64)
    e_cost = np.empty(capacity)
    out_next = np.empty(capacity, np.int64)
    in_next = np.empty(capacity, np.int64)
    out_first = np.full(n, -1, np.int64)
    in_first = np.full(n, -1, np.int64)
    count = 0
    for e in range(len(tail)):
        count = _add_edge(tail[e], head[e], cost[e], count, e_tail, e_head, e_cost,
                          out_next, in_next, out_first, in_first)
    contracted = np.zeros(n, np.bool_)
    neighbours_gone = np.zeros(n, np.int64)
    rank = np.zeros(n, np.int64)
    dist = np.full(n, np.inf)
    touched = np.empty(n, np.int64)
    heap_s = np.empty(capacity + n + 1)
    heap_v = np.empty(capacity + n + 1, np.int64)
    queue_s = np.empty(n + 1)
    queue_v = np.empty(n + 1, np.int64)
    size = 0
    for v in range(n):
        shortcuts, removed, count = _contract_one(
            v, True, capacity, count, e_tail, e_head, e_cost, out_next, in_next, out_first,
            in_first, contracted, dist, touched, heap_s, heap_v)
        size = _push(queue_s, queue_v, size, float(shortcuts - removed), v)
    order = 0
    while size > 0:
        v = queue_v[0]
        size = _pop(queue_s, queue_v, size)
        shortcuts, removed, count = _contract_one(
            v, True, capacity, count, e_tail, e_head, e_cost, out_next, in_next, out_first,
            in_first, contracted, dist, touched, heap_s, heap_v)
        priority = float(shortcuts - removed + neighbours_gone[v])
        if size > 0 and priority > queue_s[0]:
            size = _push(queue_s, queue_v, size, priority, v)
            continue
        shortcuts, removed, count = _contract_one(
            v, False, capacity, count, e_tail, e_head, e_cost, out_next, in_next, out_first,
            in_first, contracted, dist, touched, heap_s, heap_v)
        if count < 0:
            return -1, e_tail, e_head, e_cost, rank
        contracted[v] = True
        rank[v] = order
        order += 1
        e = out_first[v]
        while e >= 0:
            neighbours_gone[e_head[e]] += 1
            e = out_next[e]
        e = in_first[v]
        while e >= 0:
            neighbours_gone[e_tail[e]] += 1
            e = in_next[e]
    return count, e_tail, e_head, e_cost, rank


@njit(cache=True, nogil=True)
def _add_edge(a, b, c, count, e_tail, e_head, e_cost, out_next, in_next, out_first,
              in_first):  # type: ignore[no-untyped-def]
    e_tail[count], e_head[count], e_cost[count] = a, b, c
    out_next[count], out_first[a] = out_first[a], count
    in_next[count], in_first[b] = in_first[b], count
    return count + 1


@njit(cache=True, nogil=True)
def _contract_one(v, simulate, capacity, count, e_tail, e_head, e_cost, out_next, in_next,
                  out_first, in_first, contracted, dist, touched,
                  heap_s, heap_v):  # type: ignore[no-untyped-def]
    """Shortcuts contracting ``v`` needs (added unless ``simulate``), the live edges it
    removes, and the new edge count (-1: out of capacity)."""
    shortcuts = 0
    removed = 0
    e = out_first[v]
    while e >= 0:
        if not contracted[e_head[e]]:
            removed += 1
        e = out_next[e]
    incoming = in_first[v]
    while incoming >= 0:
        u = e_tail[incoming]
        into_s = e_cost[incoming]
        if contracted[u] or u == v:
            incoming = in_next[incoming]
            continue
        removed += 1
        limit = -1.0
        e = out_first[v]
        while e >= 0:
            x = e_head[e]
            if not contracted[x] and x != u and into_s + e_cost[e] > limit:
                limit = into_s + e_cost[e]
            e = out_next[e]
        if limit >= 0.0:
            reached = _witness(u, v, limit, e_head, e_cost, out_next, out_first, contracted,
                               dist, touched, heap_s, heap_v)
            e = out_first[v]
            while e >= 0:
                x = e_head[e]
                via_s = into_s + e_cost[e]
                if not contracted[x] and x != u and dist[x] > via_s:
                    shortcuts += 1
                    if dist[x] == np.inf:
                        touched[reached] = x
                        reached += 1
                    dist[x] = via_s  # a second in-edge from u needs no second shortcut
                    if not simulate:
                        if count >= capacity:
                            count = -1
                        elif count >= 0:
                            count = _add_edge(u, x, via_s, count, e_tail, e_head, e_cost,
                                              out_next, in_next, out_first, in_first)
                e = out_next[e]
            for k in range(reached):
                dist[touched[k]] = np.inf
        incoming = in_next[incoming]
    return shortcuts, removed, count


@njit(cache=True, nogil=True)
def _witness(u, v, limit, e_head, e_cost, out_next, out_first, contracted, dist, touched,
             heap_s, heap_v):  # type: ignore[no-untyped-def]
    """Dijkstra from ``u`` around ``v`` over live vertices, up to ``limit`` seconds or
    WITNESS_SETTLED vertices; fills ``dist``, returns how many ``touched`` entries to reset."""
    reached = 1
    dist[u] = 0.0
    touched[0] = u
    size = _push(heap_s, heap_v, 0, 0.0, u)
    settled = 0
    while size > 0 and settled < WITNESS_SETTLED:
        d = heap_s[0]
        w = heap_v[0]
        size = _pop(heap_s, heap_v, size)
        if d > dist[w]:
            continue
        if d > limit:
            break
        settled += 1
        e = out_first[w]
        while e >= 0:
            x = e_head[e]
            reach = d + e_cost[e]
            if x != v and not contracted[x] and reach < dist[x]:
                if dist[x] == np.inf:
                    touched[reached] = x
                    reached += 1
                dist[x] = reach
                size = _push(heap_s, heap_v, size, reach, x)
            e = out_next[e]
    return reached


@njit(cache=True, nogil=True)
def _many_to_many(up_indptr, up_indices, up_cost, down_indptr, down_indices, down_cost,
                  seed_start, seed_vertex, seed_s, columns, time_s):  # type: ignore[no-untyped-def]
    """Backward upward searches from the columns into buckets, then a forward upward search
    per row reading them."""
    n = len(up_indptr) - 1
    dist = np.full(n, np.inf)
    touched = np.empty(n, np.int64)
    heap_s = np.empty(max(len(up_indices), len(down_indices)) + len(seed_vertex) + 1)
    heap_v = np.empty(len(heap_s), np.int64)
    bucket_v = np.empty(16 * len(columns) + 16, np.int64)
    bucket_j = np.empty(len(bucket_v), np.int64)
    bucket_s = np.empty(len(bucket_v))
    stored = 0
    one = np.zeros(1, np.int64)
    for j in range(len(columns)):
        one[0] = columns[j]
        reached = _upward(one, np.zeros(1), down_indptr, down_indices, down_cost, dist,
                          touched, heap_s, heap_v)
        for k in range(reached):
            w = touched[k]
            if dist[w] < np.inf:
                if stored == len(bucket_v):
                    bucket_v = np.concatenate((bucket_v, np.empty(stored, np.int64)))
                    bucket_j = np.concatenate((bucket_j, np.empty(stored, np.int64)))
                    bucket_s = np.concatenate((bucket_s, np.empty(stored)))
                bucket_v[stored], bucket_j[stored], bucket_s[stored] = w, j, dist[w]
                stored += 1
            dist[w] = np.inf
    order = np.argsort(bucket_v[:stored], kind="mergesort")
    bucket_start = np.zeros(n + 1, np.int64)
    for k in range(stored):
        bucket_start[bucket_v[k] + 1] += 1
    for w in range(n):
        bucket_start[w + 1] += bucket_start[w]
    for r in range(len(seed_start) - 1):
        first, last = seed_start[r], seed_start[r + 1]
        reached = _upward(seed_vertex[first:last], seed_s[first:last], up_indptr, up_indices,
                          up_cost, dist, touched, heap_s, heap_v)
        for k in range(reached):
            w = touched[k]
            d = dist[w]
            if d < np.inf:
                for b in range(bucket_start[w], bucket_start[w + 1]):
                    entry = order[b]
                    j = bucket_j[entry]
                    if d + bucket_s[entry] < time_s[r, j]:
                        time_s[r, j] = d + bucket_s[entry]
            dist[w] = np.inf


@njit(cache=True, nogil=True)
def _upward(start_vertex, start_s, indptr, indices, cost, dist, touched, heap_s,
            heap_v):  # type: ignore[no-untyped-def]
    """A complete Dijkstra on an upward graph from seeds; returns how many vertices it
    touched (``touched[:count]``, their times in ``dist``, to be reset by the caller)."""
    reached = 0
    size = 0
    for k in range(len(start_vertex)):
        w = start_vertex[k]
        if dist[w] == np.inf:
            touched[reached] = w
            reached += 1
        if start_s[k] < dist[w]:
            dist[w] = start_s[k]
            size = _push(heap_s, heap_v, size, start_s[k], w)
    while size > 0:
        d = heap_s[0]
        w = heap_v[0]
        size = _pop(heap_s, heap_v, size)
        if d > dist[w]:
            continue
        for e in range(indptr[w], indptr[w + 1]):
            x = indices[e]
            reach = d + cost[e]
            if reach < dist[x]:
                if dist[x] == np.inf:
                    touched[reached] = x
                    reached += 1
                dist[x] = reach
                size = _push(heap_s, heap_v, size, reach, x)
    return reached
