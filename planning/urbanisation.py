"""Urban or rural, from where people live: the Degree of Urbanisation (DEGURBA).

The Degree of Urbanisation (UN Statistical Commission, 2020; Eurostat, *Applying the Degree of
Urbanisation*, 2021) counts people on a grid of 1 km² cells. Cells of at least 300 people per
km² that touch (diagonals included) and hold at least 5,000 people together form *urban
clusters*; the densest of them, cells of 1,500 or more, make *urban centres* (cities). Its
two-class summary calls cities plus towns and semi-dense areas "urban": a unit where at least
half the people live in urban clusters. Here a district is urban on that rule (the 8-minute
ambulance standard), rural otherwise (12 minutes). Where the district holds no counted people,
its own population over its area decides with the same 300 per km².

Pure: points in a local metric projection in, kinds out.
"""

from collections.abc import Sequence

import numpy as np
import shapely
from scipy import ndimage

CELL_M = 1_000.0
CLUSTER_PER_KM2 = 300.0       # an urban cluster's cells
CLUSTER_MIN_PEOPLE = 5_000.0  # an urban cluster's people
URBAN_SHARE = 0.5


def classify(districts: Sequence[shapely.Geometry], x: np.ndarray, y: np.ndarray,
             people: np.ndarray, *, district_people: Sequence[float | None] = ()
             ) -> list[str | None]:
    """``urban`` or ``rural`` for each district (metric geometries, like the points), or
    None when neither the points nor ``district_people`` say anything about it."""
    in_cluster = in_urban_cluster(x, y, people)
    kinds: list[str | None] = []
    for index, district in enumerate(districts):
        inside = shapely.contains_xy(district, x, y) if len(x) else np.zeros(0, bool)
        total = float(people[inside].sum())
        if total > 0:
            share = float(people[inside & in_cluster].sum()) / total
            kinds.append("urban" if share >= URBAN_SHARE else "rural")
            continue
        given = district_people[index] if index < len(district_people) else None
        area_km2 = district.area / 1e6
        kinds.append(None if given is None or area_km2 <= 0 else
                     "urban" if given / area_km2 >= CLUSTER_PER_KM2 else "rural")
    return kinds


def in_urban_cluster(x: np.ndarray, y: np.ndarray, people: np.ndarray) -> np.ndarray:
    """For each point, whether its 1 km² cell belongs to an urban cluster."""
    if not len(x):
        return np.zeros(0, bool)
    col = np.floor(x / CELL_M).astype(np.int64)
    row = np.floor(y / CELL_M).astype(np.int64)
    col -= col.min()
    row -= row.min()
    grid = np.zeros((row.max() + 1, col.max() + 1))
    np.add.at(grid, (row, col), people)
    dense = grid >= CLUSTER_PER_KM2 * (CELL_M / 1000) ** 2
    labels, count = ndimage.label(dense, structure=np.ones((3, 3)))
    cluster_people = ndimage.sum(grid, labels, index=np.arange(1, count + 1))
    urban_label = np.concatenate([[False], cluster_people >= CLUSTER_MIN_PEOPLE])
    return urban_label[labels[row, col]]
