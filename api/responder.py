"""The responder's API, for a token bound to one volunteer (``rescuecircle token create --role
volunteer --volunteer ID``): ``GET /api/responder/alerts`` (long-poll with ``?wait=&since=``),
``GET /api/responder/alerts/{id}`` (one of theirs, in any state), ``POST
/api/responder/alerts/{id}/accept|decline|aed-collected|arrived`` and ``POST
/api/responder/position``. A volunteer sees only their own alerts."""

from http import HTTPStatus

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from rescuecircle.errors import Forbidden, NotFound
from services import params, responder

blueprint = Blueprint("responder", __name__)


def _me() -> int:
    """The volunteer the token speaks for."""
    volunteer_id = g.principal.volunteer_id
    if volunteer_id is None:
        raise Forbidden("this volunteer token is bound to no volunteer: create one with "
                        "`rescuecircle token create --role volunteer --volunteer ID`")
    return int(volunteer_id)


@blueprint.get("/api/responder/alerts")
@require_roles("volunteer")
def alerts() -> ResponseReturnValue:
    """The volunteer's active alerts; ``wait`` seconds (at most 30) for a change from the
    ``since`` version a previous answer gave."""
    wait_s = params.number(request.args.get("wait", 0), "wait", low=0, high=responder.MAX_WAIT_S)
    return jsonify(responder.alerts(app_state(), _me(), wait_s=wait_s,
                                    since=request.args.get("since")))


@blueprint.get("/api/responder/alerts/<int:alert_id>")
@require_roles("volunteer")
def one_alert(alert_id: int) -> ResponseReturnValue:
    """One of the volunteer's own alerts, whatever its state, with its incident's status."""
    return jsonify(responder.alert(app_state(), _me(), alert_id))


@blueprint.post("/api/responder/alerts/<int:alert_id>/<action>")
@require_roles("volunteer")
def answer(alert_id: int, action: str) -> ResponseReturnValue:
    """Accept, decline, report the AED collected or arrival."""
    name = action.replace("-", "_")
    if name not in responder.ACTIONS:
        raise NotFound(f"no action {action!r}; use accept, decline, aed-collected or arrived")
    return jsonify(responder.answer(app_state(), _me(), alert_id, name))


@blueprint.post("/api/responder/position")
@require_roles("volunteer")
def position() -> ResponseReturnValue:
    """``{"lon", "lat", "crs"?, "accuracy_m"?, "observed_at"?, "availability"?}``: stored, and
    an event with the new ETA on each incident the volunteer is on the way to."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(responder.report_position(app_state(), _me(), body)), HTTPStatus.CREATED
