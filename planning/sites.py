"""Where to add stations, AEDs or drone pads, or where to move existing AEDs: the siting
models of ``routing.siting`` on planning inputs.

Demand is the population, the calls (stored or imported incidents) or a mix of them, gathered
on ``demand_cell_m`` cells (``planning.demand``), so a city of a million raster cells stays a
model of a few thousand points. Every plan reports the people and the calls it covers before
and after, and ranks its new sites by what each adds to those before it. Candidate
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
from scipy.optimize import linear_sum_assignment

from planning.demand import Demand, Weighting, gather
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
from routing.siting import relocate as relocate_sites

# kind: (mode, standard minutes, default candidate spacing in metres: about a third of the
# distance covered within the standard, so every demand point has candidates in reach)
KINDS = {"stations": ("drive", STANDARDS["urban"].minutes, 1000.0),
         "aeds": ("walk", AED_WALK_MINUTES, 150.0),
         "drone-pads": ("air", AED_WALK_MINUTES, 1000.0)}
POPULATION = Weighting(0.0)


@dataclass(frozen=True)
class Covered:
    """Demand in both its units, and in the objective's weight."""

    people: float
    calls: float
    weight: float

    @classmethod
    def of(cls, demand: Demand, mask: np.ndarray) -> "Covered":
        """The demand of the points selected by ``mask``."""
        return cls(float(demand.people[mask].sum()), float(demand.calls[mask].sum()),
                   float(demand.weight[mask].sum()))


@dataclass(frozen=True)
class NewSite:
    """A proposed site and what it adds to those open before it in rank order."""

    lon: float
    lat: float
    gained: Covered


@dataclass(frozen=True)
class Move:
    """An existing facility moved to a candidate site (relocation)."""

    facility_id: int
    from_lonlat: tuple[float, float]
    to_lonlat: tuple[float, float]
    distance_m: float


@dataclass(frozen=True, eq=False)
class SitePlan:
    """The model's answer: the sites in WGS84, ranked by what each adds, and the demand
    covered before (existing facilities alone) and after."""

    kind: str
    model: str                # mclp, lscp or relocate
    limit_minutes: float
    demand: str               # the weighting: population, incidents or mix:A
    sites: list[NewSite]
    before: Covered
    after: Covered
    total: Covered
    uncoverable: Covered      # beyond the limit of every site, open or not
    moves: list[Move]
    siting: Siting
    rural_limit_minutes: float | None = None   # the limit of people in rural districts

    @property
    def chosen_lonlat(self) -> list[tuple[float, float]]:
        """The new sites, best first."""
        return [(site.lon, site.lat) for site in self.sites]


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
    relocate: int | None = None, calls: Points | None = None,
    weighting: Weighting = POPULATION, candidates: Points | None = None,
    minutes: float | None = None, hour: int | None = None, demand_cell_m: float = 250.0,
    candidate_cell_m: float | None = None, drone: DroneSpec | None = None,
    districts: Sequence[District] = (),
) -> SitePlan:
    """MCLP with ``add`` new sites; relocation of at most ``relocate`` existing AEDs; or, with
    neither, LSCP (the fewest new sites covering everyone). Existing facilities of ``kind``
    stay open (but for the ones relocation moves). Demand is people, ``calls`` (points with
    an optional ``calls`` count each) or a mix, as ``weighting`` says. ``minutes`` defaults to
    the standard (stations: 8, or 12 for people in a rural district of ``districts``; a
    5-minute walk for AEDs, 5 minutes for a drone's AED). New pads fly ``drone`` (default: the
    existing pads' most common drone, else ``DroneSpec()``)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind '{kind}' is unknown; use one of {', '.join(KINDS)}")
    if add is not None and relocate is not None:
        raise InvalidInput("give add (new sites) or relocate (existing AEDs to move), not both")
    if relocate is not None and kind != "aeds":
        raise InvalidInput(f"relocate moves existing AEDs; kind '{kind}' cannot be relocated")
    mode, standard, spacing_m = KINDS[kind]
    if minutes is not None and not 0 < minutes <= 60:
        raise InvalidInput(f"minutes {minutes} is outside the allowed range 0-60")
    demand = gather(network.projection, inputs.people,
                    calls if calls is not None else Points(np.zeros(0), np.zeros(0)),
                    weighting, cell_m=demand_cell_m)
    rural = (_in_rural(network, districts, demand.x, demand.y)
             if kind == "stations" and minutes is None else np.zeros(len(demand.x), bool))
    minutes = standard if minutes is None else minutes
    limit_s = np.where(rural, STANDARDS["rural"].minutes, minutes) * 60.0
    if candidates is None:
        cx, cy = candidate_vertices(network, cell_m=candidate_cell_m or spacing_m)
        clon, clat = network.projection.to_lonlat(cx, cy)
    else:
        clon, clat = candidates.lon, candidates.lat
    if kind == "drone-pads":
        model = _by_air(network, inputs, clon, clat, demand, minutes * 60, hour, drone)
    else:
        model = _by_road(network, inputs, kind, clon, clat, demand, limit_s, hour)
    matrix = model.matrix
    if relocate is not None:
        siting, name = relocate_sites(matrix, moves=relocate), "relocate"
    elif add is not None:
        siting, name = mclp(matrix, add=add), "mclp"
    else:
        siting, name = lscp(matrix), "lscp"
    rows = np.zeros(len(demand.weight), bool)
    rows[model.rows] = True
    covered = np.zeros(len(demand.weight), bool)
    covered[model.rows] = siting.covered
    before = np.zeros(len(demand.weight), bool)
    before[model.rows] = _covered_by(matrix, list(range(matrix.existing)))
    open_existing = [j for j in range(matrix.existing) if j not in set(siting.closed)]
    ranked = _ranked(matrix, siting.chosen, open_existing, demand, model.rows)
    new_sites = [NewSite(float(clon[model.candidates[j]]), float(clat[model.candidates[j]]),
                         gained) for j, gained in ranked]
    moves = _moves(network, inputs.aeds, [model.existing[j] for j in siting.closed],
                   [(site.lon, site.lat) for site in new_sites]) if relocate is not None else []
    return SitePlan(kind, name, minutes, weighting.label(), new_sites,
                    before=Covered.of(demand, before), after=Covered.of(demand, covered),
                    total=Covered.of(demand, rows),
                    uncoverable=Covered.of(demand, rows & ~_coverable(matrix, model.rows,
                                                                      len(rows))),
                    moves=moves, siting=siting,
                    rural_limit_minutes=STANDARDS["rural"].minutes if np.any(rural) else None)


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


@dataclass(frozen=True, eq=False)
class _Model:
    """A coverage matrix and where its rows and columns come from."""

    matrix: CoverageMatrix
    rows: np.ndarray          # demand points (indices into Demand) the matrix's rows are
    existing: list[int]       # existing facilities (indices into their Points) per column
    candidates: list[int]     # candidate sites (indices) per candidate column


def _by_road(
    network: Network, inputs: PlanningInputs, kind: str, clon: np.ndarray, clat: np.ndarray,
    demand: Demand, limit_s: np.ndarray, hour: int | None,
) -> _Model:
    """Stations by car, AEDs on foot: coverage by network time (a limit per demand point);
    the candidates on a road."""
    mode = KINDS[kind][0]
    existing = inputs.stations if kind == "stations" else inputs.aeds
    dlon, dlat = network.projection.to_lonlat(demand.x, demand.y)
    snapped_demand = network.snap_many(dlon, dlat, mode)
    rows = np.array([i for i, s in enumerate(snapped_demand) if s is not None], np.int64)
    if not len(rows):
        raise NoRoute("no demand lies near a road of this mode")
    snapped_existing = network.snap_many(existing.lon, existing.lat, mode)
    kept_existing = [i for i, s in enumerate(snapped_existing) if s is not None]
    snapped = network.snap_many(clon, clat, mode)
    keep = [i for i, s in enumerate(snapped) if s is not None]
    matrix = coverage_matrix(
        network, [s for s in snapped_existing if s is not None],
        [s for s in snapped if s is not None], [s for s in snapped_demand if s is not None],
        demand.weight[rows], mode, limit_s=limit_s[rows], hour=hour)
    return _Model(matrix, rows, kept_existing, keep)


def _by_air(
    network: Network, inputs: PlanningInputs, clon: np.ndarray, clat: np.ndarray,
    demand: Demand, limit_s: float, hour: int | None, drone: DroneSpec | None,
) -> _Model:
    """Drone pads: demand beyond a 5-minute AED walk, covered within each pad's flight reach
    on a straight line clear of the no-fly zones."""
    walk = network_grid(network, inputs.available_aeds(), "walk", AED_WALK_MINUTES, hour)
    beyond = np.ones(len(demand.x), bool) if walk is None else \
        time_at(walk, demand.x, demand.y) > AED_WALK_MINUTES * 60
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
        np.column_stack([demand.x[beyond], demand.y[beyond]]), demand.weight[beyond],
        [network.from_lonlat(zone) for zone in inputs.no_fly])
    return _Model(matrix, np.nonzero(beyond)[0], list(range(len(pads.lon))),
                  list(range(len(clon))))


def _covered_by(matrix: CoverageMatrix, columns: list[int]) -> np.ndarray:
    """Per row of the matrix: within the limit of one of ``columns``."""
    return np.asarray(matrix.covers[:, columns].sum(axis=1)).ravel() > 0


def _coverable(matrix: CoverageMatrix, rows: np.ndarray, size: int) -> np.ndarray:
    """Per demand point: within the limit of some site, open or not."""
    coverable = np.zeros(size, bool)
    coverable[rows] = _covered_by(matrix, list(range(matrix.covers.shape[1])))
    return coverable


def _ranked(matrix: CoverageMatrix, chosen: list[int], open_existing: list[int],
            demand: Demand, rows: np.ndarray) -> list[tuple[int, Covered]]:
    """The chosen candidates best first: each in turn the one adding the most weight to what
    the open facilities and the sites ranked before it cover, with what it adds."""
    covered = _covered_by(matrix, open_existing)
    columns = {j: _covered_by(matrix, [matrix.existing + j]) for j in chosen}
    weight = matrix.weight
    ranked = []
    while columns:
        best = max(columns, key=lambda j: (weight[columns[j] & ~covered].sum(), -j))
        added = columns.pop(best) & ~covered
        mask = np.zeros(len(demand.weight), bool)
        mask[rows[added]] = True
        ranked.append((best, Covered.of(demand, mask)))
        covered |= added
    return ranked


def _moves(network: Network, facilities: Points, closed: list[int],
           new_lonlat: list[tuple[float, float]]) -> list[Move]:
    """Which closed facility goes to which new site: the pairing that moves them the least
    in all (straight-line metres), in the new sites' order."""
    if not closed:
        return []
    ids = facilities.values.get("id", np.arange(len(facilities.lon)))
    fx, fy = network.projection.to_xy(facilities.lon[closed], facilities.lat[closed])
    nx, ny = network.projection.to_xy(*(np.array(v) for v in zip(*new_lonlat, strict=True)))
    distance = np.hypot(fx[:, None] - nx[None, :], fy[:, None] - ny[None, :])
    source, target = linear_sum_assignment(distance)
    by_site = dict(zip(target.tolist(), source.tolist(), strict=True))
    return [Move(int(ids[closed[by_site[k]]]),
                 (float(facilities.lon[closed[by_site[k]]]),
                  float(facilities.lat[closed[by_site[k]]])),
                 new_lonlat[k], float(distance[by_site[k], k]))
            for k in range(len(new_lonlat)) if k in by_site]


def sites_geojson(plan: SitePlan) -> dict[str, Any]:
    """The new sites as a GeoJSON FeatureCollection (WGS84, ``rank`` from 1, best first, each
    with the people and calls it adds; a relocation's with the AED moved there) and the
    plan's summary beside them: what the API answers, the processes store and the CLI
    writes."""
    moved = {move.to_lonlat: move for move in plan.moves}

    def properties(rank: int, site: NewSite) -> dict[str, Any]:
        found: dict[str, Any] = {"rank": rank, "gained_people": round(site.gained.people, 1),
                                 "gained_calls": round(site.gained.calls, 1)}
        if (move := moved.get((site.lon, site.lat))) is not None:
            found.update(moved_aed_id=move.facility_id, moved_from=list(move.from_lonlat),
                         moved_m=round(move.distance_m, 1))
        return found

    return {"type": "FeatureCollection", "kind": plan.kind, "model": plan.model,
            "demand": plan.demand, "limit_minutes": plan.limit_minutes,
            "rural_limit_minutes": plan.rural_limit_minutes,
            "covered_people": round(plan.after.people, 1),
            "total_people": round(plan.total.people, 1),
            "uncoverable_people": round(plan.uncoverable.people, 1),
            "covered_calls": round(plan.after.calls, 1),
            "total_calls": round(plan.total.calls, 1),
            "uncoverable_calls": round(plan.uncoverable.calls, 1),
            "gained_people": round(plan.after.people - plan.before.people, 1),
            "gained_calls": round(plan.after.calls - plan.before.calls, 1),
            "moves": [{"aed_id": m.facility_id, "from": list(m.from_lonlat),
                       "to": list(m.to_lonlat), "distance_m": round(m.distance_m, 1)}
                      for m in plan.moves],
            "features": [{"type": "Feature",
                          "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                          "properties": properties(rank, site)}
                         for rank, site in enumerate(plan.sites, 1)]}
