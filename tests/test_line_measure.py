"""Points along edge lines: the compiled lookup within each edge against the plain numpy
statement (a binary search over every coordinate), on random polylines with repeated points."""

import numpy as np

from routing.arrays import EdgeLines
from routing.line_measure import cumulative_m, interpolate


def reference(lines: EdgeLines, cumulative: np.ndarray, edge: np.ndarray,
              fraction: np.ndarray) -> np.ndarray:
    start = cumulative[lines.offsets[edge]]
    wanted = start + fraction * (cumulative[lines.offsets[edge + 1] - 1] - start)
    segment = np.searchsorted(cumulative, wanted, side="right") - 1
    segment = np.clip(segment, lines.offsets[edge], lines.offsets[edge + 1] - 2)
    segment_m = cumulative[segment + 1] - cumulative[segment]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(segment_m > 0, (wanted - cumulative[segment]) / segment_m, 0.0)
    t = np.clip(t, 0.0, 1.0)[:, None]
    return lines.coords[segment] * (1 - t) + lines.coords[segment + 1] * t


def test_points_along_lines_are_the_numpy_statement():
    rng = np.random.default_rng(3)
    counts = rng.integers(2, 9, 500)
    coords = rng.uniform(0, 1000, (int(counts.sum()), 2)).round(0)
    coords[rng.random(len(coords)) < 0.1] = coords[0]  # repeated points: zero-length steps
    lines = EdgeLines(coords, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
    cumulative = cumulative_m(lines)
    edge = rng.integers(0, len(lines), 20_000)
    fraction = rng.uniform(0, 1, len(edge))
    fraction[:500], fraction[500:1000] = 0.0, 1.0
    assert np.array_equal(interpolate(lines, cumulative, edge, fraction),
                          reference(lines, cumulative, edge, fraction))
