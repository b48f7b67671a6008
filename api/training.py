"""The training network: ``GET /api/training-sites/nearest`` (public), ``POST
/api/training-sessions/{id}/enrolments`` (public, rate-limited like other computations),
``GET /api/training-sessions/{id}/enrolments`` and ``POST /api/enrolments/{id}/attendance``
(admins: names and phones are personal data)."""

from http import HTTPStatus

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from api.jsonable import jsonable
from api.public_limits import limited
from services import params, training

blueprint = Blueprint("training", __name__)


@blueprint.get("/api/training-sites/nearest")
@limited
def nearest() -> ResponseReturnValue:
    """``?lon=&lat=&crs=&mode=walk|drive&count=5``: the soonest reached training sites."""
    crs = params.crs(request.args.get("crs"))
    lon, lat = params.to_wgs84(
        params.number(request.args.get("lon"), "lon", low=-180, high=180),
        params.number(request.args.get("lat"), "lat", low=-90, high=90), crs)
    count = params.number(request.args.get("count", 5), "count", low=1,
                          high=training.MAX_SITES)
    return jsonify(jsonable(training.nearest_sites(
        app_state(), lon, lat, mode=request.args.get("mode", "walk"), count=int(count))))


@blueprint.post("/api/training-sessions/<int:session_id>/enrolments")
@limited  # a write: a flood of sign-ups must not fill every course
def enrol(session_id: int) -> ResponseReturnValue:
    """``{"name", "phone"}``: 201 with the enrolment, 409 when the session is full."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(training.enrol(app_state(), session_id, body)), HTTPStatus.CREATED


@blueprint.get("/api/training-sessions/<int:session_id>/enrolments")
@require_roles("admin")
def enrolments(session_id: int) -> ResponseReturnValue:
    """Who enrolled."""
    return jsonify(jsonable(training.session_enrolments(app_state(), session_id)))


@blueprint.post("/api/enrolments/<int:enrolment_id>/attendance")
@require_roles("admin")
def attendance(enrolment_id: int) -> ResponseReturnValue:
    """``{"attended", "level"?, "certificate_no"?, "expires_on"?}``."""
    body = params.json_body(request.get_json(silent=True))
    return jsonify(jsonable(training.attendance(app_state(), enrolment_id, body)))
