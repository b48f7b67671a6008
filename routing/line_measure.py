"""Measures along edge lines kept as flat arrays (``routing.arrays.EdgeLines``): distance
along them, and points at fractions of their length, without shapely objects."""

import numpy as np
from numba import njit

from routing.arrays import EdgeLines


def point_edges(lines: EdgeLines) -> np.ndarray:
    """The edge of every coordinate of ``lines``."""
    return np.repeat(np.arange(len(lines), dtype=np.int32), np.diff(lines.offsets))


def cumulative_m(lines: EdgeLines) -> np.ndarray:
    """Per coordinate, the distance along all the lines one after another (a step between two
    edges counts 0): non-decreasing, so positions can be found by binary search."""
    step = np.zeros(len(lines.coords))
    if len(lines.coords) > 1:
        step[1:] = np.hypot(*np.diff(lines.coords, axis=0).T)
    step[lines.offsets[:-1]] = 0.0
    return np.cumsum(step)


def line_m(lines: EdgeLines, cumulative: np.ndarray) -> np.ndarray:
    """The length of every edge's line, in the lines' units."""
    return cumulative[lines.offsets[1:] - 1] - cumulative[lines.offsets[:-1]]


def interpolate(
    lines: EdgeLines, cumulative: np.ndarray, edge: np.ndarray, fraction: np.ndarray
) -> np.ndarray:
    """Points at ``fraction`` of the length of ``edge``'s line, as (n, 2) coordinates.

    Compiled, each point looked up among its own edge's few segments: a search over every
    coordinate of the network per point cost more than the isochrone around it."""
    out = np.empty((len(edge), 2))
    _interpolate(lines.coords, lines.offsets, cumulative, np.asarray(edge, np.int64),
                 np.asarray(fraction, np.float64), out)
    return out


@njit(cache=True, nogil=True)
def _interpolate(coords, offsets, cumulative, edge, fraction, out):  # type: ignore[no-untyped-def]
    for k in range(len(edge)):
        first, last = offsets[edge[k]], offsets[edge[k] + 1] - 2  # the edge's segments
        start = cumulative[first]
        wanted = start + fraction[k] * (cumulative[last + 1] - start)
        segment = first
        while segment < last and cumulative[segment + 1] <= wanted:
            segment += 1
        segment_m = cumulative[segment + 1] - cumulative[segment]
        t = (wanted - cumulative[segment]) / segment_m if segment_m > 0 else 0.0
        t = min(max(t, 0.0), 1.0)
        out[k, 0] = coords[segment, 0] * (1 - t) + coords[segment + 1, 0] * t
        out[k, 1] = coords[segment, 1] * (1 - t) + coords[segment + 1, 1] * t
