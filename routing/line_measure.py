"""Measures along edge lines kept as flat arrays (``routing.arrays.EdgeLines``): distance
along them, and points at fractions of their length, without shapely objects."""

import numpy as np

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
    """Points at ``fraction`` of the length of ``edge``'s line, as (n, 2) coordinates."""
    start = cumulative[lines.offsets[edge]]
    wanted = start + fraction * (cumulative[lines.offsets[edge + 1] - 1] - start)
    segment = np.searchsorted(cumulative, wanted, side="right") - 1
    segment = np.clip(segment, lines.offsets[edge], lines.offsets[edge + 1] - 2)
    seg_m = cumulative[segment + 1] - cumulative[segment]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(seg_m > 0, (wanted - cumulative[segment]) / seg_m, 0.0)
    t = np.clip(t, 0.0, 1.0)[:, None]
    return lines.coords[segment] * (1 - t) + lines.coords[segment + 1] * t
