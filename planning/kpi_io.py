"""The KPI table as CSV and JSON, its gaps as GeoJSON (WGS84): for the CLI and the API."""

import csv
import dataclasses
import io
from typing import Any

import shapely
import shapely.geometry

from planning.kpi import DistrictKpi, KpiTable
from routing.network import Network

COLUMNS = [f.name for f in dataclasses.fields(DistrictKpi)]


def table_csv(table: KpiTable) -> str:
    """One line per district, the columns of ``DistrictKpi`` (empty where not defined)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in table.rows:
        writer.writerow({k: "" if v is None else v for k, v in dataclasses.asdict(row).items()})
    return out.getvalue()


def gaps_geojson(table: KpiTable, network: Network) -> dict[str, Any]:
    """The gaps, most populated first, as a GeoJSON FeatureCollection in WGS84."""

    features = [{
        "type": "Feature",
        "properties": {"rank": rank, "people": round(gap.people, 1),
                       "area_km2": round(gap.area_km2, 4)},
        "geometry": shapely.geometry.mapping(network.to_lonlat(gap.geometry)),
    } for rank, gap in enumerate(table.gaps, start=1)]
    return {"type": "FeatureCollection", "features": features}


def table_json(table: KpiTable, network: Network) -> dict[str, Any]:
    """Rows, totals and gaps in one document (the API's answer)."""
    return {
        "districts": [dataclasses.asdict(row) for row in table.rows],
        "population_total": table.population_total,
        "population_outside_districts": table.population_outside,
        "gaps": gaps_geojson(table, network),
    }
