"""District KPI table against the standards (issue 7): pure computation over plain arrays.

Per district: population; share of people within 5/8/12 minutes' drive of a station, within a
5-minute walk of an AED available at the chosen time, and inside the "5-minute circle" (an AED
there within 5 minutes, carried on foot or flown by drone); against the district's standard
(``planning.standards``: urban 8 minutes, a station per 80,000 people within 3 km, an
ambulance per 25,000; rural 12 minutes, a station per township or within 8 km, 1-2
ambulances per township) the stations and ambulances it needs and has, and the share within
the standard's radius (straight line); the rural "fixed + mobile" sentinel posts; public,
usable AEDs per 100,000 (standard: 80); the venues that must have an AED and have no usable
one within a 1-minute walk (``planning.venues``). And the largest populated areas no station reaches
within the district's standard time as polygons.

People are weighted points (raster cells, or traffic zones cut on a grid: areal weighting in
``rc.population_points``); a point belongs to the district that contains it, so district
populations add up to the people inside the districts.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely import Geometry

from planning.inputs import District, PlanningInputs, Points
from planning.standards import STANDARDS
from planning.venues import check_venues
from routing.coverage import (
    Gap,
    drone_coverage_grid,
    earliest,
    gaps,
    network_coverage_grid,
    time_at,
)
from routing.drone import DroneSpec
from routing.isochrone import PeopleXY, TimeGrid
from routing.network import Network

STATION_MINUTES = (5.0, 8.0, 12.0)
AED_WALK_MINUTES = 5.0
PER_STATION, PER_AMBULANCE, PER_AEDS = 80_000, 25_000, 100_000


@dataclass(frozen=True)
class DistrictKpi:
    """One row of the table; shares are of the district's people (None without people)."""

    name: str
    kind: str
    standard: str                  # the rules of its kind, in words
    population: float
    standard_minutes: float        # 8 urban, 12 rural
    station_share_5min: float | None
    station_share_8min: float | None
    station_share_12min: float | None
    station_share_standard: float | None
    aed_share_5min_walk: float | None
    circle_share_5min: float | None
    stations: int
    stations_needed: int           # one per 80,000 people (urban) or per township (rural)
    stations_met: bool             # enough stations, or (rural) everyone within 8 km of one
    stations_per_80k: float | None
    station_radius_km: float       # 3 urban, 8 rural
    station_share_radius: float | None
    sentinel_posts: int            # fixed rural posts (village clinics)
    mobile_posts: int              # mobile units' standby points
    ambulances: int                # in service, based at the district's stations and posts
    ambulances_needed: int         # one per 25,000 people (urban), 1 (of 1-2) per township
    ambulances_per_25k: float | None
    negative_pressure_share: float | None   # of the ambulances, for infectious patients
    aeds: int                      # every registered AED
    usable_aeds: int               # public, ready, battery and pads in date
    usable_aeds_per_100k: float | None      # of the usable ones (standard: 80)
    aed_venues: int                # places that must have an AED
    aed_venues_uncovered: int      # of them, with no usable AED within a 1-minute walk


@dataclass(frozen=True)
class KpiTable:
    """The rows, the people outside every district, and the gaps (local metres); ``extra``
    holds more columns per district name (air rescue, training), after the standard ones."""

    rows: list[DistrictKpi]
    population_total: float
    population_outside: float
    gaps: list[Gap]
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)

    def with_columns(self, columns: dict[str, dict[str, Any]]) -> "KpiTable":
        """The table with ``columns`` (district name -> column -> value) added."""
        merged = {row.name: {**self.extra.get(row.name, {}), **columns.get(row.name, {})}
                  for row in self.rows}
        return replace(self, extra=merged)

    def records(self) -> list[dict[str, Any]]:
        """Every row as a dict: the standard columns, then the extra ones."""
        return [{**asdict(row), **self.extra.get(row.name, {})} for row in self.rows]


@dataclass(frozen=True, eq=False)
class Surfaces:
    """The coverage surfaces behind a table (each None when its layer has no facility)."""

    stations: TimeGrid | None
    aeds: TimeGrid | None
    circle: TimeGrid | None


def surfaces(network: Network, inputs: PlanningInputs, *, hour: int | None) -> Surfaces:
    """Station (drive, 12 min at ``hour``), available-AED (walk, 5 min) and 5-minute-circle
    surfaces, one multi-source search per network layer."""
    stations = network_grid(network, inputs.stations, "drive", max(STATION_MINUTES), hour)
    aeds = network_grid(network, inputs.available_aeds(), "walk", AED_WALK_MINUTES, None)
    drones = drone_grid(network, inputs.drone_pads, AED_WALK_MINUTES * 60, inputs.no_fly)
    layers = [g for g in (aeds, drones) if g is not None]
    circle = earliest(layers, cell_m=min(g.cell_m for g in layers)) if layers else None
    return Surfaces(stations, aeds, circle)


def network_grid(network: Network, points: Points, mode: str, minutes: float,
                 hour: int | None) -> TimeGrid | None:
    """One multi-source search from the points that snap onto the mode's roads (None if none)."""
    snaps = [s for s in network.snap_many(points.lon, points.lat, mode) if s is not None]
    if not snaps:
        return None
    return network_coverage_grid(network, snaps, mode, limit_s=minutes * 60, hour=hour)


def drone_grid(network: Network, pads: Points, limit_s: float,
               no_fly: Sequence[Geometry] = ()) -> TimeGrid | None:
    """Pads grouped by their flight specification, then the earliest over the groups; no
    flight crosses a zone of ``no_fly`` (WGS84), as in dispatch."""
    if not len(pads.lon):
        return None
    zones = [network.from_lonlat(zone) for zone in no_fly]
    x, y = network.projection.to_xy(pads.lon, pads.lat)
    specs = pad_specs(pads)
    grids = []
    for spec in dict.fromkeys(specs):
        mine = np.array([s == spec for s in specs])
        grids.append(drone_coverage_grid(np.column_stack([x[mine], y[mine]]), spec,
                                         limit_s=limit_s, no_fly=zones))
    return grids[0] if len(grids) == 1 else earliest(grids, cell_m=grids[0].cell_m)


def pad_specs(pads: Points) -> list[DroneSpec]:
    """Each pad's drone, from its range and cruise speed (take-off and landing as default)."""
    return [DroneSpec(cruise_speed_kmh=float(speed), range_km=float(range_km))
            for range_km, speed in zip(pads.values.get("range_km", []),
                                       pads.values.get("cruise_speed_kmh", []), strict=True)]


def kpi_table(
    network: Network, districts: list[District], inputs: PlanningInputs, *,
    hour: int | None = None, top_gaps: int = 10,
) -> tuple[KpiTable, Surfaces]:
    """The KPI table of ``districts`` and the surfaces it was read from."""
    grids = surfaces(network, inputs, hour=hour)
    px, py = network.projection.to_xy(inputs.people.lon, inputs.people.lat)
    people = inputs.people.values["people"].astype(float)

    def times(grid: TimeGrid | None) -> np.ndarray:
        return np.full(len(px), np.inf) if grid is None else time_at(grid, px, py)

    station_s, aed_s, circle_s = times(grids.stations), times(grids.aeds), times(grids.circle)
    sx, sy = network.projection.to_xy(inputs.stations.lon, inputs.stations.lat)
    if len(sx):
        near_m = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([px, py]))[0]
    else:
        near_m = np.full(len(px), np.inf)
    limit_s = np.full(len(px), np.inf)
    assigned = np.zeros(len(px), bool)
    reach = Reach(people, station_s, aed_s, circle_s, near_m)
    checks = check_venues(network, inputs.venues, inputs.usable_aeds())
    venues = Points(np.array([c.venue.lon for c in checks]),
                    np.array([c.venue.lat for c in checks]),
                    {"covered": np.array([c.covered for c in checks], bool)})
    rows = []
    for district in districts:
        inside = shapely.contains_xy(district.geometry, inputs.people.lon, inputs.people.lat)
        inside &= ~assigned  # a point on a shared border counts once
        assigned |= inside
        limit_s[inside] = STANDARDS[district.kind].minutes * 60
        rows.append(district_row(district, inside, reach, inputs, venues))
    # Gaps: people in the districts whose station time exceeds their district's standard.
    within = PeopleXY(px[assigned], py[assigned], people[assigned])
    found = gaps(within, station_s[assigned] <= limit_s[assigned], top=top_gaps)
    return KpiTable(rows, float(people.sum()), float(people[~assigned].sum()), found), grids


@dataclass(frozen=True, eq=False)
class Reach:
    """Per population point: people, seconds from the nearest station (drive), available AED
    (walk) and 5-minute circle, and metres to the nearest station in a straight line."""

    people: np.ndarray
    station_s: np.ndarray
    aed_s: np.ndarray
    circle_s: np.ndarray
    station_m: np.ndarray


def district_row(district: District, inside: np.ndarray, reach: Reach,
                 inputs: PlanningInputs, venues: Points) -> DistrictKpi:
    """One district's row against the standard of its kind (``planning.standards``);
    ``venues`` are the AED duty venues, each with whether it is ``covered``."""
    standard = STANDARDS[district.kind]
    weight = reach.people[inside]
    total = float(weight.sum())

    def share(reached: np.ndarray) -> float | None:
        return float(weight[reached[inside]].sum()) / total if total > 0 else None

    def per(count: int, unit: int) -> float | None:
        return count / (total / unit) if total > 0 else None

    at_stations = _in(district.geometry, inputs.stations)
    at_posts = _in(district.geometry, inputs.posts)
    post_kinds = inputs.posts.values.get("kind", np.zeros(0, object))[at_posts]
    n_stations = int(at_stations.sum())
    n_ambulances = _fleet(inputs.stations, "ambulances", at_stations) \
        + _fleet(inputs.posts, "ambulances", at_posts)
    n_negative = _fleet(inputs.stations, "negative_pressure", at_stations)
    n_usable = _count_in(district.geometry, inputs.usable_aeds())
    at_venues = _in(district.geometry, venues)
    within_radius = share(reach.station_m <= standard.station_radius_km * 1000)
    return DistrictKpi(
        name=district.name, kind=district.kind, standard=standard.summary, population=total,
        standard_minutes=standard.minutes,
        station_share_5min=share(reach.station_s <= 300),
        station_share_8min=share(reach.station_s <= 480),
        station_share_12min=share(reach.station_s <= 720),
        station_share_standard=share(reach.station_s <= standard.minutes * 60),
        aed_share_5min_walk=share(reach.aed_s <= AED_WALK_MINUTES * 60),
        circle_share_5min=share(reach.circle_s <= AED_WALK_MINUTES * 60),
        stations=n_stations, stations_needed=standard.stations_needed(total),
        stations_met=standard.stations_met(total, n_stations, within_radius),
        stations_per_80k=per(n_stations, PER_STATION),
        station_radius_km=standard.station_radius_km, station_share_radius=within_radius,
        sentinel_posts=int((post_kinds == "sentinel").sum()),
        mobile_posts=int((post_kinds == "mobile").sum()),
        ambulances=n_ambulances, ambulances_needed=standard.ambulances_needed(total),
        ambulances_per_25k=per(n_ambulances, PER_AMBULANCE),
        negative_pressure_share=n_negative / n_ambulances if n_ambulances else None,
        aeds=_count_in(district.geometry, inputs.aeds), usable_aeds=n_usable,
        usable_aeds_per_100k=per(n_usable, PER_AEDS),
        aed_venues=int(at_venues.sum()),
        aed_venues_uncovered=int((at_venues & ~venues.values["covered"]).sum()),
    )


def _fleet(points: Points, count: str, chosen: np.ndarray) -> int:
    """Ambulances (or one kind of them) based at the chosen stations or posts."""
    counts = points.values.get(count)
    return 0 if counts is None or not len(chosen) else int(counts[chosen].sum())


def _in(area: Geometry, points: Points) -> np.ndarray:
    return shapely.contains_xy(area, points.lon, points.lat) if len(points.lon) else \
        np.zeros(0, bool)


def _count_in(area: Geometry, points: Points) -> int:
    return int(_in(area, points).sum())
