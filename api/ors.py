"""openrouteservice-compatible endpoints under ``/ors/v2``: isochrones, matrix and directions
for the profiles driving-car, foot-walking and cycling-regular.

Point the ORS Tools plugin of QGIS, or the ``openrouteservice`` / ``routingpy`` clients, at
``http://HOST/ors`` as their base URL. Each route parses the ORS body and hands it to
``services.ors`` (or ``services.ors_directions``), which answers with our own use cases.
Clients send their key as a bare ``Authorization`` header: leave it empty (public callers,
rate-limited like every computation) or give ``Bearer TOKEN`` as the key.
"""

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.public_limits import limited
from services import ors, ors_directions, params

PREFIX = "/ors/v2"
GEOJSON = "application/geo+json"

blueprint = Blueprint("ors", __name__)


@blueprint.post(f"{PREFIX}/isochrones/<profile>")
@blueprint.post(f"{PREFIX}/isochrones/<profile>/geojson")
@limited
def isochrones(profile: str) -> ResponseReturnValue:
    """Reachability from (``location_type`` start) or to (destination) each location."""
    body = params.json_body(request.get_json(silent=True))
    response = jsonify(ors.isochrones(app_state(), profile, body))
    response.mimetype = GEOJSON
    return response


@blueprint.post(f"{PREFIX}/matrix/<profile>")
@blueprint.post(f"{PREFIX}/matrix/<profile>/json")
@limited
def matrix(profile: str) -> ResponseReturnValue:
    """Durations and distances between locations."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(ors.matrix_answer(app_state(), profile, body))


@blueprint.post(f"{PREFIX}/directions/<profile>")
@blueprint.post(f"{PREFIX}/directions/<profile>/json")
@limited
def directions_json(profile: str) -> ResponseReturnValue:
    """The route through the coordinates, its geometry an encoded polyline."""
    body = params.json_body(request.get_json(silent=True))
    found = ors_directions.directions(app_state(), profile, body)
    return jsonify(ors_directions.as_json(found, body))


@blueprint.post(f"{PREFIX}/directions/<profile>/geojson")
@limited
def directions_geojson(profile: str) -> ResponseReturnValue:
    """The route through the coordinates as a GeoJSON FeatureCollection."""
    body = params.json_body(request.get_json(silent=True))
    return _geojson(ors_directions.as_geojson(
        ors_directions.directions(app_state(), profile, body)))


@blueprint.get(f"{PREFIX}/directions/<profile>")
@limited
def directions_get(profile: str) -> ResponseReturnValue:
    """``?start=lon,lat&end=lon,lat``: the route as GeoJSON, as ORS's GET answers."""
    body = {"coordinates": [list(params.point((request.args.get(name) or "").split(","), name))
                            for name in ("start", "end")]}
    return _geojson(ors_directions.as_geojson(
        ors_directions.directions(app_state(), profile, body)))


def _geojson(body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.mimetype = GEOJSON
    return response
