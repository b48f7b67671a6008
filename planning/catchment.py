"""Hospital catchments: the drive *to* the nearest emergency department able to treat a
condition (a chest pain centre for heart attacks, a stroke centre), from every place, and the
share of each district's people within 30 and 60 minutes of one. The search runs towards the
hospitals (routing.direction "to"), so one-way streets count as a patient's ride does."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from planning.inputs import District, Points
from routing.coverage import time_at
from routing.isochrone import TimeGrid, facilities_time_grid
from routing.network import Network

CATCHMENT_MINUTES = (30.0, 60.0)
KPI_CAPABILITIES = ("chest_pain", "stroke")
PREFIX = "hospitals"          # layer "hospitals" (any emergency department), "hospitals:stroke"


def capable(hospitals: Points, capability: str | None) -> Points:
    """The emergency departments with ``capability`` (all of them for None)."""
    caps = hospitals.values.get("capabilities", np.empty(0, dtype=object))
    keep = np.array([capability is None or capability in c for c in caps], bool)
    return Points(hospitals.lon[keep], hospitals.lat[keep])


def catchment_grid(network: Network, places: Points, *, limit_min: float,
                   hour: int | None) -> TimeGrid | None:
    """Seconds to drive from every cell to the nearest of ``places`` (hospitals, training
    sites; None when none can be placed on the network)."""
    if not len(places.lon):
        return None
    snaps = [s for s in network.snap_many(places.lon, places.lat, "drive") if s is not None]
    if not snaps:
        return None
    return facilities_time_grid(network, snaps, "drive", limit_s=limit_min * 60, hour=hour,
                                direction="to")


def catchment_columns(network: Network, districts: Sequence[District], people: Points,
                      hospitals: Points, *, hour: int | None) -> dict[str, dict[str, Any]]:
    """District name -> ``<capability>_share_30min`` and ``_60min`` for each of
    KPI_CAPABILITIES (None without people or without such a hospital)."""
    weights = people.values["people"].astype(float)
    px, py = network.projection.to_xy(people.lon, people.lat)
    reach: dict[str, np.ndarray | None] = {}
    for capability in KPI_CAPABILITIES:
        grid = catchment_grid(network, capable(hospitals, capability),
                              limit_min=max(CATCHMENT_MINUTES), hour=hour)
        reach[capability] = None if grid is None else time_at(grid, px, py)
    found: dict[str, dict[str, Any]] = {}
    for district in districts:
        inside = shapely.contains_xy(district.geometry, people.lon, people.lat)
        population = float(weights[inside].sum())
        row: dict[str, Any] = {}
        for capability, seconds in reach.items():
            for minutes in CATCHMENT_MINUTES:
                row[f"{capability}_share_{minutes:g}min"] = (
                    None if seconds is None or population <= 0 else
                    float(weights[inside & (seconds <= minutes * 60)].sum() / population))
        found[district.name] = row
    return found


def catchment_notes(hospitals: Points) -> list[str]:
    """What to load when no hospital has a capability the KPIs read."""
    return [f"no emergency department is known to treat {capability}: its catchment shares "
            "are empty; load hospitals with `rescuecircle import hospitals FILE` (columns "
            "emergency and capabilities)"
            for capability in KPI_CAPABILITIES if not len(capable(hospitals, capability).lon)]
