"""``POST /api/dispatch``, ``GET /api/dispatch/{id}`` and ``POST /api/dispatch/{id}/replan``.

Dispatcher and admin roles only: plans hold volunteers' positions. The use cases are
:mod:`services.dispatch`; the caller's role and token label go into the audit.
"""

from http import HTTPStatus

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from services import params
from services.dispatch import plan_dispatch, replan_dispatch, stored_dispatch

blueprint = Blueprint("dispatch", __name__)
ROLES = ("dispatcher", "admin")


def caller() -> str:
    """Who asked, as the audit records it: the role, and the token's label when it has one."""
    label = g.principal.label if g.principal else None
    return f"{g.role}:{label}" if label else str(g.role)


@blueprint.post("/api/dispatch")
@require_roles(*ROLES)
def create_dispatch() -> ResponseReturnValue:
    """Plan the response to an incident: ``{"point": [lon, lat], "crs"?, "at"?, "k"?}``."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(plan_dispatch(app_state(), body, created_by=caller())), HTTPStatus.CREATED


@blueprint.get("/api/dispatch/<int:dispatch_id>")
@require_roles(*ROLES)
def get_dispatch(dispatch_id: int) -> ResponseReturnValue:
    """A stored plan with its inputs, candidates and timings."""
    return jsonify(stored_dispatch(app_state(), dispatch_id))


@blueprint.post("/api/dispatch/<int:dispatch_id>/replan")
@require_roles(*ROLES)
def replan(dispatch_id: int) -> ResponseReturnValue:
    """Plan again: ``{"declined": [volunteer ids], "blocked": [[lon, lat], ...], "crs"?}``."""
    body = params.json_body(request.get_json(silent=True))
    planned = replan_dispatch(app_state(), dispatch_id, body, created_by=caller())
    return jsonify(planned), HTTPStatus.CREATED
