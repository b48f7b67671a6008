"""The compiled off-road spread of isochrones against the plain numpy statement of it (the
form it had before it was compiled): same times, same nearest facility, ties included."""

import numpy as np
import pytest

from routing.isochrone import OFF_ROAD_M, spread_off_road
from routing.snap import OFF_NETWORK_SPEED_KMH


def reference(grid: np.ndarray, label: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Every cell takes the least of its own time and each offset's time plus the walk, in
    offset order, replacing only when strictly better."""
    height, width = grid.shape
    radius = int(np.ceil(OFF_ROAD_M / cell_m))
    spread, spread_label = grid.copy(), label.copy()
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            step_m = cell_m * np.hypot(dx, dy)
            if (dx == 0 and dy == 0) or step_m > OFF_ROAD_M + 1e-9:
                continue
            into_cells = (slice(max(dy, 0), height + min(dy, 0)),
                          slice(max(dx, 0), width + min(dx, 0)))
            from_cells = (slice(max(-dy, 0), height + min(-dy, 0)),
                          slice(max(-dx, 0), width + min(-dx, 0)))
            into, from_ = spread[into_cells], grid[from_cells]
            better = from_ + step_m / (OFF_NETWORK_SPEED_KMH / 3.6) < into
            spread_label[into_cells][better] = label[from_cells][better]
            np.minimum(into, from_ + step_m / (OFF_NETWORK_SPEED_KMH / 3.6), out=into)
    return spread, spread_label


@pytest.mark.parametrize("cell_m", [25.0, 40.0, 75.0])
@pytest.mark.parametrize("seed", range(5))
def test_spread_is_the_numpy_statement(cell_m, seed):
    rng = np.random.default_rng(seed)
    count = 400
    x, y = rng.uniform(0, 40 * cell_m, count), rng.uniform(0, 30 * cell_m, count)
    time_s = rng.integers(0, 600, count).astype(float)  # whole seconds: ties happen
    facility = rng.integers(0, 4, count)
    found = spread_off_road(x, y, time_s, limit_s=np.inf, cell_m=cell_m, facility=facility)
    height, width = found.time_s.shape
    col = ((x - found.transform.c) / cell_m).astype(np.int64)
    row = ((found.transform.f - y) / cell_m).astype(np.int64)
    grid = np.full((height, width), np.inf)
    np.minimum.at(grid, (row, col), time_s)
    order = np.lexsort((time_s, row * width + col))
    first = np.ones(count, bool)
    first[1:] = (row * width + col)[order][1:] != (row * width + col)[order][:-1]
    label = np.full((height, width), -1, np.int64)
    label[row[order][first], col[order][first]] = facility[order][first]
    spread, spread_label = reference(grid, label, cell_m)
    assert np.array_equal(found.time_s, spread)
    spread_label[~np.isfinite(spread)] = -1
    assert np.array_equal(found.facility, spread_label)
