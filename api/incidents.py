"""Incidents for dispatchers: ``GET /api/incidents`` (the open ones), ``GET
/api/incidents/{id}``, ``GET /api/incidents/{id}/events`` (Server-Sent Events, resumable with
``Last-Event-ID``; JSON with ``?f=json``) and ``POST /api/incidents/{id}/close``.

The event stream sends each event as ``id: <number>`` and ``data: <JSON>``; it ends after the
incident's ``closed`` event, or after MAX_STREAM_S, when the client reconnects with the last
number it saw and misses nothing (numbers follow commit order, see rc.incident_event_add).
"""

import json
import time
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import actor, require_roles
from api.jsonable import jsonable
from rescuecircle.errors import InvalidInput
from services import incidents, params
from services.context import Context

blueprint = Blueprint("incidents", __name__)
ROLES = ("dispatcher", "admin")
POLL_S = 0.25
KEEPALIVE_S = 15.0
MAX_STREAM_S = 300.0


@blueprint.get("/api/incidents")
@require_roles(*ROLES)
def open_incidents() -> ResponseReturnValue:
    """The open incidents, newest first."""
    return jsonify(jsonable(incidents.open_incidents(app_state())))


@blueprint.get("/api/incidents/<int:incident_id>")
@require_roles(*ROLES)
def one(incident_id: int) -> ResponseReturnValue:
    """One incident with its units, alerts and newest plan id."""
    return jsonify(jsonable(incidents.incident(app_state(), incident_id)))


@blueprint.post("/api/incidents/<int:incident_id>/close")
@require_roles(*ROLES)
def close(incident_id: int) -> ResponseReturnValue:
    """``{"outcome", "rosc"?, "at"?}``: close it and free everyone on it."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(jsonable(incidents.close_incident(app_state(), incident_id, body,
                                                     actor=actor())))


@blueprint.get("/api/incidents/<int:incident_id>/events")
@require_roles(*ROLES)
def events(incident_id: int) -> ResponseReturnValue:
    """The incident's events after ``Last-Event-ID`` (or ``?after=``), live."""
    after = _after()
    state = app_state()
    first = incidents.events(state, incident_id, after)     # NotFound before streaming
    if request.args.get("f") == "json":
        return jsonify(jsonable(first))
    return Response(_stream(state, incident_id, after, first), HTTPStatus.OK,
                    mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _after() -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    try:
        after = int(raw)
    except ValueError:
        raise InvalidInput(f"Last-Event-ID (or after) {raw!r} must be an event number") from None
    if after < 0:
        raise InvalidInput(f"Last-Event-ID (or after) {after} must be 0 or more")
    return after


def _stream(state: Context, incident_id: int, after: int,
            batch: list[dict[str, Any]]) -> Iterator[str]:
    """Events as they commit, until the incident closes or MAX_STREAM_S have passed."""
    yield "retry: 1000\n\n"
    started = quiet_since = time.monotonic()
    while True:
        for event in batch:
            after = event["seq"]
            yield f"id: {after}\ndata: {json.dumps(jsonable(event))}\n\n"
            if event["kind"] == "closed":
                return
        now = time.monotonic()
        if batch:
            quiet_since = now
        elif now - quiet_since >= KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet_since = now
        if now - started >= MAX_STREAM_S:
            return
        if not batch:
            if not incidents.is_open(state, incident_id):
                return                            # closed, and its last event already sent
            time.sleep(POLL_S)
        batch = incidents.events(state, incident_id, after)
