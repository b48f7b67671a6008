"""The river across the demo city: its meandering centre line, its water area, and the wider
corridor that roads keep out of except on bridges."""

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Polygon

from demo.layout import FloatArray, Layout

RIVER_HALF_WIDTH_M = 40.0
_RIVER_CLEARANCE_M = 55.0  # roads stay this far from the river centre line, except bridges


def _river_y_m(x_m: FloatArray, layout: Layout, phase: FloatArray) -> FloatArray:
    """River centre line y(x): two sines make a west-east meander inside the suburban ring."""
    wave = 350.0 * np.sin(2 * np.pi * x_m / 4100.0 + phase[0])
    wave += 120.0 * np.sin(2 * np.pi * x_m / 1450.0 + phase[1])
    return layout.river_y_m + layout.river_amp * wave


def river_geometry(lay: Layout, rng: np.random.Generator) -> tuple[LineString, Polygon, Polygon]:
    """River centre line and water area inside the city, and the wider corridor roads avoid."""
    phase = rng.uniform(0, 2 * np.pi, 2)
    x_m = np.arange(-lay.half_m - 400.0, lay.half_m + 401.0, 40.0)
    centre = np.column_stack([x_m, _river_y_m(x_m, lay, phase)])
    corridor = LineString(centre).buffer(_RIVER_CLEARANCE_M)
    shapely.prepare(corridor)
    river = LineString(centre[np.abs(x_m) <= lay.half_m])
    return river, river.buffer(RIVER_HALF_WIDTH_M, cap_style="flat", quad_segs=4), corridor


def touches(area: Polygon, a_m: FloatArray, b_m: FloatArray) -> NDArray[np.bool_]:
    """Which straight segments a->b ((m, 2) arrays of metres) touch the polygon."""
    _, y_min, _, y_max = area.bounds
    near = np.nonzero(
        (np.maximum(a_m[:, 1], b_m[:, 1]) >= y_min) & (np.minimum(a_m[:, 1], b_m[:, 1]) <= y_max)
    )[0]
    out = np.zeros(len(a_m), bool)
    if len(near):
        lines = shapely.linestrings(np.stack([a_m[near], b_m[near]], axis=1))
        out[near] = shapely.intersects(area, lines)
    return out
