"""OGC API - Processes under ``/ogc/processes``: isochrone, route, matrix, dispatch, coverage,
and the planning processes site and qc (``api/planning_processes.py``).

Processes run synchronously; ``coverage``, ``site`` and ``qc`` (city-wide, slow) and
``matrix`` (large ones must) also run as jobs when the request says ``Prefer: respond-async``
(see ``api/jobs.py``). ``dispatch`` is for dispatchers and admins, the planning ones for
analysts and admins: anyone may read their descriptions, only they may execute. ``qc`` takes
a file, so its request body may be as large as ``max_upload_bytes``; every other body stays
within ``max_request_bytes``.

Our own implementation rather than pygeoapi's process manager, which turns every exception
(database outages included) into a 400 carrying raw error text; here errors go through
``api/errors.py`` like everywhere else: 400 bad input, 422 no route, 503 database down.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state, jobs
from api import planning_processes as planning
from api.auth import require_roles
from api.dispatch import ROLES as DISPATCH_ROLES
from api.dispatch import caller
from api.public_limits import limited
from planning.layers import DEFAULT_MINUTES, LAYERS, band_geojson
from rescuecircle.errors import InvalidInput, NotFound
from routing.arrays import MODES
from routing.direction import DIRECTIONS
from services import params
from services.context import Context
from services.dispatch import MAX_BLOCKED, plan_dispatch
from services.matrix import (
    MAX_POINTS,
    MAX_SYNC_CELLS,
    METRICS,
    MatrixRequest,
    check_synchronous,
    matrix,
    matrix_json,
)
from services.planning import coverage
from services.routing import (
    MAX_FACILITIES,
    FacilitiesRequest,
    IsochroneRequest,
    RouteRequest,
    facilities_isochrone,
    facilities_surface,
    isochrone,
    isochrone_surface,
    route,
)

PREFIX = "/ogc/processes"
GEOJSON = "application/geo+json"
GEOTIFF = "image/tiff; application=geotiff"

blueprint = Blueprint("processes", __name__)

_POINT_SCHEMA = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                 "description": "[longitude, latitude] in WGS84"}
_MODE_SCHEMA = {"type": "string", "enum": list(MODES), "default": "drive"}
_DEPART_SCHEMA = {"type": "string", "format": "date-time",
                  "description": "departure time; driving times follow the hour's speed factors"}
_DIRECTION_SCHEMA = {"type": "string", "enum": list(DIRECTIONS), "default": "from",
                     "description": "from: where the points reach; to: from where they are "
                                    "reached (one-way streets taken the other way round)"}


def _points_schema(most: int) -> dict[str, Any]:
    return {"type": "array", "items": _POINT_SCHEMA, "minItems": 1, "maxItems": most}


@dataclass(frozen=True)
class Process:
    """One process: its OGC description and the function that runs it."""

    id: str
    title: str
    description: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    execute: Callable[[dict[str, Any]], ResponseReturnValue]
    roles: tuple[str, ...] = ()
    """Who may execute it; empty: everyone."""
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """For asynchronous execution: validates the inputs while the request is still open."""
    compute: jobs.Compute | None = None
    """For asynchronous execution: the work, run in a job thread; returns the result JSON."""
    upload: bool = False
    """Takes a file in its inputs: the body may be up to ``max_upload_bytes``."""

    @property
    def job_control(self) -> list[str]:
        """The OGC jobControlOptions."""
        return ["sync-execute", "async-execute"] if self.compute else ["sync-execute"]

    def summary(self) -> dict[str, Any]:
        """The entry in the process list."""
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "version": "1.0.0", "jobControlOptions": self.job_control,
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
    output = inputs.get("format", "geojson")
    if output not in ("geojson", "geotiff"):
        raise InvalidInput(f"format {output!r} is unknown; use geojson or geotiff")
    if not {"point", "points", "lon", "lat"} & set(inputs):
        raise InvalidInput("point is required (or points, for several facilities)")
    if "points" in inputs:
        if "point" in inputs:
            raise InvalidInput("give either point (one origin) or points (facilities), not both")
        facilities = FacilitiesRequest.parse(inputs)
        if output == "geotiff":
            return Response(facilities_surface(app_state(), facilities), mimetype=GEOTIFF)
        return Response(json.dumps(facilities_isochrone(app_state(), facilities)),
                        mimetype=GEOJSON)
    question = IsochroneRequest.parse(inputs)
    if output == "geotiff":
        return Response(isochrone_surface(app_state(), question), mimetype=GEOTIFF)
    return Response(json.dumps(isochrone(app_state(), question)), mimetype=GEOJSON)


def _matrix_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Validated matrix inputs, JSON-ready, for a job."""
    return MatrixRequest.parse(inputs).as_json()


def _matrix_compute(state: Context, inputs: dict[str, Any],
                    progress: jobs.Progress) -> dict[str, Any]:
    """The matrix as JSON (a job's work: seconds for 1,000 x 1,000 on a city)."""
    progress(5)
    question = MatrixRequest.parse(inputs)
    return matrix_json(question, matrix(state, question))


def _run_matrix(inputs: dict[str, Any]) -> ResponseReturnValue:
    question = check_synchronous(MatrixRequest.parse(inputs))
    return jsonify(matrix_json(question, matrix(app_state(), question)))


def _run_route(inputs: dict[str, Any]) -> ResponseReturnValue:
    crs = params.crs(inputs.get("crs"))
    question = RouteRequest(
        params.to_wgs84(*params.point(inputs.get("origin"), "origin"), crs),
        params.to_wgs84(*params.point(inputs.get("destination"), "destination"), crs),
        params.mode(inputs.get("mode", "drive")),
        params.depart_at(inputs.get("depart_at")),
    )
    return Response(json.dumps(route(app_state(), question)), mimetype=GEOJSON)


def _run_dispatch(inputs: dict[str, Any]) -> ResponseReturnValue:
    # stored like POST /api/dispatch; the process answers 200
    return jsonify(plan_dispatch(app_state(), inputs, created_by=caller()))


def _coverage_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Validated coverage inputs, JSON-ready (``at`` as ISO 8601 with its offset)."""
    layer = inputs.get("layer")
    if layer not in LAYERS:
        raise InvalidInput(f"layer {layer!r} is unknown; use one of {', '.join(LAYERS)}")
    raw = inputs.get("minutes")
    minutes = None if raw is None else params.minutes_list(raw)
    at = params.aware_time(inputs.get("at")) or app_state().now()
    return {"layer": layer, "minutes": minutes, "hour": params.hour(inputs.get("hour")),
            "at": at.isoformat()}


def _coverage_compute(state: Context, inputs: dict[str, Any],
                      progress: jobs.Progress) -> dict[str, Any]:
    """The coverage bands of one layer as GeoJSON (the slow part: seconds to minutes)."""
    progress(5)
    found = coverage(state, inputs["layer"], at=datetime.fromisoformat(inputs["at"]),
                     hour=inputs["hour"], minutes=inputs["minutes"])
    progress(90)
    return band_geojson(found.network, found.layer, found.notes)


def _run_coverage(inputs: dict[str, Any]) -> ResponseReturnValue:
    body = _coverage_compute(app_state(), _coverage_inputs(inputs), lambda _: None)
    return Response(json.dumps(body), mimetype=GEOJSON)


PROCESSES = {
    process.id: process
    for process in (
        Process(
            "isochrone", "Isochrone",
            "Areas reachable from a point (direction 'to': from which the point is reached) "
            "within each number of minutes (default 5, 8, 12), by road network, as GeoJSON "
            "bands or a GeoTIFF travel-time surface; with 'points', the union of several "
            "facilities' reach, each band cut into the parts where each facility is nearest. "
            "A band that reaches the edge of the loaded road network is 'truncated', and "
            "'notes' says so.",
            inputs={
                "point": {"title": "origin", "schema": _POINT_SCHEMA, "minOccurs": 0},
                "points": {"title": "facilities (instead of point)", "minOccurs": 0,
                           "schema": _points_schema(MAX_FACILITIES),
                           "description": "the union of their reach, one feature per band and "
                                          "facility: 'facility' (index into points) is the "
                                          "nearest one there"},
                "direction": {"title": "from or to the point(s)", "minOccurs": 0,
                              "schema": _DIRECTION_SCHEMA},
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
        Process(
            "matrix", "Travel-time and distance matrix",
            f"Seconds and metres (along the fastest path) from each source to each target by "
            f"road network, null where no route exists; up to {MAX_POINTS} sources by "
            f"{MAX_POINTS} targets. More than {MAX_SYNC_CELLS} pairs only as a job: ask with "
            "'Prefer: respond-async' and a token.",
            inputs={
                "sources": {"title": "from", "schema": _points_schema(MAX_POINTS)},
                "targets": {"title": "to", "schema": _points_schema(MAX_POINTS)},
                "mode": {"title": "travel mode", "schema": _MODE_SCHEMA},
                "metrics": {"title": "what to compute", "minOccurs": 0, "schema": {
                    "type": "array", "items": {"type": "string", "enum": list(METRICS)},
                    "minItems": 1, "maxItems": 2, "default": list(METRICS)}},
                "depart_at": {"title": "departure", "schema": _DEPART_SCHEMA, "minOccurs": 0},
            },
            outputs={"matrix": {"schema": {
                "type": "object", "contentMediaType": "application/json",
                "properties": {"durations_s": {"type": "array"},
                               "distances_m": {"type": "array"},
                               "sources": {"type": "array"}, "targets": {"type": "array"}}}}},
            execute=_run_matrix, prepare=_matrix_inputs, compute=_matrix_compute,
        ),
        Process(
            "dispatch", "Dispatch",
            "Plan the response to a cardiac arrest, as POST /api/dispatch does: ambulance, "
            "volunteers, AED runner and drone, each with routes; the plan is stored. "
            "Dispatcher and admin tokens only.",
            inputs={
                "point": {"title": "patient", "schema": _POINT_SCHEMA},
                "crs": {"title": "CRS of point", "minOccurs": 0, "schema": {
                    "type": "string", "default": "wgs84"}},
                "at": {"title": "time of the incident", "minOccurs": 0, "schema": {
                    "type": "string", "format": "date-time"}},
                "category": {"title": "incident category", "minOccurs": 0, "schema": {
                    "type": "string", "maxLength": 64}},
                "k": {"title": "volunteers to send", "minOccurs": 0, "schema": {
                    "type": "integer", "minimum": 2, "maximum": 3, "default": 3}},
                "declined": {"title": "volunteers who declined", "minOccurs": 0, "schema": {
                    "type": "array", "items": {"type": "integer"}}},
                "blocked": {"title": "points on roads reported blocked (in crs)",
                            "minOccurs": 0, "schema": {
                                "type": "array", "maxItems": MAX_BLOCKED, "items": _POINT_SCHEMA}},
            },
            outputs={"plan": {"schema": {"type": "object", "contentMediaType":
                                         "application/json"}}},
            execute=_run_dispatch, roles=DISPATCH_ROLES,
        ),
        Process(
            "coverage", "Coverage",
            "City-wide coverage of one layer (stations by car, AEDs on foot, drone pads by "
            "air, or the whole circle) in bands of minutes, with the population inside, as "
            "GeoJSON ('truncated' bands and 'notes' where a band reaches the edge of the loaded "
            "road network). Slow on a real city: ask with 'Prefer: respond-async' for a job. "
            "Analyst and admin tokens only.",
            inputs={
                "layer": {"title": "layer", "schema": {"type": "string", "enum": list(LAYERS)}},
                "minutes": {"title": "band limits", "minOccurs": 0, "schema": {
                    "type": "array", "items": {"type": "number", "minimum": 1, "maximum": 60},
                    "minItems": 1, "maxItems": 12,
                    "description": "default: " + "; ".join(
                        f"{k} {list(v)}" for k, v in DEFAULT_MINUTES.items())}},
                "hour": {"title": "hour of day (driving speeds)", "minOccurs": 0, "schema": {
                    "type": "integer", "minimum": 0, "maximum": 23}},
                "at": {"title": "AED availability at", "minOccurs": 0, "schema": {
                    "type": "string", "format": "date-time"}},
            },
            outputs={"coverage": {"schema": {"type": "object", "contentMediaType": GEOJSON}}},
            execute=_run_coverage, roles=("analyst", "admin"),
            prepare=_coverage_inputs, compute=_coverage_compute,
        ),
        Process(
            "site", "Siting",
            "Where to add stations, AEDs or drone pads (add: MCLP; cover_all: LSCP), or where "
            "to move existing AEDs (relocate), covering people, the stored incidents (calls "
            "per 250 m cell, from/to/categories) or a mix; as GET /api/planning/sites/{kind} "
            "and `rescuecircle site`. GeoJSON of the new sites ranked by what each adds "
            "(gained_people, gained_calls; moved_aed_id for a move), with the people and calls "
            "covered before and after. Slow on a real city: ask with 'Prefer: respond-async' "
            "for a job. Analyst and admin tokens only.",
            inputs=planning.SITE_SCHEMA,
            outputs={"sites": {"schema": {"type": "object", "contentMediaType": GEOJSON}}},
            execute=planning.run_site, roles=("analyst", "admin"),
            prepare=planning.site_inputs, compute=planning.site_compute,
        ),
        Process(
            "qc", "Quality control",
            "Answer, dispatch and response-time indicators of a call log (the CSV `rescuecircle "
            "qc --calls` reads, sent inline as 'calls'), or without 'calls' of the incidents "
            "stored here received from/to (as `rescuecircle qc --events`), by group, year, "
            "month and district, as JSON; a job's results also give the HTML report with "
            "?f=html. Analyst and admin tokens only.",
            inputs=planning.QC_SCHEMA,
            outputs={"report": {"schema": {"oneOf": [
                {"type": "object", "contentMediaType": "application/json"},
                {"type": "string", "contentMediaType": "text/html"}]}}},
            execute=planning.run_qc, roles=("analyst", "admin"),
            prepare=planning.qc_inputs, compute=planning.qc_compute, upload=True,
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
    """Run a process on ``{"inputs": {...}}``: synchronously, returning its output as is, or
    with ``Prefer: respond-async`` (where allowed) as a job: 201, statusInfo and Location."""
    process = _process(process_id)
    run = limited(_execute)  # counted after the role check: refused callers get 401/403
    if process.roles:
        run = require_roles(*process.roles)(run)
    return run(process)


def _execute(process: Process) -> ResponseReturnValue:
    if process.upload:
        request.max_content_length = app_state().settings.max_upload_bytes
    body = params.json_body(request.get_json(silent=True))
    inputs = body.get("inputs")
    if not isinstance(inputs, dict):
        raise InvalidInput('the request body must be {"inputs": {...}}')
    return execute_inputs(process, inputs)


def execute_inputs(process: Process, inputs: dict[str, Any]) -> ResponseReturnValue:
    """Run a process on its inputs, as a job when the request prefers and the process can."""
    if "inputs" in inputs:
        raise InvalidInput('the inputs hold "inputs": give the inputs themselves (clients '
                           'such as OWSLib wrap them in {"inputs": ...})')
    if process.compute is not None and process.prepare is not None and _wants_async():
        if g.principal is None:
            raise InvalidInput("asynchronous execution needs a token: jobs belong to tokens")
        job_id = jobs.runner().submit(process.id, process.prepare(inputs),
                                      int(g.principal.token_id), process.compute)
        return jobs.accepted(job_id)
    return process.execute(inputs)


def _wants_async() -> bool:
    """Whether the request's ``Prefer`` header asks for ``respond-async`` (RFC 7240)."""
    preferences = request.headers.get("Prefer", "").replace(";", ",").split(",")
    return any(p.strip().lower() == "respond-async" for p in preferences)
