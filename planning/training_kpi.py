"""The training network per district against Shenzhen's plan ("至少设立74个固定的急救培训点":
at least 74 fixed first-aid training sites): sites inside each district, per 100,000 people,
and the share of people within 30 minutes' drive to one (a search towards the sites, as
people travel to them)."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from planning.catchment import catchment_grid
from planning.inputs import District, Points
from routing.coverage import time_at
from routing.network import Network

TRAINING_DRIVE_MIN = 30.0
SHENZHEN_FIXED_SITES = 74


def training_columns(network: Network, districts: Sequence[District], people: Points,
                     sites: Points, *, hour: int | None = None) -> dict[str, dict[str, Any]]:
    """District name -> training_sites, training_sites_per_100k, training_share_30min_drive
    (None without people, or without any training site to drive to)."""
    weights = people.values["people"].astype(float)
    grid = catchment_grid(network, sites, limit_min=TRAINING_DRIVE_MIN, hour=hour)
    px, py = network.projection.to_xy(people.lon, people.lat)
    reach_s = np.full(len(px), np.inf) if grid is None else time_at(grid, px, py)
    site_points = shapely.points(sites.lon, sites.lat)
    found = {}
    for district in districts:
        inside = shapely.contains_xy(district.geometry, people.lon, people.lat)
        population = float(weights[inside].sum())
        count = int(shapely.contains(district.geometry, site_points).sum())
        found[district.name] = {
            "training_sites": count,
            "training_sites_per_100k": count / population * 100_000 if population > 0 else None,
            "training_share_30min_drive": float(
                weights[inside & (reach_s <= TRAINING_DRIVE_MIN * 60)].sum() / population)
            if population > 0 and grid is not None else None}
    return found


def training_note(sites: int) -> str:
    """The city-wide count against the Shenzhen target, or what loads the sites."""
    if sites == 0:
        return ("no training site is loaded: run `rescuecircle import training-sites FILE` "
                f"(Shenzhen's plan asks for at least {SHENZHEN_FIXED_SITES} fixed sites)")
    verdict = "meets" if sites >= SHENZHEN_FIXED_SITES else "short of"
    return (f"{sites} training sites city-wide: {verdict} Shenzhen's target of at least "
            f"{SHENZHEN_FIXED_SITES} fixed first-aid training sites")
