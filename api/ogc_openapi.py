"""``GET /ogc/openapi``: OpenAPI 3.0 of everything under ``/ogc``, as it is served.

pygeoapi's own document documents methods we do not serve (POST on items as a CQL2 search, on
every collection), omits ours (processes, jobs, tiles, the admin writes) and refers to
schemas.opengis.net, so it cannot be resolved offline. This one is written from the same
sources the handlers use (the collections, the editable ones, the processes, the tile layers)
and is self-contained: every ``$ref`` points inside it. It lists only the methods each path
serves, and the statuses it answers: 401 and 403 where a token is needed, 429 where the public
is rate-limited (``api/public_limits.py``). pygeoapi's endpoints also answer in HTML
(``f=html``) and JSON-LD (``f=jsonld``), errors included, so those media types are listed too.
"""

from typing import Any

from api.oas import (
    BEARER,
    BINARY,
    ERROR_SCHEMA,
    GEOJSON,
    HTML,
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
from api.processes import PROCESSES
from gis.feature_edit import EDITABLE
from gis.tiles import MAX_ZOOM
from rescuecircle import __version__

JSONLD = "application/ld+json"
SCHEMA_JSON = "application/schema+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
GEOTIFF = "image/tiff; application=geotiff"
PYGEOAPI_ERRORS = (JSON, HTML, JSONLD)  # pygeoapi answers errors in the format asked for
TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]
PUBLIC_OR_TOKEN: list[dict[str, list[str]]] = [{}, {"bearer": []}]
FEATURE = {"$ref": "#/components/schemas/Feature"}


def document(base_url: str, collections: list[str], tiled: list[str]) -> dict[str, Any]:
    """The document for a server at ``base_url``: its Features ``collections`` and those of
    them with vector tiles (``tiled``)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "rescuecircle OGC API", "version": __version__,
                 "description": "OGC API - Features (reads for everyone; create, replace "
                                "and delete for admins on the editable collections), Tiles "
                                "and Processes. The rest of the server: /openapi.json.",
                 "license": {"name": "AGPL-3.0-or-later"}},
        "servers": [{"url": f"{base_url}/ogc"}],
        "paths": {**_common_paths(collections), **_item_paths(collections),
                  **_tile_paths(tiled), **_process_paths()},
        "components": {"schemas": {"Error": ERROR_SCHEMA, "Feature": _FEATURE_SCHEMA},
                       "securitySchemes": BEARER},
    }


_FEATURE_SCHEMA = {
    "type": "object", "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {"type": "object", "required": ["type", "coordinates"], "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                            "maxItems": 2}}},
        "properties": {"type": "object"}},
}


def _formats(*extra: str) -> dict[str, Any]:
    return query("f", {"type": "string", "enum": ["json", "html", *extra]},
                 "the format of the answer")


def _page(description: str, json_type: str = JSON, *extra: str) -> dict[str, Any]:
    """A pygeoapi answer: JSON (of ``json_type``) or HTML, and any ``extra`` media types."""
    return {"description": description, "content": {
        media_type: {"schema": BINARY if media_type == HTML else OBJECT}
        for media_type in (json_type, HTML, *extra)}}


def _common_paths(collections: list[str]) -> dict[str, Any]:
    collection = path_param("collectionId", {"type": "string", "enum": collections})
    return {
        "/": get("Landing page", responses(_page("links", JSON, JSONLD), 400,
                                           error_types=PYGEOAPI_ERRORS), [_formats("jsonld")]),
        "/openapi": get("This document (f=html: browsable)", responses(
            _page("OpenAPI 3.0", OPENAPI), 400, error_types=PYGEOAPI_ERRORS), [_formats()]),
        "/conformance": get("Conformance classes: Features, Tiles, Processes", responses(
            _page("conformsTo"), 400, error_types=PYGEOAPI_ERRORS), [_formats()]),
        "/collections": get("The collections, with their extents", responses(
            _page("collections", JSON, JSONLD), 400, error_types=PYGEOAPI_ERRORS),
            [_formats("jsonld")]),
        "/collections/{collectionId}": get(
            "A collection: its extent (bbox, and time span where it has time; none when it "
            "is empty) and links, to its vector tiles among them", responses(
                _page("collection", JSON, JSONLD), 400, 404, error_types=PYGEOAPI_ERRORS),
            [collection, _formats("jsonld")]),
        "/collections/{collectionId}/schema": get("The properties of a collection", responses(
            _page("JSON Schema", SCHEMA_JSON), 400, 404, error_types=PYGEOAPI_ERRORS),
            [collection, _formats()]),
        "/collections/{collectionId}/queryables": get(
            "The properties a filter may name", responses(
                _page("JSON Schema", SCHEMA_JSON), 400, 404, error_types=PYGEOAPI_ERRORS),
            [collection, _formats()]),
    }


def _item_paths(collections: list[str]) -> dict[str, Any]:
    """Per collection, since only the editable ones take writes."""
    items = _page("features", GEOJSON, JSONLD)
    search = [
        _formats("jsonld"),
        {**query("bbox", {"type": "array", "items": {"type": "number"}, "minItems": 4,
                          "maxItems": 6}, "minx,miny,maxx,maxy in CRS84"),
         "style": "form", "explode": False},
        query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
        query("offset", {"type": "integer", "minimum": 0}),
        query("datetime", {"type": "string"}, "an instant or interval (on updated_at)"),
        query("filter", {"type": "string"}, "CQL2 text"),
        query("properties", {"type": "string"}, "which properties, comma-separated"),
        query("sortby", {"type": "string"}, "properties, - before one for descending"),
    ]
    feature_id = path_param("featureId", {"type": "string"})
    paths: dict[str, Any] = {}
    for name in collections:
        many, one = f"/collections/{name}/items", f"/collections/{name}/items/{{featureId}}"
        paths[many] = get(f"Features of {name}", responses(
            items, 400, 404, error_types=PYGEOAPI_ERRORS), search)
        paths[one] = get(f"One feature of {name}", responses(
            _page("feature", GEOJSON, JSONLD), 400, 404, error_types=PYGEOAPI_ERRORS),
            [feature_id, _formats("jsonld")])
        if name in EDITABLE:
            paths[many]["post"] = _write(
                f"Add a feature to {name} (admins; OGC API - Features - Part 4)",
                [], {"description": "created", "headers": {"Location": {
                    "schema": {"type": "string"}}}, "content": {JSON: {"schema": {
                        "type": "object", "properties": {"id": {"type": "integer"}}}}}},
                201, 400)
            numbered = path_param("featureId", {"type": "integer"})
            paths[one]["put"] = _write(f"Replace a feature of {name} (admins)", [numbered],
                                       {"description": "replaced"}, 204, 400, 404, 405)
            paths[one]["delete"] = _write(f"Delete a feature of {name} (admins)", [numbered],
                                          {"description": "deleted"}, 204, 404, 405,
                                          body=False)
    return paths


def _write(summary: str, parameters: list[dict[str, Any]], done: dict[str, Any],
           status: int, *errors: int, body: bool = True) -> dict[str, Any]:
    """An admin's write, with a GeoJSON Feature in its ``body``; 401 without a token, 403
    for another role. 405 answers a featureId that is not a number: only reads serve it."""
    operation = {"summary": summary, "parameters": parameters, "security": TOKEN,
                 "responses": responses(done, *errors, 401, 403, ok_status=status)}
    if body:
        operation["requestBody"] = {"required": True, "content": {
            GEOJSON: {"schema": FEATURE}, JSON: {"schema": FEATURE}}}
    return operation


def _tile_paths(tiled: list[str]) -> dict[str, Any]:
    collection = path_param("collectionId", {"type": "string", "enum": tiled})
    index = {"type": "integer", "minimum": 0}
    tile = tile_responses()
    return {
        "/collections/{collectionId}/tiles": get(
            "A collection's vector tile sets", responses(ok("tile sets"), 404), [collection]),
        "/collections/{collectionId}/tiles/WebMercatorQuad": get(
            "A collection's tile set", responses(ok("tile set"), 404), [collection]),
        "/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}":
            get("One tile of a collection", tile, [
                collection, path_param("tileMatrix", {**index, "maximum": MAX_ZOOM}),
                path_param("tileRow", index), path_param("tileCol", index), IF_NONE_MATCH]),
        "/tileMatrixSets": get("The tiling schemes", responses(ok("tile matrix sets"))),
        "/tileMatrixSets/{tileMatrixSetId}": get(
            "A tiling scheme (OGC 2DTMS JSON)", responses(ok("tile matrix set"), 404),
            [path_param("tileMatrixSetId", {"type": "string", "enum": ["WebMercatorQuad"]})]),
    }


def _process_paths() -> dict[str, Any]:
    process_id = path_param("processId", {"type": "string", "enum": list(PROCESSES)})
    job_id = path_param("jobId", {"type": "string"})
    restricted = "; ".join(f"{p.id}: {', '.join(p.roles)}" for p in PROCESSES.values()
                           if p.roles)
    outputs = {"description": "the output", "content": {
        GEOJSON: {"schema": OBJECT}, JSON: {"schema": OBJECT}, GEOTIFF: {"schema": BINARY}}}
    execute = responses(outputs, 400, 401, 403, 404, 422, 429)
    execute["201"] = {"description": "a job was started (Prefer: respond-async)",
                      "headers": {"Location": {"schema": {"type": "string"}}},
                      "content": {JSON: {"schema": OBJECT}}}
    return {
        "/processes": get("The processes", responses(ok("process list"))),
        "/processes/{processId}": get("A process: its inputs and outputs",
                                      responses(ok("process description"), 404), [process_id]),
        "/processes/{processId}/execution": {"post": {
            "summary": "Run a process: synchronously, or as a job with Prefer: respond-async "
                       "where the process allows it. Public calls are rate-limited (429); "
                       f"some processes need a token of a role ({restricted}).",
            "parameters": [process_id, {"name": "Prefer", "in": "header", "required": False,
                                        "schema": {"type": "string",
                                                   "enum": ["respond-async", "respond-sync"]}}],
            "security": PUBLIC_OR_TOKEN,
            "requestBody": {"required": True, "content": {JSON: {"schema": {
                "type": "object", "required": ["inputs"],
                "properties": {"inputs": {"type": "object"}, "outputs": {"type": "object"},
                               "response": {"type": "string"}}}}}},
            "responses": execute}},
        "/jobs": get("The caller's jobs (every job for admins)",
                     responses(ok("job list"), 401), security=TOKEN),
        "/jobs/{jobId}": get("A job's status", responses(ok("statusInfo"), 401, 404),
                             [job_id], security=TOKEN),
        "/jobs/{jobId}/results": get("A successful job's results", responses(
            ok("the output", GEOJSON), 401, 404), [job_id], security=TOKEN),
    }

