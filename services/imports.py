"""Import use cases: a city's road network from OpenStreetMap, registry files, the demo city.

Each import is all-or-nothing (one transaction per file) and returns a report of what it loaded
and what it rejected, with reasons.
"""

from collections.abc import Collection
from pathlib import Path

from formats.china_crs import Crs
from formats.osm_tags import DEFAULT_STATION_KINDS, StationKind
from gis.demo_load import load_demo_city
from gis.osm_import import ImportSummary, import_osm
from gis.record_import import ImportReport, import_file
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

