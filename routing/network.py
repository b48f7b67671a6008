"""The in-memory road network: vertex indexing, snapping, per-mode graphs, searches and routes.

Built once from ``routing.arrays.NetworkArrays`` and kept while the network is unchanged;
per-mode graphs and the snapping grid are built on first use and cached (or come ready from a
snapshot file, ``routing.network_snapshot``); a driving graph at an hour is the free-flow
graph's structure with its costs scaled, for the hours in use.
"""

import copy
import functools
import threading
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
import shapely.ops
from shapely import LineString

from rescuecircle.errors import InvalidInput, NoRoute
from routing.arrays import MODES, NetworkArrays, ranges
from routing.extent import edge_vertices
from routing.graph import ModeGraph, SearchResult, Seed
from routing.line_measure import interpolate
from routing.network_index import EdgeSamples, NetworkIndex
from routing.projection import LocalProjection
from routing.snap import Snap, connected_preferred_within_m, island_note
from routing.snap_grid import SnapGrid
from routing.time_of_day import FREE_FLOW, SpeedFactors

_AT_VERTEX = 1e-9  # fractions this close to 0 or 1 are the edge's end vertex


@dataclass(frozen=True)
class Route:
    """A path between two snapped points, with its time, length and geometry (local metres)."""

    time_s: float
    length_m: float
    edges: list[int]
    geometry: LineString


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of integers by sorting: on a request's few thousand edges numpy 2's
    hashing ``unique`` took ten times as long."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


class Network:
    """One loaded network and everything derived from it for routing."""

    def __init__(
        self,
        arrays: NetworkArrays,
        *,
        snap_max_m: float = 500.0,
        speed_factors: SpeedFactors = FREE_FLOW,
        index: NetworkIndex | None = None,
    ) -> None:
        if len(arrays.edge_id) == 0:
            raise NoRoute("the road network is empty: import one first")
        self.arrays = arrays
        self.snap_max_m = snap_max_m
        self.speed_factors = speed_factors
        self.index = index or NetworkIndex.build(arrays)
        self.vertex_id, self.source, self.target = (
            self.index.vertex_id, self.index.source, self.index.target)
        self.projection = LocalProjection(*self.index.centre)
        self.geometry = self.index.lines
        self.length_m = arrays.length_m
        self.vertex_xy = self.index.vertex_xy
        self.edge_middle_xy = self.index.edge_middle_xy
        self._graphs: dict[tuple[str, bool], ModeGraph] = dict(self.index.graphs)
        self._hour_graphs: dict[tuple[str, int, bool], ModeGraph] = {}
        self._hour_costs: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        self._usable: dict[tuple[str, bool], np.ndarray] = {}
        self._top_speed: dict[str, float] = {}
        self._lock = threading.RLock()  # graph() recurses for the transpose
        self._closed_from: tuple[Network, np.ndarray] | None = None   # see with_closed
        self._grid = self.index.grid
        self._edge_vertices = self.index.edge_vertices

    def complete_index(self) -> NetworkIndex:
        """The index with every free-flow graph, the snapping grid and the edge vertices
        built: what a snapshot holds."""
        for mode in MODES:
            for reverse in (False, True):
                self.graph(mode, reverse=reverse)
        return replace(self.index, graphs=dict(self._graphs), grid=self.grid(),
                       edge_vertices=self.edge_vertices)

    def with_closed(self, edges: Collection[int]) -> "Network":
        """This network with ``edges`` closed both ways to every mode (roads reported blocked).

        Shares the geometry, snapping trees and samples; its graphs are this network's with
        the closed edges' entries made impassable (a copy of the costs, not a rebuild).
        Points snap as on this network (its trees, built on first use, serve the view); one
        snapped onto a closed road is cut off.
        """
        closed = np.zeros(len(self.length_m), bool)
        closed[list(edges)] = True
        arrays = replace(
            self.arrays,
            cost_s={m: np.where(closed, -1.0, c) for m, c in self.arrays.cost_s.items()},
            reverse_cost_s={m: np.where(closed, -1.0, c)
                            for m, c in self.arrays.reverse_cost_s.items()})
        view = copy.copy(self)
        view.arrays = arrays
        view._graphs, view._hour_graphs, view._hour_costs = {}, {}, {}
        view._usable, view._lock = {}, threading.RLock()
        view._top_speed = dict(self._top_speed)
        view._closed_from = (self, closed)
        return view

    def nearest_edge(self, lon: float, lat: float) -> int:
        """The road nearest a point, whatever the modes on it, island or not (the road someone
        pointed at, to close it); InvalidInput beyond snap_max_m."""
        x, y = self.projection.to_xy(np.array([lon]), np.array([lat]))
        edge, _, _ = min((self._nearest(x, y, mode, connected=False) for mode in MODES),
                         key=lambda found: found[1][0])
        if edge[0] < 0:
            raise InvalidInput(f"point ({lon:.6f}, {lat:.6f}) is more than "
                               f"{self.snap_max_m:.0f} m from any road")
        return int(edge[0])

    def _project_coords(self, lonlat: np.ndarray) -> np.ndarray:
        return np.column_stack(self.projection.to_xy(lonlat[:, 0], lonlat[:, 1]))

    def grid(self) -> SnapGrid:
        """The snapping grid over every edge's segments (built on first use)."""
        if self._closed_from is not None:
            return self._closed_from[0].grid()
        with self._lock:
            if self._grid is None:
                self._grid = SnapGrid.build(self.geometry)
            return self._grid

    @property
    def network_id(self) -> int:
        """The imported network this was built from (changes with every import)."""
        return self.arrays.network_id

    def costs(self, mode: str, hour: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Forward and reverse seconds per edge for a mode, with the hour's factors for driving."""
        _check_mode(mode)
        forward, reverse = self.arrays.cost_s[mode], self.arrays.reverse_cost_s[mode]
        if hour is None or not self._by_hour(mode):
            return forward, reverse
        key = (mode, hour)
        with self._lock:
            if key not in self._hour_costs:
                factor = self._class_factor(hour)[self.arrays.class_code]
                _keep_latest_hour(self._hour_costs, key[1])
                self._hour_costs[key] = (np.where(forward >= 0, forward * factor, forward),
                                         np.where(reverse >= 0, reverse * factor, reverse))
            return self._hour_costs[key]

    def _by_hour(self, mode: str) -> bool:
        """Whether the mode's costs change with the hour (driving, with factors by class)."""
        return mode == "drive" and bool(self.speed_factors.by_class)

    def _class_factor(self, hour: int) -> np.ndarray:
        """The hour's travel-time factor of every road class (by class code)."""
        return np.array([self.speed_factors.factor(c, hour) for c in self.arrays.class_names]
                        + [1.0])

    def graph(self, mode: str, hour: int | None = None, *, reverse: bool = False) -> ModeGraph:
        """The directed graph of a mode (driving at an hour), or its transpose; cached.

        At an hour, the free-flow graph with every entry's cost times its road class's factor
        (a cost array, not a rebuild); only the hour last asked for is kept.
        """
        _check_mode(mode)
        with self._lock:
            if hour is not None and self._by_hour(mode):
                key = (mode, hour, reverse)
                if key not in self._hour_graphs:
                    free = self.graph(mode, reverse=reverse)
                    factor = self._class_factor(key[1])[self.arrays.class_code[free.edge]]
                    _keep_latest_hour(self._hour_graphs, key[1])
                    self._hour_graphs[key] = replace(free, cost_s=free.cost_s * factor)
                return self._hour_graphs[key]
            if (mode, reverse) not in self._graphs:
                if self._closed_from is not None:
                    base, closed = self._closed_from
                    self._graphs[mode, reverse] = base.graph(mode, reverse=reverse).closing(closed)
                elif reverse:
                    self._graphs[mode, reverse] = self.graph(mode).reversed()
                else:
                    forward, backward = self.costs(mode)
                    self._graphs[mode, reverse] = ModeGraph.build(
                        len(self.vertex_id), self.source, self.target, forward, backward)
            return self._graphs[mode, reverse]

    @property
    def edge_vertices(self) -> np.ndarray:
        """Whether each vertex lies on the edge of the loaded network (``routing.extent``)."""
        with self._lock:
            if self._edge_vertices is None:
                self._edge_vertices = edge_vertices(self.vertex_xy)
            return self._edge_vertices

    @functools.cached_property
    def edge_vertex_ids(self) -> np.ndarray:
        """The vertices on the edge of the loaded network, by index (an isochrone asks which
        it reached: a few thousand, not a mask over every vertex of a province)."""
        return np.flatnonzero(self.edge_vertices)

    def edges_at(self, vertices: np.ndarray) -> np.ndarray:
        """The edges that start or end at ``vertices``, sorted, each once."""
        start = self.index.vertex_start[vertices]
        count = self.index.vertex_start[np.asarray(vertices) + 1] - start
        return sorted_unique(self.index.vertex_edge[ranges(start, count)])

    def samples(self, edges: np.ndarray, spacing_m: float) -> EdgeSamples:
        """Points at most ``spacing_m`` apart along ``edges``, both ends included, edge after
        edge (computed for the edges asked for: a search reaches a small part of a city)."""
        counts = np.maximum(2, np.ceil(self.length_m[edges] / spacing_m).astype(np.int64) + 1)
        edge = np.repeat(edges, counts)
        fraction = ranges(0, counts) / np.repeat(counts - 1, counts)
        xy = interpolate(self.geometry, self.index.cumulative_m, edge, fraction)
        return EdgeSamples(edge, fraction, xy[:, 0], xy[:, 1], counts)

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """A WGS84 point in local metres."""
        x, y = self.projection.to_xy(np.array([lon]), np.array([lat]))
        return float(x[0]), float(y[0])

    def snap(self, lon: float, lat: float, mode: str) -> Snap:
        """The point placed on the mode's roads (see ``snap_many``); InvalidInput beyond
        ``snap_max_m``."""
        [snap] = self.snap_many(np.array([lon]), np.array([lat]), mode)
        if snap is None:
            raise InvalidInput(
                f"point ({lon:.6f}, {lat:.6f}) is more than {self.snap_max_m:.0f} m from any "
                f"road usable by mode '{mode}'")
        return snap

    def snap_many(
        self, lon: np.ndarray, lat: np.ndarray, mode: str
    ) -> list[Snap | None]:
        """Points placed on the nearest road the mode may use; None beyond ``snap_max_m``.

        An island edge (a piece no road joins to the rest) loses to the connected network when
        that is not much farther (``connected_preferred_within_m``): a point beside a parking
        lot mapped without its entrance belongs on the street, where it can be routed. A point
        with only an island near it still snaps there: someone on an island is real.
        """
        if len(lon) == 0:
            return []
        x, y = self.projection.to_xy(np.asarray(lon, float), np.asarray(lat, float))
        edge, distance, fraction = self._nearest(x, y, mode, connected=False)
        on_island = np.nonzero(self.arrays.island[mode][edge] & (edge >= 0))[0]
        if len(on_island):
            near, near_m, near_fraction = self._nearest(
                x[on_island], y[on_island], mode, connected=True)
            better = (near >= 0) & (near_m <= connected_preferred_within_m(distance[on_island]))
            chosen = on_island[better]
            edge[chosen], distance[chosen], fraction[chosen] = (
                near[better], near_m[better], near_fraction[better])
        snaps: list[Snap | None] = [None] * len(x)
        for i in np.nonzero(edge >= 0)[0]:
            snaps[i] = Snap(int(edge[i]), float(fraction[i]), float(distance[i]), float(x[i]),
                            float(y[i]))
        return snaps

    def _nearest(
        self, x: np.ndarray, y: np.ndarray, mode: str, *, connected: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point, the nearest edge the mode may use (-1 beyond ``snap_max_m``), its
        distance and the fraction along it (``connected``: off islands only)."""
        return self.grid().nearest(
            self.geometry, self.index.cumulative_m, self.index.point_edge, x, y,
            self._usable_edges(mode, connected=connected), max_m=self.snap_max_m)

    def _usable_edges(self, mode: str, *, connected: bool) -> np.ndarray:
        """Which edges points may snap to for the mode (``connected``: off islands); cached."""
        _check_mode(mode)
        if self._closed_from is not None:  # a view snaps as the open network does
            return self._closed_from[0]._usable_edges(mode, connected=connected)
        with self._lock:
            if (mode, connected) not in self._usable:
                usable = (self.arrays.cost_s[mode] >= 0) | (self.arrays.reverse_cost_s[mode] >= 0)
                if connected:
                    usable &= ~self.arrays.island[mode]
                self._usable[mode, connected] = usable
            return self._usable[mode, connected]

    def seeds(self, snap: Snap, mode: str, hour: int | None = None) -> list[Seed]:
        """Leaving a snapped point: the edge's ends it reaches, with the time to each."""
        forward, reverse = self.costs(mode, hour)
        edge, off_s, length = snap.edge, snap.off_network_s, self.length_m[snap.edge]
        seeds = []
        if forward[edge] >= 0:
            seeds.append(Seed(int(self.target[edge]), off_s + (1 - snap.fraction) * forward[edge],
                              (1 - snap.fraction) * length))
        if reverse[edge] >= 0:
            seeds.append(Seed(int(self.source[edge]), off_s + snap.fraction * reverse[edge],
                              snap.fraction * length))
        return seeds + self._vertex_seeds(snap)

    def arrival_seeds(self, snap: Snap, mode: str, hour: int | None = None) -> list[Seed]:
        """Arriving at a snapped point: the edge's ends it is entered from, with the time left.

        Used as seeds of a search on the reversed graph (who can reach this point).
        """
        forward, reverse = self.costs(mode, hour)
        edge, off_s, length = snap.edge, snap.off_network_s, self.length_m[snap.edge]
        seeds = []
        if forward[edge] >= 0:
            seeds.append(Seed(int(self.source[edge]), off_s + snap.fraction * forward[edge],
                              snap.fraction * length))
        if reverse[edge] >= 0:
            seeds.append(Seed(int(self.target[edge]), off_s + (1 - snap.fraction) * reverse[edge],
                              (1 - snap.fraction) * length))
        return seeds + self._vertex_seeds(snap)

    def _vertex_seeds(self, snap: Snap) -> list[Seed]:
        """A point snapped onto an edge's end *is* that vertex, whatever the edge's direction."""
        if snap.fraction <= _AT_VERTEX:
            return [Seed(int(self.source[snap.edge]), snap.off_network_s)]
        if snap.fraction >= 1 - _AT_VERTEX:
            return [Seed(int(self.target[snap.edge]), snap.off_network_s)]
        return []

    def search_from(
        self, snap: Snap, mode: str, *, limit_s: float = np.inf, hour: int | None = None
    ) -> SearchResult:
        """Travel times from a snapped point to every vertex, up to ``limit_s``."""
        seeds = self.seeds(snap, mode, hour)
        if not seeds:
            raise NoRoute(f"the road at this point cannot be travelled by mode '{mode}'")
        return self.graph(mode, hour).search(seeds, limit_s=limit_s)

    def search_to(
        self, snap: Snap, mode: str, *, limit_s: float = np.inf, hour: int | None = None
    ) -> SearchResult:
        """Travel times from every vertex to a snapped point (one-way streets respected)."""
        seeds = self.arrival_seeds(snap, mode, hour)
        if not seeds:
            raise NoRoute(f"the road at this point cannot be travelled by mode '{mode}'")
        return self.graph(mode, hour, reverse=True).search(seeds, limit_s=limit_s)

    def arrival_time_s(
        self, result: SearchResult, snap: Snap, mode: str, hour: int | None = None
    ) -> float:
        """Time to reach a snapped point given the times at its edge's ends (inf if unreached)."""
        best = np.inf
        for seed in self.arrival_seeds(snap, mode, hour):
            best = min(best, result.time_s[seed.vertex] + seed.time_s)
        return float(best)

    def route(
        self, origin: Snap, destination: Snap, mode: str, *, hour: int | None = None
    ) -> Route:
        """The fastest path between two snapped points; NoRoute when none exists.

        The search is bounded: first by the time the straight line would take at the mode's
        top speed (times 1.5), doubling until the destination is reached. A path found within
        the bound is the fastest there is, so the answer stays exact.
        """
        straight_m = float(np.hypot(destination.x - origin.x, destination.y - origin.y))
        limit_s = max(60.0, 1.5 * straight_m / self._top_speed_mps(mode))
        while True:
            result = self.search_from(origin, mode, hour=hour, limit_s=limit_s)
            best_s, via = np.inf, None
            for seed in self.arrival_seeds(destination, mode, hour):
                total = result.time_s[seed.vertex] + seed.time_s
                if total < best_s:
                    best_s, via = total, seed.vertex
            if best_s <= limit_s or not np.isfinite(limit_s):
                break
            limit_s = limit_s * 4 if limit_s < 24 * 3600 else np.inf
        along = self.along_same_edge(origin, destination, mode, hour)
        if along is not None and along <= best_s:
            geometry = self._piece(origin.edge, origin.fraction, destination.fraction)
            return Route(along, self.length_m[origin.edge]
                         * abs(destination.fraction - origin.fraction),
                         [int(self.arrays.edge_id[origin.edge])],
                         self._with_legs(origin, geometry, destination))
        if via is None or not np.isfinite(best_s):
            raise NoRoute(f"no {mode} route between the two points" + self.island_reasons(
                mode, {"the origin": origin, "the destination": destination}))
        return self.route_along(origin, destination, result.vertex_path(via), mode,
                                time_s=best_s, hour=hour)

    def island_reasons(self, mode: str, points: dict[str, Snap]) -> str:
        """``": the origin lies on ... (an island)"`` for the named points snapped onto an
        island of the mode, to end a NoRoute message with; empty when none is."""
        notes = [island_note(name, mode) for name, snap in points.items()
                 if self.arrays.island[mode][snap.edge]]
        return ": " + "; ".join(notes) if notes else ""

    def _top_speed_mps(self, mode: str) -> float:
        """The fastest any edge may be travelled by the mode at free flow, in m/s (cached)."""
        if mode not in self._top_speed:
            forward, reverse = self.costs(mode)
            cost = np.where(forward > 0, forward, np.where(reverse > 0, reverse, np.inf))
            self._top_speed[mode] = float(np.max(self.length_m / cost))
        return self._top_speed[mode]

    def along_same_edge(
        self, origin: Snap, destination: Snap, mode: str, hour: int | None = None
    ) -> float | None:
        """Seconds from origin to destination along their common edge without leaving it
        (None when they are on different edges or the edge forbids that way)."""
        forward, reverse = self.costs(mode, hour)
        if origin.edge != destination.edge:
            return None
        edge, delta = origin.edge, destination.fraction - origin.fraction
        cost = forward[edge] if delta >= 0 else reverse[edge]
        if cost < 0:
            return None
        return abs(delta) * cost + origin.off_network_s + destination.off_network_s

    def path_steps(
        self, origin: Snap, destination: Snap, vertices: list[int], mode: str,
        hour: int | None = None,
    ) -> list[tuple[int, float, float]]:
        """The pieces of edges a path covers, as (edge index, from fraction, to fraction).

        ``vertices`` runs from the vertex the path leaves the origin's edge by to the vertex it
        enters the destination's edge by; pieces of zero length are left out.
        """
        graph = self.graph(mode, hour)
        leave = 1.0 if vertices[0] == self.target[origin.edge] else 0.0
        steps = [(int(origin.edge), origin.fraction, leave)]
        for tail, head in zip(vertices, vertices[1:], strict=False):
            entry = graph.entry(tail, head)
            forward = bool(graph.forward[entry])
            steps.append((int(graph.edge[entry]), 0.0 if forward else 1.0, 1.0 if forward else 0.0))
        enter = 0.0 if vertices[-1] == self.source[destination.edge] else 1.0
        steps.append((int(destination.edge), enter, destination.fraction))
        return [step for step in steps if step[1] != step[2]]

    def route_along(
        self, origin: Snap, destination: Snap, vertices: list[int], mode: str, *,
        time_s: float, hour: int | None = None,
    ) -> Route:
        """The route following ``vertices`` (see ``path_steps``), with its geometry."""
        steps = self.path_steps(origin, destination, vertices, mode, hour)
        length = sum(self.length_m[edge] * abs(end - start) for edge, start, end in steps)
        pieces = [self._piece(*step) for step in steps]
        coords = (np.concatenate([shapely.get_coordinates(p) for p in pieces]) if pieces
                  else self.vertex_xy[[vertices[-1], vertices[-1]]])
        keep = np.ones(len(coords), bool)
        keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
        line = LineString(coords[keep]) if keep.sum() >= 2 else LineString(coords[:1].repeat(2, 0))
        return Route(time_s, float(length), [int(self.arrays.edge_id[e]) for e, _, _ in steps],
                     self._with_legs(origin, line, destination))

    def _piece(self, edge: int, start: float, end: float) -> LineString:
        """The part of an edge between two fractions, in the direction start -> end."""
        line = self.geometry[edge]
        if (start, end) == (0.0, 1.0):
            return line
        if (start, end) == (1.0, 0.0):
            return line.reverse()
        low, high = sorted((start, end))
        piece = shapely.ops.substring(line, low, high, normalized=True)
        if piece.geom_type == "Point":
            piece = LineString([piece, piece])
        return piece if start <= end else piece.reverse()

    @staticmethod
    def _with_legs(origin: Snap, line: LineString, destination: Snap) -> LineString:
        coords = shapely.get_coordinates(line)
        return LineString(np.concatenate([[[origin.x, origin.y]], coords,
                                          [[destination.x, destination.y]]]))

    def from_lonlat(self, geometry: shapely.Geometry) -> shapely.Geometry:
        """A WGS84 geometry in local metres."""
        return shapely.transform(geometry, self._project_coords)

    def to_lonlat(self, geometry: shapely.Geometry) -> shapely.Geometry:
        """A geometry in local metres back in WGS84."""
        return shapely.transform(
            geometry, lambda xy: np.column_stack(self.projection.to_lonlat(xy[:, 0], xy[:, 1])))


def _keep_latest_hour(cache: dict[Any, Any], hour: int) -> None:
    """Drop what ``cache`` holds for hours other than ``hour`` (its keys are (mode, hour, ...))."""
    for key in [k for k in cache if k[1] != hour]:
        del cache[key]


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InvalidInput(f"mode '{mode}' is unknown; use one of {', '.join(MODES)}")
