"""Nearest edge to points, through a grid of the edges' segments: plain arrays, no shapely.

Why not shapely's STRtree: it holds a shapely object per edge, built in every process that
serves; the grid is four integer arrays that a snapshot file shares between processes
(``routing.snapshot``). Each segment is listed in every cell its bounding box touches; a
query visits rings of cells around the point until no closer segment can lie farther out.
"""

from dataclasses import dataclass

import numpy as np

from routing.arrays import EdgeLines, ranges

CELL_M = 150.0  # about two segments of a city street per cell


@dataclass(frozen=True, eq=False)
class SnapGrid:
    """Segments by grid cell: cell c lists ``segment[cell_start[c]:cell_start[c + 1]]``.

    A segment is named by the index of its first point in the lines' coordinates.
    """

    west: float
    south: float
    cell_m: float
    columns: int
    rows: int
    cell_start: np.ndarray
    segment: np.ndarray

    @classmethod
    def build(cls, lines: EdgeLines, *, cell_m: float = CELL_M) -> "SnapGrid":
        """Index every segment of ``lines`` (local metres)."""
        xy = lines.coords
        first = _segment_starts(lines)
        if len(xy) == 0:
            return cls(0.0, 0.0, cell_m, 1, 1, np.zeros(2, np.int64), np.empty(0, np.int32))
        west, south = xy.min(axis=0) - cell_m
        columns, rows = (np.floor((xy.max(axis=0) - (west, south)) / cell_m) + 2).astype(int)
        a, b = xy[first], xy[first + 1]
        low = np.floor((np.minimum(a, b) - (west, south)) / cell_m).astype(np.int64)
        high = np.floor((np.maximum(a, b) - (west, south)) / cell_m).astype(np.int64)
        span = high - low + 1
        per = span[:, 0] * span[:, 1]
        which = np.repeat(np.arange(len(first)), per)
        k = ranges(0, per)
        col = low[which, 0] + k % span[which, 0]
        row = low[which, 1] + k // span[which, 0]
        cell = row * columns + col
        order = np.argsort(cell, kind="stable")
        cell_start = np.zeros(columns * rows + 1, np.int64)
        np.cumsum(np.bincount(cell, minlength=columns * rows), out=cell_start[1:])
        return cls(float(west), float(south), cell_m, int(columns), int(rows), cell_start,
                   first[which[order]].astype(np.int32))

    def nearest(
        self, lines: EdgeLines, cumulative_m: np.ndarray, point_edge: np.ndarray,
        x: np.ndarray, y: np.ndarray, usable: np.ndarray, *, max_m: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point, the nearest ``usable`` edge within ``max_m`` (-1 if none), the distance
        (inf if none) and the position along the edge's line as a fraction of its length.

        ``cumulative_m`` and ``point_edge`` give, for every coordinate of ``lines``, the
        distance along all lines (``routing.line_measure``) and its edge. Ties go to the lowest
        edge index, so the answer does not depend on the order cells are visited in.
        """
        count = len(x)
        best_m = np.full(count, np.inf)
        best_edge = np.full(count, -1, np.int64)
        best_segment = np.zeros(count, np.int64)
        best_t = np.zeros(count)
        column = np.floor((x - self.west) / self.cell_m).astype(np.int64)
        row = np.floor((y - self.south) / self.cell_m).astype(np.int64)
        active = np.arange(count)
        for ring in range(int(np.ceil(max_m / self.cell_m)) + 2):
            if not len(active):
                break
            dc, dr = _ring(ring)
            pc = (column[active, None] + dc).ravel()
            pr = (row[active, None] + dr).ravel()
            owner = np.repeat(active, len(dc))
            inside = (pc >= 0) & (pc < self.columns) & (pr >= 0) & (pr < self.rows)
            cell = pr[inside] * self.columns + pc[inside]
            owner = owner[inside]
            start, stop = self.cell_start[cell], self.cell_start[cell + 1]
            per = stop - start
            point = np.repeat(owner, per)
            segment = self.segment[ranges(start, per)].astype(np.int64)
            edge = point_edge[segment]
            keep = usable[edge]
            point, segment, edge = point[keep], segment[keep], edge[keep]
            metres, t = _to_segment(lines.coords, segment, x[point], y[point])
            better = (metres < best_m[point]) | (
                (metres == best_m[point]) & (edge < best_edge[point]))
            if better.any():
                order = np.lexsort((edge[better], metres[better], point[better]))
                p, m_, e = point[better][order], metres[better][order], edge[better][order]
                s, tt = segment[better][order], t[better][order]
                head = np.ones(len(p), bool)
                head[1:] = p[1:] != p[:-1]
                p = p[head]
                best_m[p], best_edge[p], best_segment[p], best_t[p] = (
                    m_[head], e[head], s[head], tt[head])
            done = best_m[active] <= ring * self.cell_m
            active = active[~done & (ring * self.cell_m < max_m)]
        far = best_m > max_m
        best_edge[far], best_m[far] = -1, np.inf
        return best_edge, best_m, _fraction(lines, cumulative_m, best_edge, best_segment, best_t)


def _segment_starts(lines: EdgeLines) -> np.ndarray:
    """Indices of the first point of every segment (every point but each edge's last)."""
    is_last = np.zeros(len(lines.coords), bool)
    is_last[lines.offsets[1:] - 1] = True
    return np.nonzero(~is_last)[0]


def _ring(ring: int) -> tuple[np.ndarray, np.ndarray]:
    """Column and row offsets of the cells at Chebyshev distance ``ring``."""
    side = np.arange(-ring, ring + 1)
    dc, dr = np.meshgrid(side, side)
    on = np.maximum(np.abs(dc), np.abs(dr)) == ring
    return dc[on], dr[on]


def _to_segment(
    coords: np.ndarray, segment: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from points to segments and the position of the nearest point (0-1)."""
    ax, ay = coords[segment, 0], coords[segment, 1]
    dx, dy = coords[segment + 1, 0] - ax, coords[segment + 1, 1] - ay
    squared = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(squared > 0, ((x - ax) * dx + (y - ay) * dy) / squared, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(ax + t * dx - x, ay + t * dy - y), t


def _fraction(
    lines: EdgeLines, cumulative_m: np.ndarray, edge: np.ndarray, segment: np.ndarray,
    t: np.ndarray,
) -> np.ndarray:
    """Position along each edge's line (0 at its source, 1 at its target) by length."""
    fraction = np.zeros(len(edge))
    found = np.nonzero(edge >= 0)[0]
    first, last = lines.offsets[edge[found]], lines.offsets[edge[found] + 1] - 1
    seg = segment[found]
    along = cumulative_m[seg] - cumulative_m[first] + t[found] * (
        cumulative_m[seg + 1] - cumulative_m[seg])
    total = cumulative_m[last] - cumulative_m[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction[found] = np.where(total > 0, np.clip(along / total, 0.0, 1.0), 0.0)
    return fraction
