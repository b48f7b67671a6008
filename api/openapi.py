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

JSON = "application/json"
GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
ERROR = {"$ref": "#/components/schemas/Error"}
OBJECT = {"type": "object"}
BINARY = {"type": "string", "format": "binary"}


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
            "schemas": {"Error": {"type": "object", "required": ["code", "description"],
                                  "properties": {"code": {"type": "string"},
                                                 "description": {"type": "string"}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    """``ok`` as the 200 response, and JSON error bodies for each status in ``errors``."""
    descriptions = {400: "bad input", 401: "no or unknown token", 403: "role not allowed",
                    404: "not found", 413: "request body too large", 422: "no route",
                    503: "database unavailable"}
    return {"200": ok, **{str(code): {"description": descriptions[code],
                                      "content": {JSON: {"schema": ERROR}}}
                          for code in (*errors, 503)}}


def _ok(description: str, media_type: str = JSON, schema: dict[str, Any] = OBJECT,
        ) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def _get(summary: str, responses: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters or [], "responses": responses,
                    **extra}}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _service_paths() -> dict[str, Any]:
    return {
        "/": _get("Landing page: links to everything this server offers",
                  _responses(_ok("links"))),
        "/health": _get("Database, PostGIS, pgRouting and network status",
                        {"200": _ok("ready"), "503": _ok("not ready")}),
        "/conformance": _get("OGC conformance classes of the root API (Tiles)",
                             _responses(_ok("conformsTo"))),
        "/openapi.json": _get("This document", _responses(_ok("OpenAPI 3.0"))),
        "/api/whoami": _get("The caller's role", _responses(_ok("role and label"), 401),
                            security=[{}, {"bearer": []}]),
        "/api/places": _get(
            "Streets and named facilities whose name or address holds q, best first",
            _responses(_ok("GeoJSON FeatureCollection of places"), 400), [
                {**_query("q", {"type": "string", "minLength": 2, "maxLength": 100},
                          "part of a street or place name"), "required": True},
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 20}),
                _query("lon", {"type": "number", "minimum": -180, "maximum": 180},
                       "where the map is: nearer places first"),
                _query("lat", {"type": "number", "minimum": -90, "maximum": 90}),
                _query("crs", {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]})]),
    }


def _tile_paths(tile_layers: list[str]) -> dict[str, Any]:
    layer = _path_param("layer", {"type": "string", "enum": tile_layers})
    collection = _path_param("collectionId", {
        "type": "string", "enum": [name for name in tile_layers if name != DATASET]})
    zoom = {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM}
    index = {"type": "integer", "minimum": 0}
    etag = {"name": "If-None-Match", "in": "header", "required": False,
            "schema": {"type": "string"}}
    ogc_tile = [_path_param("tileMatrix", zoom), _path_param("tileRow", index),
                _path_param("tileCol", index), etag]
    tile = {
        "200": {"description": "a Mapbox Vector Tile (empty when nothing is there)",
                "headers": {"ETag": {"schema": {"type": "string"}},
                            "Cache-Control": {"schema": {"type": "string"}}},
                "content": {MVT: {"schema": BINARY}}},
        "304": {"description": "the tile the client holds (If-None-Match) is current"},
        "404": {"description": "unknown layer, or a tile outside the tile matrix set",
                "content": {JSON: {"schema": ERROR}}},
        "503": {"description": "database unavailable", "content": {JSON: {"schema": ERROR}}},
    }
    tilejson = _get("TileJSON 3.0.0", _responses(_ok("TileJSON"), 404), [layer])
    tileset = _responses(_ok("tile set metadata"), 404)
    return {
        "/tiles": _get("OGC API - Tiles: the dataset's tile sets (the basemap)",
                       _responses(_ok("tile sets"))),
        "/tiles/WebMercatorQuad": _get("The basemap's tile set metadata", tileset),
        "/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}": _get(
            "One basemap tile", tile, ogc_tile),
        "/tiles/{layer}.json": tilejson,
        "/tiles/{layer}/tilejson.json": tilejson,
        "/tiles/{layer}/{z}/{x}/{y}.mvt": _get(
            "One vector tile by XYZ numbering", tile,
            [layer, _path_param("z", zoom), _path_param("x", index), _path_param("y", index),
             etag]),
        "/ogc/collections/{collectionId}/tiles": _get(
            "A collection's tile sets", _responses(_ok("tile sets"), 404), [collection]),
        "/ogc/collections/{collectionId}/tiles/WebMercatorQuad": _get(
            "A collection's tile set metadata", tileset, [collection]),
        "/ogc/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/"
        "{tileCol}": _get("One tile of a collection", tile, [collection, *ogc_tile]),
        "/tileMatrixSets": _get("The tile matrix sets", _responses(_ok("list"))),
        "/tileMatrixSets/{tileMatrixSetId}": _get(
            "A tile matrix set (OGC 2DTMS JSON)", _responses(_ok("tile matrix set"), 404),
            [_path_param("tileMatrixSetId", {"type": "string", "enum": ["WebMercatorQuad"]})]),
    }


def _export_paths() -> dict[str, Any]:
    endings = [fmt.suffix.lstrip(".") for fmt in FORMATS.values()]
    names = [f"{layer}.{ending}" for layer in LAYER_TABLES for ending in endings]
    files = {fmt.media_type: {"schema": BINARY} for fmt in FORMATS.values()}
    computed = f"Needs a token of role {', '.join(COMPUTED_ROLES)}."
    paths: dict[str, Any] = {
        "/api/exports": _get("What can be exported", _responses(_ok("layers and files"))),
        "/api/exports/{filename}": _get(
            "A public layer as GeoPackage, GeoJSON, zipped Shapefile or CSV",
            _responses({"description": "the file", "content": files}, 404),
            [_path_param("filename", {"type": "string", "enum": names})]),
        "/api/exports/travel_time.tif": _get(
            "A travel-time surface (seconds) as a Cloud-Optimized GeoTIFF. " + computed,
            _responses({"description": "COG", "content": {"image/tiff": {"schema": BINARY}}},
                       400, 401, 403, 422),
            [_query("lon", {"type": "number"}, "origin longitude"),
             _query("lat", {"type": "number"}, "origin latitude"),
             _query("mode", {"type": "string", "enum": list(MODES)}),
             _query("minutes", {"type": "number", "minimum": 1, "maximum": 60}),
             _query("depart_at", {"type": "string", "format": "date-time"})],
            security=[{"bearer": []}]),
    }
    for ending in endings:
        paths[f"/api/exports/station_coverage.{ending}"] = _get(
            "Each station's isochrone as a polygon with area and population. " + computed,
            _responses({"description": "the file", "content": files}, 400, 401, 403),
            [_query("minutes", {"type": "number", "minimum": 1, "maximum": 60}),
             _query("mode", {"type": "string", "enum": list(MODES)})],
            security=[{"bearer": []}])
    return paths


def _process_paths() -> dict[str, Any]:
    process_id = _path_param("processId", {"type": "string", "enum": list(PROCESSES)})
    point = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    job_id = _path_param("jobId", {"type": "string", "format": "uuid"})
    return {
        "/ogc/processes": _get("OGC API - Processes: the processes",
                               _responses(_ok("process list"))),
        "/ogc/processes/{processId}": _get("A process description",
                                           _responses(_ok("process"), 404), [process_id]),
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
            "responses": {**_responses(
                {"description": "the output", "content": {GEOJSON: {"schema": OBJECT},
                                                          JSON: {"schema": OBJECT},
                                                          "image/tiff": {"schema": BINARY}}},
                400, 401, 403, 404, 413, 422),
                "201": _ok("the job started: its status (Location: the job)")}}},
        "/ogc/jobs": _get("The caller's jobs (an admin's: every job)",
                          _responses(_ok("job list"), 401), security=[{"bearer": []}]),
        "/ogc/jobs/{jobId}": _get("A job's status and progress",
                                  _responses(_ok("status"), 401, 404), [job_id],
                                  security=[{"bearer": []}]),
        "/ogc/jobs/{jobId}/results": _get(
            "A successful job's results: GeoJSON (coverage, site) or JSON (qc); f=html the qc "
            "report page",
            _responses({"description": "the results", "content": {
                GEOJSON: {"schema": OBJECT}, JSON: {"schema": OBJECT},
                "text/html": {"schema": {"type": "string"}}}}, 400, 401, 404),
            [job_id, _query("f", {"type": "string", "enum": ["json", "html"]})],
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
            "responses": _responses(_ok("route", GEOJSON), 400, 422)}},
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
            "responses": _responses(
                {"description": "the bands", "content": {GEOJSON: {"schema": OBJECT},
                                                         "image/tiff": {"schema": BINARY}}},
                400, 422)}},
        "/api/matrix": {"post": {
            "summary": "Seconds and metres from each source to each target (the inputs of "
                       "process matrix); with 'Prefer: respond-async', a job",
            "requestBody": body("matrix"),
            "responses": {**_responses(_ok("the matrix"), 400, 401, 422),
                          "201": _ok("the job's status (asynchronous execution)")}}},
    }


def _ors_paths() -> dict[str, Any]:
    """openrouteservice v2's shapes (``api/ors.py``): the fields we read; others are ignored."""
    profile = _path_param("profile", {"type": "string", "enum": list(PROFILES)})
    point = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    units = {"type": "string", "enum": list(UNIT_M)}

    def post(summary: str, required: list[str], properties: dict[str, Any],
             media_type: str = JSON) -> dict[str, Any]:
        return {"post": {"summary": summary, "parameters": [profile], "requestBody": {
            "required": True, "content": {JSON: {"schema": {
                "type": "object", "required": required, "properties": properties}}}},
            "responses": _responses(_ok("the answer", media_type), 400, 422)}}

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
            **_get("openrouteservice directions from start to end, as GeoJSON",
                   _responses(_ok("the route", GEOJSON), 400, 422), [
                       profile,
                       {**_query("start", {"type": "string"}, "lon,lat"), "required": True},
                       {**_query("end", {"type": "string"}, "lon,lat"), "required": True}])},
        f"{ORS}/directions/{{profile}}/json": post(
            "openrouteservice directions (JSON, encoded polyline)", ["coordinates"], directions),
        f"{ORS}/directions/{{profile}}/geojson": post(
            "openrouteservice directions as GeoJSON", ["coordinates"], directions, GEOJSON),
    }


def _feature_paths() -> dict[str, Any]:
    collection = _path_param("collectionId", {
        "type": "string", "enum": [layer.collection for layer in FEATURE_LAYERS]})
    items = _ok("features", GEOJSON)
    f = _query("f", {"type": "string", "enum": ["json"]})
    return {
        "/ogc/collections/{collectionId}/items": _get(
            "OGC API - Features items (pygeoapi)", _responses(items, 400, 404),
            [collection, f,
             {**_query("bbox", {"type": "array", "items": {"type": "number"}, "minItems": 4,
                                "maxItems": 6}, "minx,miny,maxx,maxy in CRS84"),
              "style": "form", "explode": False},
             _query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
             _query("offset", {"type": "integer", "minimum": 0}),
             _query("datetime", {"type": "string"}),
             _query("filter", {"type": "string"}, "CQL2 text"),
             _query("properties", {"type": "string"}),
             _query("sortby", {"type": "string"})]),
        "/ogc/collections/{collectionId}/items/{featureId}": _get(
            "One feature (pygeoapi)", _responses(items, 400, 404),
            [collection, f, _path_param("featureId", {"type": "string"})]),
    }
