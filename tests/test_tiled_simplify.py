"""Band polygons simplified tile by tile: the rings, the tolerance and the area of simplifying
them whole (GEOS), on masks cut by many tile lines."""

import numpy as np
import pytest
import shapely
from rasterio.transform import from_origin
from scipy import ndimage

from routing.isochrone import PeopleXY, TimeGrid, _band_cells, bands
from routing.polygonise import polygonise
from routing.tiled_simplify import WHOLE_MAX_CELLS, simplify_in_tiles

CELL_M = 75.0
TRANSFORM = from_origin(500_000.0, 4_000_000.0, CELL_M, CELL_M)


def blobs(shape: tuple[int, int], seed: int, smooth: float) -> np.ndarray:
    """Random blobs with holes, islands, saddles and one-cell necks."""
    noise = np.random.default_rng(seed).random(shape)
    return ndimage.gaussian_filter(noise, smooth) > 0.5 if smooth else noise < 0.55


def farthest_m(points: shapely.Geometry, lines: shapely.Geometry) -> float:
    """The largest distance from a vertex of ``points`` to the nearest side of ``lines``."""
    sides = [shapely.LineString(pair) for ring in shapely.get_parts(lines)
             for pair in zip(ring.coords[:-1], ring.coords[1:], strict=True)]
    vertices = shapely.points(shapely.get_coordinates(points))
    _, distance = shapely.STRtree(sides).query_nearest(vertices, return_distance=True,
                                                       all_matches=False)
    return float(distance.max())


def ring_counts(geometry: shapely.Geometry) -> list[int]:
    return sorted(len(polygon.interiors) for polygon in geometry.geoms)


@pytest.mark.parametrize(("size", "seed", "smooth", "tile"), [
    ((90, 70), 1, 0.0, 8), ((90, 70), 2, 0.0, 5), ((300, 260), 3, 2.0, 32),
    ((300, 260), 4, 1.2, 17)])
def test_tiles_keep_every_ring_within_the_tolerance(size, seed, smooth, tile):
    raw = polygonise([blobs(size, seed, smooth)], [TRANSFORM])[0]
    ours = simplify_in_tiles(raw, CELL_M / 2, TRANSFORM, tile_cells=tile, whole_max_cells=0)
    whole = shapely.simplify(raw, CELL_M / 2)
    assert ours.is_valid
    assert ring_counts(ours) == ring_counts(raw)  # no ring lost, no polygon split or merged
    assert shapely.get_num_coordinates(ours) < shapely.get_num_coordinates(raw)
    # every vertex kept lies on the cells' boundary, every vertex dropped within the tolerance
    assert farthest_m(ours, raw.boundary) < 1e-6
    assert farthest_m(raw, ours.boundary) <= CELL_M / 2 + 1e-6
    # what moved is a thin strip along the boundary, as much as simplifying it whole moves
    moved = shapely.symmetric_difference(ours, raw).area
    assert moved <= 1.5 * shapely.symmetric_difference(whole, raw).area + CELL_M**2
    assert abs(ours.area - whole.area) < 0.01 * raw.area


def test_a_small_shape_is_simplified_whole():
    raw = polygonise([blobs((120, 100), 5, 1.5)], [TRANSFORM])[0]
    ours = simplify_in_tiles(raw, CELL_M / 2, TRANSFORM, tile_cells=16, whole_max_cells=120)
    assert shapely.equals_exact(ours, shapely.simplify(raw, CELL_M / 2), 0)


def test_bands_of_a_large_grid_match_the_untiled_bands():
    height, width = WHOLE_MAX_CELLS + 150, 2 * WHOLE_MAX_CELLS + 90
    rows, cols = np.mgrid[0:height, 0:width]
    distance_m = np.hypot(rows - height / 2, cols - width / 2) * CELL_M
    blocked = blobs((height, width), 6, 1.5) & (distance_m > 3000)  # blocks without roads
    time_s = np.where(blocked, np.inf, distance_m / 20.0)
    grid = TimeGrid(time_s, TRANSFORM, CELL_M)
    rng = np.random.default_rng(8)
    x = TRANSFORM.c + rng.uniform(0, width, 5000) * CELL_M
    y = TRANSFORM.f - rng.uniform(0, height, 5000) * CELL_M
    people = PeopleXY(x, y, rng.uniform(1, 50, 5000))
    minutes = [5.0, 20.0, 45.0]  # simplified whole, across tiles, across all of them
    for band in bands(grid, minutes, population=people):
        inside, transform = _band_cells(grid, band.minutes, 20_000 / CELL_M**2)
        raw = polygonise([inside], [transform])[0]
        whole = shapely.simplify(raw, CELL_M / 2)
        assert band.geometry.is_valid
        assert ring_counts(band.geometry) == ring_counts(raw)
        assert band.area_km2 == pytest.approx(whole.area / 1e6, rel=2e-3)
        assert shapely.symmetric_difference(band.geometry, whole).area < 0.005 * raw.area
        col = np.floor((x - transform.c) / CELL_M).astype(int)
        row = np.floor((transform.f - y) / CELL_M).astype(int)
        on = (row >= 0) & (row < inside.shape[0]) & (col >= 0) & (col < inside.shape[1])
        in_cells = people.people[on][inside[row[on], col[on]]].sum()
        assert band.people == pytest.approx(in_cells) and in_cells > 0
