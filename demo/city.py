"""Deterministic synthetic "Demo City (synthetic)" for demos, tests and benchmarks.

`generate_demo_city(out_dir)` writes three files that together look like the inputs of a real
deployment, so every import path can run without downloading anything:

* ``demo_city.osm.pbf``: OpenStreetMap data with real OSM tags. A road hierarchy on a jittered,
  gently warped 125 m lattice: ``primary``/``secondary`` arterials every 1.5 km (maxspeed 60),
  ``tertiary`` collectors every 500 m, ``residential`` streets every 125 m in the dense core and
  every 250 m in the suburbs; in the rural fringe only ``unclassified`` roads, ``track`` s and a
  few village clusters. Also a one-way pair, a roundabout, walk-only ways (``footway``,
  ``steps``, ``path``, ``pedestrian``), a motorway with two carriageways (one-way implied) and
  ``motorway_link`` s along the south side, and maxspeed in several syntaxes (``50``,
  ``30 mph``, ``CN:urban``, ``CN:rural``). Ways share their nodes at intersections. A river
  (``waterway=river`` line plus a ``natural=water`` closed way) crosses the city west to east;
  roads are cut at it except on exactly 4 bridges (``bridge=yes``, ``layer=1``), one of them a
  footbridge. POI nodes: AEDs (``emergency=defibrillator``, refs ``DEMO-AED-0001``...),
  hospitals (``amenity=hospital``) and ambulance stations (``emergency=ambulance_station``,
  refs ``DEMO-AMB-01``...). Exactly one AED has the malformed ``opening_hours``
  `MALFORMED_OPENING_HOURS`. Node ids start at 1, way ids at `FIRST_WAY_ID`.
* ``population.tif``: people per ~100 m cell (EPSG:4326, float32): ~20,000 people/km2 in the
  core, falling off through the suburbs to ~100/km2 in the fringe, 0 on the river.
* ``demo_extras.json``: everything that is not OSM data, as the `DemoExtras` dataclass::

    {
      "name": "Demo City (synthetic)", "synthetic": true, "seed": 42, "size_km": 15.0,
      "centre_lon": 114.2, "centre_lat": 22.65,
      "bbox": [west, south, east, north],        # degrees
      "reference_date": "2026-11-01",            # the "today" the expiry dates refer to
      "aed_registry": {                           # keyed by the OSM ref of every AED node
        "DEMO-AED-0001": {"status": "ready",      # ready|fault|in_use|out_of_service|missing
                          "battery_expires_on": "2027-05-02", "pads_expire_on": "2026-08-30",
                          "last_inspected_at": "2026-06-11T14:20:00Z"}, ...},
      "ambulances": {                             # keyed by the OSM ref of every station node
        "DEMO-AMB-01": [{"call_sign": "DEMO-AMB-01A", "status": "available"}, ...], ...},
      "drone_pads": [{"ref", "name", "lon", "lat", "range_km", "cruise_speed_kmh"}, ...],
      "training_sites": [{"ref", "name", "lon", "lat", "capacity"}, ...],
      "volunteers": [{"id": "DEMO-VOL-0001", "name": "Volunteer 0001",
                      "level",                    # emergency_responder|junior|senior
                      "availability",             # available|busy|off_duty
                      "lon", "lat", "accuracy_m"}, ...],
      "districts": [{"code": "DC-01", "name", "kind": "urban"|"rural",
                     "geometry": GeoJSON Polygon}, ...]   # 6 districts tiling the city
    }

All coordinates are WGS84 lon/lat (EPSG:4326), *not* GCJ-02, although the city lies in China
(centre 114.20 E, 22.65 N). Geometry is built in metres on a local equirectangular projection
about the centre. The same seed and size give byte-identical files. Nothing here is a real place.

`size_km` scales the whole city (zones, river position, POI counts grow with the area), so a
benchmark can ask for a network of a given size; `generate_network_of_size` picks `size_km` for
a target number of edges, where an edge is a piece of a ``highway`` way between two nodes that
are way ends or shared with another way (what a pgRouting importer produces).
"""

import json
import math
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import osmium
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.polygon import orient

CITY_NAME = "Demo City (synthetic)"
CENTRE_LON = 114.20
CENTRE_LAT = 22.65
REFERENCE_DATE = date(2026, 11, 1)
MALFORMED_OPENING_HOURS = "Mon to Fri 8am till 6pm"
MIN_SIZE_KM = 5.0
MAX_SIZE_KM = 150.0
FIRST_WAY_ID = 1_000_000_001
GRID_STEP_M = 125.0
POPULATION_CELL_M = 100.0

_PHI = math.radians(CENTRE_LAT)
M_PER_DEG_LAT = 111_132.954 - 559.822 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)
M_PER_DEG_LON = 111_412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)

_JITTER_M = 9.0
_WARP_M = 35.0
_RIVER_HALF_WIDTH_M = 40.0
_RIVER_CLEARANCE_M = 55.0  # roads stay this far from the river centre line, except bridges
_MOTORWAY_INSET_M = 200.0  # motorway distance from the south edge
_WAY_SPLIT_EVERY = 12  # ways are split at every 12th lattice line (the arterial crossings)
_CORE_DENSITY_PER_KM2 = 20_000.0
_RURAL_DENSITY_PER_KM2 = 100.0

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
_CORE, _SUBURB, _RURAL = 0, 1, 2
# Special streets, as lattice indices: (column, row) of the roundabout (an arterial crossing),
# rows of the one-way pair (eastbound, westbound) and of the pedestrian mall (in the core).
_ROUNDABOUT = (12, -12)
_ONEWAY_ROWS = (5, 7)
_MALL_ROW = -5

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DemoCityFiles:
    """Paths of the three generated files."""

    osm_pbf: Path
    extras_json: Path
    population_tif: Path


@dataclass(frozen=True)
class AedRegistryEntry:
    """Registry state of one AED; dates are ISO strings, compare with the reference date."""

    status: str
    battery_expires_on: str
    pads_expire_on: str
    last_inspected_at: str


@dataclass(frozen=True)
class Ambulance:
    call_sign: str
    status: str


@dataclass(frozen=True)
class DronePad:
    ref: str
    name: str
    lon: float
    lat: float
    range_km: float
    cruise_speed_kmh: float


@dataclass(frozen=True)
class TrainingSite:
    ref: str
    name: str
    lon: float
    lat: float
    capacity: int


@dataclass(frozen=True)
class Volunteer:
    id: str
    name: str
    level: str
    availability: str
    lon: float
    lat: float
    accuracy_m: float


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str
    geometry: dict


@dataclass(frozen=True)
class DemoExtras:
    """The non-OSM half of the demo city, serialised as demo_extras.json."""

    name: str
    synthetic: bool
    seed: int
    size_km: float
    centre_lon: float
    centre_lat: float
    bbox: list[float]
    reference_date: str
    aed_registry: dict[str, AedRegistryEntry]
    ambulances: dict[str, list[Ambulance]]
    drone_pads: list[DronePad]
    training_sites: list[TrainingSite]
    volunteers: list[Volunteer]
    districts: list[District]


def read_extras(path: Path) -> DemoExtras:
    """Load a demo_extras.json written by `generate_demo_city` back into dataclasses."""
    raw = json.loads(Path(path).read_text())
    return DemoExtras(
        **{
            **raw,
            "aed_registry": {k: AedRegistryEntry(**v) for k, v in raw["aed_registry"].items()},
            "ambulances": {k: [Ambulance(**a) for a in v] for k, v in raw["ambulances"].items()},
            "drone_pads": [DronePad(**d) for d in raw["drone_pads"]],
            "training_sites": [TrainingSite(**t) for t in raw["training_sites"]],
            "volunteers": [Volunteer(**v) for v in raw["volunteers"]],
            "districts": [District(**d) for d in raw["districts"]],
        }
    )


def to_lonlat(x_m: FloatArray, y_m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Local metres east/north of the centre to WGS84 lon/lat degrees."""
    lon = CENTRE_LON + np.asarray(x_m) / M_PER_DEG_LON
    return lon, CENTRE_LAT + np.asarray(y_m) / M_PER_DEG_LAT


def _rng(seed: int, purpose: str) -> np.random.Generator:
    """One independent random stream per purpose, so changing POIs never moves a road."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


@dataclass(frozen=True)
class _Layout:
    """Sizes derived from size_km. Lattice columns are -n..n, rows row_min..n (index * 125 m)."""

    half_m: float
    n: int
    row_min: int
    core_k: int
    suburb_k: int
    motorway_y_m: float
    river_y_m: float
    river_amp: float

    @property
    def core_half_m(self) -> float:
        return self.core_k * GRID_STEP_M

    @property
    def suburb_half_m(self) -> float:
        return self.suburb_k * GRID_STEP_M


def _layout(size_km: float) -> _Layout:
    """Core is the middle third, suburbs the next ring, the rest rural; river between them."""
    half_m = size_km * 500.0
    n = int(half_m // GRID_STEP_M)
    core_k = max(8, 4 * round(n / 12))
    suburb_k = max(core_k + 8, 4 * round(n / 6))
    motorway_y_m = -half_m + _MOTORWAY_INSET_M
    ring_m = (suburb_k - core_k) * GRID_STEP_M
    return _Layout(
        half_m=half_m,
        n=n,
        row_min=math.ceil((motorway_y_m + 300.0) / GRID_STEP_M),
        core_k=core_k,
        suburb_k=suburb_k,
        motorway_y_m=motorway_y_m,
        river_y_m=(core_k + suburb_k) / 2 * GRID_STEP_M,
        river_amp=min(1.0, (ring_m / 2 - 300.0) / 470.0),
    )


class _Nodes:
    """Nodes that are not lattice points, with ids handed out in creation order."""

    def __init__(self, first_id: int) -> None:
        self.first_id = first_id
        self.xy_m: list[tuple[float, float]] = []
        self.tags: list[dict[str, str]] = []

    def add(self, x_m: float, y_m: float, tags: dict[str, str] | None = None) -> int:
        self.xy_m.append((float(x_m), float(y_m)))
        self.tags.append(tags or {})
        return self.first_id + len(self.xy_m) - 1


@dataclass(slots=True)
class _Way:
    nodes: list[int]
    tags: dict[str, str]


@dataclass
class _City:
    """Everything to write, in local metres; lattice node ids are 1..len(lattice_xy_m)."""

    seed: int
    size_km: float
    layout: _Layout
    lattice_xy_m: FloatArray
    lattice_zone: NDArray[np.int8]
    extra: _Nodes
    ways: list[_Way]
    river_m: LineString
    water_m: Polygon
    village_centres_m: list[tuple[float, float]]


def _zone(x_m: FloatArray, y_m: FloatArray, layout: _Layout) -> NDArray[np.int8]:
    """Core / suburb / rural by Chebyshev distance from the centre (square zones)."""
    d = np.maximum(np.abs(x_m), np.abs(y_m))
    return np.where(
        d <= layout.core_half_m, _CORE, np.where(d <= layout.suburb_half_m, _SUBURB, _RURAL)
    ).astype(np.int8)


def _segment_classes(
    k: NDArray[np.int64],
    zone: NDArray[np.int8],
    village: NDArray[np.bool_],
    track: NDArray[np.bool_],
) -> NDArray[np.int8]:
    """Road class of each lattice segment from the index k of its line and its zone."""
    arterial = k % 12 == 0
    collector = ~arterial & (k % 4 == 0)
    urban = zone <= _SUBURB
    cls = np.zeros(zone.shape, np.int8)
    cls[(k % 2 == 1) & (zone == _CORE)] = _RESIDENTIAL
    cls[(k % 4 == 2) & urban] = _RESIDENTIAL
    cls[village & (cls == 0)] = _RESIDENTIAL
    rural_collector = collector & (zone == _RURAL)
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


def _river_y_m(x_m: FloatArray, layout: _Layout, phase: FloatArray) -> FloatArray:
    """River centre line y(x): two sines make a west-east meander inside the suburban ring."""
    wave = 350.0 * np.sin(2 * np.pi * x_m / 4100.0 + phase[0])
    wave += 120.0 * np.sin(2 * np.pi * x_m / 1450.0 + phase[1])
    return layout.river_y_m + layout.river_amp * wave


def _nearest_k(target_k: float, ok: Callable[[int], bool]) -> int:
    """Lattice line index nearest target_k satisfying ok (ties go west/south)."""
    base = round(target_k)
    for d in range(0, 200):
        for k in (base - d, base + d):
            if ok(k):
                return k
    raise ValueError(f"no lattice line near {target_k}")


def _is_arterial(k: int) -> bool:
    return k % 12 == 0


def _touches(area: Polygon, a_m: FloatArray, b_m: FloatArray) -> NDArray[np.bool_]:
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


@dataclass(frozen=True)
class _Warp:
    """Smooth displacement of up to _WARP_M so that straight lattice lines curve gently."""

    phase: tuple[float, float]

    def __call__(self, x_m: FloatArray, y_m: FloatArray) -> tuple[FloatArray, FloatArray]:
        return (
            x_m + _WARP_M * np.sin(2 * np.pi * y_m / 5300.0 + self.phase[0]),
            y_m + _WARP_M * np.sin(2 * np.pi * x_m / 6100.0 + self.phase[1]),
        )


@dataclass
class _Lattice:
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


def _river(lay: _Layout, rng: np.random.Generator) -> tuple[LineString, Polygon, Polygon]:
    """River centre line and water area inside the city, and the wider corridor roads avoid."""
    phase = rng.uniform(0, 2 * np.pi, 2)
    x_m = np.arange(-lay.half_m - 400.0, lay.half_m + 401.0, 40.0)
    centre = np.column_stack([x_m, _river_y_m(x_m, lay, phase)])
    corridor = LineString(centre).buffer(_RIVER_CLEARANCE_M)
    shapely.prepare(corridor)
    river = LineString(centre[np.abs(x_m) <= lay.half_m])
    return river, river.buffer(_RIVER_HALF_WIDTH_M, cap_style="flat", quad_segs=4), corridor


def _villages(lay: _Layout, rng: np.random.Generator, river: LineString) -> list[tuple[int, int]]:
    """(column, row) lattice indices of village centres: rural crossings off river and motorway."""
    k = np.arange(-lay.n + 4, lay.n - 3)
    k = k[k % 8 == 0]
    ci, cj = (a.ravel() for a in np.meshgrid(k, k[k * GRID_STEP_M > lay.motorway_y_m + 900]))
    dry = shapely.distance(river, shapely.points(ci * GRID_STEP_M, cj * GRID_STEP_M)) > 900
    ok = np.nonzero((np.maximum(np.abs(ci), np.abs(cj)) >= lay.suburb_k + 4) & dry)[0]
    count = min(len(ok), max(2, round(4 * (lay.half_m / 7500.0) ** 2)))
    pick = np.sort(rng.choice(ok, count, replace=False))
    return list(zip(ci[pick].tolist(), cj[pick].tolist(), strict=True))


def _lattice(
    lay: _Layout, rng: np.random.Generator, villages: list[tuple[int, int]], warp: _Warp
) -> _Lattice:
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
        _zone(gx[:-1], gy[:-1] + s / 2, lay),
        in_village[:-1] & in_village[1:],
        np.broadcast_to(track_col, (nr - 1, nc)),
    )
    horiz = _segment_classes(
        np.broadcast_to(rows[:, None], (nr, nc - 1)),
        _zone(gx[:, :-1] + s / 2, gy[:, :-1], lay),
        in_village[:, :-1] & in_village[:, 1:],
        np.broadcast_to(track_row[:, None], (nr, nc - 1)),
    )
    horiz[_MALL_ROW - lay.row_min, lay.n - 6 : lay.n + 6] = _PEDESTRIAN
    px, py = warp(gx, gy)
    jitter_m = rng.uniform(-_JITTER_M, _JITTER_M, (nr, nc, 2))
    xy_m = np.stack([px, py], axis=-1) + jitter_m
    return _Lattice(cols, rows, _zone(gx, gy, lay), xy_m, vert, horiz)


def _cut_at_river(lat: _Lattice, corridor: Polygon) -> NDArray[np.int8]:
    """Remove every segment that touches the corridor; return vert as it was before."""
    before = lat.vert.copy()
    vm, vc = np.nonzero(lat.vert > 0)
    cut = _touches(corridor, lat.xy_m[vm, vc], lat.xy_m[vm + 1, vc])
    lat.vert[vm[cut], vc[cut]] = 0
    hm, hc = np.nonzero(lat.horiz > 0)
    cut = _touches(corridor, lat.xy_m[hm, hc], lat.xy_m[hm, hc + 1])
    lat.horiz[hm[cut], hc[cut]] = 0
    return before


def _bridge(
    lat: _Lattice, line: int, before_cut: NDArray[np.int8], corridor: Polygon, extra: _Nodes
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


def _diagonals(
    lat: _Lattice, rng: np.random.Generator, corridor: Polygon, avoid: tuple[int, int]
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
    keep = ~_touches(corridor, lat.xy_m[dm, dc], lat.xy_m[dm + 1, dc + 1])
    kinds = np.where(cell_zone != _CORE, "path", np.where(chance < 0.01, "steps", "footway"))
    cells = zip(dm[keep].tolist(), dc[keep].tolist(), strict=True)
    return [(m, c, str(kinds[m, c])) for m, c in cells]


def _motorway(lay: _Layout, warp: _Warp, extra: _Nodes) -> tuple[list[_Way], dict[int, int]]:
    """Two carriageways along the south edge and their links; returns the terminal node of
    each linked arterial column (keyed by column index), where the arterial must end.

    Both carriageways join the arterials at the west and east ends; in between only the
    westbound (north, city-side) carriageway has exits and entries, so no link crosses a
    carriageway and no flyover is needed.
    """
    s = GRID_STEP_M

    def node_at(x_m: float, y_m: float) -> int:
        wx, wy = warp(np.array(x_m), np.array(y_m))
        return extra.add(float(wx), float(wy))

    k_w, k_e = _nearest_k(-0.8 * lay.n, _is_arterial), _nearest_k(0.8 * lay.n, _is_arterial)
    k_mid = [k for k in range(k_w + 12, k_e - 11, 12) if (k - k_w) % 24 == 0]
    y0, x_w, x_e = lay.motorway_y_m, k_w * s, k_e * s
    terminal = {k: node_at(k * s, y0 + 150.0) for k in [k_w, *k_mid, k_e]}
    merge_x = sorted({x_w + 200.0, x_e - 200.0, *(k * s + d for k in k_mid for d in (-350, 350))})
    stops_x = np.union1d(np.arange(x_w + 200.0, x_e - 200.0, 250.0), merge_x).tolist()
    north = {x: node_at(x, y0 + 15.0) for x in stops_x}  # westbound
    south = {x: node_at(x, y0 - 15.0) for x in stops_x}  # eastbound
    road = {"highway": "motorway", "ref": "G9901", "name": "Demo Expressway", "maxspeed": "120"}
    link = {"highway": "motorway_link", "oneway": "yes", "maxspeed": "60"}
    ways = []
    for lo, hi in zip(merge_x[:-1], merge_x[1:], strict=True):
        part = [x for x in stops_x if lo <= x <= hi]
        ways.append(_Way([south[x] for x in part], dict(road)))
        ways.append(_Way([north[x] for x in reversed(part)], dict(road)))
    ways += [
        _Way([north[x_w + 200.0], terminal[k_w]], dict(link)),
        _Way([terminal[k_w], node_at(x_w + 20, y0), south[x_w + 200.0]], dict(link)),
        _Way([south[x_e - 200.0], node_at(x_e - 20, y0), terminal[k_e]], dict(link)),
        _Way([terminal[k_e], north[x_e - 200.0]], dict(link)),
    ]
    for k in k_mid:
        xa = k * s
        ways.append(_Way([north[xa + 350], node_at(xa + 120, y0 + 70), terminal[k]], dict(link)))
        ways.append(_Way([terminal[k], node_at(xa - 120, y0 + 70), north[xa - 350]], dict(link)))
    return ways, terminal


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


def _lattice_ways(
    lat: _Lattice,
    lay: _Layout,
    ids: NDArray[np.int64],
    ring: list[int],
    terminal: dict[int, int],
    before_cut: NDArray[np.int8],
    corridor: Polygon,
    extra: _Nodes,
    rng: np.random.Generator,
) -> list[_Way]:
    """Ways along every lattice column and row, with the 4 bridges.

    Each line becomes runs of one class (see _runs); the roundabout centre is replaced by
    its ring nodes, arterials linked to the motorway are extended to their terminal node,
    and bridge columns get a bridge way across the river between two bank nodes.
    """
    ways = []
    rb_m, rb_c = _ROUNDABOUT[1] - lay.row_min, _ROUNDABOUT[0] + lay.n
    bridges = {
        _nearest_k(-0.55 * lay.n, _is_arterial): False,
        0: False,
        _nearest_k(0.45 * lay.n, lambda k: k % 4 == 0 and not _is_arterial(k)): False,
        _nearest_k(-0.2 * lay.n, lambda k: k % 4 == 2): True,  # footbridge
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
                ways.append(_Way([append[south], prepend[north]], tags))
            for a, b in _runs(cls, along, list(sub_end)):
                nodes = line_ids[a : b + 1].tolist()
                nodes[0], nodes[-1] = sub_start.get(a, nodes[0]), sub_end.get(b, nodes[-1])
                nodes = ([prepend[a]] if a in prepend else []) + nodes
                nodes += [append[b]] if b in append else []
                tags = _road_tags(int(cls[a]), vertical, k, r, lay.n)
                if not vertical and line in oneway and abs(along[a]) < lay.core_k:
                    tags.update(oneway="yes", name=f"Demo {oneway[line]} Street")
                    nodes = nodes if oneway[line] == "East" else nodes[::-1]
                ways.append(_Way(nodes, tags))
    return ways


def _build_city(seed: int, size_km: float) -> _City:
    """Lay out the road network, river and motorway in local metres (no POIs yet)."""
    lay = _layout(size_km)
    rng = _rng(seed, "network")
    river, water, corridor = _river(lay, rng)
    villages = _villages(lay, rng, river)
    warp = _Warp(tuple(rng.uniform(0, 2 * np.pi, 2)))
    lat = _lattice(lay, rng, villages, warp)
    before_cut = _cut_at_river(lat, corridor)
    rb_m, rb_c = _ROUNDABOUT[1] - lay.row_min, _ROUNDABOUT[0] + lay.n
    diagonals = _diagonals(lat, rng, corridor, (rb_m, rb_c))

    used = lat.used()
    for m, c, _ in diagonals:
        used[m, c] = used[m + 1, c + 1] = True
    used[rb_m, rb_c] = False  # replaced by the roundabout ring
    ids = np.zeros(used.shape, np.int64)
    ids[used] = np.arange(1, int(used.sum()) + 1)
    extra = _Nodes(int(used.sum()) + 1)

    centre = lat.xy_m[rb_m, rb_c]
    ring = [
        extra.add(*(centre + 30.0 * np.array([math.cos(a), math.sin(a)])))
        for a in np.arange(8) * math.pi / 4
    ]  # counter-clockwise from east
    ways = [
        _Way(
            ring + ring[:1],
            {"highway": "secondary", "junction": "roundabout", "name": "Demo Circus"},
        )
    ]
    motorway_ways, terminal = _motorway(lay, warp, extra)
    ways += motorway_ways

    ways += _lattice_ways(lat, lay, ids, ring, terminal, before_cut, corridor, extra, rng)

    for m, c, kind in diagonals:
        a, b = int(ids[m, c]), int(ids[m + 1, c + 1])
        if kind == "steps":  # a footway to the middle of the cell, then steps
            mid = extra.add(*((lat.xy_m[m, c] + lat.xy_m[m + 1, c + 1]) / 2))
            ways += [_Way([a, mid], {"highway": "footway"}), _Way([mid, b], {"highway": "steps"})]
        else:
            ways.append(_Way([a, b], {"highway": kind}))

    river_ids = [extra.add(x, y) for x, y in river.coords]
    ways.append(_Way(river_ids, {"waterway": "river", "name": "Demo River"}))
    water_ids = [extra.add(x, y) for x, y in orient(water, 1.0).exterior.coords[:-1]]
    water_tags = {"natural": "water", "water": "river", "name": "Demo River"}
    ways.append(_Way(water_ids + water_ids[:1], water_tags))

    return _City(
        seed=seed,
        size_km=size_km,
        layout=lay,
        lattice_xy_m=lat.xy_m[used],
        lattice_zone=lat.zone[used],
        extra=extra,
        ways=ways,
        river_m=river,
        water_m=water,
        village_centres_m=[(ci * GRID_STEP_M, cj * GRID_STEP_M) for ci, cj in villages],
    )


def _count_edges(ways: list[_Way]) -> int:
    """Pieces of highway ways between way ends and nodes used more than once."""
    roads = [np.asarray(w.nodes) for w in ways if "highway" in w.tags]
    flat = np.concatenate(roads)
    uses = np.bincount(flat)
    junction = uses[flat] >= 2
    ends = np.cumsum([len(r) for r in roads])
    junction[ends - 1] = True
    junction[np.concatenate([[0], ends[:-1]])] = True
    return int(junction.sum()) - len(roads)


def _beside(rng: np.random.Generator, base_xy_m: FloatArray, river: LineString) -> FloatArray:
    """Each base point moved 12-35 m in a random direction (a building by the road).

    Directions are redrawn until the point is clear of the water; road nodes are at least
    _RIVER_CLEARANCE_M from the river, so a dry direction always exists.
    """
    out = np.empty_like(base_xy_m)
    todo = np.arange(len(base_xy_m))
    for _ in range(100):
        angle, dist_m = rng.uniform(0, 2 * np.pi, len(todo)), rng.uniform(12, 35, len(todo))
        step = np.column_stack([np.cos(angle), np.sin(angle)]) * dist_m[:, None]
        out[todo] = base_xy_m[todo] + step
        dry = shapely.distance(river, shapely.points(out[todo])) > _RIVER_HALF_WIDTH_M + 15
        todo = todo[~dry]
        if len(todo) == 0:
            return out
    raise RuntimeError(f"{len(todo)} points could not be placed off the river")


def _spread(rng: np.random.Generator, xy_m: FloatArray, count: int) -> FloatArray:
    """count of the points xy_m spread evenly over them: k-means centres snapped to a point.

    Used to site stations, hospitals and pads so that they cover their zone, as a planner would.
    """
    sub = xy_m[rng.choice(len(xy_m), min(len(xy_m), 4000), replace=False)]
    centres = sub[rng.choice(len(sub), count, replace=False)]
    for _ in range(15):
        label = ((sub[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
        for j in range(count):
            if np.any(label == j):
                centres[j] = sub[label == j].mean(0)
    return sub[((sub[:, None, :] - centres[None]) ** 2).sum(-1).argmin(0)]


def _zone_counts(total: int, shares: tuple[float, float, float]) -> list[int]:
    """Split total over core/suburb/rural by shares, the rounding remainder to the suburbs."""
    core, rural = round(total * shares[0]), round(total * shares[2])
    return [core, total - core - rural, rural]


def _area_factor(city: _City) -> float:
    """City area relative to the default 15 km city; POI counts scale with it."""
    return (city.size_km / 15.0) ** 2


_AED_HOURS = ["24/7", "Mo-Fr 08:00-18:00; PH off", "Mo-Su 07:00-22:00",
              "Mo-Fr 09:00-17:00; Sa 09:00-12:00"]  # offices close on public holidays
_AED_PLACES = [
    "Community Centre",
    "Metro Station",
    "Shopping Mall",
    "Primary School",
    "Hotel",
    "Office Tower",
    "Sports Hall",
    "Residential Compound",
    "Clinic",
    "Bank",
]
_AED_SPOTS = {
    True: [
        "Ground floor lobby, next to the reception desk",
        "Beside the lifts",
        "Security office, ask the guard",
        "Main entrance hall, wall cabinet",
    ],
    False: [
        "Outside wall by the main entrance, green cabinet",
        "Bus shelter, weatherproof box",
        "Park gate, next to the information board",
    ],
}


def _add_aeds(city: _City, rng: np.random.Generator, by_zone: list[FloatArray]) -> list[str]:
    """AED nodes by buildings near roads, 55% in the core; returns their refs in id order."""
    n_aed = round(150 * _area_factor(city))
    base = [
        z[rng.integers(len(z), size=n)]
        for z, n in zip(by_zone, _zone_counts(n_aed, (0.55, 0.33, 0.12)), strict=True)
    ]
    hours = rng.choice(_AED_HOURS, size=n_aed, p=[0.45, 0.25, 0.22, 0.08]).tolist()
    hours[int(rng.integers(n_aed))] = MALFORMED_OPENING_HOURS
    access = rng.choice(["yes", "customers", "private"], size=n_aed, p=[0.7, 0.15, 0.15])
    indoor = (rng.random(n_aed) < 0.65).tolist()
    level = rng.choice(["0", "1", "2", "-1"], size=n_aed, p=[0.6, 0.2, 0.1, 0.1])
    refs = []
    for i, (x, y) in enumerate(_beside(rng, np.vstack(base), city.river_m).tolist()):
        refs.append(f"DEMO-AED-{i + 1:04d}")
        spots = _AED_SPOTS[indoor[i]]
        tags = {
            "emergency": "defibrillator",
            "ref": refs[-1],
            "name": f"Demo {_AED_PLACES[int(rng.integers(len(_AED_PLACES)))]} {i + 1}",
            "opening_hours": hours[i],
            "access": str(access[i]),
            "indoor": "yes" if indoor[i] else "no",
            "level": str(level[i]) if indoor[i] else "0",
            "defibrillator:location": spots[int(rng.integers(len(spots)))],
        }
        city.extra.add(x, y, tags)
    return refs


def _add_pois(city: _City) -> tuple[list[str], list[str]]:
    """Add AED, hospital and ambulance station nodes; return the AED and station refs.

    Hospitals (half core, half suburbs) and stations (3/8 core, 3/8 suburbs, 1/4 rural) are
    spread over their zones as a planner would site them.
    """
    rng = _rng(city.seed, "pois")
    by_zone = [city.lattice_xy_m[city.lattice_zone == z] for z in (_CORE, _SUBURB, _RURAL)]
    aed_refs = _add_aeds(city, rng, by_zone)
    f = _area_factor(city)

    def sited(count: int, shares: tuple[float, float, float]) -> list[list[float]]:
        counts = _zone_counts(count, shares)
        xy = np.vstack([_spread(rng, z, n) for z, n in zip(by_zone, counts, strict=True) if n])
        return _beside(rng, xy, city.river_m).tolist()

    for i, (x, y) in enumerate(sited(max(2, round(3.5 * f)), (0.5, 0.5, 0.0))):
        name = f"Demo General Hospital {i + 1}"
        tags = {"amenity": "hospital", "healthcare": "hospital", "emergency": "yes", "name": name}
        city.extra.add(x, y, tags)
    station_refs = []
    for i, (x, y) in enumerate(sited(max(4, round(8 * f)), (0.375, 0.375, 0.25))):
        station_refs.append(f"DEMO-AMB-{i + 1:02d}")
        tags = {"emergency": "ambulance_station", "ref": station_refs[-1]}
        city.extra.add(x, y, {**tags, "name": f"Demo Ambulance Station {i + 1}"})
    return aed_refs, station_refs


def _bbox_deg(city: _City) -> list[float]:
    """[west, south, east, north] of the city square in degrees."""
    h = city.layout.half_m
    (w, e), (s, n) = to_lonlat(np.array([-h, h]), np.array([-h, h]))
    return [round(float(v), 7) for v in (w, s, e, n)]


def _population(city: _City) -> tuple[NDArray[np.float32], rasterio.Affine]:
    """People per cell on a north-up grid of ~100 m cells over the city square.

    Density falls from _CORE_DENSITY_PER_KM2 in the middle (rounded-square distance, like
    the zones) to _RURAL_DENSITY_PER_KM2 outside the suburbs, plus villages and noise; cells
    touching the water are 0.
    """
    rng = _rng(city.seed, "population")
    lay = city.layout
    west, _, _, north = _bbox_deg(city)
    size = math.ceil(2 * lay.half_m / POPULATION_CELL_M)
    transform = from_origin(
        west, north, POPULATION_CELL_M / M_PER_DEG_LON, POPULATION_CELL_M / M_PER_DEG_LAT
    )
    centres = (np.arange(size) + 0.5) * POPULATION_CELL_M
    x_m, y_m = np.meshgrid(centres - lay.half_m, lay.half_m - centres)
    r_m = (x_m**4 + y_m**4) ** 0.25
    urban = _CORE_DENSITY_PER_KM2 / (1 + (r_m / lay.core_half_m) ** 4)
    urban *= np.exp(-np.maximum(0.0, r_m - lay.suburb_half_m) / 400.0)
    for vx, vy in city.village_centres_m:
        urban += 3000.0 * np.exp(-((x_m - vx) ** 2 + (y_m - vy) ** 2) / (2 * 250.0**2))
    noise = rng.lognormal(0.0, 0.25, urban.shape)
    people = (_RURAL_DENSITY_PER_KM2 + urban) * noise * (POPULATION_CELL_M / 1000.0) ** 2
    wx, wy = to_lonlat(*np.asarray(city.water_m.exterior.coords).T)
    water = rasterize(
        [Polygon(np.column_stack([wx, wy]))],
        out_shape=(size, size),
        transform=transform,
        all_touched=True,
        dtype="uint8",
    )
    people[water == 1] = 0.0
    return people.astype(np.float32), transform


def _aed_registry(rng: np.random.Generator, refs: list[str]) -> dict[str, AedRegistryEntry]:
    """Mostly ready AEDs; ~10% have a battery or pads already expired on REFERENCE_DATE."""
    status = rng.choice(
        ["ready", "fault", "in_use", "out_of_service", "missing"],
        size=len(refs),
        p=[0.82, 0.05, 0.03, 0.06, 0.04],
    ).tolist()
    registry = {}
    for ref, st in zip(refs, status, strict=True):
        day = REFERENCE_DATE - timedelta(days=int(rng.integers(5, 400)))
        at = time(hour=int(rng.integers(8, 18)), minute=int(rng.integers(0, 60)))
        registry[ref] = AedRegistryEntry(
            status=st,
            battery_expires_on=str(REFERENCE_DATE + timedelta(days=int(rng.integers(-120, 900)))),
            pads_expire_on=str(REFERENCE_DATE + timedelta(days=int(rng.integers(-90, 700)))),
            last_inspected_at=datetime.combine(day, at).strftime("%Y-%m-%dT%H:%M:00Z"),
        )
    return registry


def _volunteers(
    rng: np.random.Generator, count: int, people: NDArray[np.float32], transform: rasterio.Affine
) -> list[Volunteer]:
    """Volunteers placed where people live: a population-weighted cell, then a random spot."""
    weights = people.ravel().astype(np.float64)
    row, col = np.divmod(
        rng.choice(weights.size, size=count, p=weights / weights.sum()), people.shape[1]
    )
    lon = transform.c + (col + rng.random(count)) * transform.a
    lat = transform.f + (row + rng.random(count)) * transform.e
    level = rng.choice(["emergency_responder", "junior", "senior"], count, p=[0.3, 0.45, 0.25])
    availability = rng.choice(["available", "busy", "off_duty"], count, p=[0.55, 0.15, 0.3])
    accuracy_m = rng.choice(
        [5.0, 10.0, 20.0, 35.0, 65.0, 150.0], count, p=[0.3, 0.3, 0.2, 0.1, 0.07, 0.03]
    )
    return [
        Volunteer(
            id=f"DEMO-VOL-{i + 1:04d}",
            name=f"Volunteer {i + 1:04d}",
            level=str(level[i]),
            availability=str(availability[i]),
            lon=round(float(lon[i]), 7),
            lat=round(float(lat[i]), 7),
            accuracy_m=float(accuracy_m[i]),
        )
        for i in range(count)
    ]


def _extras(
    city: _City,
    aed_refs: list[str],
    station_refs: list[str],
    people: NDArray[np.float32],
    transform: rasterio.Affine,
) -> DemoExtras:
    """Registry, fleet, drone pads, training sites, volunteers and districts of the city."""
    rng = _rng(city.seed, "extras")
    f = _area_factor(city)

    def lonlat(xy_m: FloatArray) -> list[tuple[float, float]]:
        lon, lat = to_lonlat(xy_m[:, 0], xy_m[:, 1])
        return [(round(a, 7), round(b, 7)) for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]

    ambulances = {
        ref: [
            Ambulance(f"{ref}{chr(65 + j)}", "available" if rng.random() < 0.7 else "busy")
            for j in range(int(rng.integers(1, 4)))
        ]
        for ref in station_refs
    }
    pads = [
        DronePad(
            f"DEMO-PAD-{i + 1:02d}",
            f"Demo Drone Pad {i + 1}",
            lon,
            lat,
            range_km=float(rng.choice([8.0, 9.0, 10.0])),
            cruise_speed_kmh=float(rng.choice([54.0, 60.0, 72.0])),
        )
        for i, (lon, lat) in enumerate(
            lonlat(_spread(rng, city.lattice_xy_m, max(2, round(4 * f))))
        )
    ]
    urban_xy = city.lattice_xy_m[city.lattice_zone != _RURAL]
    sites = [
        TrainingSite(
            f"DEMO-TRN-{i + 1:02d}",
            f"Demo First-Aid Training Centre {i + 1}",
            lon,
            lat,
            capacity=int(rng.integers(2, 7)) * 10,
        )
        for i, (lon, lat) in enumerate(lonlat(_spread(rng, urban_xy, max(2, round(5 * f)))))
    ]
    return DemoExtras(
        name=CITY_NAME,
        synthetic=True,
        seed=city.seed,
        size_km=city.size_km,
        centre_lon=CENTRE_LON,
        centre_lat=CENTRE_LAT,
        bbox=_bbox_deg(city),
        reference_date=REFERENCE_DATE.isoformat(),
        aed_registry=_aed_registry(rng, aed_refs),
        ambulances=ambulances,
        drone_pads=pads,
        training_sites=sites,
        volunteers=_volunteers(rng, round(300 * f), people, transform),
        districts=_districts(city.layout),
    )


def _districts(lay: _Layout) -> list[District]:
    """Six districts tiling the city square: the core, three suburbs, two rural halves."""
    c, s, h = lay.core_half_m, lay.suburb_half_m, lay.half_m
    core, suburbs = box(-c, -c, c, c), box(-s, -s, s, s)
    parts = [
        ("Central", "urban", core),
        ("North Suburbs", "urban", box(-s, c, s, s)),
        ("South-West Suburbs", "urban", box(-s, -s, 0, c).difference(core)),
        ("South-East Suburbs", "urban", box(0, -s, s, c).difference(core)),
        ("West Countryside", "rural", box(-h, -h, 0, h).difference(suburbs)),
        ("East Countryside", "rural", box(0, -h, h, h).difference(suburbs)),
    ]
    out = []
    for i, (name, kind, poly) in enumerate(parts):
        lon, lat = to_lonlat(*np.asarray(orient(poly, 1.0).exterior.coords).T)
        ring = [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]
        out.append(
            District(
                code=f"DC-{i + 1:02d}",
                name=name,
                kind=kind,
                geometry={"type": "Polygon", "coordinates": [ring]},
            )
        )
    return out


def _write_pbf(city: _City, path: Path) -> None:
    """Nodes sorted by id, then ways; a fixed header so the bytes depend only on the city."""
    header = osmium.io.Header()
    header.set("generator", "rescuecircle demo_city")
    w, s, e, n = _bbox_deg(city)
    header.add_box(osmium.osm.Box(osmium.osm.Location(w, s), osmium.osm.Location(e, n)))
    lon, lat = to_lonlat(*np.vstack([city.lattice_xy_m, np.array(city.extra.xy_m)]).T)
    no_tags: list[dict[str, str]] = [{}] * len(city.lattice_xy_m)
    tags = no_tags + city.extra.tags
    path.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for i, (x, y, t) in enumerate(zip(lon.tolist(), lat.tolist(), tags, strict=True)):
            writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(x, y), tags=t, version=1))
        for i, way in enumerate(city.ways):
            writer.add_way(
                osmium.osm.mutable.Way(
                    id=FIRST_WAY_ID + i, nodes=way.nodes, tags=way.tags, version=1
                )
            )


def _write_population(people: NDArray[np.float32], transform: rasterio.Affine, path: Path) -> None:
    path.unlink(missing_ok=True)
    profile = {
        "driver": "GTiff",
        "width": people.shape[1],
        "height": people.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(people, 1)
        dst.set_band_description(1, "population")
        dst.update_tags(name=CITY_NAME, units="people per cell", synthetic="true")


def _check_args(seed: int, size_km: float) -> None:
    if not MIN_SIZE_KM <= size_km <= MAX_SIZE_KM:
        raise ValueError(f"size_km={size_km} is outside [{MIN_SIZE_KM}, {MAX_SIZE_KM}]")
    if seed < 0:
        raise ValueError(f"seed={seed} must be >= 0")


def _write_city(city: _City, out_dir: Path) -> DemoCityFiles:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoCityFiles(
        osm_pbf=out_dir / "demo_city.osm.pbf",
        extras_json=out_dir / "demo_extras.json",
        population_tif=out_dir / "population.tif",
    )
    aed_refs, station_refs = _add_pois(city)
    people, transform = _population(city)
    extras = _extras(city, aed_refs, station_refs, people, transform)
    _write_pbf(city, files.osm_pbf)
    _write_population(people, transform, files.population_tif)
    files.extras_json.write_text(json.dumps(asdict(extras), indent=1) + "\n")
    return files


def generate_demo_city(out_dir: Path, *, seed: int = 42, size_km: float = 15.0) -> DemoCityFiles:
    """Write the demo city (PBF, extras JSON, population GeoTIFF) into out_dir.

    The same seed and size_km give byte-identical files; size_km is the side of the square
    city in kilometres, between MIN_SIZE_KM and MAX_SIZE_KM. Existing files are replaced.

    >>> files = generate_demo_city(Path("/tmp/demo"))  # doctest: +SKIP
    """
    _check_args(seed, size_km)
    return _write_city(_build_city(seed, size_km), out_dir)


def generate_network_of_size(out_dir: Path, *, target_edges: int, seed: int = 42) -> DemoCityFiles:
    """Write a demo city whose road network has about target_edges edges (usually within 5%).

    The edge count grows with the area, so size_km is found by a few square-root updates on
    the network alone (milliseconds to a second) before the files are written; the best size
    seen wins. It is recorded in demo_extras.json, and generate_demo_city with that size_km
    reproduces the same files. 300,000 edges is a city of about 100 km and takes ~10 s.
    """
    _check_args(seed, 15.0)
    if target_edges <= 0:
        raise ValueError(f"target_edges={target_edges} must be > 0")
    size_km, tried = 15.0, []
    for _ in range(8):
        city = _build_city(seed, size_km)
        edges = _count_edges(city.ways)
        tried.append((abs(edges - target_edges) / target_edges, city))
        next_km = round(
            min(MAX_SIZE_KM, max(MIN_SIZE_KM, size_km * (target_edges / edges) ** 0.5)), 2
        )
        if tried[-1][0] <= 0.02 or next_km == size_km:
            break
        size_km = next_km
    miss, city = min(tried, key=lambda t: t[0])
    if miss > 0.2:
        raise ValueError(
            f"target_edges={target_edges} is out of reach: sizes {MIN_SIZE_KM}-{MAX_SIZE_KM} km "
            f"give about {_count_edges(_build_city(seed, MIN_SIZE_KM).ways)} to "
            f"{_count_edges(_build_city(seed, MAX_SIZE_KM).ways)} edges"
        )
    return _write_city(city, out_dir)
