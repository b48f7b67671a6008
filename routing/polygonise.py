"""Raster masks as polygons along cell edges, traced in numpy: GDAL's polygons, without GDAL.

The rings are those of ``rasterio.features.shapes(mask, mask=mask)``: the same vertices (cell
corners where the boundary turns, no collinear points), the same start vertex (the ring's
top-left corner), shells counter-clockwise and holes clockwise under a north-up transform,
holes in GDAL's order; polygons too, except at times among those ending on the same row.
Cells sharing a side make one polygon; where two cells of one polygon meet only at a corner,
the outside cells at that corner stay apart (a hole touches its shell there); where cells of
two polygons meet at a corner, the polygons touch there. Tracing every mask in one vectorised
pass avoids GDAL's set-up per call and the conversion of its output to shapely, which took
two thirds of an isochrone.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numba import njit
from rasterio.transform import Affine
from shapely import MultiPolygon

from routing.arrays import ranges
from routing.raster_labels import label_side_by_side

# Headings along cell edges, rows growing southwards; the mask lies on the left of a ring.
E, S, W, N = 0, 1, 2, 3
# The four cells around a vertex: top-left, top-right, bottom-left, bottom-right. A vertex's
# code has bit k set when cell k is in the mask; codes 6 and 9 are saddles (only two diagonal
# cells set), where two rings pass through the vertex.
BITS = np.array([1, 2, 4, 8], np.uint8)


def _exits() -> tuple[np.ndarray, np.ndarray]:
    """Per vertex code, the heading a ring leaves in (the second one only at saddles)."""
    first, second = np.full(16, -1, np.int64), np.full(16, -1, np.int64)
    for code in range(16):
        tl, tr, bl, br = (bool(code & bit) for bit in BITS)
        exits = [heading for heading, mask_on_left in (
            (E, tr and not br), (S, br and not bl), (W, bl and not tl), (N, tl and not tr))
            if mask_on_left]
        first[code] = exits[0] if exits else -1
        second[code] = exits[1] if len(exits) == 2 else -1
    return first, second


EXIT, SECOND_EXIT = _exits()


def polygonise(masks: Sequence[np.ndarray], transforms: Sequence[Affine]) -> list[MultiPolygon]:
    """Each mask's true cells as polygons, in the coordinates of its transform.

    The masks are traced together: most numpy calls here cost the same for a few hundred
    vertices as for a few thousand.
    """
    vertices = _Vertices.of(masks)
    if not len(vertices.row):
        return [MultiPolygon() for _ in masks]
    edges = _Edges.leaving(vertices.code)
    order, starts = _cycles(_successors(vertices, edges))
    rings, polygon_starts = _rings(vertices, edges, order, starts)
    return _multipolygons(vertices, edges, order, starts, rings, polygon_starts, transforms)


@dataclass(frozen=True)
class _Vertices:
    """The vertices where a boundary turns, mask by mask, each in row-major order."""

    mask: np.ndarray
    row: np.ndarray
    col: np.ndarray
    around: np.ndarray  # (n, 4): polygon number in its mask of each cell around (0: outside)
    code: np.ndarray

    @classmethod
    def of(cls, masks: Sequence[np.ndarray]) -> "_Vertices":
        """The turning vertices of every mask."""
        parts = [_turning_vertices(mask) for mask in masks]
        mask_of = np.repeat(np.arange(len(masks)), [len(row) for row, _, _ in parts])
        row, col, around = (np.concatenate(part) for part in zip(*parts, strict=True))
        return cls(mask_of, row, col, around, (around > 0).view(np.uint8) @ BITS)


def _turning_vertices(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and surrounding polygon numbers of the vertices where a boundary turns
    (a polygon: a group of cells connected by their sides)."""
    padded = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), bool)
    padded[1:-1, 1:-1] = mask
    vertical = padded[:, 1:] ^ padded[:, :-1]  # an edge between horizontal neighbours
    horizontal = padded[1:] ^ padded[:-1]
    turns = (vertical[:-1] | vertical[1:]) & (horizontal[:, :-1] | horizontal[:, 1:])
    row, col = np.divmod(np.flatnonzero(turns), mask.shape[1] + 1)
    labels = label_side_by_side(padded)
    around = np.column_stack([labels[row, col], labels[row, col + 1],
                              labels[row + 1, col], labels[row + 1, col + 1]])
    return row, col, around


@dataclass(frozen=True)
class _Edges:
    """Boundary edges from one turning vertex to the next: a vertex and a heading each."""

    vertex: np.ndarray  # the vertex the edge leaves
    heading: np.ndarray
    first: np.ndarray  # per vertex, its first edge (a saddle has two, the second follows)

    @classmethod
    def leaving(cls, code: np.ndarray) -> "_Edges":
        """The edges leaving each vertex, sorted by vertex then heading."""
        saddle = (code == 6) | (code == 9)
        count = np.where(saddle, 2, 1)
        first = np.cumsum(count) - count
        vertex = np.repeat(np.arange(len(code)), count)
        heading = EXIT[code[vertex]]
        heading[first[saddle] + 1] = SECOND_EXIT[code[saddle]]
        return cls(vertex, heading, first)


def _successors(vertices: _Vertices, edges: _Edges) -> np.ndarray:
    """For each edge, the edge that follows it on its ring.

    The next vertex is the neighbour in row-major order going east or west, in column-major
    order going south or north. At a saddle the ring turns right (joining the two diagonal
    cells) when they belong to one polygon, left (keeping them apart) otherwise.
    """
    span = int(max(vertices.row.max(), vertices.col.max())) + 1
    by_column = np.argsort((vertices.mask * span + vertices.col) * span + vertices.row)
    rank_in_column = np.empty_like(by_column)
    rank_in_column[by_column] = np.arange(len(by_column))
    step = np.array([1, 1, -1, -1])[edges.heading]
    along_row = (edges.heading == E) | (edges.heading == W)
    target = np.where(along_row, edges.vertex + step,  # (modulo: both branches are indexed)
                      by_column[(rank_in_column[edges.vertex] + step) % len(by_column)])
    code = vertices.code[target]
    leave = EXIT[code]
    at_saddle = np.flatnonzero((code == 6) | (code == 9))
    around = vertices.around[target[at_saddle]]
    joined = np.where(code[at_saddle] == 9, around[:, 0] == around[:, 3],
                      around[:, 1] == around[:, 2])
    leave[at_saddle] = (edges.heading[at_saddle] + np.where(joined, 1, -1)) % 4
    return edges.first[target] + (leave != EXIT[code])


def _cycles(successor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edges ring by ring, each from its first edge in row-major order; ring starts."""
    return _follow(np.asarray(successor, np.int64))


@njit(cache=True, nogil=True)
def _follow(successor):  # type: ignore[no-untyped-def]
    seen = np.zeros(len(successor), np.bool_)
    order = np.empty(len(successor), np.int64)
    starts = np.empty(len(successor) + 1, np.int64)
    placed = rings = 0
    for first in range(len(successor)):
        if seen[first]:
            continue
        starts[rings] = placed
        rings += 1
        edge = first
        while not seen[edge]:
            seen[edge] = True
            order[placed] = edge
            placed += 1
            edge = successor[edge]
    starts[rings] = placed
    return order[:placed], starts[:rings + 1]


def _rings(
    vertices: _Vertices, edges: _Edges, order: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The rings in output order (mask by mask, polygon by polygon, the shell then its holes),
    and where each polygon's rings start in that order.

    A ring starts at its top-left vertex heading south (a shell) or east (a hole); the cell
    on its left there names its polygon. Polygons come in GDAL's order (by their last row,
    then their first vertex), holes in the order of their first vertex.
    """
    first_edge = order[starts[:-1]]
    first = edges.vertex[first_edge]
    shell = edges.heading[first_edge] == S
    numbers = int(vertices.around.max()) + 1
    polygon = vertices.mask[first] * numbers + np.where(
        shell, vertices.around[first, 3], vertices.around[first, 1])
    last_row = np.maximum.reduceat(vertices.row[edges.vertex[order]], starts[:-1])
    shells = np.flatnonzero(shell)
    rank = np.zeros(int(polygon.max()) + 1, np.int64)
    rank[polygon[shells[np.lexsort((shells, last_row[shells], vertices.mask[first[shells]]))]]] \
        = np.arange(len(shells))
    rings = np.lexsort((np.arange(len(shell)), ~shell, rank[polygon]))
    return rings, np.flatnonzero(shell[rings])


def _multipolygons(
    vertices: _Vertices, edges: _Edges, order: np.ndarray, starts: np.ndarray,
    rings: np.ndarray, polygon_starts: np.ndarray, transforms: Sequence[Affine],
) -> list[MultiPolygon]:
    """Closed rings of vertex coordinates, assembled by shapely in one call."""
    size = np.diff(starts)[rings] + 1  # each ring closed by its first vertex again
    offset = np.cumsum(size) - size
    within = ranges(0, size)
    within[offset + size - 1] = 0
    vertex = edges.vertex[order[np.repeat(starts[:-1][rings], size) + within]]
    mask, i, j = vertices.mask[vertex], vertices.row[vertex], vertices.col[vertex]
    a, b, c, d, e, f = np.array([transform[:6] for transform in transforms]).T[:, mask]
    xy = np.column_stack([a * j + b * i + c, d * j + e * i + f])
    mask_of_polygon = vertices.mask[vertex[offset[polygon_starts]]]
    return list(shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON, xy,
        (np.append(offset, len(xy)), np.append(polygon_starts, len(rings)),
         np.searchsorted(mask_of_polygon, np.arange(len(transforms) + 1)))))
