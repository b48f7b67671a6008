"""Planning over HTTP, for analysts and admins.

* ``GET /api/planning/kpi``: the district KPI table (rows per district of ``rc.district``,
  totals, and the gaps as a GeoJSON FeatureCollection, WGS84); ``format=csv`` the table alone,
  ``format=gpkg`` a GeoPackage with the layers ``district_kpi`` (outlines with their KPIs) and
  ``coverage_gaps``;
* ``GET /api/planning/population/{z}/{x}/{y}.mvt``: population cells or zones as vector tiles
  (people, people per km²; from zoom 10) for the planner's map;
* ``GET /api/planning/volunteer-density``: active volunteers per hexagon (``cell_m``, 100-5000,
  default 500) by their latest position in the last ``days`` (1-365, default 30); cells of fewer
  than ``min_count`` (3-100, default 5) are left out so no cell singles anyone out; GeoJSON, or
  ``format=gpkg``;
* ``GET /api/planning/coverage/<layer>`` (stations, aeds, drone-pads, circle): the bands with
  population as GeoJSON, or with ``format=geotiff`` the travel-time surface (COG, seconds).

Common query parameters: ``at`` (ISO 8601, AED availability; default now), ``hour`` (0-23,
driving speeds; default free flow); coverage also takes ``minutes`` (comma-separated).
"""

from datetime import UTC, datetime, timedelta

import shapely
import shapely.geometry
from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from api.exports import attachment
from api.tiles import service, tile_response
from gis.export import FORMATS, geopackage_bytes, to_cog
from gis.planning import load_districts, load_inputs, volunteer_density
from gis.tiles import POPULATION
from planning.kpi import kpi_table
from planning.kpi_io import kpi_layers, table_csv, table_json
from planning.layers import band_geojson, build_layer
from rescuecircle.errors import InvalidInput
from services import params

blueprint = Blueprint("planning", __name__)
GPKG = FORMATS["gpkg"].media_type


def _at_and_hour() -> tuple[datetime, int | None]:
    at = params.depart_at(request.args.get("at"), "at") or datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidInput("at must carry a UTC offset (e.g. 2026-11-25T08:00:00+08:00)")
    raw_hour = request.args.get("hour")
    hour = None if raw_hour is None else int(params.number(raw_hour, "hour", low=0, high=23))
    return at, hour


@blueprint.get("/api/planning/coverage/<layer>")
@require_roles("analyst", "admin")
def coverage(layer: str) -> ResponseReturnValue:
    """One city-wide coverage layer."""
    at, hour = _at_and_hour()
    raw = request.args.get("minutes")
    minutes = None if raw is None else params.minutes_list(raw)
    output = request.args.get("format", "geojson")
    if output not in ("geojson", "geotiff"):
        raise InvalidInput(f"format '{output}' is unknown; use geojson or geotiff")
    state = app_state()
    network = state.networks.current()
    inputs = load_inputs(state.engine, at=at, population=state.networks.population())
    built = build_layer(network, inputs, layer, minutes=minutes, hour=hour)
    if output == "geotiff":
        return Response(to_cog(built.grid.to_geotiff(network.projection.crs.to_wkt())),
                        mimetype="image/tiff; application=geotiff; profile=cloud-optimized")
    return jsonify(band_geojson(network, built))


@blueprint.get("/api/planning/population/<int:z>/<int:x>/<int:y>.mvt")
@require_roles("analyst", "admin")
def population_tile(z: int, x: int, y: int) -> Response:
    """Where people live, for planners: not a public layer (rc.tile_layer.public is false)."""
    return tile_response(service().catalogue().layer(POPULATION), z, x, y, public=False)


@blueprint.get("/api/planning/volunteer-density")
@require_roles("analyst", "admin")
def volunteers_density() -> ResponseReturnValue:
    """Where volunteers are, aggregated: for recruiting and training where they are few."""
    args = request.args
    cell_m = params.number(args.get("cell_m", 500), "cell_m", low=100, high=5000)
    min_count = int(params.number(args.get("min_count", 5), "min_count", low=3, high=100))
    days = params.number(args.get("days", 30), "days", low=1, high=365)
    output = args.get("format", "geojson")
    if output not in ("geojson", "gpkg"):
        raise InvalidInput(f"format '{output}' is unknown; use geojson or gpkg")
    cells = volunteer_density(app_state().engine, cell_m=cell_m, min_count=min_count,
                              since=datetime.now(UTC) - timedelta(days=days))
    if output == "gpkg":
        layers = {"volunteer_density": ([wkb for _, wkb in cells],
                                        [{"volunteers": count} for count, _ in cells])}
        return attachment(geopackage_bytes(layers, "Polygon"), GPKG, "volunteer_density.gpkg")
    return jsonify(type="FeatureCollection", cell_m=cell_m, min_count=min_count, features=[
        {"type": "Feature", "geometry": shapely.geometry.mapping(shapely.from_wkb(wkb)),
         "properties": {"volunteers": count}} for count, wkb in cells])


@blueprint.get("/api/planning/kpi")
@require_roles("analyst", "admin")
def kpi() -> ResponseReturnValue:
    """The district KPI table."""
    at, hour = _at_and_hour()
    state = app_state()
    network = state.networks.current()
    districts = load_districts(state.engine)
    if not districts:
        raise InvalidInput("there are no districts in rc.district to report on")
    output = request.args.get("format", "json")
    if output not in ("json", "csv", "gpkg"):
        raise InvalidInput(f"format '{output}' is unknown; use json, csv or gpkg")
    inputs = load_inputs(state.engine, at=at, population=state.networks.population())
    table, _ = kpi_table(network, districts, inputs, hour=hour)
    if output == "csv":
        return attachment(table_csv(table), FORMATS["csv"].media_type, "district_kpi.csv")
    if output == "gpkg":
        return attachment(geopackage_bytes(kpi_layers(table, districts, network), "MultiPolygon"),
                          GPKG, "district_kpi.gpkg")
    return jsonify(table_json(table, network))
