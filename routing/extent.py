"""The edge of the loaded network: the vertices where the extract cut the roads off.

An OSM extract ends along a box or a polygon; the roads crossing that line are cut there and
what lies beyond is not known. Times inside stay right, but a band that reaches the line with
time left would have gone on in the real city: it is cut short, and must say so.

The definition: the outline of the network is the convex hull of its vertices, and
the *edge vertices* are those within ``EDGE_MARGIN_M`` of the outline. A search *reaches the
edge* when it arrives at an edge vertex before its limit (with time left to go on).

Why the convex hull: extracts are cut along a box (osmium --bbox, OSMnx, BBBike) or a region's
polygon, and the roads they cut end on that line, so the outermost vertices trace it. A
cul-de-sac inside the city lies far inside the hull and is never an edge vertex; nor is the
shore of a park, a bay or a river inside the extract, which a tighter (concave) outline would
follow. What it cannot see: cuts deep in a concave extract polygon (a county with a notch),
where the network ends well inside the hull. Nor can it tell a coast on the outline from a
cut: a band reaching it is flagged, as the data cannot say there is only sea beyond.

Dead ends are no sign of a cut: of the 57 vertices of the Futian extract (from OSMnx) within
30 m of its box, 4 are dead ends; 3,627 of the 28,133 vertices of Imperial County's are dead
ends, all but 30 of them more than 500 m inside its outline (tracks, cul-de-sacs).
"""

import numpy as np
import shapely

# The last node an extract keeps of a cut road lies within one node spacing of the cut: in
# Futian every vertex within 30 m of its box lies within 23 m of the hull.
EDGE_MARGIN_M = 50.0


def edge_vertices(vertex_xy: np.ndarray) -> np.ndarray:
    """Whether each vertex of a network (local metres, one row each) lies on its edge."""
    points = shapely.points(vertex_xy)
    hull = shapely.convex_hull(shapely.multipoints(points))
    return shapely.distance(hull.boundary, points) <= EDGE_MARGIN_M
