"""Where to add stations, AEDs or drone pads: the siting models of ``routing.siting`` on
planning inputs.

Demand is the population gathered on ``demand_cell_m`` cells (people-weighted centre per
cell), so a city of a million raster cells stays a model of a few thousand points. Candidate
sites are given, or else one road vertex per ``candidate_cell_m`` cell (a default per kind;
the vertex nearest the cell's centre): every part of the network gets a candidate, none
off-road. Drone pads carry AEDs where walking to one takes too long: their demand is only the
people beyond a 5-minute walk of an available AED, and a pad covers what its drone reaches
by air within the limit (take-off, flight, landing; range). Stations are sited against each
district's standard (``planning.standards``): people in rural districts are covered within
12 minutes, everyone else within 8, unless one limit is asked for.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from planning.inputs import District, PlanningInputs, Points
from planning.kpi import AED_WALK_MINUTES, network_grid, pad_specs
from planning.standards import STANDARDS
from rescuecircle.errors import InvalidInput, NoRoute
from routing.coverage import time_at
from routing.drone import DroneSpec
from routing.network import Network
from routing.siting import (
    CoverageMatrix,
    Siting,
    coverage_matrix,
    flight_coverage_matrix,
    lscp,
    mclp,
)

# kind: (mode, standard minutes, default candidate spacing in metres: about a third of the
# distance covered within the standard, so every demand point has candidates in reach)
KINDS = {"stations": ("drive", STANDARDS["urban"].minutes, 1000.0),
         "aeds": ("walk", AED_WALK_MINUTES, 150.0),
         "drone-pads": ("air", AED_WALK_MINUTES, 1000.0)}


@dataclass(frozen=True)
class SitePlan:
    """The model's answer with the chosen sites in WGS84."""

    kind: str
    model: str                # mclp or lscp
    limit_minutes: float
    chosen_lonlat: list[tuple[float, float]]
    siting: Siting
    rural_limit_minutes: float | None = None   # the limit of people in rural districts


def demand_points(network: Network, people: Points, *, cell_m: float) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """People gathered per cell: x, y (local metres, people-weighted centre) and people."""
    x, y = network.projection.to_xy(people.lon, people.lat)
    weight = people.values["people"].astype(float)
    keep = weight > 0
    x, y, weight = x[keep], y[keep], weight[keep]
    key = np.floor(x / cell_m).astype(np.int64) * 1_000_003 + np.floor(y / cell_m).astype(np.int64)
    cells, which = np.unique(key, return_inverse=True)
    total = np.bincount(which, weight, len(cells))
    return (np.bincount(which, weight * x, len(cells)) / total,
            np.bincount(which, weight * y, len(cells)) / total, total)


def candidate_vertices(network: Network, *, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """One road vertex per cell, the one nearest the cell's centre (local metres)."""
    xy = network.vertex_xy
    col, row = np.floor(xy[:, 0] / cell_m), np.floor(xy[:, 1] / cell_m)
    off = np.hypot(xy[:, 0] - (col + 0.5) * cell_m, xy[:, 1] - (row + 0.5) * cell_m)
    order = np.lexsort((off, row, col))
    first = np.ones(len(order), bool)
    first[1:] = (col[order][1:] != col[order][:-1]) | (row[order][1:] != row[order][:-1])
    chosen = order[first]
    return xy[chosen, 0], xy[chosen, 1]


def plan_sites(
    network: Network, inputs: PlanningInputs, kind: str, *, add: int | None,
    candidates: Points | None = None, minutes: float | None = None, hour: int | None = None,
    demand_cell_m: float = 250.0, candidate_cell_m: float | None = None,
    drone: DroneSpec | None = None, districts: Sequence[District] = (),
) -> SitePlan:
    """MCLP with ``add`` new sites, or LSCP (the fewest covering everyone) when ``add`` is
    None; existing facilities of ``kind`` are kept open. ``minutes`` defaults to the standard
    (stations: 8, or 12 for people in a rural district of ``districts``; a 5-minute walk for
    AEDs, 5 minutes for a drone's AED). New pads fly ``drone`` (default: the existing pads'
    most common drone, else ``DroneSpec()``)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind '{kind}' is unknown; use one of {', '.join(KINDS)}")
    mode, standard, spacing_m = KINDS[kind]
    if minutes is not None and not 0 < minutes <= 60:
        raise InvalidInput(f"minutes {minutes} is outside the allowed range 0-60")
    dx, dy, weight = demand_points(network, inputs.people, cell_m=demand_cell_m)
    rural = (_in_rural(network, districts, dx, dy) if kind == "stations" and minutes is None
             else np.zeros(len(dx), bool))
    minutes = standard if minutes is None else minutes
    limit_s = np.where(rural, STANDARDS["rural"].minutes, minutes) * 60.0
    if candidates is None:
        cx, cy = candidate_vertices(network, cell_m=candidate_cell_m or spacing_m)
        clon, clat = network.projection.to_lonlat(cx, cy)
    else:
        clon, clat = candidates.lon, candidates.lat
    if kind == "drone-pads":
        matrix, keep = _by_air(network, inputs, clon, clat, dx, dy, weight, minutes * 60,
                               hour, drone)
    else:
        matrix, keep = _by_road(network, inputs, kind, clon, clat, dx, dy, weight,
                                limit_s, hour)
    siting = mclp(matrix, add=add) if add is not None else lscp(matrix)
    chosen = [(float(clon[keep[j]]), float(clat[keep[j]])) for j in siting.chosen]
    return SitePlan(kind, "mclp" if add is not None else "lscp", minutes, chosen, siting,
                    STANDARDS["rural"].minutes if np.any(rural) else None)


def _in_rural(network: Network, districts: Sequence[District], x: np.ndarray,
              y: np.ndarray) -> np.ndarray:
    """Which demand points (local metres) lie in a rural district; outside every district
    the urban standard holds, the stricter one."""
    rural = np.zeros(len(x), bool)
    if not len(x):
        return rural
    lon, lat = network.projection.to_lonlat(x, y)
    for district in districts:
        if district.kind == "rural":
            rural |= shapely.contains_xy(district.geometry, lon, lat)
    return rural


def _by_road(
    network: Network, inputs: PlanningInputs, kind: str, clon: np.ndarray, clat: np.ndarray,
    dx: np.ndarray, dy: np.ndarray, weight: np.ndarray, limit_s: np.ndarray,
    hour: int | None,
) -> tuple[CoverageMatrix, list[int]]:
    """Stations by car, AEDs on foot: coverage by network time (a limit per demand point);
    the candidates on a road."""
    mode = KINDS[kind][0]
    existing = inputs.stations if kind == "stations" else inputs.aeds
    dlon, dlat = network.projection.to_lonlat(dx, dy)
    demand = network.snap_many(dlon, dlat, mode)
    on_road = np.array([s is not None for s in demand], bool)
    if not on_road.any():
        raise NoRoute("no population lies near a road of this mode")
    sites_existing = [s for s in network.snap_many(existing.lon, existing.lat, mode) if s]
    snapped = network.snap_many(clon, clat, mode)
    keep = [i for i, s in enumerate(snapped) if s is not None]
    matrix = coverage_matrix(
        network, sites_existing, [s for s in snapped if s is not None],
        [s for s in demand if s is not None], weight[on_road], mode,
        limit_s=limit_s[on_road], hour=hour)
    return matrix, keep


def _by_air(
    network: Network, inputs: PlanningInputs, clon: np.ndarray, clat: np.ndarray,
    dx: np.ndarray, dy: np.ndarray, weight: np.ndarray, limit_s: float, hour: int | None,
    drone: DroneSpec | None,
) -> tuple[CoverageMatrix, list[int]]:
    """Drone pads: demand beyond a 5-minute AED walk, covered within each pad's flight reach
    on a straight line clear of the no-fly zones."""
    walk = network_grid(network, inputs.available_aeds(), "walk", AED_WALK_MINUTES, hour)
    beyond = np.ones(len(dx), bool) if walk is None else \
        time_at(walk, dx, dy) > AED_WALK_MINUTES * 60
    if not beyond.any():
        raise NoRoute("everyone is within a 5-minute walk of an available AED: no pad is needed")
    pads = inputs.drone_pads
    specs = pad_specs(pads)
    new = drone or (max(set(specs), key=specs.count) if specs else DroneSpec())
    px, py = network.projection.to_xy(pads.lon, pads.lat)
    cx, cy = network.projection.to_xy(clon, clat)
    matrix = flight_coverage_matrix(
        np.column_stack([px, py]), np.array([s.reach_m(limit_s) for s in specs]),
        np.column_stack([cx, cy]), new.reach_m(limit_s),
        np.column_stack([dx[beyond], dy[beyond]]), weight[beyond],
        [network.from_lonlat(zone) for zone in inputs.no_fly])
    return matrix, list(range(len(clon)))



def sites_geojson(plan: SitePlan) -> dict[str, Any]:
    """The chosen sites as a GeoJSON FeatureCollection (WGS84, ``rank`` from 1) with the
    model's summary beside them: what the API answers and the CLI writes."""
    s = plan.siting
    return {"type": "FeatureCollection", "kind": plan.kind, "model": plan.model,
            "limit_minutes": plan.limit_minutes,
            "rural_limit_minutes": plan.rural_limit_minutes,
            "covered_people": round(s.covered_people, 1),
            "total_people": round(s.total_people, 1),
            "uncoverable_people": round(s.uncoverable_people, 1),
            "features": [{"type": "Feature",
                          "geometry": {"type": "Point", "coordinates": [lon, lat]},
                          "properties": {"rank": i}}
                         for i, (lon, lat) in enumerate(plan.chosen_lonlat, 1)]}
