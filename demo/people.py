"""Where the demo city's people are: the population raster (densest in the core, none on the
water) and the volunteers placed by it."""

import math

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely.geometry import Polygon

from demo.extras import Volunteer
from demo.layout import M_PER_DEG_LAT, M_PER_DEG_LON, bbox_deg, to_lonlat
from demo.model import City, random_stream

POPULATION_CELL_M = 100.0
_CORE_DENSITY_PER_KM2 = 20_000.0
_RURAL_DENSITY_PER_KM2 = 100.0


def population(city: City) -> tuple[NDArray[np.float32], rasterio.Affine]:
    """People per cell on a north-up grid of ~100 m cells over the city square.

    Density falls from _CORE_DENSITY_PER_KM2 in the middle (rounded-square distance, like
    the zones) to _RURAL_DENSITY_PER_KM2 outside the suburbs, plus villages and noise; cells
    touching the water are 0.
    """
    rng = random_stream(city.seed, "population")
    lay = city.layout
    west, _, _, north = bbox_deg(lay)
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


def volunteers(
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
