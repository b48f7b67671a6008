"""OGC API - Routes (draft 1.0), ``POST /routes``: waypoints in, a GeoJSON route out.

Synchronous execution: the response is the route itself, a FeatureCollection with the route
overview (LineString, ``duration_s``, ``length_m``) and its start and end points. Two waypoints
are required; a ``mode`` member (drive, walk, bike) chooses the travel mode. No route is a 422.
"""

import json
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.public_limits import limited
from rescuecircle.errors import InvalidInput
from services import params
from services.routing import RouteRequest, route

blueprint = Blueprint("routes", __name__)


def _waypoints(value: Any) -> list[tuple[float, float]]:
    if not isinstance(value, dict) or value.get("type") != "MultiPoint":
        raise InvalidInput("waypoints must be a GeoJSON MultiPoint")
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) != 2:
        raise InvalidInput("waypoints must hold exactly two positions: start and end")
    return [params.point(c, f"waypoint {i + 1}") for i, c in enumerate(coordinates)]


@blueprint.post("/routes")
@limited
def compute_route() -> ResponseReturnValue:
    """Compute a route between two waypoints (``preference`` fastest is the only one)."""
    body = params.json_body(request.get_json(silent=True))
    start, end = _waypoints(body.get("waypoints"))
    preference = body.get("preference", "fastest")
    if preference != "fastest":
        raise InvalidInput(f"preference {preference!r} is not supported; use fastest")
    crs = params.crs(body.get("crs"))
    start, end = params.to_wgs84(*start, crs), params.to_wgs84(*end, crs)
    question = RouteRequest(start, end, params.mode(body.get("mode", "drive")),
                            params.depart_at(body.get("depart_at")))
    overview = route(app_state(), question)
    overview["properties"]["featureType"] = "overview"
    points = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(xy)},
         "properties": {"featureType": kind}}
        for kind, xy in (("start", start), ("end", end))
    ]
    collection = {"type": "FeatureCollection", "name": body.get("name"),
                  "status": "successful", "features": [overview, *points]}
    return Response(json.dumps(collection), mimetype="application/geo+json")
