"""Simplifying a large polygonised band tile by tile, with the same tolerance and topology kept.

GEOS's topology-preserving simplification checks each flattened stretch of a ring against the
other rings of the geometry, so its time grows with the square of the rings: a city's 12-minute
band (10,000 holes) took 0.4 s, four such cities side by side 15 s, nine 80 s, and a province's
(4,300 x 4,300 cells) did not finish in 10 minutes. Here every ring is cut where it crosses or
touches the lines of a grid of tiles (``tile_cells`` cells a side), the pieces are simplified
tile by tile (each tile's pieces together, their ends kept where they are) and the rings put
together again from their pieces. A piece lies inside its tile and meets the tile's sides only
at its ends, so pieces of different tiles cannot cross; within a tile GEOS keeps them apart.
Shapes within ``WHOLE_MAX_CELLS`` cells are simplified by GEOS whole, as they were.
"""

import numpy as np
import shapely
from rasterio.transform import Affine
from shapely import MultiPolygon

from routing.arrays import ranges

TILE_CELLS = 256  # at 128-256 a province's bands took 2.4 s each, at 512 4-7 s, 1,024 5 s
WHOLE_MAX_CELLS = 512  # an isochrone's bands: as GEOS simplifies them whole, in a few ms


def simplify_in_tiles(
    shape: MultiPolygon, tolerance_m: float, transform: Affine, *, tile_cells: int = TILE_CELLS,
    whole_max_cells: int = WHOLE_MAX_CELLS,
) -> shapely.Geometry:
    """``shape`` (rings along the cell edges of ``transform``'s north-up grid) simplified by
    Douglas-Peucker within ``tolerance_m``, rings kept apart; tile by tile when it reaches
    farther than ``whole_max_cells`` cells from the grid's corner."""
    if shape.is_empty:
        return shape
    west, south, east, north = shape.bounds
    reach = max((east - transform.c) / transform.a, (south - transform.f) / transform.e)
    if reach <= whole_max_cells + 0.5:
        return shapely.simplify(shape, tolerance_m)
    kind, xy, (ring_offsets, polygon_offsets, part_offsets) = shapely.to_ragged_array([shape])
    cell = np.column_stack([np.rint((xy[:, 0] - transform.c) / transform.a),
                            np.rint((xy[:, 1] - transform.f) / transform.e)]).astype(np.int64)
    cell, ring_offsets = _with_crossings(cell, ring_offsets, tile_cells)
    cell, ring_offsets = _from_a_cut(cell, ring_offsets, tile_cells)
    starts, ends = _pieces(cell, ring_offsets, tile_cells)
    simplified, lengths = _simplified_pieces(cell, starts, ends, transform, tile_cells,
                                             tolerance_m)
    xy, ring_offsets = _rings_again(simplified, lengths, starts, ring_offsets)
    return shapely.from_ragged_array(kind, xy, (ring_offsets, polygon_offsets, part_offsets))[0]


def _with_crossings(
    cell: np.ndarray, ring_offsets: np.ndarray, tile_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """The rings with a vertex added wherever a side crosses a tile line (rings run along
    cell edges, so each side is horizontal or vertical and crosses at a cell corner)."""
    last = np.zeros(len(cell), bool)
    last[ring_offsets[1:] - 1] = True  # a ring's closing vertex starts no side
    following = np.minimum(np.arange(len(cell)) + 1, len(cell) - 1)
    low, high = np.minimum(cell, cell[following]), np.maximum(cell, cell[following])
    count = np.where((high > low) & ~last[:, None],
                     (high - 1) // tile_cells - low // tile_cells, 0)  # per axis
    added = count.sum(axis=1)
    each = np.repeat(np.arange(len(cell)), added + 1)
    k = ranges(0, added + 1)
    out = cell[each].copy()
    crossing = k > 0
    at, step = each[crossing], k[crossing]
    rising = cell[following[at]] > cell[at]
    first = np.where(rising, (low[at] // tile_cells + 1) * tile_cells,
                     (high[at] - 1) // tile_cells * tile_cells)
    moved = np.where(rising, first + (step - 1)[:, None] * tile_cells,
                     first - (step - 1)[:, None] * tile_cells)
    axis = count[at] > 0  # the axis the side runs along
    out[crossing] = np.where(axis, moved, cell[at])
    new_offsets = np.concatenate([[0], np.cumsum(added + 1)])[ring_offsets]
    return out, new_offsets


def _on_tile_lines(cell: np.ndarray, tile_cells: int) -> np.ndarray:
    """Which vertices lie on a tile line (their ends are kept: the pieces are cut there)."""
    return ((cell % tile_cells) == 0).any(axis=1)


def _from_a_cut(
    cell: np.ndarray, ring_offsets: np.ndarray, tile_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each ring turned to start (and close) at its first vertex on a tile line, if any."""
    size = np.diff(ring_offsets) - 1  # distinct vertices
    ring = np.repeat(np.arange(len(size)), size + 1)
    within = np.arange(len(cell)) - np.repeat(ring_offsets[:-1], size + 1)
    cut = _on_tile_lines(cell, tile_cells) & (within < np.repeat(size, size + 1))
    first_cut = np.full(len(size), np.iinfo(np.int64).max)
    np.minimum.at(first_cut, ring[cut], within[cut])
    turn = np.where(first_cut < np.iinfo(np.int64).max, first_cut, 0)
    index = ring_offsets[ring] + (within + turn[ring]) % size[ring]
    return cell[index], ring_offsets


def _pieces(
    cell: np.ndarray, ring_offsets: np.ndarray, tile_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last vertex of every piece: the stretches of the rings between vertices on
    tile lines (a ring on none is one closed piece), ring by ring, in order."""
    bound = _on_tile_lines(cell, tile_cells)
    bound[ring_offsets[:-1]] = True
    bound[ring_offsets[1:] - 1] = True
    at = np.flatnonzero(bound)
    closing = np.zeros(len(cell), bool)
    closing[ring_offsets[1:] - 1] = True
    keep = ~closing[at[:-1]]
    return at[:-1][keep], at[1:][keep]


def _simplified_pieces(
    cell: np.ndarray, starts: np.ndarray, ends: np.ndarray, transform: Affine,
    tile_cells: int, tolerance_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The pieces simplified, each tile's together: their coordinates (piece after piece, in
    the pieces' order) and how many each kept."""
    middle = (cell[starts] + cell[starts + 1]) / 2  # the first side's middle: inside a tile
    tile_row, tile_col = (middle[:, 1] // tile_cells).astype(np.int64), \
        (middle[:, 0] // tile_cells).astype(np.int64)
    tile = tile_row * (int(tile_col.max()) + 1) + tile_col
    by_tile = np.argsort(tile, kind="stable")
    length = ends - starts + 1
    offsets = np.concatenate([[0], np.cumsum(length[by_tile])])
    index = ranges(starts[by_tile], length[by_tile])
    xy = np.column_stack([transform.a * cell[index, 0] + transform.c,
                          transform.e * cell[index, 1] + transform.f])
    tiles = np.concatenate([[0], np.flatnonzero(np.diff(tile[by_tile])) + 1, [len(by_tile)]])
    lines = shapely.from_ragged_array(shapely.GeometryType.MULTILINESTRING, xy,
                                      (offsets, tiles))
    parts = shapely.get_parts(shapely.simplify(lines, tolerance_m))
    kept = shapely.get_num_coordinates(parts)
    coords = shapely.get_coordinates(parts)
    kept_offsets = np.concatenate([[0], np.cumsum(kept)])
    place = np.empty(len(by_tile), np.int64)
    place[by_tile] = np.arange(len(by_tile))  # piece -> its rank in tile order
    in_order = ranges(kept_offsets[place], kept[place])
    return coords[in_order], kept[place]


def _rings_again(
    coords: np.ndarray, lengths: np.ndarray, starts: np.ndarray, ring_offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rings from their simplified pieces: each piece without its last vertex (the next one's
    first), each ring closed by its first vertex."""
    ring = np.searchsorted(ring_offsets, starts, side="right") - 1
    piece_first = np.cumsum(lengths) - lengths
    body = np.bincount(ring, weights=lengths - 1, minlength=len(ring_offsets) - 1).astype(
        np.int64)
    size = body + 1
    out_offsets = np.concatenate([[0], np.cumsum(size)])
    taken = ranges(piece_first, lengths - 1)
    index = np.empty(out_offsets[-1], np.int64)
    closing = out_offsets[1:] - 1
    body_slot = np.ones(len(index), bool)
    body_slot[closing] = False
    index[body_slot] = taken
    index[closing] = index[out_offsets[:-1]]
    return coords[index], out_offsets
