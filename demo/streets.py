"""The street lattice of the demo city: road classes and OSM tags by zone, villages, a warped
and jittered grid, its cuts at the river with bridges, walkways, and its ways."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Polygon

from demo.layout import CORE, GRID_STEP_M, RURAL, SUBURB, FloatArray, Layout, zone_of
from demo.model import Nodes, Way
from demo.river import touches

_JITTER_M = 9.0
_WARP_M = 35.0
_WAY_SPLIT_EVERY = 12  # ways are split at every 12th lattice line (the arterial crossings)

# Road classes on the lattice; 0 means "no road on this segment".
_PRIMARY, _SECONDARY, _TERTIARY, _UNCLASSIFIED, _RESIDENTIAL, _TRACK, _PEDESTRIAN = range(1, 8)
_HIGHWAY = {
    _PRIMARY: "primary",
    _SECONDARY: "secondary",
    _TERTIARY: "tertiary",
    _UNCLASSIFIED: "unclassified",
    _RESIDENTIAL: "residential",
    _TRACK: "track",
    _PEDESTRIAN: "pedestrian",
}
# Special streets, as lattice indices: (column, row) of the roundabout (an arterial crossing),
# rows of the one-way pair (eastbound, westbound) and of the pedestrian mall (in the core).
ROUNDABOUT = (12, -12)
_ONEWAY_ROWS = (5, 7)
_MALL_ROW = -5


def _segment_classes(
    k: NDArray[np.int64],
    zone: NDArray[np.int8],
    village: NDArray[np.bool_],
    track: NDArray[np.bool_],
) -> NDArray[np.int8]:
    """Road class of each lattice segment from the index k of its line and its zone."""
    arterial = k % 12 == 0
    collector = ~arterial & (k % 4 == 0)
    urban = zone <= SUBURB
    cls = np.zeros(zone.shape, np.int8)
    cls[(k % 2 == 1) & (zone == CORE)] = _RESIDENTIAL
    cls[(k % 4 == 2) & urban] = _RESIDENTIAL
    cls[village & (cls == 0)] = _RESIDENTIAL
    rural_collector = collector & (zone == RURAL)
    cls[rural_collector & (k % 8 == 0)] = _UNCLASSIFIED
    cls[rural_collector & (k % 8 == 4) & track & ~village] = _TRACK
    cls[collector & urban] = _TERTIARY
    cls[arterial] = np.where(k[arterial] % 24 == 0, _PRIMARY, _SECONDARY)
    return cls


def _road_tags(cls: int, vertical: bool, k: int, r: float, n: int) -> dict[str, str]:
    """OSM tags of one lattice line of class cls; r in [0, 1) varies maxspeed syntax per line."""
    tags = {"highway": _HIGHWAY[cls]}
    if cls in (_PRIMARY, _SECONDARY):
        tags["maxspeed"] = "60"
        street = "Meridian Avenue" if vertical else "Parallel Road"
        tags["name"] = f"{street} {k // 12 + n // 12 + 1}"
    elif cls == _TERTIARY:
        tags["maxspeed"] = "50" if r < 0.5 else "CN:urban"
    elif cls == _RESIDENTIAL and r < 0.3:
        tags["maxspeed"] = "30" if r < 0.12 else "30 mph" if r < 0.2 else "CN:urban"
    elif cls == _UNCLASSIFIED:
        tags["maxspeed"] = "CN:rural" if r < 0.5 else "40"
    elif cls == _TRACK:
        tags.update(tracktype="grade3" if r < 0.5 else "grade2", surface="unpaved")
    elif cls == _PEDESTRIAN:
        tags["name"] = "Demo Pedestrian Mall"
    return tags


def nearest_k(target_k: float, ok: Callable[[int], bool]) -> int:
    """Lattice line index nearest target_k satisfying ok (ties go west/south)."""
    base = round(target_k)
    for d in range(0, 200):
        for k in (base - d, base + d):
            if ok(k):
                return k
    raise ValueError(f"no lattice line near {target_k}")


def is_arterial(k: int) -> bool:
    return k % 12 == 0


@dataclass(frozen=True)
class Warp:
    """Smooth displacement of up to _WARP_M so that straight lattice lines curve gently."""

    phase: tuple[float, float]

    def __call__(self, x_m: FloatArray, y_m: FloatArray) -> tuple[FloatArray, FloatArray]:
        return (
            x_m + _WARP_M * np.sin(2 * np.pi * y_m / 5300.0 + self.phase[0]),
            y_m + _WARP_M * np.sin(2 * np.pi * x_m / 6100.0 + self.phase[1]),
        )


@dataclass
class Lattice:
    """Road lattice: final node positions and the road class of every segment.

    Rows are lattice indices row_min..n (south to north), columns -n..n (west to east), one
    step is GRID_STEP_M. vert[m, c] is the segment from row m to m + 1 in column c, horiz[m, c]
    the one from column c to c + 1 in row m; class 0 means no road there.
    """

    cols: NDArray[np.int64]
    rows: NDArray[np.int64]
    zone: NDArray[np.int8]  # of each node, from its design position
    xy_m: FloatArray  # (rows, cols, 2), warped and jittered
    vert: NDArray[np.int8]
    horiz: NDArray[np.int8]

    def used(self) -> NDArray[np.bool_]:
        """Nodes that some road segment ends at."""
        used = np.zeros(self.zone.shape, bool)
        used[:-1] |= self.vert > 0
        used[1:] |= self.vert > 0
        used[:, :-1] |= self.horiz > 0
        used[:, 1:] |= self.horiz > 0
        return used


def village_centres(
    lay: Layout, rng: np.random.Generator, river: LineString
) -> list[tuple[int, int]]:
    """(column, row) lattice indices of village centres: rural crossings off river and motorway."""
    k = np.arange(-lay.n + 4, lay.n - 3)
    k = k[k % 8 == 0]
    ci, cj = (a.ravel() for a in np.meshgrid(k, k[k * GRID_STEP_M > lay.motorway_y_m + 900]))
    dry = shapely.distance(river, shapely.points(ci * GRID_STEP_M, cj * GRID_STEP_M)) > 900
    ok = np.nonzero((np.maximum(np.abs(ci), np.abs(cj)) >= lay.suburb_k + 4) & dry)[0]
    count = min(len(ok), max(2, round(4 * (lay.half_m / 7500.0) ** 2)))
    pick = np.sort(rng.choice(ok, count, replace=False))
    return list(zip(ci[pick].tolist(), cj[pick].tolist(), strict=True))


def lattice(
    lay: Layout, rng: np.random.Generator, villages: list[tuple[int, int]], warp: Warp
) -> Lattice:
    """Road classes from the zones, villages and special streets; jittered, warped positions."""
    s = GRID_STEP_M
    cols, rows = np.arange(-lay.n, lay.n + 1), np.arange(lay.row_min, lay.n + 1)
    nr, nc = len(rows), len(cols)
    gx, gy = np.meshgrid(cols * s, rows * s)
    in_village = np.zeros((nr, nc), bool)
    for ci, cj in villages:
        in_village |= (np.abs(cols - ci) <= 2)[None, :] & (np.abs(rows - cj) <= 2)[:, None]
    track_col, track_row = rng.random(nc) < 0.5, rng.random(nr) < 0.5
    vert = _segment_classes(
        np.broadcast_to(cols, (nr - 1, nc)),
        zone_of(gx[:-1], gy[:-1] + s / 2, lay),
        in_village[:-1] & in_village[1:],
        np.broadcast_to(track_col, (nr - 1, nc)),
    )
    horiz = _segment_classes(
        np.broadcast_to(rows[:, None], (nr, nc - 1)),
        zone_of(gx[:, :-1] + s / 2, gy[:, :-1], lay),
        in_village[:, :-1] & in_village[:, 1:],
        np.broadcast_to(track_row[:, None], (nr, nc - 1)),
    )
    horiz[_MALL_ROW - lay.row_min, lay.n - 6 : lay.n + 6] = _PEDESTRIAN
    px, py = warp(gx, gy)
    jitter_m = rng.uniform(-_JITTER_M, _JITTER_M, (nr, nc, 2))
    xy_m = np.stack([px, py], axis=-1) + jitter_m
    return Lattice(cols, rows, zone_of(gx, gy, lay), xy_m, vert, horiz)


def cut_at_river(lat: Lattice, corridor: Polygon) -> NDArray[np.int8]:
    """Remove every segment that touches the corridor; return vert as it was before."""
    before = lat.vert.copy()
    vm, vc = np.nonzero(lat.vert > 0)
    cut = touches(corridor, lat.xy_m[vm, vc], lat.xy_m[vm + 1, vc])
    lat.vert[vm[cut], vc[cut]] = 0
    hm, hc = np.nonzero(lat.horiz > 0)
    cut = touches(corridor, lat.xy_m[hm, hc], lat.xy_m[hm, hc + 1])
    lat.horiz[hm[cut], hc[cut]] = 0
    return before


def _bridge(
    lat: Lattice, line: int, before_cut: NDArray[np.int8], corridor: Polygon, extra: Nodes
) -> tuple[int, int, int, int]:
    """Bank nodes of the bridge on column line: (last row south, bank node, first row north, bank).

    The bridge spans the corridor along the chord between the last lattice node south of it
    and the first one north of it; the lattice nodes in between (in the corridor) are unused.
    """
    cut = np.nonzero((before_cut[:, line] > 0) & (lat.vert[:, line] == 0))[0]
    if len(cut) == 0 or np.any(np.diff(cut) != 1):
        raise RuntimeError(f"bridge column {lat.cols[line]} does not cross the river once")
    south, north = int(cut[0]), int(cut[-1]) + 1
    if lat.used()[south + 1 : north, line].any():
        raise RuntimeError(f"bridge column {lat.cols[line]} skips a node that other roads use")
    chord = LineString([lat.xy_m[south, line], lat.xy_m[north, line]])
    wet = shapely.get_coordinates(chord.intersection(corridor))
    along_m = shapely.line_locate_point(chord, shapely.points(wet))
    bank_s = extra.add(*wet[int(np.argmin(along_m))])
    bank_n = extra.add(*wet[int(np.argmax(along_m))])
    return south, bank_s, north, bank_n


def diagonal_walkways(
    lat: Lattice, rng: np.random.Generator, corridor: Polygon, avoid: tuple[int, int]
) -> list[tuple[int, int, str]]:
    """Walk-only shortcuts (row, column, kind) across single lattice cells.

    A diagonal from node (m, c) to (m + 1, c + 1) can cross no road: roads run along cell
    edges. Cells around the node avoid (the roundabout ring) and near the river are skipped.
    """
    used = lat.used()
    cell_zone = np.maximum(lat.zone[:-1, :-1], lat.zone[1:, 1:])
    chance = rng.random(cell_zone.shape)
    diag = (chance < np.choose(cell_zone, [0.03, 0.012, 0.02])) & used[:-1, :-1] & used[1:, 1:]
    diag[avoid[0] - 1 : avoid[0] + 1, avoid[1] - 1 : avoid[1] + 1] = False
    dm, dc = np.nonzero(diag)
    keep = ~touches(corridor, lat.xy_m[dm, dc], lat.xy_m[dm + 1, dc + 1])
    kinds = np.where(cell_zone != CORE, "path", np.where(chance < 0.01, "steps", "footway"))
    cells = zip(dm[keep].tolist(), dc[keep].tolist(), strict=True)
    return [(m, c, str(kinds[m, c])) for m, c in cells]


def _runs(
    cls: NDArray[np.int8], along: NDArray[np.int64], breaks: list[int]
) -> list[tuple[int, int]]:
    """(first, last) node positions of runs of one non-zero class along a lattice line.

    Runs also end at every _WAY_SPLIT_EVERY-th lattice index (arterial crossings) and at the
    given break positions, so that ways span a few blocks as in real OSM data.
    """
    split = np.zeros(len(along), bool)
    split[[0, -1]] = True
    split[1:-1] = (cls[1:] != cls[:-1]) | (along[1:-1] % _WAY_SPLIT_EVERY == 0)
    split[breaks] = True
    bounds = np.nonzero(split)[0].tolist()
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if cls[a] != 0]


def lattice_ways(
    lat: Lattice,
    lay: Layout,
    ids: NDArray[np.int64],
    ring: list[int],
    terminal: dict[int, int],
    before_cut: NDArray[np.int8],
    corridor: Polygon,
    extra: Nodes,
    rng: np.random.Generator,
) -> list[Way]:
    """Ways along every lattice column and row, with the 4 bridges.

    Each line becomes runs of one class (see _runs); the roundabout centre is replaced by
    its ring nodes, arterials linked to the motorway are extended to their terminal node,
    and bridge columns get a bridge way across the river between two bank nodes.
    """
    ways = []
    rb_m, rb_c = ROUNDABOUT[1] - lay.row_min, ROUNDABOUT[0] + lay.n
    bridges = {
        nearest_k(-0.55 * lay.n, is_arterial): False,
        0: False,
        nearest_k(0.45 * lay.n, lambda k: k % 4 == 0 and not is_arterial(k)): False,
        nearest_k(-0.2 * lay.n, lambda k: k % 4 == 2): True,  # footbridge
    }
    line_r = {True: rng.random(len(lat.cols)), False: rng.random(len(lat.rows))}
    oneway = {_ONEWAY_ROWS[0] - lay.row_min: "East", _ONEWAY_ROWS[1] - lay.row_min: "West"}
    for vertical in (True, False):
        along = lat.rows if vertical else lat.cols
        for line, k in enumerate((lat.cols if vertical else lat.rows).tolist()):
            cls = lat.vert[:, line] if vertical else lat.horiz[line]
            line_ids = ids[:, line] if vertical else ids[line]
            r = float(line_r[vertical][line])
            sub_end, sub_start, append, prepend = {}, {}, {}, {}
            if vertical and line == rb_c:
                sub_end[rb_m], sub_start[rb_m] = ring[6], ring[2]
            if not vertical and line == rb_m:
                sub_end[rb_c], sub_start[rb_c] = ring[4], ring[0]
            if vertical and k in terminal:
                prepend[0] = terminal[k]
            if vertical and k in bridges:
                south, append[south], north, prepend[north] = _bridge(
                    lat, line, before_cut, corridor, extra
                )
                tags: dict[str, str] = (
                    {"highway": "footway", "name": "Demo Footbridge"}
                    if bridges[k]
                    else _road_tags(int(before_cut[south, line]), True, k, r, lay.n)
                )
                tags.update(bridge="yes", layer="1")
                ways.append(Way([append[south], prepend[north]], tags))
            for a, b in _runs(cls, along, list(sub_end)):
                nodes = line_ids[a : b + 1].tolist()
                nodes[0], nodes[-1] = sub_start.get(a, nodes[0]), sub_end.get(b, nodes[-1])
                nodes = ([prepend[a]] if a in prepend else []) + nodes
                nodes += [append[b]] if b in append else []
                tags = _road_tags(int(cls[a]), vertical, k, r, lay.n)
                if not vertical and line in oneway and abs(along[a]) < lay.core_k:
                    tags.update(oneway="yes", name=f"Demo {oneway[line]} Street")
                    nodes = nodes if oneway[line] == "East" else nodes[::-1]
                ways.append(Way(nodes, tags))
    return ways
