"""Building blocks of the OpenAPI 3.0 document of ``/ogc`` (``api/ogc_openapi.py``).

Everything a document refers to is inside it (``#/components/...``), so validators and
schemathesis use it offline. Error bodies are those of ``api/errors.py`` (and of pygeoapi,
which has the same two members): ``{"code": ..., "description": ...}``.
"""

from typing import Any

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
MVT = "application/vnd.mapbox-vector-tile"
ERROR = {"$ref": "#/components/schemas/Error"}
OBJECT = {"type": "object"}
BINARY = {"type": "string", "format": "binary"}
ERROR_SCHEMA = {"type": "object", "required": ["code", "description"],
                "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}
BEARER = {"bearer": {"type": "http", "scheme": "bearer"}}
ERRORS = {400: "bad input", 401: "no or unknown token", 403: "role not allowed",
          404: "not found", 405: "method not allowed on this resource", 413: "body too large",
          422: "no route", 429: "too many computations from this address; try again later",
          503: "database unavailable"}


def responses(ok: dict[str, Any], *errors: int, ok_status: int = 200,
              error_types: tuple[str, ...] = (JSON,)) -> dict[str, Any]:
    """``ok`` as the success response, and an error body for each status in ``errors`` and
    503, in each of ``error_types``."""
    return {str(ok_status): ok, **{
        str(code): {"description": ERRORS[code],
                    "content": {media_type: {"schema": ERROR if media_type == JSON else
                                             {"type": "string"}} for media_type in error_types}}
        for code in (*errors, 503)}}


def ok(description: str, media_type: str = JSON, schema: dict[str, Any] = OBJECT,
       ) -> dict[str, Any]:
    """A success response of one media type."""
    return {"description": description, "content": {media_type: {"schema": schema}}}


def get(summary: str, answers: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
        **extra: Any) -> dict[str, Any]:
    """A path item with one GET operation."""
    return {"get": {"summary": summary, "parameters": parameters or [], "responses": answers,
                    **extra}}


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A required path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": schema}


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


VECTOR_TILE = {"description": "a Mapbox Vector Tile (empty when nothing is there)",
               "headers": {"ETag": {"schema": {"type": "string"}},
                           "Cache-Control": {"schema": {"type": "string"}}},
               "content": {MVT: {"schema": BINARY}}}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "schema": {"type": "string"}}


def tile_responses() -> dict[str, Any]:
    """A vector tile's answers: the tile, 304 when the client's copy (If-None-Match) is
    current, 404 for an unknown layer or a tile outside the tile matrix set, 503."""
    return {**responses(VECTOR_TILE, 404),
            "304": {"description": "the tile the client holds (If-None-Match) is current"}}
