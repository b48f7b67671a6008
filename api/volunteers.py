"""The volunteer registry over HTTP, and training sites' public schedules.

Volunteer data is personal: every volunteer endpoint needs a dispatcher or admin token (the
emergency centre), except that a volunteer's own token may read its own record. Never public,
never analyst. Training sessions are public (``GET /api/training-sites/{id}/sessions``), and
anyone may apply to volunteer (``POST /api/volunteers/apply``, rate-limited).
"""

from datetime import datetime
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import actor, require_roles
from api.jsonable import jsonable
from api.rate_limit import RateLimiter
from formats.photos import clean_photo
from gis import volunteers
from gis.volunteers import PromotionRules, Registration, Service, Session, Training
from rescuecircle.errors import Forbidden, InvalidInput
from services import params
from services.context import Context

blueprint = Blueprint("volunteers", __name__)
CENTRE = ("dispatcher", "admin")


def _required_text(body: dict[str, Any], name: str, *, limit: int = 200) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(f"{name} must be a non-empty text of at most {limit} characters")
    return value.strip()


def _optional_text(body: dict[str, Any], name: str, *, limit: int = 200) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{name} must be a text of at most {limit} characters")
    return value.strip() or None


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidInput(f"{name} must be an integer")
    return value


def _time(value: Any, name: str) -> datetime:
    parsed = params.aware_time(value, name)
    if parsed is None:
        raise InvalidInput(f"{name} is required: an ISO 8601 date-time with its UTC offset")
    return parsed


def _rules() -> PromotionRules:
    s = app_state().settings
    return PromotionRules(s.promote_junior_rescues, s.promote_junior_service_h,
                          s.promote_senior_rescues, s.promote_senior_service_h)


@blueprint.post("/api/volunteers")
@require_roles(*CENTRE)
def register() -> ResponseReturnValue:
    """``{"name", "phone"?, "level"?, "certificate_no"?, "certified_until"?}``: a pending
    registration; 201 with its id."""
    body = params.json_body(request.get_json(silent=True))
    registration = Registration(
        name=_required_text(body, "name"), phone=_optional_text(body, "phone", limit=40),
        level=str(body.get("level", "emergency_responder")),
        certificate_no=_optional_text(body, "certificate_no", limit=80),
        certified_until=params.day(body.get("certified_until"), "certified_until"))
    volunteer_id = volunteers.register(app_state().engine, registration)
    return jsonify(id=volunteer_id, status="pending"), HTTPStatus.CREATED


def create_application_blueprint(state: Context) -> Blueprint:
    """``POST /api/volunteers/apply``: anyone applies (multipart form: ``name``, ``phone``,
    ``level`` sought, ``certificate_no``, ``certified_until``, a ``certificate_photo``), at
    most ``RC_REPORT_LIMIT_PER_HOUR`` per address; the application waits for approval."""
    applications = Blueprint("volunteer_applications", __name__)
    limit = RateLimiter(state.engine, "volunteer_applications",
                        state.settings.report_limit_per_hour, window_s=3600)

    @applications.post("/api/volunteers/apply")
    def apply() -> ResponseReturnValue:
        if g.role == "public":
            limit.hit(request.remote_addr or "unknown")
        form = {key: str(value) for key, value in request.form.items()}
        upload = request.files.get("certificate_photo")
        registration = Registration(
            name=_required_text(form, "name"), phone=_required_text(form, "phone", limit=40),
            level=form.get("level") or "emergency_responder",
            certificate_no=_optional_text(form, "certificate_no", limit=80),
            certified_until=params.day(form.get("certified_until"), "certified_until"))
        photo = clean_photo(upload.read()) if upload else None
        volunteer_id = volunteers.register(app_state().engine, registration,
                                           certificate_photo=photo, source="application")
        return jsonify(id=volunteer_id, status="pending"), HTTPStatus.CREATED

    return applications


@blueprint.get("/api/volunteers/<int:volunteer_id>/certificate-photo")
@require_roles(*CENTRE)
def certificate_photo(volunteer_id: int) -> ResponseReturnValue:
    """The photo of the certificate an applicant sent."""
    data, media_type = volunteers.certificate_photo(app_state().engine, volunteer_id)
    return Response(data, mimetype=media_type, headers={"Cache-Control": "no-store"})


@blueprint.get("/api/volunteers")
@require_roles(*CENTRE)
def listing() -> ResponseReturnValue:
    """Every volunteer, or those of ``status`` (pending, active, suspended)."""
    return jsonify(jsonable(volunteers.listing(app_state().engine, request.args.get("status"))))


@blueprint.get("/api/volunteers/<int:volunteer_id>")
@require_roles("volunteer", *CENTRE)
def one(volunteer_id: int) -> ResponseReturnValue:
    """One volunteer with training records and service totals (a volunteer: only itself)."""
    if g.role == "volunteer" and g.principal.volunteer_id != volunteer_id:
        raise Forbidden("a volunteer token may read only its own volunteer's record")
    return jsonify(jsonable(volunteers.get(app_state().engine, volunteer_id)))


@blueprint.post("/api/volunteers/<int:volunteer_id>/status")
@require_roles(*CENTRE)
def set_status(volunteer_id: int) -> ResponseReturnValue:
    """``{"status": "active"|"suspended", "reason"?}``: approve, suspend or reinstate."""
    body = params.json_body(request.get_json(silent=True))
    result = volunteers.set_status(app_state().engine, volunteer_id, str(body.get("status")),
                                   reason=_optional_text(body, "reason", limit=500),
                                   actor=actor())
    return jsonify(jsonable(result))


@blueprint.post("/api/volunteers/<int:volunteer_id>/training")
@require_roles(*CENTRE)
def add_training(volunteer_id: int) -> ResponseReturnValue:
    """``{"course", "completed_on", "level"?, "expires_on"?, "certificate_no"?,
    "training_site_id"?}``; 201 with the record id."""
    body = params.json_body(request.get_json(silent=True))
    completed_on = params.day(body.get("completed_on"), "completed_on")
    if completed_on is None:
        raise InvalidInput("completed_on is required (YYYY-MM-DD)")
    training = Training(
        course=_required_text(body, "course"), completed_on=completed_on,
        level=_optional_text(body, "level"),
        expires_on=params.day(body.get("expires_on"), "expires_on"),
        certificate_no=_optional_text(body, "certificate_no", limit=80),
        training_site_id=_optional_int(body, "training_site_id"))
    record_id = volunteers.add_training(app_state().engine, volunteer_id, training)
    return jsonify(id=record_id), HTTPStatus.CREATED


@blueprint.post("/api/volunteers/<int:volunteer_id>/service")
@require_roles(*CENTRE)
def add_service(volunteer_id: int) -> ResponseReturnValue:
    """``{"kind": "rescue"|"duty"|"training_given", "started_at", "duration_min",
    "incident_id"?, "note"?}``; 201 with the record id."""
    body = params.json_body(request.get_json(silent=True))
    service = Service(
        kind=str(body.get("kind")), started_at=_time(body.get("started_at"), "started_at"),
        duration_min=int(params.number(body.get("duration_min"), "duration_min",
                                        low=0, high=1440)),
        incident_id=_optional_int(body, "incident_id"),
        note=_optional_text(body, "note", limit=500))
    record_id = volunteers.add_service(app_state().engine, volunteer_id, service)
    return jsonify(id=record_id), HTTPStatus.CREATED


@blueprint.get("/api/volunteers/promotions")
@require_roles(*CENTRE)
def promotions_due() -> ResponseReturnValue:
    """Promotions the service records earn under the configured thresholds."""
    with app_state().engine.connect() as conn:
        return jsonify(volunteers.promotions_due(conn, _rules()))


@blueprint.post("/api/volunteers/promotions")
@require_roles("admin")
def promote() -> ResponseReturnValue:
    """Apply every promotion due; returns them."""
    return jsonify(volunteers.promote(app_state().engine, _rules()))


@blueprint.get("/api/training-sites/<int:site_id>/sessions")
def sessions(site_id: int) -> ResponseReturnValue:
    """A training site's courses ending after ``from`` (default now): public."""
    start = params.depart_at(request.args.get("from"), "from")
    return jsonify(jsonable(volunteers.training_sessions(app_state().engine, site_id, start)))


@blueprint.post("/api/training-sites/<int:site_id>/sessions")
@require_roles("admin")
def add_session(site_id: int) -> ResponseReturnValue:
    """``{"course", "starts_at", "ends_at", "capacity"?}``; 201 with the session id."""
    body = params.json_body(request.get_json(silent=True))
    session = Session(course=_required_text(body, "course"),
                      starts_at=_time(body.get("starts_at"), "starts_at"),
                      ends_at=_time(body.get("ends_at"), "ends_at"),
                      capacity=_optional_int(body, "capacity"))
    session_id = volunteers.add_training_session(app_state().engine, site_id, session)
    return jsonify(id=session_id), HTTPStatus.CREATED
