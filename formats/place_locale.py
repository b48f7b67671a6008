"""Where a place is, in the terms local rules need: its IANA time zone and ISO 3166 country.

Opening hours and "today" are read in the zone a network lies in, and public holidays are the
country's. The zone comes from ``timezonefinder`` (PyPI, offline, the timezone-boundary-builder
polygons of OpenStreetMap boundaries); the country from the tz database's ``zone.tab``, shipped
by the ``tzdata`` package, which names the one country of each zone.

A zone shared by several countries is no problem here: ``zone1970.tab`` groups countries whose
clocks agree (Europe/Zurich for CH, DE and LI), but ``zone.tab`` keeps one zone per country and
region (Europe/Vaduz for LI, Europe/Busingen for the German enclave) and the boundary polygons
use those same names, so the zone found at a place already tells its country. Zones at sea
(``Etc/GMT+10``) have no country.

A network is placed by its roads, not by its bounding box: the zone most of a sample of its
road nodes lie in wins, so an extract that reaches over a border (Imperial County's takes in
part of Mexicali) or whose box centre falls in a bay still gets the zone of most of its streets.
"""

from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike
from timezonefinder import TimezoneFinder

SAMPLE_POINTS = 1000  # road nodes asked for their zone: about 12 ms, and plenty for a vote


@dataclass(frozen=True)
class Locale:
    """An IANA time zone name and an ISO 3166-1 alpha-2 code; either None when unknown."""

    timezone: str | None
    country: str | None


@cache
def _finder() -> TimezoneFinder:
    return TimezoneFinder()


@cache
def zone_countries() -> dict[str, str]:
    """Each zone of the tz database's ``zone.tab`` with the one country it belongs to."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    countries: dict[str, str] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _, zone = line.split("\t")[:3]
            countries[zone] = country
    return countries


def locale_of(lon_deg: ArrayLike, lat_deg: ArrayLike) -> Locale:
    """The locale most of the points (WGS84 degrees; up to ``SAMPLE_POINTS`` evenly spaced
    ones are asked) lie in; ``Locale(None, None)`` when there are none."""
    lon = np.ravel(np.asarray(lon_deg, dtype=np.float64))
    lat = np.ravel(np.asarray(lat_deg, dtype=np.float64))
    if lon.shape != lat.shape:
        raise ValueError(f"lon {lon.shape} and lat {lat.shape} differ in shape")
    picked = np.unique(np.linspace(0, len(lon) - 1, min(len(lon), SAMPLE_POINTS)).astype(int))
    finder = _finder()
    zones = (finder.timezone_at(lng=float(lon[i]), lat=float(lat[i])) for i in picked)
    votes = Counter(zone for zone in zones if zone is not None)
    if not votes:
        return Locale(None, None)
    zone = votes.most_common(1)[0][0]
    return Locale(zone, zone_countries().get(zone))
