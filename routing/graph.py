"""A directed graph for one mode, as compressed sparse rows, and Dijkstra searches over it.

Searches start from *seeds*: vertices with an initial time (a point snapped part-way along an
edge reaches both ends with different times), so one run answers a multi-source query exactly
(``search``, compiled in ``routing.dijkstra``). Groups of seeds (facilities) each enter
through their own virtual vertex appended for scipy's Dijkstra, so that one run also says
which group reached each vertex first (``search_labelled``). Matrices search many rows at
once in ``routing.row_search`` or ``routing.hierarchy``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from rescuecircle.errors import NoRoute
from routing.dijkstra import NO_VERTEX, search_from_seeds


@dataclass(frozen=True)
class Seed:
    """A search start: ``vertex`` reached at ``time_s`` seconds."""

    vertex: int
    time_s: float
    length_m: float = 0.0  # the distance covered to get there (part of the snapped edge)


@dataclass(frozen=True, eq=False)
class FlatSeeds:
    """Groups of seeds as flat arrays for compiled searches: group k's seeds are
    ``start[k]:start[k + 1]``."""

    start: np.ndarray
    vertex: np.ndarray
    time_s: np.ndarray
    length_m: np.ndarray

    @classmethod
    def of(cls, groups: Sequence[Sequence[Seed]]) -> "FlatSeeds":
        start = np.zeros(len(groups) + 1, np.int64)
        np.cumsum([len(seeds) for seeds in groups], out=start[1:])
        flat = [seed for seeds in groups for seed in seeds]
        return cls(start, np.array([s.vertex for s in flat], np.int64),
                   np.array([s.time_s for s in flat], np.float64),
                   np.array([s.length_m for s in flat], np.float64))


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Times from the seeds to every vertex (inf where beyond the limit) and the search tree."""

    time_s: np.ndarray
    predecessor: np.ndarray
    virtual: int

    def vertex_path(self, vertex: int) -> list[int]:
        """Vertices from the seed that reached ``vertex`` to ``vertex``, both included."""
        if not np.isfinite(self.time_s[vertex]):
            raise NoRoute(f"vertex {vertex} is not reachable within the search limit")
        path = [vertex]
        while (previous := int(self.predecessor[path[-1]])) not in (self.virtual, NO_VERTEX):
            path.append(previous)
        path.reverse()
        return path


@dataclass(frozen=True, eq=False)
class ModeGraph:
    """CSR adjacency over vertices ``0..n_vertices-1``; each entry remembers its edge.

    ``edge`` is the index of the network edge an entry stands for and ``forward`` whether it is
    traversed from the edge's source to its target. Parallel edges keep only the cheapest.
    """

    n_vertices: int
    indptr: np.ndarray
    indices: np.ndarray
    cost_s: np.ndarray
    edge: np.ndarray
    forward: np.ndarray

    @classmethod
    def build(
        cls,
        n_vertices: int,
        source: np.ndarray,
        target: np.ndarray,
        cost_s: np.ndarray,
        reverse_cost_s: np.ndarray,
    ) -> "ModeGraph":
        """Build from edge arrays over vertex indices; negative costs mean "no passage"."""
        edge_index = np.arange(len(source))
        fwd = cost_s >= 0
        rev = reverse_cost_s >= 0
        rows = np.concatenate([source[fwd], target[rev]])
        cols = np.concatenate([target[fwd], source[rev]])
        costs = np.concatenate([cost_s[fwd], reverse_cost_s[rev]]).astype(np.float64)
        edges = np.concatenate([edge_index[fwd], edge_index[rev]])
        forward = np.concatenate([np.ones(fwd.sum(), bool), np.zeros(rev.sum(), bool)])
        return cls._from_entries(n_vertices, rows, cols, costs, edges, forward)

    @classmethod
    def _from_entries(
        cls,
        n_vertices: int,
        rows: np.ndarray,
        cols: np.ndarray,
        costs: np.ndarray,
        edges: np.ndarray,
        forward: np.ndarray,
    ) -> "ModeGraph":
        order = np.lexsort((costs, cols, rows))
        rows, cols, costs = rows[order], cols[order], costs[order]
        edges, forward = edges[order], forward[order]
        keep = np.ones(len(rows), bool)
        keep[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, costs, edges, forward = (
            rows[keep], cols[keep], costs[keep], edges[keep], forward[keep])
        indptr = np.zeros(n_vertices + 2, np.int64)  # one spare row for the virtual vertex
        np.cumsum(np.bincount(rows, minlength=n_vertices), out=indptr[1:n_vertices + 1])
        indptr[n_vertices + 1] = indptr[n_vertices]
        return cls(n_vertices, indptr, cols.astype(np.int32), costs, edges, forward)

    def closing(self, closed: np.ndarray) -> "ModeGraph":
        """This graph with the entries of ``closed`` network edges (a mask) made impassable.

        A cheap copy of the costs; where a closed edge had a cheaper-kept parallel twin, the
        twin stays closed too (rare, and on the safe side).
        """
        return replace(self, cost_s=np.where(closed[self.edge], np.inf, self.cost_s))

    def reversed(self) -> "ModeGraph":
        """The transposed graph: a search on it gives times *to* the seeds."""
        rows = np.repeat(np.arange(self.n_vertices), np.diff(self.indptr[:self.n_vertices + 1]))
        return self._from_entries(
            self.n_vertices, self.indices.astype(np.int64), rows, self.cost_s, self.edge,
            ~self.forward)

    @property
    def edge_count(self) -> int:
        """Directed entries in the graph."""
        return len(self.indices)

    def search(
        self, seeds: Sequence[Seed], *, limit_s: float = np.inf,
        edge_factor: np.ndarray | None = None,
        targets_s: tuple[np.ndarray, np.ndarray] | None = None, targets: int = 1,
    ) -> SearchResult:
        """Dijkstra from all seeds at once, stopping at ``limit_s`` seconds.

        ``edge_factor`` (one per network edge) multiplies travel times for this search only:
        ``inf`` blocks an edge (a closed road), 2 makes it twice as slow (a path penalty).
        With ``targets_s`` (target vertices, sorted, and the seconds on from each) it stops
        sooner, once the nearest ``targets`` are certain (``dijkstra.search_from_seeds``).
        """
        if not seeds:
            raise ValueError("a search needs at least one seed")
        flat = FlatSeeds.of([seeds])
        time_s, predecessor = search_from_seeds(
            self.indptr[:self.n_vertices + 1], self.indices, self.cost_s, flat.vertex,
            flat.time_s, self.edge, limit_s=limit_s, factor=edge_factor,
            target_vertex=None if targets_s is None else targets_s[0],
            target_s=None if targets_s is None else targets_s[1], targets=targets)
        return SearchResult(time_s, predecessor, self.n_vertices)

    def search_labelled(
        self, groups: Sequence[Sequence[Seed]], *, limit_s: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """One Dijkstra from every group of seeds at once: seconds from the nearest group to
        each vertex (inf beyond ``limit_s``) and that group's index (-1 where unreached).

        Each group enters through its own virtual vertex and scipy's ``min_only`` search
        reports which of them each vertex was reached from, so the labels cost nothing extra.
        A group without seeds reaches nothing.
        """
        seeded = [k for k, group in enumerate(groups) if group]
        if not seeded:
            raise ValueError("a search needs at least one seed")
        matrix = self._with_virtual_vertices([groups[k] for k in seeded], self.cost_s)
        time_s, _, source = dijkstra(
            matrix, directed=True, indices=self.n_vertices + np.arange(len(seeded)),
            min_only=True, return_predecessors=True, limit=limit_s)
        source = source[:self.n_vertices]
        label = np.full(self.n_vertices, -1, np.int64)
        reached = source >= self.n_vertices
        label[reached] = np.array(seeded)[source[reached] - self.n_vertices]
        return time_s[:self.n_vertices], label

    def _with_virtual_vertices(
        self, groups: Sequence[Sequence[Seed]], costs: np.ndarray
    ) -> csr_matrix:
        """The graph as a scipy matrix with one virtual vertex per group after the real ones,
        joined to its seeds by their times."""
        n = self.n_vertices + len(groups)
        counts = np.array([len(group) for group in groups], np.int64)
        indptr = np.concatenate([self.indptr[:self.n_vertices + 1],
                                 self.indptr[self.n_vertices] + np.cumsum(counts)])
        seed_vertex = np.array([s.vertex for g in groups for s in g], np.int32)
        seed_s = np.array([s.time_s for g in groups for s in g], np.float64)
        return csr_matrix((np.concatenate([costs, seed_s]),
                           np.concatenate([self.indices, seed_vertex]), indptr), shape=(n, n))

    def entry(self, tail: int, head: int) -> int:
        """The CSR entry for the step ``tail -> head`` (the cheapest of parallel edges)."""
        start, end = self.indptr[tail], self.indptr[tail + 1]
        hits = np.nonzero(self.indices[start:end] == head)[0]
        if not len(hits):
            raise KeyError(f"no edge from vertex {tail} to {head}")
        return int(start + hits[0])
