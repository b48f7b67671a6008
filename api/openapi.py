"""``GET /openapi.json``: OpenAPI 3.0 for the endpoints rescuecircle implements itself.

pygeoapi documents OGC API - Features under ``/ogc/openapi``, with schemas it references from
schemas.opengis.net; this document covers the rest (landing page, health, tiles, exports,
processes, routes, whoami) plus the public Features items endpoints, self-contained so that
openapi-spec-validator and schemathesis can use it offline. Error responses all have the body
of ``api/errors.py``: ``{"code": ..., "description": ...}``.
"""

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api import app_state
from api.exports import COMPUTED_ROLES
from api.oas import (
    BEARER,
    BINARY,
    ERROR_SCHEMA,
    GEOJSON,
    IF_NONE_MATCH,
    JSON,
    OBJECT,
    get,
    ok,
    path_param,
    query,
    responses,
    tile_responses,
)
from api.ogc import LAYERS as FEATURE_LAYERS
from api.ogc_tiles import DATASET
from api.ors import PREFIX as ORS
from api.processes import PROCESSES
from api.tiles import service
from gis.export import FORMATS, LAYER_TABLES
from gis.tiles import MAX_ZOOM
from rescuecircle import __version__
from routing.arrays import MODES
from services.ors import ATTRIBUTES, LOCATION_TYPES, MAX_ISOCHRONE_LOCATIONS, PROFILES, UNIT_M

blueprint = Blueprint("openapi", __name__)



@blueprint.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """This server's OpenAPI document."""
    return jsonify(document(app_state().settings.base_url, list(service().catalogue().public)))


def document(base_url: str, tile_layers: list[str]) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document, with ``base_url`` as its server and the public tile layers
    (rows of rc.tile_layer) as the values of ``{layer}``."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "rescuecircle", "version": __version__,
                 "description": "Emergency medical response GIS: vector tiles, exports, "
                                "isochrones and routes. OGC API - Features: /ogc/openapi.",
                 "license": {"name": "AGPL-3.0-or-later"}},
        "servers": [{"url": base_url}],
        "paths": {**_service_paths(), **_tile_paths(tile_layers), **_export_paths(),
                  **_process_paths(), **_travel_paths(), **_ors_paths(),
                  **_feature_paths()},
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": BEARER,
        },
    }


def _service_paths() -> dict[str, Any]:
    return {
        "/": get("Landing page: links to everything this server offers",
                  responses(ok("links"))),
        "/health": get("Database, PostGIS, pgRouting and network status",
                        {"200": ok("ready"), "503": ok("not ready")}),
        "/conformance": get("OGC conformance classes of the root API (Tiles)",
                             responses(ok("conformsTo"))),
        "/openapi.json": get("This document", responses(ok("OpenAPI 3.0"))),
        "/api/whoami": get("The caller's role", responses(ok("role and label"), 401),
                            security=[{}, {"bearer": []}]),
        "/api/places": get(
            "Streets and named facilities whose name or address holds q, best first",
            responses(ok("GeoJSON FeatureCollection of places"), 400), [
                {**query("q", {"type": "string", "minLength": 2, "maxLength": 100},
                          "part of a street or place name"), "required": True},
                query("limit", {"type": "integer", "minimum": 1, "maximum": 20}),
                query("lon", {"type": "number", "minimum": -180, "maximum": 180},
                       "where the map is: nearer places first"),
                query("lat", {"type": "number", "minimum": -90, "maximum": 90}),
                query("crs", {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]})]),
    }


def _tile_paths(tile_layers: list[str]) -> dict[str, Any]:
    layer = path_param("layer", {"type": "string", "enum": tile_layers})
    collection = path_param("collectionId", {
        "type": "string", "enum": [name for name in tile_layers if name != DATASET]})
    zoom = {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM}
    index = {"type": "integer", "minimum": 0}
    ogc_tile = [path_param("tileMatrix", zoom), path_param("tileRow", index),
                path_param("tileCol", index), IF_NONE_MATCH]
    tile = tile_responses()
    tilejson = get("TileJSON 3.0.0", responses(ok("TileJSON"), 404), [layer])
    tileset = responses(ok("tile set metadata"), 404)
    return {
        "/tiles": get("OGC API - Tiles: the dataset's tile sets (the basemap)",
                       responses(ok("tile sets"))),
        "/tiles/WebMercatorQuad": get("The basemap's tile set metadata", tileset),
        "/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}": get(
            "One basemap tile", tile, ogc_tile),
        "/tiles/{layer}.json": tilejson,
        "/tiles/{layer}/tilejson.json": tilejson,
        "/tiles/{layer}/{z}/{x}/{y}.mvt": get(
            "One vector tile by XYZ numbering", tile,
            [layer, path_param("z", zoom), path_param("x", index), path_param("y", index),
             IF_NONE_MATCH]),
        "/ogc/collections/{collectionId}/tiles": get(
            "A collection's tile sets", responses(ok("tile sets"), 404), [collection]),
        "/ogc/collections/{collectionId}/tiles/WebMercatorQuad": get(
            "A collection's tile set metadata", tileset, [collection]),
        "/ogc/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/"
        "{tileCol}": get("One tile of a collection", tile, [collection, *ogc_tile]),
        "/tileMatrixSets": get("The tile matrix sets", responses(ok("list"))),
        "/tileMatrixSets/{tileMatrixSetId}": get(
            "A tile matrix set (OGC 2DTMS JSON)", responses(ok("tile matrix set"), 404),
            [path_param("tileMatrixSetId", {"type": "string", "enum": ["WebMercatorQuad"]})]),
    }


def _export_paths() -> dict[str, Any]:
    endings = [fmt.suffix.lstrip(".") for fmt in FORMATS.values()]
    names = [f"{layer}.{ending}" for layer in LAYER_TABLES for ending in endings]
    files = {fmt.media_type: {"schema": BINARY} for fmt in FORMATS.values()}
    computed = f"Needs a token of role {', '.join(COMPUTED_ROLES)}."
    paths: dict[str, Any] = {
        "/api/exports": get("What can be exported", responses(ok("layers and files"))),
        "/api/exports/{filename}": get(
            "A public layer as GeoPackage, GeoJSON, zipped Shapefile or CSV",
            responses({"description": "the file", "content": files}, 404),
            [path_param("filename", {"type": "string", "enum": names})]),
        "/api/exports/travel_time.tif": get(
            "A travel-time surface (seconds) as a Cloud-Optimized GeoTIFF. " + computed,
            responses({"description": "COG", "content": {"image/tiff": {"schema": BINARY}}},
                       400, 401, 403, 422),
            [query("lon", {"type": "number"}, "origin longitude"),
             query("lat", {"type": "number"}, "origin latitude"),
             query("mode", {"type": "string", "enum": list(MODES)}),
             query("minutes", {"type": "number", "minimum": 1, "maximum": 60}),
             query("depart_at", {"type": "string", "format": "date-time"})],
            security=[{"bearer": []}]),
    }
    for ending in endings:
        paths[f"/api/exports/station_coverage.{ending}"] = get(
            "Each station's isochrone as a polygon with area and population. " + computed,
            responses({"description": "the file", "content": files}, 400, 401, 403),
            [query("minutes", {"type": "number", "minimum": 1, "maximum": 60}),
             query("mode", {"type": "string", "enum": list(MODES)})],
            security=[{"bearer": []}])
    return paths


def _process_paths() -> dict[str, Any]:
    process_id = path_param("processId", {"type": "string", "enum": list(PROCESSES)})
    point = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    job_id = path_param("jobId", {"type": "string", "format": "uuid"})
    return {
        "/ogc/processes": get("OGC API - Processes: the processes",
                               responses(ok("process list"))),
        "/ogc/processes/{processId}": get("A process description",
                                           responses(ok("process"), 404), [process_id]),
        "/ogc/processes/{processId}/execution": {"post": {
            "summary": "Run a process: synchronously, or as a job with 'Prefer: respond-async' "
                       "(coverage, site, qc; 201 and Location). dispatch needs a dispatcher "
                       "token; coverage, site and qc an analyst's. qc takes its call log "
                       "inline, up to max_upload_bytes.",
            "parameters": [process_id,
                           {"name": "Prefer", "in": "header", "required": False,
                            "schema": {"type": "string", "enum": ["respond-async"]}}],
            "requestBody": {"required": True, "content": {JSON: {"schema": {
                "type": "object", "required": ["inputs"],
                "properties": {"inputs": {"type": "object"}}}}}},
            "responses": {**responses(
                {"description": "the output", "content": {GEOJSON: {"schema": OBJECT},
                                                          JSON: {"schema": OBJECT},
                                                          "image/tiff": {"schema": BINARY}}},
                400, 401, 403, 404, 413, 422),
                "201": ok("the job started: its status (Location: the job)")}}},
        "/ogc/jobs": get("The caller's jobs (an admin's: every job)",
                          responses(ok("job list"), 401), security=[{"bearer": []}]),
        "/ogc/jobs/{jobId}": get("A job's status and progress",
                                  responses(ok("status"), 401, 404), [job_id],
                                  security=[{"bearer": []}]),
        "/ogc/jobs/{jobId}/results": get(
            "A successful job's results: GeoJSON (coverage, site) or JSON (qc); f=html the qc "
            "report page",
            responses({"description": "the results", "content": {
                GEOJSON: {"schema": OBJECT}, JSON: {"schema": OBJECT},
                "text/html": {"schema": {"type": "string"}}}}, 400, 401, 404),
            [job_id, query("f", {"type": "string", "enum": ["json", "html"]})],
            security=[{"bearer": []}]),
        "/routes": {"post": {
            "summary": "OGC API - Routes: the fastest route between two waypoints",
            "requestBody": {"required": True, "content": {JSON: {"schema": {
                "type": "object", "required": ["waypoints"],
                "properties": {
                    "waypoints": {"type": "object", "required": ["type", "coordinates"],
                                  "properties": {"type": {"type": "string",
                                                          "enum": ["MultiPoint"]},
                                                 "coordinates": {"type": "array",
                                                                 "items": point}}},
                    "mode": {"type": "string", "enum": list(MODES)},
                    "preference": {"type": "string", "enum": ["fastest"]},
                    "depart_at": {"type": "string", "format": "date-time"},
                    "name": {"type": "string"}}}}}},
            "responses": responses(ok("route", GEOJSON), 400, 422)}},
    }


def _travel_paths() -> dict[str, Any]:
    """``/api/isochrones`` and ``/api/matrix``: their bodies are the processes' inputs."""
    def body(process_id: str) -> dict[str, Any]:
        inputs = PROCESSES[process_id].inputs
        required = [name for name, spec in inputs.items()
                    if spec.get("minOccurs", 1) and "default" not in spec["schema"]]
        schema = {"type": "object", "properties": {name: spec["schema"]
                                                   for name, spec in inputs.items()}}
        return {"required": True, "content": {JSON: {"schema": {
            **schema, **({"required": required} if required else {})}}}}

    return {
        "/api/isochrones": {"post": {
            "summary": "Isochrone bands from or to a point, or of several facilities (the "
                       "inputs of process isochrone)",
            "requestBody": body("isochrone"),
            "responses": responses(
                {"description": "the bands", "content": {GEOJSON: {"schema": OBJECT},
                                                         "image/tiff": {"schema": BINARY}}},
                400, 422)}},
        "/api/matrix": {"post": {
            "summary": "Seconds and metres from each source to each target (the inputs of "
                       "process matrix); with 'Prefer: respond-async', a job",
            "requestBody": body("matrix"),
            "responses": {**responses(ok("the matrix"), 400, 401, 422),
                          "201": ok("the job's status (asynchronous execution)")}}},
    }


def _ors_paths() -> dict[str, Any]:
    """openrouteservice v2's shapes (``api/ors.py``): the fields we read; others are ignored."""
    profile = path_param("profile", {"type": "string", "enum": list(PROFILES)})
    point = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    units = {"type": "string", "enum": list(UNIT_M)}

    def post(summary: str, required: list[str], properties: dict[str, Any],
             media_type: str = JSON) -> dict[str, Any]:
        return {"post": {"summary": summary, "parameters": [profile], "requestBody": {
            "required": True, "content": {JSON: {"schema": {
                "type": "object", "required": required, "properties": properties}}}},
            "responses": responses(ok("the answer", media_type), 400, 422)}}

    isochrones = post(
        "openrouteservice isochrones: reach from (start) or to (destination) each location",
        ["locations", "range"], {
            "locations": {"type": "array", "items": point, "minItems": 1,
                          "maxItems": MAX_ISOCHRONE_LOCATIONS},
            "range": {"type": "array", "minItems": 1, "maxItems": 10,
                      "items": {"type": "number", "minimum": 60, "maximum": 3600}},
            "interval": {"type": "number", "minimum": 60, "maximum": 3600},
            "range_type": {"type": "string", "enum": ["time"]},
            "location_type": {"type": "string", "enum": list(LOCATION_TYPES)},
            "attributes": {"type": "array", "items": {"type": "string",
                                                      "enum": list(ATTRIBUTES)}},
            "area_units": units}, GEOJSON)
    matrix = post("openrouteservice matrix: durations and distances between locations",
                  ["locations"], {
                      "locations": {"type": "array", "items": point, "minItems": 1},
                      "sources": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                      "destinations": {"type": "array",
                                       "items": {"type": "integer", "minimum": 0}},
                      "metrics": {"type": "array", "items": {
                          "type": "string", "enum": ["duration", "distance"]}},
                      "units": units})
    directions = {"coordinates": {"type": "array", "items": point, "minItems": 2,
                                  "maxItems": 50},
                  "units": units, "geometry": {"type": "boolean"},
                  "preference": {"type": "string", "enum": ["recommended", "fastest"]}}
    return {
        f"{ORS}/isochrones/{{profile}}": isochrones,
        f"{ORS}/isochrones/{{profile}}/geojson": isochrones,
        f"{ORS}/matrix/{{profile}}": matrix,
        f"{ORS}/matrix/{{profile}}/json": matrix,
        f"{ORS}/directions/{{profile}}": {
            **post("openrouteservice directions (JSON, encoded polyline)", ["coordinates"],
                   directions),
            **get("openrouteservice directions from start to end, as GeoJSON",
                   responses(ok("the route", GEOJSON), 400, 422), [
                       profile,
                       {**query("start", {"type": "string"}, "lon,lat"), "required": True},
                       {**query("end", {"type": "string"}, "lon,lat"), "required": True}])},
        f"{ORS}/directions/{{profile}}/json": post(
            "openrouteservice directions (JSON, encoded polyline)", ["coordinates"], directions),
        f"{ORS}/directions/{{profile}}/geojson": post(
            "openrouteservice directions as GeoJSON", ["coordinates"], directions, GEOJSON),
    }


def _feature_paths() -> dict[str, Any]:
    collection = path_param("collectionId", {
        "type": "string", "enum": [layer.collection for layer in FEATURE_LAYERS]})
    items = ok("features", GEOJSON)
    f = query("f", {"type": "string", "enum": ["json"]})
    return {
        "/ogc/collections/{collectionId}/items": get(
            "OGC API - Features items (pygeoapi)", responses(items, 400, 404),
            [collection, f,
             {**query("bbox", {"type": "array", "items": {"type": "number"}, "minItems": 4,
                                "maxItems": 6}, "minx,miny,maxx,maxy in CRS84"),
              "style": "form", "explode": False},
             query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
             query("offset", {"type": "integer", "minimum": 0}),
             query("datetime", {"type": "string"}),
             query("filter", {"type": "string"}, "CQL2 text"),
             query("properties", {"type": "string"}),
             query("sortby", {"type": "string"})]),
        "/ogc/collections/{collectionId}/items/{featureId}": get(
            "One feature (pygeoapi)", responses(items, 400, 404),
            [collection, f, path_param("featureId", {"type": "string"})]),
    }
