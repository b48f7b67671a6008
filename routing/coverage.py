"""City-wide coverage: the travel time from the *nearest* facility of a layer to every cell.

One layer (all stations, all AEDs, all drone pads) is one multi-source search: every facility
seeds the same Dijkstra through the virtual vertex, so 60 stations cost one search, not 60
isochrones merged afterwards. The surface is sampled along the reached edges and spread off
the road exactly as a single-origin isochrone (``routing.isochrone``), so the two agree where
one facility is the nearest everywhere.

Drone pads have no network: their layer is the earliest straight flight over a common grid.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import rasterio.features
import shapely
from rasterio.transform import from_origin
from scipy import ndimage
from shapely import MultiPolygon, Polygon

from rescuecircle.errors import InvalidInput, NoRoute
from routing.drone import DroneSpec, shadow
from routing.graph import Seed
from routing.isochrone import (
    CELL_M,
    Band,
    PeopleXY,
    TimeGrid,
    bands,
    edge_reach,
    edge_samples,
    spread_off_road,
)
from routing.network import Network
from routing.polygonise import polygonise
from routing.snap import Snap


@dataclass(frozen=True)
class CoverageLayer:
    """One layer's surface and bands, with how many facilities could be placed on it."""

    name: str
    grid: TimeGrid
    bands: list[Band]
    facilities_used: int
    facilities_skipped: int  # too far from a road usable by the mode


@dataclass(frozen=True)
class Gap:
    """A connected area whose people are all beyond the limit, in local metres."""

    geometry: MultiPolygon
    people: float
    area_km2: float


def layer_seeds(network: Network, snaps: Sequence[Snap], mode: str,
                hour: int | None = None) -> list[Seed]:
    """The seeds of every snapped facility, for one search."""
    return [seed for snap in snaps for seed in network.seeds(snap, mode, hour)]


def network_coverage_grid(
    network: Network, snaps: Sequence[Snap], mode: str, *, limit_s: float,
    hour: int | None = None, cell_m: float | None = None,
) -> TimeGrid:
    """Seconds from the nearest of ``snaps`` to every cell, by one multi-source search.

    NoRoute when no facility can leave along a road the mode may use.
    """
    if limit_s <= 0:
        raise InvalidInput(f"limit_s {limit_s} must be positive")
    seeds = layer_seeds(network, snaps, mode, hour)
    if not seeds:
        raise NoRoute(f"no facility of this layer lies on a road usable by mode '{mode}'")
    cell = cell_m or CELL_M[mode]
    vertex_s = network.graph(mode, hour).search(seeds, limit_s=limit_s).time_s
    x, y, time_s = edge_samples(network, snaps, mode, vertex_s, limit_s, hour, cell / 2)
    return replace(spread_off_road(x, y, time_s, limit_s=limit_s, cell_m=cell),
                   edge=edge_reach(network, vertex_s))


def drone_coverage_grid(
    pads_xy: np.ndarray, spec: DroneSpec, *, limit_s: float, cell_m: float = 50.0,
    no_fly: Sequence[Polygon] = (),
) -> TimeGrid:
    """Seconds of the earliest straight flight from any pad to every cell (local metres).

    Each pad fills only its own reach; no-fly zones and their shadows are closed per pad,
    as in ``routing.drone.drone_time_grid``.
    """
    pads = np.asarray(pads_xy, float).reshape(-1, 2)
    if not len(pads):
        raise NoRoute("there are no drone pads to cover from")
    reach_m = spec.reach_m(limit_s)
    west = np.floor((pads[:, 0].min() - reach_m) / cell_m) * cell_m - cell_m
    north = np.ceil((pads[:, 1].max() + reach_m) / cell_m) * cell_m + cell_m
    width = int(np.ceil((pads[:, 0].max() + reach_m - west) / cell_m)) + 2
    height = int(np.ceil((north - pads[:, 1].min() + reach_m) / cell_m)) + 2
    time_s = np.full((height, width), np.inf)
    half = int(np.ceil(reach_m / cell_m)) + 1
    for px, py in pads:
        col0 = max(int((px - west) / cell_m) - half, 0)
        row0 = max(int((north - py) / cell_m) - half, 0)
        col1, row1 = min(col0 + 2 * half + 1, width), min(row0 + 2 * half + 1, height)
        cx = west + (np.arange(col0, col1) + 0.5) * cell_m
        cy = north - (np.arange(row0, row1) + 0.5) * cell_m
        distance_m = np.hypot(cx[None, :] - px, cy[:, None] - py)
        window = spec.overhead_s + distance_m / (spec.cruise_speed_kmh / 3.6)
        window[(distance_m > reach_m) | (window > limit_s)] = np.inf
        if no_fly:
            mask = rasterio.features.rasterize(
                [shadow(zone, (px, py), 3 * reach_m + cell_m) for zone in no_fly],
                out_shape=window.shape, all_touched=True, dtype=np.uint8,
                transform=from_origin(west + col0 * cell_m, north - row0 * cell_m,
                                      cell_m, cell_m)).astype(bool)
            window[mask] = np.inf
        np.minimum(time_s[row0:row1, col0:col1], window, out=time_s[row0:row1, col0:col1])
    return TimeGrid(time_s, from_origin(west, north, cell_m, cell_m), cell_m)


def time_at(grid: TimeGrid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The grid's seconds at points in local metres (inf off the grid or unreached)."""
    col = np.floor((np.asarray(x) - grid.transform.c) / grid.cell_m).astype(np.int64)
    row = np.floor((grid.transform.f - np.asarray(y)) / grid.cell_m).astype(np.int64)
    height, width = grid.time_s.shape
    on_grid = (row >= 0) & (row < height) & (col >= 0) & (col < width)
    out = np.full(len(col), np.inf)
    out[on_grid] = grid.time_s[row[on_grid], col[on_grid]]
    return out


def earliest(grids: Sequence[TimeGrid], *, cell_m: float) -> TimeGrid:
    """The cell-wise earliest of several surfaces, on one grid of ``cell_m`` covering them all.

    Why: the "5-minute circle" is reached by whichever comes first (an AED carried on foot or
    one flown in). Each cell takes the time at its centre from every input surface; the edge
    of the network is reached when the first of them reached it.
    """
    if not grids:
        raise InvalidInput("earliest needs at least one surface")
    bounds = np.array([_bounds(g) for g in grids])
    west = np.floor(bounds[:, 0].min() / cell_m) * cell_m
    north = np.ceil(bounds[:, 3].max() / cell_m) * cell_m
    width = int(np.ceil((bounds[:, 2].max() - west) / cell_m))
    height = int(np.ceil((north - bounds[:, 1].min()) / cell_m))
    cx = west + (np.arange(width) + 0.5) * cell_m
    cy = north - (np.arange(height) + 0.5) * cell_m
    xx, yy = np.meshgrid(cx, cy)
    time_s = np.full(xx.size, np.inf)
    for grid in grids:
        np.minimum(time_s, time_at(grid, xx.ravel(), yy.ravel()), out=time_s)
    edge = min((g.edge for g in grids if g.edge is not None), key=lambda e: e.time_s,
               default=None)
    return TimeGrid(time_s.reshape(height, width), from_origin(west, north, cell_m, cell_m),
                    cell_m, edge)


def _bounds(grid: TimeGrid) -> tuple[float, float, float, float]:
    height, width = grid.time_s.shape
    west, north = grid.transform.c, grid.transform.f
    return west, north - height * grid.cell_m, west + width * grid.cell_m, north


def coverage_layer(
    name: str, grid: TimeGrid, minutes: Sequence[float], *, population: PeopleXY | None,
    facilities_used: int, facilities_skipped: int = 0,
) -> CoverageLayer:
    """A layer: its surface and one band per limit, each with the people inside."""
    return CoverageLayer(name, grid, bands(grid, minutes, population=population),
                         facilities_used, facilities_skipped)


def gaps(
    population: PeopleXY, reached: np.ndarray, *, cell_m: float = 250.0, top: int = 5,
) -> list[Gap]:
    """The ``top`` most populated connected areas where no one is reached in time.

    ``reached`` says, per person point, whether it is covered (read it from a surface with
    ``time_at``, against one limit or a limit per point). People are gridded at ``cell_m``
    over their own extent (not the surface's, which ends where the search stopped); a cell is
    a gap when it holds people and none of them is reached. Neighbouring gap cells
    (8-connected) form one area.
    """
    if not len(population.people):
        return []
    west = np.floor(population.x.min() / cell_m) * cell_m
    north = np.ceil(population.y.max() / cell_m) * cell_m + cell_m
    col = ((population.x - west) / cell_m).astype(np.int64)
    row = ((north - population.y) / cell_m).astype(np.int64)
    height, width = row.max() + 1, col.max() + 1
    cell = row * width + col
    unreached = np.zeros(height * width)
    np.add.at(unreached, cell, np.where(reached, 0.0, population.people))
    covered = np.zeros(height * width, bool)
    covered[cell[reached]] = True
    gap = (unreached > 0) & ~covered
    labels, count = ndimage.label(gap.reshape(height, width), structure=np.ones((3, 3)))
    if count == 0:
        return []
    people = ndimage.sum(unreached.reshape(height, width), labels, np.arange(1, count + 1))
    transform = from_origin(west, north, cell_m, cell_m)
    largest = np.argsort(-people)[:top] + 1
    shapes = polygonise([labels == label for label in largest], [transform] * len(largest))
    return [Gap(geometry, float(people[label - 1]), float(shapely.area(geometry)) / 1e6)
            for label, geometry in zip(largest, shapes, strict=True)]
