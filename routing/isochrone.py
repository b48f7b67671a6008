"""Isochrones: a travel-time surface over a grid, polygonised by band.

The surface is true to the network: every reached edge is sampled along its length with the
time the search gives there (partial edges at the frontier included, one-way streets honoured),
then time spreads off the road at walking speed for a short distance. Cells that no sample
reaches stay unreached, so large blocks without roads become holes and a river is crossed only
where a bridge carries the network over it. A band that reaches the edge of the loaded network
with time left is marked ``truncated`` (``routing.extent``): beyond it, travel is not known.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import shapely
from numba import njit
from rasterio.io import MemoryFile
from rasterio.transform import Affine, from_origin
from scipy import ndimage
from shapely import MultiPolygon, Polygon

from rescuecircle.errors import InvalidInput, NoRoute
from routing import direction as directions
from routing.direction import Direction
from routing.network import Network, sorted_unique
from routing.polygonise import polygonise
from routing.raster_labels import label_side_by_side
from routing.snap import OFF_NETWORK_SPEED_KMH, Snap
from routing.tiled_simplify import simplify_in_tiles

MAX_MINUTES = 60
CELL_M = {"walk": 25.0, "bike": 40.0, "drive": 75.0}
OFF_ROAD_M = 75.0  # how far time spreads from a road into the blocks beside it
MIN_HOLE_M2 = 20_000.0  # unreached pockets smaller than this are filled (2 hectares)


@dataclass(frozen=True)
class EdgeReach:
    """When and where a search first reached the edge of the loaded network (WGS84)."""

    time_s: float
    lon: float
    lat: float


@dataclass(frozen=True, eq=False)
class TimeGrid:
    """Seconds to reach each cell (inf where not reached), north-up, in local metres; ``edge``
    is where the search behind it first reached the edge of the network (None: never);
    ``facility``, for a search from several facilities, the index of the nearest one per cell
    (-1 where none reaches)."""

    time_s: np.ndarray
    transform: Affine
    cell_m: float
    edge: EdgeReach | None = None
    facility: np.ndarray | None = None

    def to_geotiff(self, crs_wkt: str) -> bytes:
        """The surface as a tiled, compressed GeoTIFF (float32 seconds, nodata -1)."""
        data = np.where(np.isfinite(self.time_s), self.time_s, -1).astype(np.float32)
        height, width = data.shape
        profile = {
            "driver": "GTiff", "height": height, "width": width, "count": 1,
            "dtype": "float32", "crs": crs_wkt, "transform": self.transform, "nodata": -1,
            "compress": "deflate", "zlevel": 1,  # half the time of level 6, 4 % larger
            "tiled": True, "blockxsize": 256, "blockysize": 256,
        }
        with MemoryFile() as memory:
            with memory.open(**profile) as dataset:
                dataset.write(data, 1)
                dataset.update_tags(1, units="seconds")
            return bytes(memory.read())


@dataclass(frozen=True)
class Band:
    """The area reachable within ``minutes``, in local metres, and the people living in it;
    ``truncated`` when it reached the edge of the loaded network with time left; ``facility``,
    when the band is one facility's part of a band of several, that facility's index."""

    minutes: float
    geometry: MultiPolygon
    area_km2: float
    people: float | None = None
    truncated: bool = False
    facility: int | None = None


@dataclass(frozen=True, eq=False)
class PeopleXY:
    """Population as weighted points in the network's local metres."""

    x: np.ndarray
    y: np.ndarray
    people: np.ndarray


def check_minutes(minutes: Sequence[float]) -> list[float]:
    """Sorted, distinct band limits; InvalidInput unless each lies in 1-60 minutes."""
    if not minutes:
        raise InvalidInput("minutes must list at least one value between 1 and 60")
    for value in minutes:
        if not isinstance(value, int | float) or not 1 <= value <= MAX_MINUTES:
            raise InvalidInput(f"minutes value {value!r} is outside the allowed range 1-60")
    return sorted(set(float(v) for v in minutes))


def network_time_grid(
    network: Network, origin: Snap, mode: str, *, limit_s: float, hour: int | None = None,
    cell_m: float | None = None, direction: Direction = "from",
) -> TimeGrid:
    """Travel times from ``origin`` (``direction`` "to": to it) over the network, on a grid
    around what is reached."""
    cell = cell_m or CELL_M[mode]
    seeds = directions.seeds(network, origin, mode, hour, direction)
    if not seeds:
        raise NoRoute(f"the road at this point cannot be travelled by mode '{mode}'")
    vertex_s = directions.graph(network, mode, hour, direction).search(
        seeds, limit_s=limit_s).time_s
    x, y, time_s = edge_samples(network, [origin], mode, vertex_s, limit_s, hour, cell / 2,
                                direction=direction)
    return replace(spread_off_road(x, y, time_s, limit_s=limit_s, cell_m=cell),
                   edge=edge_reach(network, vertex_s))


def edge_reach(network: Network, vertex_s: np.ndarray) -> EdgeReach | None:
    """The edge vertex a search reached first, from its seconds per vertex (inf: unreached)."""
    candidates = network.edge_vertex_ids
    if not len(candidates):
        return None
    at_edge = vertex_s[candidates]
    nearest = int(np.argmin(at_edge))
    if not np.isfinite(at_edge[nearest]):
        return None
    first = candidates[nearest]
    lon, lat = network.projection.to_lonlat(network.vertex_xy[[first], 0],
                                            network.vertex_xy[[first], 1])
    return EdgeReach(float(at_edge[nearest]), float(lon[0]), float(lat[0]))


def edge_samples(
    network: Network, snaps: Sequence[Snap], mode: str, vertex_s: np.ndarray, limit_s: float,
    hour: int | None, spacing_m: float, *, direction: Direction = "from",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along every reached edge with their time from the nearest of ``snaps``
    (``direction`` "to": to it, with ``vertex_s`` the times to the snaps).

    A sample on a facility's own edge may be reached directly from the snapped point, not only
    through the edge's ends: those samples are corrected point by point. Times *to* a point
    are times from it on the network with each edge's two directions swapped.
    """
    forward, reverse = network.costs(mode, hour)
    if direction == "to":
        forward, reverse = reverse, forward
    own_edges = np.array([snap.edge for snap in snaps], np.int64)
    # only the edges at reached vertices are looked at: a search reaches a small part of a
    # province, and work over all its edges would cost more than the search
    candidate = sorted_unique(np.concatenate(
        [network.edges_at(np.nonzero(vertex_s < limit_s)[0]), own_edges]))
    t_source = vertex_s[network.source[candidate]]
    t_target = vertex_s[network.target[candidate]]
    forward_c, reverse_c = forward[candidate], reverse[candidate]
    reached = (((t_source < limit_s) & (forward_c >= 0)) | ((t_target < limit_s) & (reverse_c >= 0))
               | np.isin(candidate, own_edges))
    edges = candidate[reached]
    samples = network.samples(edges, spacing_m)
    fraction = samples.fraction
    of = np.repeat(np.arange(len(edges)), samples.count)
    fwd, rev = forward_c[reached][of], reverse_c[reached][of]
    time_s = np.minimum(
        np.where(fwd >= 0, t_source[reached][of] + fraction * fwd, np.inf),
        np.where(rev >= 0, t_target[reached][of] + (1 - fraction) * rev, np.inf),
    )
    first = np.concatenate([[0], np.cumsum(samples.count)])
    for snap in snaps:
        at = int(np.searchsorted(edges, snap.edge))
        piece = slice(first[at], first[at] + samples.count[at])
        delta = fraction[piece] - snap.fraction
        direct = np.where(
            delta >= 0,
            np.where(forward[snap.edge] >= 0, delta * forward[snap.edge], np.inf),
            np.where(reverse[snap.edge] >= 0, -delta * reverse[snap.edge], np.inf),
        ) + snap.off_network_s
        time_s[piece] = np.minimum(time_s[piece], direct)
    keep = time_s <= limit_s
    origin_x = np.array([snap.x for snap in snaps])
    origin_y = np.array([snap.y for snap in snaps])
    return (np.concatenate([samples.x[keep], origin_x]),
            np.concatenate([samples.y[keep], origin_y]),
            np.concatenate([time_s[keep], np.zeros(len(snaps))]))


def spread_off_road(
    x: np.ndarray, y: np.ndarray, time_s: np.ndarray, *, limit_s: float, cell_m: float,
    facility: np.ndarray | None = None,
) -> TimeGrid:
    """Grid the samples (earliest time per cell), then let time flow off-road on foot.

    With ``facility`` (per sample, which facility its time is from), the grid also says which
    facility is nearest in each cell: the one of the earliest sample, or of the cell time
    flowed from.
    """
    radius = int(np.ceil(OFF_ROAD_M / cell_m))
    west = np.floor(x.min() / cell_m) * cell_m - (radius + 1) * cell_m
    north = np.ceil(y.max() / cell_m) * cell_m + (radius + 1) * cell_m
    width = int(np.ceil((x.max() - west) / cell_m)) + radius + 2
    height = int(np.ceil((north - y.min()) / cell_m)) + radius + 2
    col = ((x - west) / cell_m).astype(np.int64)
    row = ((north - y) / cell_m).astype(np.int64)
    grid = np.full((height, width), np.inf)
    _earliest(grid, row, col, time_s)
    label = None if facility is None else _earliest_label(
        row * width + col, time_s, facility, height, width)
    dy, dx, step_s = _off_road_steps(cell_m)
    spread = grid.copy()
    spread_label = None if label is None else label.copy()
    _spread(grid, spread, dy, dx, step_s,
            np.full((0, 0), -1, np.int64) if label is None else label,
            np.full((0, 0), -1, np.int64) if spread_label is None else spread_label)
    spread[spread > limit_s] = np.inf
    if spread_label is not None:
        spread_label[~np.isfinite(spread)] = -1
    return TimeGrid(spread, from_origin(west, north, cell_m, cell_m), cell_m,
                    facility=spread_label)


@njit(cache=True, nogil=True)
def _earliest(grid, row, col, time_s):  # type: ignore[no-untyped-def]
    """Each cell's earliest sample time (``np.minimum.at``, without its cost per call)."""
    for k in range(len(time_s)):
        if time_s[k] < grid[row[k], col[k]]:
            grid[row[k], col[k]] = time_s[k]


@functools.cache
def _off_road_steps(cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row and column offsets within OFF_ROAD_M of a cell, and the seconds to walk each."""
    radius = int(np.ceil(OFF_ROAD_M / cell_m))
    steps = [(dy, dx, cell_m * np.hypot(dx, dy)) for dy in range(-radius, radius + 1)
             for dx in range(-radius, radius + 1)]
    kept = np.array([step for step in steps if 0 < step[2] <= OFF_ROAD_M + 1e-9])
    return (kept[:, 0].astype(np.int64), kept[:, 1].astype(np.int64),
            kept[:, 2] / (OFF_NETWORK_SPEED_KMH / 3.6))


@njit(cache=True, nogil=True)
def _spread(grid, spread, dy, dx, step_s, label, spread_label):  # type: ignore[no-untyped-def]
    """Each cell's time: the least of its own and, over the offsets, the time of the cell that
    far away plus the walk between. Pushed from the reached cells only; on a tie the cell's
    own time, then the earliest offset, keeps its label."""
    height, width = grid.shape
    labelled = label.shape[0] > 0
    best_k = np.full((height, width), -1, np.int64)  # -1: the cell's own time
    for r in range(height):
        for c in range(width):
            if grid[r, c] == np.inf:
                continue
            for k in range(len(dy)):
                rr, cc = r + dy[k], c + dx[k]
                if rr < 0 or rr >= height or cc < 0 or cc >= width:
                    continue
                arrive = grid[r, c] + step_s[k]
                if arrive < spread[rr, cc] or (
                        arrive == spread[rr, cc] and best_k[rr, cc] > k):
                    spread[rr, cc] = arrive
                    best_k[rr, cc] = k
                    if labelled:
                        spread_label[rr, cc] = label[r, c]


def _earliest_label(
    cell: np.ndarray, time_s: np.ndarray, facility: np.ndarray, height: int, width: int
) -> np.ndarray:
    """Per cell, the facility of its earliest sample (-1 where no sample falls)."""
    order = np.lexsort((time_s, cell))
    first = np.ones(len(order), bool)
    first[1:] = cell[order][1:] != cell[order][:-1]
    label = np.full(height * width, -1, np.int64)
    label[cell[order][first]] = facility[order][first]
    return label.reshape(height, width)


def bands(
    grid: TimeGrid, minutes: Sequence[float], *, population: PeopleXY | None = None
) -> list[Band]:
    """One (multi)polygon per limit: every cell reached within it; holes where none is.

    Unreached pockets smaller than ``MIN_HOLE_M2`` (a courtyard between roads) are filled:
    they are noise of the grid, not places the network cannot reach. With ``population``,
    each band counts the people whose point falls in one of its cells. A band is truncated
    when the search reached the edge of the network before the band's limit.
    """
    min_hole_cells = MIN_HOLE_M2 / grid.cell_m**2
    limits = check_minutes(minutes)
    cells = [_band_cells(grid, limit, min_hole_cells) for limit in limits]
    shapes = polygonise([inside for inside, _ in cells], [transform for _, transform in cells])
    per_cell = None if population is None else _people_per_cell(grid, population)
    result = []
    for limit, (inside, transform), shape in zip(limits, cells, shapes, strict=True):
        geometry = _as_multipolygon(simplify_in_tiles(shape, grid.cell_m / 2, transform))
        people = None if per_cell is None else _people_in(grid, per_cell, inside, transform)
        truncated = grid.edge is not None and grid.edge.time_s < limit * 60
        result.append(Band(limit, geometry, float(geometry.area) / 1e6, people, truncated))
    return result


def edge_notes(grid: TimeGrid, found: Sequence[Band]) -> list[str]:
    """What an answer must say about its truncated bands (nothing when none is)."""
    cut = [f"{minutes:g}" for minutes in sorted(band.minutes for band in found if band.truncated)]
    if grid.edge is None or not cut:
        return []
    names = cut[0] if len(cut) == 1 else f"{'-, '.join(cut[:-1])}- and {cut[-1]}"
    verb = "band reaches" if len(cut) == 1 else "bands reach"
    return [f"the {names}-minute {verb} the edge of the loaded road network at "
            f"({grid.edge.lon:.5f}, {grid.edge.lat:.5f}) after {grid.edge.time_s / 60:.1f} "
            "minutes: travel beyond it is not known; load a larger extract"]


def _band_cells(
    grid: TimeGrid, limit_min: float, min_hole_cells: float
) -> tuple[np.ndarray, Affine]:
    """The cells reached within ``limit_min``, small holes filled, cut to their bounding box
    and a margin (inner bands are small); and the transform of that box."""
    reached = grid.time_s <= limit_min * 60
    rows, cols = np.nonzero(reached.any(axis=1))[0], np.nonzero(reached.any(axis=0))[0]
    if not len(rows):
        return np.zeros((0, 0), bool), grid.transform
    r0, r1 = max(rows[0] - 1, 0), rows[-1] + 2
    c0, c1 = max(cols[0] - 1, 0), cols[-1] + 2
    return (_fill_small_holes(reached[r0:r1, c0:c1], min_hole_cells),
            grid.transform @ Affine.translation(c0, r0))


def _people_per_cell(grid: TimeGrid, population: PeopleXY) -> np.ndarray:
    """The people whose point falls in each cell of ``grid``: summed once, read by every band
    (a province's population is millions of points, its bands three)."""
    col = np.floor((population.x - grid.transform.c) / grid.cell_m).astype(np.int64)
    row = np.floor((grid.transform.f - population.y) / grid.cell_m).astype(np.int64)
    height, width = grid.time_s.shape
    on_grid = (row >= 0) & (row < height) & (col >= 0) & (col < width)
    return np.bincount(row[on_grid] * width + col[on_grid], weights=population.people[on_grid],
                       minlength=height * width).reshape(height, width)


def _people_in(
    grid: TimeGrid, per_cell: np.ndarray, inside: np.ndarray, transform: Affine
) -> float:
    """The people in the cells of a band's mask (cut to a box of ``grid``, see ``_band_cells``)."""
    row0, col0 = _box_origin(grid, transform)
    box = per_cell[row0:row0 + inside.shape[0], col0:col0 + inside.shape[1]]
    return float(box[inside].sum())


def _box_origin(grid: TimeGrid, transform: Affine) -> tuple[int, int]:
    """Row and column of ``grid`` where a box of it with ``transform`` starts."""
    return (round((grid.transform.f - transform.f) / grid.cell_m),
            round((transform.c - grid.transform.c) / grid.cell_m))


def _fill_small_holes(inside: np.ndarray, min_cells: float) -> np.ndarray:
    """``inside`` with enclosed outside pockets of fewer than ``min_cells`` cells filled.

    The outside is labelled inside a ring of outside cells, so everything touching the edge
    is label 1 and the enclosed pockets, few and small, are all that is counted.
    """
    outside = np.ones((inside.shape[0] + 2, inside.shape[1] + 2), bool)
    outside[1:-1, 1:-1] = ~inside
    labels = label_side_by_side(outside)
    enclosed = np.flatnonzero(labels > 1)
    pocket = labels.ravel()[enclosed]
    row, col = np.divmod(enclosed[np.bincount(pocket)[pocket] < min_cells], outside.shape[1])
    if not len(row):
        return inside
    filled = inside.copy()
    filled[row - 1, col - 1] = True
    return filled


def _as_multipolygon(geometry: shapely.Geometry) -> MultiPolygon:
    if isinstance(geometry, MultiPolygon):
        return geometry
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry]) if not geometry.is_empty else MultiPolygon()
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]
    return MultiPolygon(parts)


def facilities_time_grid(
    network: Network, facilities: Sequence[Snap], mode: str, *, limit_s: float,
    hour: int | None = None, direction: Direction = "from",
) -> TimeGrid:
    """Travel times from the nearest of ``facilities`` (``direction`` "to": to the nearest),
    with which facility that is per cell (``TimeGrid.facility``, indices into ``facilities``).

    One labelled Dijkstra gives each vertex its time and nearest facility; each facility's
    edges are then sampled from its own vertices (a sample between two facilities' vertices
    is sampled by both and the earlier time wins when gridding), so the union of the bands is
    what one multi-source search reaches and every cell carries the facility it is nearest.
    """
    cell = CELL_M[mode]
    groups = [directions.seeds(network, snap, mode, hour, direction) for snap in facilities]
    if not any(groups):
        raise NoRoute(f"no facility lies on a road that mode '{mode}' can travel")
    vertex_s, nearest = directions.graph(network, mode, hour, direction).search_labelled(
        groups, limit_s=limit_s)
    parts = []
    for k, snap in enumerate(facilities):
        if groups[k]:
            x, y, time_s = edge_samples(
                network, [snap], mode, np.where(nearest == k, vertex_s, np.inf), limit_s,
                hour, cell / 2, direction=direction)
            parts.append((x, y, time_s, np.full(len(x), k)))
    x, y, time_s, facility = (np.concatenate(column) for column in zip(*parts, strict=True))
    return replace(spread_off_road(x, y, time_s, limit_s=limit_s, cell_m=cell,
                                   facility=facility), edge=edge_reach(network, vertex_s))


def facility_bands(
    grid: TimeGrid, minutes: Sequence[float], facilities: int, *,
    population: PeopleXY | None = None,
) -> list[Band]:
    """Each band of ``bands`` cut into the parts where each facility is the nearest: per
    limit, one Band per facility that reaches anything (``Band.facility`` its index).

    Small pockets filled in a band go to the facility of the nearest reached cell, so the
    parts of a band together cover exactly what ``bands`` draws.
    """
    if grid.facility is None:
        raise ValueError("facility_bands needs a grid from facilities_time_grid")
    min_hole_cells = MIN_HOLE_M2 / grid.cell_m**2
    limits = check_minutes(minutes)
    masks, transforms, keys = [], [], []
    for limit in limits:
        inside, transform = _band_cells(grid, limit, min_hole_cells)
        labels = _labels_in(grid, grid.facility, inside, transform)
        for k in range(facilities):
            mine = inside & (labels == k)
            if mine.any():
                masks.append(mine)
                transforms.append(transform)
                keys.append((limit, k))
    per_cell = None if population is None else _people_per_cell(grid, population)
    result = []
    for (limit, k), mine, transform, shape in zip(
            keys, masks, transforms, polygonise(masks, transforms), strict=True):
        geometry = _as_multipolygon(simplify_in_tiles(shape, grid.cell_m / 2, transform))
        people = None if per_cell is None else _people_in(grid, per_cell, mine, transform)
        truncated = grid.edge is not None and grid.edge.time_s < limit * 60
        result.append(Band(limit, geometry, float(geometry.area) / 1e6, people, truncated, k))
    return result


def _labels_in(
    grid: TimeGrid, labels: np.ndarray, inside: np.ndarray, transform: Affine
) -> np.ndarray:
    """``labels`` cut to a band's box (see ``_band_cells``), cells without one (filled
    pockets) given the label of the nearest cell that has one."""
    row0, col0 = _box_origin(grid, transform)
    cut = labels[row0:row0 + inside.shape[0], col0:col0 + inside.shape[1]]
    missing = inside & (cut < 0)
    if not missing.any():
        return cut
    rows, cols = ndimage.distance_transform_edt(
        cut < 0, return_distances=False, return_indices=True)
    return np.where(missing, cut[rows, cols], cut)
