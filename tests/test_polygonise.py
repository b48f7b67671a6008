"""Raster masks to polygons: the same rings as GDAL's polygonizer, checked cell by cell."""

import numpy as np
import pytest
import rasterio.features
import shapely
from hypothesis import given, settings
from hypothesis.extra.numpy import array_shapes, arrays
from rasterio.transform import Affine, from_origin
from scipy import ndimage
from shapely import MultiPolygon, Polygon

from routing.isochrone import TimeGrid, _fill_small_holes, bands
from routing.polygonise import polygonise
from routing.raster_labels import COMPILED_MAX_CELLS, label_side_by_side

NORTH_UP = from_origin(1000.0, 2000.0, 75.0, 75.0)


def gdal(mask: np.ndarray, transform: Affine) -> MultiPolygon:
    return MultiPolygon([
        Polygon(shape["coordinates"][0], shape["coordinates"][1:])
        for shape, _ in rasterio.features.shapes(mask.astype(np.uint8), mask=mask,
                                                 transform=transform)])


def rings(geometry: MultiPolygon) -> list[tuple[bytes, tuple[bytes, ...]]]:
    """Each polygon's shell and holes, vertex for vertex, whatever the polygons' order."""
    return sorted((shapely.to_wkb(polygon.exterior),
                   tuple(sorted(shapely.to_wkb(ring) for ring in polygon.interiors)))
                  for polygon in geometry.geoms)


def one(mask: np.ndarray, transform: Affine = NORTH_UP) -> MultiPolygon:
    return polygonise([mask], [transform])[0]


def test_random_masks_give_gdals_rings():
    rng = np.random.default_rng(7)
    masks = [rng.random((rng.integers(1, 25), rng.integers(1, 25))) < rng.uniform(0.2, 0.8)
             for _ in range(150)]
    transforms = [from_origin(rng.uniform(-1e4, 1e4), rng.uniform(-1e4, 1e4), 25.0, 25.0)
                  for _ in masks]
    for mask, transform, ours in zip(masks, transforms, polygonise(masks, transforms),
                                     strict=True):
        assert ours.is_valid
        assert rings(ours) == rings(gdal(mask, transform))


def test_cells_of_one_polygon_meeting_at_a_corner_keep_the_outside_apart():
    mask = np.array([[1, 1, 1, 1],
                     [1, 0, 1, 1],   # the hole at (1, 1) touches the outside at (2, 0)
                     [0, 1, 1, 1]], bool)
    ours = one(mask, Affine.identity())
    assert len(ours.geoms) == 1 and len(ours.geoms[0].interiors) == 1
    assert ours.is_valid and ours.area == mask.sum()
    assert shapely.equals_exact(ours, gdal(mask, Affine.identity()), 0)


def test_cells_of_two_polygons_meeting_at_a_corner_touch():
    mask = np.array([[1, 0],
                     [0, 1]], bool)
    ours = one(mask, Affine.identity())
    assert len(ours.geoms) == 2 and ours.is_valid
    assert rings(ours) == rings(gdal(mask, Affine.identity()))


def test_shells_run_counter_clockwise_from_their_top_left_corner():
    mask = np.zeros((3, 4), bool)
    mask[1, 1:3] = True
    (polygon,) = one(mask).geoms
    assert polygon.exterior.is_ccw
    assert polygon.exterior.coords[0] == (1000.0 + 75.0, 2000.0 - 75.0)
    assert len(polygon.exterior.coords) == 5  # corners only


def test_masks_touching_the_edge_and_empty_masks():
    full, empty = np.ones((2, 3), bool), np.zeros((4, 4), bool)
    got = polygonise([full, empty, np.zeros((0, 0), bool)], [NORTH_UP] * 3)
    assert got[0].area == pytest.approx(6 * 75.0**2)
    assert got[1].is_empty and got[2].is_empty
    assert polygonise([empty], [NORTH_UP])[0].is_empty


def test_small_enclosed_pockets_are_filled_large_ones_and_open_ones_kept():
    inside = np.ones((9, 9), bool)
    inside[1, 1] = False           # a one-cell pocket: filled
    inside[4:7, 4:7] = False       # nine cells: kept
    inside[0, 7] = False           # open to the edge: kept
    filled = _fill_small_holes(inside, 4)
    assert filled[1, 1] and not filled[4:7, 4:7].any() and not filled[0, 7]
    assert filled.sum() == inside.sum() + 1


def test_bands_keep_large_holes_and_fill_small_ones():
    time_s = np.full((20, 20), 100.0)
    time_s[[0, -1], :] = time_s[:, [0, -1]] = np.inf
    time_s[3:9, 3:9] = np.inf      # 36 cells of 75 m: 20 ha, kept
    time_s[14, 14] = np.inf        # one cell: filled
    time_s[10:19, 1:6] = 400.0     # reached only in the second band: a notch in the first
    five, ten = bands(TimeGrid(time_s, NORTH_UP, 75.0), [5, 10])
    cell_km2 = 75.0**2 / 1e6
    assert ten.area_km2 == pytest.approx((18 * 18 - 36) * cell_km2)
    assert five.area_km2 == pytest.approx((18 * 18 - 36 - 45) * cell_km2)
    assert [len(p.interiors) for p in ten.geometry.geoms] == [1]


@given(arrays(bool, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24)))
@settings(max_examples=300, deadline=None)
def test_labels_are_scipys(mask):
    """Groups of cells joined by their sides, numbered as scipy numbers them (the compiled
    flood: these masks are below COMPILED_MAX_CELLS)."""
    assert mask.size <= COMPILED_MAX_CELLS
    expected, _ = ndimage.label(mask)
    assert np.array_equal(label_side_by_side(mask), expected)
