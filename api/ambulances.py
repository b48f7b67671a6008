"""The ambulance fleet over HTTP, for dispatchers and admins (positions are operational data):

* ``GET /api/ambulances``: every ambulance, its station and latest position;
* ``PUT /api/ambulances/{id}/status``: ``{"status", "reason"?}``, answered with the history;
* ``PUT /api/ambulances/{id}/position``: a live position from the vehicle's AVL;
* ``GET /api/ambulances/{id}/positions?hours=24``: the vehicle's track.
"""

from http import HTTPStatus

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import actor, require_roles
from api.jsonable import jsonable
from services import fleet, params

blueprint = Blueprint("ambulances", __name__)
ROLES = ("dispatcher", "admin")


@blueprint.get("/api/ambulances")
@require_roles(*ROLES)
def list_ambulances() -> ResponseReturnValue:
    """The fleet."""
    return jsonify(ambulances=[jsonable(a) for a in fleet.ambulances(app_state())])


@blueprint.put("/api/ambulances/<int:ambulance_id>/status")
@require_roles(*ROLES)
def put_status(ambulance_id: int) -> ResponseReturnValue:
    """Change an ambulance's status."""
    body = params.json_body(request.get_json(silent=True))
    history = fleet.change_status(app_state(), ambulance_id, body, actor=actor())
    return jsonify(history=[jsonable(h) for h in history])


@blueprint.put("/api/ambulances/<int:ambulance_id>/position")
@require_roles(*ROLES)
def put_position(ambulance_id: int) -> ResponseReturnValue:
    """Store a live position; 201 with its id."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(id=fleet.report_position(app_state(), ambulance_id, body)), HTTPStatus.CREATED


@blueprint.get("/api/ambulances/<int:ambulance_id>/positions")
@require_roles(*ROLES)
def get_positions(ambulance_id: int) -> ResponseReturnValue:
    """The ambulance's track over the last ``hours`` (1-168, default 24)."""
    hours = params.number(request.args.get("hours", 24), "hours", low=1, high=168)
    return jsonify(positions=[jsonable(p) for p in fleet.track(app_state(), ambulance_id,
                                                                hours)])
