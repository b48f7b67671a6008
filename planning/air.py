"""Air medical rescue against the Hangzhou targets, per district: landing sites in every
district ("直升机停机坪（起降点）" covering the listed districts), helipads at tertiary hospitals
(100 % of new ones), an air medical rescue base, and the share of people a helicopter reaches
from a base within 20 and 30 minutes (spin-up, straight flight, landing: routing/air.py).

Pure: districts, people, landing sites, bases and hospitals come in as plain data.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields

import numpy as np
import shapely

from planning.inputs import District, Points
from routing.air import HelicopterSpec
from routing.network import Network

AIR_MINUTES = (20.0, 30.0)
HELIPAD_AT_HOSPITAL_M = 300.0     # a pad this close to a hospital serves it


@dataclass(frozen=True, eq=False)
class AirInputs:
    """Landing sites (helipads, landing points, bases: all ready ones), the bases with their
    helicopters, and hospitals with their grade and helipad flag (values ``tertiary`` and
    ``helipad``, booleans)."""

    landing_sites: Points
    bases: Points
    base_specs: Sequence[HelicopterSpec]
    hospitals: Points


@dataclass(frozen=True)
class AirKpi:
    """One district's air indicators; shares are of its people (None without people, or
    without an air base)."""

    name: str
    kind: str
    population: float
    landing_sites: int
    helicopter_share_20min: float | None
    helicopter_share_30min: float | None
    tertiary_hospitals: int
    tertiary_with_helipad: int
    air_bases: int                      # in the whole city: the plan asks for one


def helicopter_time_s(network: Network, people: Points, bases: Points,
                      specs: Sequence[HelicopterSpec]) -> np.ndarray:
    """Seconds from the alert to a helicopter landing beside each person (inf out of range)."""
    px, py = network.projection.to_xy(people.lon, people.lat)
    best = np.full(len(px), np.inf)
    bx, by = network.projection.to_xy(bases.lon, bases.lat)
    for x, y, spec in zip(bx, by, specs, strict=True):
        distance_m = np.hypot(px - x, py - y)
        time_s = spec.overhead_s + distance_m / (spec.cruise_speed_kmh / 3.6)
        best = np.minimum(best, np.where(distance_m <= spec.range_km * 1000, time_s, np.inf))
    return best


def air_table(network: Network, districts: Sequence[District], people: Points,
              air: AirInputs) -> list[AirKpi]:
    """The air indicators of every district."""
    weights = people.values["people"].astype(float)
    reach_s = helicopter_time_s(network, people, air.bases, air.base_specs)
    sites = shapely.points(air.landing_sites.lon, air.landing_sites.lat)
    hospitals = shapely.points(air.hospitals.lon, air.hospitals.lat)
    served = _hospitals_with_helipad(network, air)
    rows = []
    for district in districts:
        shape = district.geometry
        inside = shapely.contains_xy(shape, people.lon, people.lat)
        population = float(weights[inside].sum())
        tertiary = shapely.contains(shape, hospitals) & air.hospitals.values["tertiary"]

        shares = [None if population <= 0 or not len(air.bases.lon) else
                  float(weights[inside & (reach_s <= minutes * 60)].sum() / population)
                  for minutes in AIR_MINUTES]
        rows.append(AirKpi(
            name=district.name, kind=district.kind, population=population,
            landing_sites=int(shapely.contains(shape, sites).sum()),
            helicopter_share_20min=shares[0], helicopter_share_30min=shares[1],
            tertiary_hospitals=int(tertiary.sum()),
            tertiary_with_helipad=int((tertiary & served).sum()),
            air_bases=len(air.bases.lon)))
    return rows


def _hospitals_with_helipad(network: Network, air: AirInputs) -> np.ndarray:
    """Hospitals flagged as having a helipad, or with a landing site within
    HELIPAD_AT_HOSPITAL_M."""
    flagged = np.asarray(air.hospitals.values["helipad"], bool)
    if not len(air.landing_sites.lon) or not len(air.hospitals.lon):
        return flagged
    hx, hy = network.projection.to_xy(air.hospitals.lon, air.hospitals.lat)
    sx, sy = network.projection.to_xy(air.landing_sites.lon, air.landing_sites.lat)
    nearest_m = np.min(np.hypot(hx[:, None] - sx[None, :], hy[:, None] - sy[None, :]), axis=1)
    return flagged | (nearest_m <= HELIPAD_AT_HOSPITAL_M)


def air_csv(rows: Sequence[AirKpi]) -> str:
    """The table as CSV, shares to four decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields(AirKpi)])
    for row in rows:
        writer.writerow(["" if v is None else round(v, 4) if isinstance(v, float) else v
                         for v in astuple(row)])
    return out.getvalue()


def air_note(air: AirInputs) -> str | None:
    """What to load when there is no air base, else None."""
    if len(air.bases.lon):
        return None
    return ("no air base with a helicopter is loaded, so helicopter reach is empty: run "
            "`rescuecircle import helipads FILE` (kind air_base)")
