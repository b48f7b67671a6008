"""People counted at points (grid-cell centroids such as H3 hexagons, address points) turned
into the areas they stand for: each point's Voronoi cell, cut to a disc of about half the
typical spacing, so a regular grid gives back its cells and a lone point does not claim the
empty country around it. Pure: local metric coordinates in, polygons out."""

import numpy as np
import shapely
from scipy.spatial import cKDTree

REACH = 0.75          # disc radius, in typical spacings between neighbouring points
LONE_RADIUS_M = 50.0  # a single point's disc


def cells_around(x: np.ndarray, y: np.ndarray) -> list[shapely.Polygon]:
    """One polygon per point (same order), in the points' metric coordinates."""
    points = shapely.points(x, y)
    if len(points) < 2:
        return [shapely.buffer(p, LONE_RADIUS_M) for p in points]
    spacing_m = float(np.median(cKDTree(np.column_stack([x, y])).query(
        np.column_stack([x, y]), k=2)[0][:, 1]))
    radius_m = max(REACH * spacing_m, 1.0)
    regions = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points)))
    region_of = shapely.STRtree(regions).query(points, predicate="within")
    by_point = np.empty(len(points), dtype=object)
    by_point[region_of[0]] = regions[region_of[1]]
    discs = shapely.buffer(points, radius_m)
    unplaced = np.array([region is None for region in by_point])  # a repeated point
    by_point[unplaced] = discs[unplaced]
    return list(shapely.intersection(by_point, discs))
