"""``PUT /api/volunteers/{id}/position``: a volunteer's phone reports where they are.

Only the volunteer's own token, or a dispatcher or admin, may write it. Positions are personal
data: nothing here reads them back; dispatch does, behind its own roles.
"""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from gis.positions import record_position
from rescuecircle.errors import Forbidden, InvalidInput
from services import params

blueprint = Blueprint("positions", __name__)
AVAILABILITY = ("available", "busy", "off_duty")
MAX_AGE = timedelta(hours=24)
MAX_AHEAD = timedelta(minutes=5)


def _check_self_or_dispatch(volunteer_id: int) -> None:
    principal = g.principal
    if g.role == "volunteer" and principal.volunteer_id != volunteer_id:
        raise Forbidden("a volunteer token may only report its own volunteer's position")


@blueprint.put("/api/volunteers/<int:volunteer_id>/position")
@require_roles("volunteer", "dispatcher", "admin")
def put_position(volunteer_id: int) -> ResponseReturnValue:
    """Store a position: ``{"lon", "lat", "crs"?, "accuracy_m"?, "observed_at"?,
    "availability"?}``; 201 with the position id."""
    _check_self_or_dispatch(volunteer_id)
    body = params.json_body(request.get_json(silent=True))
    crs = params.crs(body.get("crs"))
    lon, lat = params.to_wgs84(
        params.number(body.get("lon"), "lon", low=-180, high=180),
        params.number(body.get("lat"), "lat", low=-90, high=90), crs)
    accuracy = body.get("accuracy_m")
    accuracy_m = None if accuracy is None else params.number(
        accuracy, "accuracy_m", low=0, high=10_000)
    observed_at = params.aware_time(body.get("observed_at"), "observed_at")
    if observed_at is not None:
        now = datetime.now(UTC)
        if not now - MAX_AGE <= observed_at <= now + MAX_AHEAD:
            raise InvalidInput("observed_at must lie within the last 24 hours")
    availability = body.get("availability")
    if availability is not None and availability not in AVAILABILITY:
        raise InvalidInput(f"availability {availability!r} is unknown; use one of "
                           f"{', '.join(AVAILABILITY)}")
    position_id = record_position(
        app_state().engine, volunteer_id, lon=lon, lat=lat, accuracy_m=accuracy_m,
        observed_at=observed_at, availability=availability)
    return jsonify(id=position_id), HTTPStatus.CREATED
