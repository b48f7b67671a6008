"""Import use cases: a city's road network from OpenStreetMap, registry files, public holidays,
the demo city.

Each import is all-or-nothing (one transaction per file) and returns a report of what it loaded
and what it rejected, with reasons.
"""

from collections.abc import Collection
from pathlib import Path

from formats.china_crs import Crs
from formats.osm_tags import DEFAULT_STATION_KINDS, StationKind
from gis.demo_load import load_demo_city
from gis.holidays import holidays_of, store_holidays
from gis.osm_import import ImportSummary, import_osm
from gis.record_import import ImportReport, import_file
from rescuecircle.errors import InvalidInput
from services.context import Context


def road_network(context: Context, path: Path, *, progress: bool = False,
                 stations_from: Collection[StationKind] = DEFAULT_STATION_KINDS
                 ) -> ImportSummary:
    """Replace the road network (and the OSM POIs) with the extract at ``path``; stations come
    from the OSM kinds in ``stations_from`` (``ambulance``, ``fire``)."""
    return import_osm(context.engine, path, progress=progress, stations_from=stations_from)


def registry_file(context: Context, path: Path, kind: str, *, crs: Crs = "wgs84",
                  source: str | None = None, strict: bool = False) -> ImportReport:
    """Load one registry file of ``kind`` (aeds, stations, ...) with coordinates in ``crs``."""
    return import_file(context.engine, path, kind, crs=crs, source=source, strict=strict)


def demo_city(context: Context, *, seed: int = 42, progress: bool = False) -> str:
    """Generate the synthetic demo city and load it; a one-line summary."""
    return load_demo_city(context.engine, seed=seed, progress=progress)


def public_holidays(context: Context, *, country: str | None = None,
                    years: list[int] | None = None) -> str:
    """Load the public holidays of ``country`` (default: the loaded network's) in ``years``
    (default: this year and the next, in the local zone); a one-line summary."""
    country = country or context.locale().country
    if country is None:
        raise InvalidInput("the loaded network has no country (none is loaded, or it lies at "
                           "sea): give one, e.g. --country CN")
    this_year = context.local_now().year
    years = years or [this_year, this_year + 1]
    days = holidays_of(country, years)
    with context.engine.begin() as conn:
        stored = store_holidays(conn, country, days)
    return f"{stored} public holidays of {country.upper()} in {', '.join(map(str, years))}"
