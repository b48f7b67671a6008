"""The KPI table as CSV and JSON, its gaps as GeoJSON, and both as map layers (WGS84): for the
CLI and the API."""

import csv
import dataclasses
import io
from typing import Any

import shapely
import shapely.geometry

from planning.inputs import District
from planning.kpi import DistrictKpi, KpiTable
from routing.network import Network

COLUMNS = [f.name for f in dataclasses.fields(DistrictKpi)]


def table_csv(table: KpiTable) -> str:
    """One line per district, the columns of ``DistrictKpi`` and then the table's extra ones
    (empty where not defined);
    people as whole numbers, shares and rates to four decimals, as a spreadsheet shows them."""
    out = io.StringIO()
    records = table.records()
    columns = list(dict.fromkeys([*COLUMNS, *(k for r in records for k in r)]))
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(k, v) for k, v in record.items()})
    return out.getvalue()


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value) if column == "population" else round(value, 4)
    return value


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
        "districts": table.records(),
        "population_total": table.population_total,
        "population_outside_districts": table.population_outside,
        "gaps": gaps_geojson(table, network),
    }


def kpi_layers(
    table: KpiTable, districts: list[District], network: Network
) -> dict[str, tuple[list[bytes], list[dict[str, Any]]]]:
    """The districts with their KPI columns and the gaps, as MultiPolygon layers (WKB in WGS84
    and one record per feature), for a GeoPackage a GIS analyst opens beside other layers."""
    outline = {d.name: d.geometry for d in districts}
    return {
        "district_kpi": (
            [_multipolygon_wkb(outline[row.name]) for row in table.rows],
            table.records()),
        "coverage_gaps": (
            [_multipolygon_wkb(network.to_lonlat(gap.geometry)) for gap in table.gaps],
            [{"rank": rank, "people": round(gap.people, 1), "area_km2": round(gap.area_km2, 4)}
             for rank, gap in enumerate(table.gaps, start=1)]),
    }


def _multipolygon_wkb(geometry: shapely.Geometry) -> bytes:
    """WKB of a (Multi)Polygon as a MultiPolygon: one geometry type per layer."""
    if isinstance(geometry, shapely.Polygon):
        geometry = shapely.MultiPolygon([geometry])
    return shapely.to_wkb(geometry)
