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
* ``GET /api/planning/sites/<kind>`` (stations, aeds, drone-pads): ``add=N`` new sites (MCLP),
  ``relocate=N`` existing AEDs moved, or ``cover_all=true`` (LSCP), with ``minutes``,
  ``cruise_kmh``, ``range_km``, ``demand`` (population, incidents, mix:A) and the stored
  incidents' ``from``, ``to`` (local dates) and ``categories``; GeoJSON of the sites ranked by
  what each adds, with the people and calls covered before and after (also the ``site``
  process, as a job);
* ``GET /api/planning/qc?from=DATE&to=DATE``: quality control of the stored incidents received
  in that period (local dates, both optional), from their events: the indicators by group,
  year, month and district as JSON, or with ``format=html`` the report page;
* ``GET /api/planning/aed-venues``: the venues that must have an AED, each with the walk
  from its nearest public, usable AED (``walk_s``, null beyond a minute) and ``covered``;
  ``uncovered=true`` only those without; GeoJSON, ``format=csv`` or ``format=gpkg``;
* ``GET /api/planning/coverage/<layer>`` (stations, aeds, drone-pads, circle): the bands with
  population as GeoJSON, or with ``format=geotiff`` the travel-time surface (COG, seconds).

Common query parameters: ``at`` (ISO 8601, AED availability; default now), ``hour`` (0-23,
driving speeds; default free flow); coverage also takes ``minutes`` (comma-separated).
"""

from dataclasses import asdict
from datetime import datetime

import shapely
import shapely.geometry
from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from api.exports import attachment
from api.tiles import service, tile_response
from gis.export import FORMATS, geopackage_bytes, to_cog
from gis.tiles import POPULATION
from planning.air import air_csv
from planning.kpi_io import kpi_layers, table_csv, table_json
from planning.layers import band_geojson
from planning.qc_report import html_report, qc_json
from planning.sites import sites_geojson
from planning.venues import venue_layers, venues_csv, venues_geojson
from rescuecircle.errors import InvalidInput
from services import params, planning, quality
from services.exports import COG_MEDIA_TYPE

blueprint = Blueprint("planning", __name__)
GPKG = FORMATS["gpkg"].media_type


def _at_and_hour() -> tuple[datetime, int | None]:
    at = params.aware_time(request.args.get("at")) or app_state().now()
    return at, params.hour(request.args.get("hour"))


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
    found = planning.coverage(app_state(), layer, at=at, hour=hour, minutes=minutes)
    if output == "geotiff":
        surface = found.layer.grid.to_geotiff(found.network.projection.crs.to_wkt())
        return Response(to_cog(surface), mimetype=COG_MEDIA_TYPE)
    return jsonify(band_geojson(found.network, found.layer, found.notes))


@blueprint.get("/api/planning/sites/<kind>")
@require_roles("analyst", "admin")
def sites(kind: str) -> ResponseReturnValue:
    """Where to add stations, AEDs or drone pads: ``add`` new sites maximising the demand
    covered (MCLP), ``relocate`` existing AEDs, or ``cover_all=true`` for the fewest covering
    everyone coverable (LSCP)."""
    question = planning.site_question(request.args, kind=kind, now=app_state().now())
    return jsonify(sites_geojson(planning.site(app_state(), question)))


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
    cells = planning.volunteer_density(app_state(), cell_m=cell_m, min_count=min_count,
                                       days=days)
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
    output = request.args.get("format", "json")
    if output not in ("json", "csv", "gpkg"):
        raise InvalidInput(f"format '{output}' is unknown; use json, csv or gpkg")
    found = planning.kpis(app_state(), at=at, hour=hour)
    if output == "csv":
        return attachment(table_csv(found.table), FORMATS["csv"].media_type, "district_kpi.csv")
    if output == "gpkg":
        layers = kpi_layers(found.table, found.districts, found.network)
        return attachment(geopackage_bytes(layers, "MultiPolygon"), GPKG, "district_kpi.gpkg")
    return jsonify({**table_json(found.table, found.network), "notes": found.notes})


@blueprint.get("/api/planning/kpi/air")
@require_roles("analyst", "admin")
def air_kpi() -> ResponseReturnValue:
    """The air rescue indicators per district (JSON, or ``format=csv``)."""
    at, _ = _at_and_hour()
    output = request.args.get("format", "json")
    if output not in ("json", "csv"):
        raise InvalidInput(f"format '{output}' is unknown; use json or csv")
    rows = planning.air_kpis(app_state(), at=at)
    if output == "csv":
        return attachment(air_csv(rows), FORMATS["csv"].media_type, "district_air.csv")
    return jsonify({"districts": [asdict(row) for row in rows]})


@blueprint.get("/api/planning/qc")
@require_roles("analyst", "admin")
def qc() -> ResponseReturnValue:
    """Quality control of the stored incidents, from their events."""
    output = request.args.get("format", "json")
    if output not in ("json", "html"):
        raise InvalidInput(f"format '{output}' is unknown; use json or html")
    period = quality.Period.parse(request.args.get("from"), request.args.get("to"))
    result = quality.events_quality(app_state(), period)
    if output == "html":
        page = html_report(result, source=f"stored incidents, {period.describe()}")
        return Response(page, mimetype="text/html")
    return jsonify(qc_json(result))


@blueprint.get("/api/planning/aed-venues")
@require_roles("analyst", "admin")
def aed_venues() -> ResponseReturnValue:
    """Venues that must have an AED, and whether a usable one is within a 1-minute walk."""
    at, _ = _at_and_hour()
    uncovered = request.args.get("uncovered", "false").lower()
    if uncovered not in ("true", "false"):
        raise InvalidInput(f"uncovered must be true or false, not "
                           f"{request.args.get('uncovered')!r}")
    output = request.args.get("format", "geojson")
    if output not in ("geojson", "csv", "gpkg"):
        raise InvalidInput(f"format '{output}' is unknown; use geojson, csv or gpkg")
    checks = planning.aed_venues(app_state(), at=at, uncovered_only=uncovered == "true")
    if output == "csv":
        return attachment(venues_csv(checks), FORMATS["csv"].media_type, "aed_venues.csv")
    if output == "gpkg":
        return attachment(geopackage_bytes(venue_layers(checks), "Point"), GPKG,
                          "aed_venues.gpkg")
    return jsonify(venues_geojson(checks))
