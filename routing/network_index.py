"""What a network derives from its arrays before it can route, kept as plain arrays so that a
snapshot file can hold it (``routing.network_snapshot``), and the edge samples isochrones read.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from routing.arrays import EdgeLines, NetworkArrays
from routing.graph import ModeGraph
from routing.line_measure import cumulative_m, point_edges
from routing.projection import LocalProjection
from routing.snap_grid import SnapGrid


@dataclass(frozen=True, eq=False)
class EdgeSamples:
    """Points spaced along some edges, edge after edge: where isochrones read travel times.

    ``count[i]`` samples belong to the i-th edge asked for, ``edge`` and ``fraction`` say
    where each lies (0 at the edge's source, 1 at its target, by length).
    """

    edge: np.ndarray
    fraction: np.ndarray
    x: np.ndarray
    y: np.ndarray
    count: np.ndarray


@dataclass(frozen=True, eq=False)
class NetworkIndex:
    """What a network derives from its arrays before it can route, as plain arrays: vertex
    indices, the local projection's centre, the lines in local metres and distances along
    them. ``graphs`` (free flow, by mode and direction), ``grid`` and ``edge_vertices`` are
    empty until built, or ready when read from a snapshot."""

    vertex_id: np.ndarray
    source: np.ndarray
    target: np.ndarray
    centre: tuple[float, float]
    lines: EdgeLines
    cumulative_m: np.ndarray
    point_edge: np.ndarray
    vertex_xy: np.ndarray
    edge_middle_xy: np.ndarray  # the middle of every edge's straight chord
    vertex_start: np.ndarray    # the edges at vertex v: vertex_edge[vertex_start[v]:...[v + 1]]
    vertex_edge: np.ndarray
    graphs: Mapping[tuple[str, bool], ModeGraph]
    grid: SnapGrid | None = None
    edge_vertices: np.ndarray | None = None

    @classmethod
    def build(cls, arrays: NetworkArrays) -> "NetworkIndex":
        """Index the arrays' vertices and project their lines."""
        vertex_id, inverse = np.unique(
            np.concatenate([arrays.source, arrays.target]), return_inverse=True)
        source, target = inverse[: len(arrays.source)], inverse[len(arrays.source):]
        lon_min, lat_min = arrays.lines.coords.min(axis=0)
        lon_max, lat_max = arrays.lines.coords.max(axis=0)
        centre = (float(lon_min + lon_max) / 2, float(lat_min + lat_max) / 2)
        lonlat = arrays.lines.coords
        xy = np.column_stack(LocalProjection(*centre).to_xy(lonlat[:, 0], lonlat[:, 1]))
        lines = EdgeLines(xy, arrays.lines.offsets)
        vertex_xy = np.empty((len(vertex_id), 2))
        vertex_xy[source] = xy[lines.offsets[:-1]]
        vertex_xy[target] = xy[lines.offsets[1:] - 1]
        ends = np.concatenate([source, target])
        order = np.argsort(ends, kind="stable")
        vertex_start = np.zeros(len(vertex_id) + 1, np.int64)
        np.cumsum(np.bincount(ends, minlength=len(vertex_id)), out=vertex_start[1:])
        vertex_edge = (order % len(source)).astype(np.int32)
        return cls(vertex_id, source, target, centre, lines, cumulative_m(lines),
                   point_edges(lines), vertex_xy, (vertex_xy[source] + vertex_xy[target]) / 2,
                   vertex_start, vertex_edge, {})
