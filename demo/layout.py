"""Where the demo city lies and how its square is planned: the centre, local metres to WGS84,
and the lattice size, zones and districts that size_km gives every other part."""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import box
from shapely.geometry.polygon import orient

from demo.extras import District

CENTRE_LON = 114.20
CENTRE_LAT = 22.65
GRID_STEP_M = 125.0

_PHI = math.radians(CENTRE_LAT)
M_PER_DEG_LAT = 111_132.954 - 559.822 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)
M_PER_DEG_LON = 111_412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)

_MOTORWAY_INSET_M = 200.0  # motorway distance from the south edge
CORE, SUBURB, RURAL = 0, 1, 2

FloatArray = NDArray[np.float64]


def to_lonlat(x_m: FloatArray, y_m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Local metres east/north of the centre to WGS84 lon/lat degrees."""
    lon = CENTRE_LON + np.asarray(x_m) / M_PER_DEG_LON
    return lon, CENTRE_LAT + np.asarray(y_m) / M_PER_DEG_LAT


@dataclass(frozen=True)
class Layout:
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


def layout_for(size_km: float) -> Layout:
    """Core is the middle third, suburbs the next ring, the rest rural; river between them."""
    half_m = size_km * 500.0
    n = int(half_m // GRID_STEP_M)
    core_k = max(8, 4 * round(n / 12))
    suburb_k = max(core_k + 8, 4 * round(n / 6))
    motorway_y_m = -half_m + _MOTORWAY_INSET_M
    ring_m = (suburb_k - core_k) * GRID_STEP_M
    return Layout(
        half_m=half_m,
        n=n,
        row_min=math.ceil((motorway_y_m + 300.0) / GRID_STEP_M),
        core_k=core_k,
        suburb_k=suburb_k,
        motorway_y_m=motorway_y_m,
        river_y_m=(core_k + suburb_k) / 2 * GRID_STEP_M,
        river_amp=min(1.0, (ring_m / 2 - 300.0) / 470.0),
    )


def zone_of(x_m: FloatArray, y_m: FloatArray, layout: Layout) -> NDArray[np.int8]:
    """Core / suburb / rural by Chebyshev distance from the centre (square zones)."""
    d = np.maximum(np.abs(x_m), np.abs(y_m))
    return np.where(
        d <= layout.core_half_m, CORE, np.where(d <= layout.suburb_half_m, SUBURB, RURAL)
    ).astype(np.int8)


def bbox_deg(layout: Layout) -> list[float]:
    """[west, south, east, north] of the city square in degrees."""
    h = layout.half_m
    (w, e), (s, n) = to_lonlat(np.array([-h, h]), np.array([-h, h]))
    return [round(float(v), 7) for v in (w, s, e, n)]


def districts(lay: Layout) -> list[District]:
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
