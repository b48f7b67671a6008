"""``PUT /api/volunteers/{id}/position``: a volunteer's phone reports where they are;
``POST /api/volunteers/positions``: a gateway reports many at once.

Only the volunteer's own token, the volunteer app gateway's (role ``gateway``, which relays
the phones), or a dispatcher or admin may write one; batches are for gateway, dispatcher and
admin tokens. A gateway token writes positions and reads nothing: no endpoint that returns
personal data lets it in. Positions are personal data: nothing here reads them back; dispatch
does, behind its own roles.
"""

from http import HTTPStatus

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from rescuecircle.errors import Forbidden
from services import params
from services.positions import report_volunteer_position, report_volunteer_positions

blueprint = Blueprint("positions", __name__)


def _check_self_or_dispatch(volunteer_id: int) -> None:
    principal = g.principal
    if g.role == "volunteer" and principal.volunteer_id != volunteer_id:
        raise Forbidden("a volunteer token may only report its own volunteer's position")


@blueprint.put("/api/volunteers/<int:volunteer_id>/position")
@require_roles("volunteer", "gateway", "dispatcher", "admin")
def put_position(volunteer_id: int) -> ResponseReturnValue:
    """Store a position: ``{"lon", "lat", "crs"?, "accuracy_m"?, "observed_at"?,
    "availability"?}``; 201 with the position id."""
    _check_self_or_dispatch(volunteer_id)
    body = params.json_body(request.get_json(silent=True))
    position_id = report_volunteer_position(app_state(), volunteer_id, body)
    return jsonify(id=position_id), HTTPStatus.CREATED


@blueprint.post("/api/volunteers/positions")
@require_roles("gateway", "dispatcher", "admin")
def post_positions() -> ResponseReturnValue:
    """A volunteer app gateway's batch: ``{"positions": [{"volunteer_id", "lon", "lat",
    "crs"?, "accuracy_m"?, "observed_at"?, "availability"?}, ...]}`` (up to 1,000), stored
    all together or not at all (400 naming the bad entries by index, 404 the unknown
    volunteers); 201 with the count."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(stored=report_volunteer_positions(app_state(), body)), HTTPStatus.CREATED
