"""OGC API - Tiles 1.0 over the vector tiles of ``api/tiles.py``, in WebMercatorQuad only.

- The root API (landing page ``/``, conformance ``/conformance``) has *dataset* tiles: the
  basemap, at ``/tiles`` (the list), ``/tiles/WebMercatorQuad`` (its tile set metadata) and
  ``/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``; and the tile matrix set at
  ``/tileMatrixSets/WebMercatorQuad`` (OGC 2DTMS 2.0 JSON).
- Each public collection has *geodata* tiles at ``/ogc/collections/{collectionId}/tiles``,
  ``.../tiles/WebMercatorQuad`` and ``.../tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/
  {tileCol}``, linked from each collection (rel ``tilesets-vector``) and declared in
  ``/ogc/conformance`` (``api/ogc_meta.py``); the tile matrix sets are also at
  ``/ogc/tileMatrixSets``, where the landing page of ``/ogc`` links them.

Tile responses are the XYZ ones (same bytes, ETag and caching), reordered: row is y, col is x.
"""

from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from api import app_state
from api.tiles import MVT, service, tile_response
from gis.tiles import DATA_MAX_ZOOM, MAX_ZOOM, TileLayer
from rescuecircle.errors import NotFound

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
ORIGIN_M = 20037508.342789244  # half the equator in EPSG:3857
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
DATASET = "basemap"  # the root API's dataset tiles
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    # POST /routes (api/routes.py): two waypoints in, the route exchange model out.
    "http://www.opengis.net/spec/ogcapi-routes-1/1.0.0-draft.1/conf/core",
]
_JSON_TYPES = {"Number": "number", "String": "string", "Boolean": "boolean"}

blueprint = Blueprint("ogc_tiles", __name__)


@blueprint.get("/conformance")
def conformance() -> ResponseReturnValue:
    """The conformance classes of the root API (Tiles, Routes); Features are under /ogc."""
    return jsonify(conformsTo=CONFORMANCE)


@blueprint.get("/tiles")
def dataset_tilesets() -> ResponseReturnValue:
    """The dataset's tile sets (the basemap), with links to every layer's own tiles."""
    public = service().catalogue().public
    layers = [layer for name, layer in public.items() if name != DATASET]
    return jsonify(
        tilesets=[_summary(public[DATASET], "/tiles")],
        links=[_link("self", "/tiles", "application/json", "tile sets"),
               *(_link(TILESETS_VECTOR, f"/ogc/collections/{layer.name}/tiles",
                       "application/json", f"{layer.title}: tile sets") for layer in layers),
               *(_link("describedby", f"/tiles/{layer.name}.json", "application/json",
                       f"{layer.title}: TileJSON") for layer in public.values())])


@blueprint.get(f"/tiles/{TMS_ID}")
def dataset_tileset() -> ResponseReturnValue:
    """The basemap's tile set metadata."""
    return jsonify(_tileset(service().catalogue().public_layer(DATASET), "/tiles"))


@blueprint.get(f"/tiles/{TMS_ID}/<int:z>/<int:row>/<int:col>")
def dataset_tile(z: int, row: int, col: int) -> Response:
    """One basemap tile."""
    return tile_response(service().catalogue().public_layer(DATASET), z, col, row)


@blueprint.get("/ogc/collections/<collection>/tiles")
def collection_tilesets(collection: str) -> ResponseReturnValue:
    """A collection's tile sets (one: WebMercatorQuad)."""
    base = f"/ogc/collections/{collection}/tiles"
    return jsonify(tilesets=[_summary(_collection(collection), base)],
                   links=[_link("self", base, "application/json", "tile sets")])


@blueprint.get(f"/ogc/collections/<collection>/tiles/{TMS_ID}")
def collection_tileset(collection: str) -> ResponseReturnValue:
    """A collection's tile set metadata."""
    return jsonify(_tileset(_collection(collection), f"/ogc/collections/{collection}/tiles"))


@blueprint.get(f"/ogc/collections/<collection>/tiles/{TMS_ID}/<int:z>/<int:row>/<int:col>")
def collection_tile(collection: str, z: int, row: int, col: int) -> Response:
    """One tile of a collection."""
    return tile_response(_collection(collection), z, col, row)


@blueprint.get("/tileMatrixSets")
@blueprint.get("/ogc/tileMatrixSets")  # the landing page of /ogc links it there
def tile_matrix_sets() -> ResponseReturnValue:
    """The one tile matrix set served."""
    return jsonify(tileMatrixSets=[{
        "id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
        "links": [_link("self", f"/tileMatrixSets/{TMS_ID}", "application/json", TMS_ID)]}],
        links=[_link("self", "/tileMatrixSets", "application/json", "tile matrix sets")])


@blueprint.get("/tileMatrixSets/<tms_id>")
@blueprint.get("/ogc/tileMatrixSets/<tms_id>")
def tile_matrix_set(tms_id: str) -> ResponseReturnValue:
    """WebMercatorQuad as OGC 2DTMS 2.0 JSON, zooms 0 to MAX_ZOOM."""
    if tms_id != TMS_ID:
        raise NotFound(f"tile matrix set {tms_id!r} does not exist; use {TMS_ID}")
    matrices = []
    for z in range(MAX_ZOOM + 1):
        cell = 2 * ORIGIN_M / 256 / (1 << z)
        matrices.append({
            "id": str(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
            "cornerOfOrigin": "topLeft", "pointOfOrigin": [-ORIGIN_M, ORIGIN_M],
            "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1 << z, "matrixHeight": 1 << z})
    return jsonify(id=TMS_ID, title="Google Maps Compatible for the World", uri=TMS_URI,
                   crs=EPSG_3857, orderedAxes=["X", "Y"],
                   wellKnownScaleSet="http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
                   tileMatrices=matrices)


def _collection(name: str) -> TileLayer:
    """The tile layer of a public collection; the basemap is no collection."""
    if name == DATASET:
        raise NotFound(f"collection {name!r} does not exist; the basemap is at /tiles")
    return service().catalogue().public_layer(name)


def _summary(layer: TileLayer, base: str) -> dict[str, Any]:
    """A tile set as listed: what it is and its links."""
    return {
        "title": layer.title, "dataType": "vector", "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            _link("self", f"{base}/{TMS_ID}", "application/json", layer.title),
            _link(TILING_SCHEME, f"/tileMatrixSets/{TMS_ID}", "application/json", TMS_ID),
            {**_link("item", f"{base}/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", MVT,
                     f"{layer.title} tiles"), "templated": True},
            _link("describedby", f"/tiles/{layer.name}.json", "application/json", "TileJSON"),
        ],
    }


def _tileset(layer: TileLayer, base: str) -> dict[str, Any]:
    """A tile set's metadata: its layers with their properties, and the data's extent."""
    body = _summary(layer, base)
    body["description"] = layer.description
    body["layers"] = [
        {"id": v.id, "description": v.description, "dataType": "vector",
         "minTileMatrix": str(v.minzoom), "maxTileMatrix": str(DATA_MAX_ZOOM),
         "propertiesSchema": {"type": "object", "properties": {
             name: {"type": _JSON_TYPES[kind]} for name, kind in v.fields.items()}}}
        for v in layer.vector_layers]
    bounds = service().bounds()
    if bounds:
        body["boundingBox"] = {"lowerLeft": [bounds[0], bounds[1]],
                               "upperRight": [bounds[2], bounds[3]], "crs": CRS84}
    return body


def _link(rel: str, path: str, media_type: str, title: str) -> dict[str, str]:
    return {"rel": rel, "href": app_state().settings.base_url + path, "type": media_type,
            "title": title}
