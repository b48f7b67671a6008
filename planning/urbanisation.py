"""Urban or rural, from where people live: the Degree of Urbanisation's first step.

The Degree of Urbanisation (UN Statistical Commission, 2020; Eurostat's *Applying the Degree of
Urbanisation*, 2021) counts people on a grid of 1 km² cells and calls "urban centre" cells
those with at least 1,500 inhabitants per km²; a unit where at least half the people live in
such cells is a city. A district here is urban when that half holds, rural otherwise (the
8-minute and 12-minute ambulance standards). Where no cell grid can be made (no people in the
district), the district's own population over its area decides with the same threshold.

Pure: points in a local metric projection in, kinds out.
"""

from collections.abc import Sequence

import numpy as np
import shapely

URBAN_CENTRE_PER_KM2 = 1_500.0
CELL_M = 1_000.0
CITY_SHARE = 0.5


def classify(districts: Sequence[shapely.Geometry], x: np.ndarray, y: np.ndarray,
             people: np.ndarray, *, district_people: Sequence[float | None] = ()
             ) -> list[str | None]:
    """``urban`` or ``rural`` for each district (metric geometries, like the points), or
    None when neither the points nor ``district_people`` say anything about it."""
    in_centre = in_urban_centre(x, y, people)
    kinds: list[str | None] = []
    for index, district in enumerate(districts):
        inside = shapely.contains_xy(district, x, y) if len(x) else np.zeros(0, bool)
        total = float(people[inside].sum())
        if total > 0:
            share = float(people[inside & in_centre].sum()) / total
            kinds.append("urban" if share >= CITY_SHARE else "rural")
            continue
        given = district_people[index] if index < len(district_people) else None
        area_km2 = district.area / 1e6
        kinds.append(None if given is None or area_km2 <= 0 else
                     "urban" if given / area_km2 >= URBAN_CENTRE_PER_KM2 else "rural")
    return kinds


def in_urban_centre(x: np.ndarray, y: np.ndarray, people: np.ndarray) -> np.ndarray:
    """For each point, whether its 1 km² cell holds at least 1,500 people."""
    if not len(x):
        return np.zeros(0, bool)
    cells = np.column_stack([np.floor(x / CELL_M), np.floor(y / CELL_M)]).astype(np.int64)
    _, cell_of, = np.unique(cells, axis=0, return_inverse=True)
    per_cell = np.bincount(cell_of.ravel(), weights=people)
    return per_cell[cell_of.ravel()] >= URBAN_CENTRE_PER_KM2 * (CELL_M / 1000) ** 2
