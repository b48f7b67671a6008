"""OGC API - Processes under ``/ogc/processes``: ``isochrone`` and ``route``, run synchronously.

Our own implementation rather than pygeoapi's process manager, which turns every exception
(database outages included) into a 400 carrying raw error text; here errors go through
``api/errors.py`` like everywhere else: 400 bad input, 422 no route, 503 database down.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state, params
from api.routing_service import (
    IsochroneRequest,
    RouteRequest,
    isochrone_geojson,
    isochrone_geotiff,
    route,
    route_feature,
)
from rescuecircle.errors import InvalidInput, NotFound

PREFIX = "/ogc/processes"
GEOJSON = "application/geo+json"
GEOTIFF = "image/tiff; application=geotiff"

blueprint = Blueprint("processes", __name__)

_POINT_SCHEMA = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                 "description": "[longitude, latitude] in WGS84"}
_MODE_SCHEMA = {"type": "string", "enum": ["drive", "walk", "bike"], "default": "drive"}
_DEPART_SCHEMA = {"type": "string", "format": "date-time",
                  "description": "departure time; driving times follow the hour's speed factors"}


@dataclass(frozen=True)
class Process:
    """One process: its OGC description and the function that runs it."""

    id: str
    title: str
    description: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    execute: Callable[[dict[str, Any]], ResponseReturnValue]

    def summary(self) -> dict[str, Any]:
        """The entry in the process list."""
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "version": "1.0.0", "jobControlOptions": ["sync-execute"],
            "outputTransmission": ["value"],
            "links": [
                {"rel": "self", "type": "application/json", "href": self._href()},
                {"rel": "http://www.opengis.net/def/rel/ogc/1.0/execute",
                 "type": "application/json", "href": self._href("/execution")},
            ],
        }

    def describe(self) -> dict[str, Any]:
        """The full description with input and output schemas."""
        return {**self.summary(), "inputs": self.inputs, "outputs": self.outputs}

    def _href(self, suffix: str = "") -> str:
        return f"{app_state().settings.base_url}{PREFIX}/{self.id}{suffix}"


def _run_isochrone(inputs: dict[str, Any]) -> ResponseReturnValue:
    question = IsochroneRequest.parse(inputs)
    output = inputs.get("format", "geojson")
    if output not in ("geojson", "geotiff"):
        raise InvalidInput(f"format {output!r} is unknown; use geojson or geotiff")
    state = app_state()
    network = state.networks.current()
    if output == "geotiff":
        return Response(isochrone_geotiff(network, question), mimetype=GEOTIFF)
    body = isochrone_geojson(network, question, state.networks.people(network))
    return Response(json.dumps(body), mimetype=GEOJSON)


def _run_route(inputs: dict[str, Any]) -> ResponseReturnValue:
    crs = params.crs(inputs.get("crs"))
    question = RouteRequest(
        params.to_wgs84(*params.point(inputs.get("origin"), "origin"), crs),
        params.to_wgs84(*params.point(inputs.get("destination"), "destination"), crs),
        params.mode(inputs.get("mode", "drive")),
        params.depart_at(inputs.get("depart_at")),
    )
    network = app_state().networks.current()
    feature = route_feature(network, route(network, question), question.mode)
    return Response(json.dumps(feature), mimetype=GEOJSON)


PROCESSES = {
    process.id: process
    for process in (
        Process(
            "isochrone", "Isochrone",
            "Areas reachable from a point within each number of minutes (default 5, 8, 12), "
            "by road network, as GeoJSON bands or a GeoTIFF travel-time surface.",
            inputs={
                "point": {"title": "origin", "schema": _POINT_SCHEMA},
                "mode": {"title": "travel mode", "schema": _MODE_SCHEMA},
                "minutes": {"title": "band limits", "schema": {
                    "type": "array", "items": {"type": "number", "minimum": 1, "maximum": 60},
                    "minItems": 1, "maxItems": 12, "default": [5, 8, 12]}},
                "depart_at": {"title": "departure", "schema": _DEPART_SCHEMA, "minOccurs": 0},
                "format": {"title": "output", "minOccurs": 0, "schema": {
                    "type": "string", "enum": ["geojson", "geotiff"], "default": "geojson"}},
            },
            outputs={"isochrone": {"schema": {"oneOf": [
                {"type": "object", "contentMediaType": GEOJSON},
                {"type": "string", "contentEncoding": "binary", "contentMediaType": GEOTIFF}]}}},
            execute=_run_isochrone,
        ),
        Process(
            "route", "Route",
            "The fastest route between two points by road network, as a GeoJSON Feature with "
            "duration_s and length_m.",
            inputs={
                "origin": {"title": "from", "schema": _POINT_SCHEMA},
                "destination": {"title": "to", "schema": _POINT_SCHEMA},
                "mode": {"title": "travel mode", "schema": _MODE_SCHEMA},
                "depart_at": {"title": "departure", "schema": _DEPART_SCHEMA, "minOccurs": 0},
            },
            outputs={"route": {"schema": {"type": "object", "contentMediaType": GEOJSON}}},
            execute=_run_route,
        ),
    )
}


def _process(process_id: str) -> Process:
    if process_id not in PROCESSES:
        raise NotFound(f"process {process_id!r} does not exist; see {PREFIX}")
    return PROCESSES[process_id]


@blueprint.get(PREFIX)
def list_processes() -> ResponseReturnValue:
    """The processes this server runs."""
    base = app_state().settings.base_url
    return jsonify(processes=[p.summary() for p in PROCESSES.values()],
                   links=[{"rel": "self", "type": "application/json", "href": base + PREFIX}])


@blueprint.get(f"{PREFIX}/<process_id>")
def describe_process(process_id: str) -> ResponseReturnValue:
    """One process with its inputs and outputs."""
    return jsonify(_process(process_id).describe())


@blueprint.post(f"{PREFIX}/<process_id>/execution")
def execute_process(process_id: str) -> ResponseReturnValue:
    """Run a process synchronously on ``{"inputs": {...}}`` and return its output as is."""
    process = _process(process_id)
    body = params.json_body(request.get_json(silent=True))
    inputs = body.get("inputs")
    if not isinstance(inputs, dict):
        raise InvalidInput('the request body must be {"inputs": {...}}')
    return process.execute(inputs)
