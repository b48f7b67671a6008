"""Vector tiles over HTTP: XYZ URLs and TileJSON (OGC API - Tiles is in ``api/ogc_tiles.py``).

``/tiles/{layer}/{z}/{x}/{y}.mvt`` serves the same tiles as the OGC paths. Every tile carries a
weak ``ETag`` (see ``gis.tiles``: it changes with the layer's data and the tile SQL) and
``Cache-Control: public, max-age`` (30 s for AEDs, whose status matters, up to an hour for
roads); ``If-None-Match`` with the current tag answers 304 after one small query. Tiles and
their metadata are public, like the layers (the rows of ``rc.tile_layer`` marked public; any
other name is a 404). A tile outside the tile matrix set is a 404, as OGC API - Tiles asks.
"""

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine

from api import app_state
from gis.tiles import DATA_MAX_ZOOM, TileLayer, TileService

EXTENSION_KEY = "rescuecircle.tiles"
MVT = "application/vnd.mapbox-vector-tile"

blueprint = Blueprint("tiles", __name__)


def init_app(app: Flask, engine: Engine) -> None:
    """Give the app its tile service (with its cache) and the XYZ routes."""
    app.extensions[EXTENSION_KEY] = TileService(engine)
    app.register_blueprint(blueprint)


def service() -> TileService:
    """The app's tile service."""
    tiles: TileService = current_app.extensions[EXTENSION_KEY]
    return tiles


@blueprint.get("/tiles/<layer>/<int:z>/<int:x>/<int:y>.mvt")
def xyz_tile(layer: str, z: int, x: int, y: int) -> Response:
    """One tile of ``layer`` by XYZ (slippy map) numbering."""
    return tile_response(service().catalogue().public_layer(layer), z, x, y)


def tile_response(layer: TileLayer, z: int, x: int, y: int, *, public: bool = True) -> Response:
    """Tile z/x/y of ``layer`` with its ETag and Cache-Control, or a 304 when the client's
    If-None-Match names the current tag; a tile behind a role is cached by the browser only."""
    tile = service().fetch(layer, z, x, y, is_current=request.if_none_match.contains_weak)
    response = Response(tile.data, status=200 if tile.data is not None else 304, mimetype=MVT)
    response.set_etag(tile.tag, weak=True)
    if public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.cache_control.max_age = layer.max_age_s
    return response


@blueprint.get("/tiles/<layer>.json")
@blueprint.get("/tiles/<layer>/tilejson.json")
def tilejson(layer: str) -> ResponseReturnValue:
    """TileJSON 3.0.0 for MapLibre, Leaflet plugins and QGIS."""
    found = service().catalogue().public_layer(layer)
    base = app_state().settings.base_url
    bounds = service().bounds()
    body: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": found.name,
        "description": f"{found.title}: {found.description}",
        "version": "1.0.0",
        "attribution": "rescuecircle; roads (c) OpenStreetMap contributors, ODbL",
        "scheme": "xyz",
        "tiles": [f"{base}/tiles/{found.name}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": 0,
        "maxzoom": DATA_MAX_ZOOM,
        "bounds": list(bounds) if bounds else [-180, -85.05113, 180, 85.05113],
        "vector_layers": [
            {"id": v.id, "description": v.description, "fields": v.fields,
             "minzoom": v.minzoom, "maxzoom": DATA_MAX_ZOOM} for v in found.vector_layers],
    }
    if bounds:
        body["center"] = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 12]
    return jsonify(body)
