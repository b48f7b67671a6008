"""The AED registry over HTTP: availability, status, telemetry and inspections, uses, reports.

Who may do what (roles from ``api.auth``):

* public: ``GET /api/aeds/available`` and ``/api/aeds/{id}/availability`` (the AED finder,
  read from the replica when RC_DATABASE_READ_URL is set),
  ``POST /api/aeds/{id}/reports`` (fault report, no login, rate-limited per IP address in
  memory: a restart forgets the counts, and behind a proxy the app must see client addresses);
* volunteer, dispatcher, admin: inspections (``POST .../telemetry`` with kind ``inspection``),
  use records, the inspection queue; a volunteer's token records as that volunteer;
* dispatcher, admin: device self-tests (the manufacturer's telemetry gateway holds such a
  token), status changes;
* dispatcher, admin, analyst: status history and the expiry alert list;
* owner (a token bound to an organisation): registers its AEDs (``POST /api/aeds``), lists
  them with what needs doing (``GET /api/owner/aeds``), and updates, inspects, records uses of
  and sets the status of its own AEDs, and of no other organisation's (403);
* admin: registry updates (``PATCH /api/aeds/{id}``) and ownership transfer
  (``PUT /api/aeds/{id}/organisation``).

Coordinates in and out may be GCJ-02 or BD-09 with ``crs`` (query or body).
"""

from datetime import datetime
from http import HTTPStatus
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine

from api import app_state
from api.auth import actor, require_roles
from api.jsonable import jsonable
from api.rate_limit import RateLimiter
from formats.china_crs import Crs
from gis import aed_registry
from gis.aed_registry import Check, Use
from rescuecircle.errors import Forbidden, InvalidInput
from rescuecircle.settings import Settings
from services import params

INSPECTORS = ("volunteer", "dispatcher", "admin")
DISPATCH = ("dispatcher", "admin")
READERS = ("dispatcher", "admin", "analyst")


def _at(value: Any) -> datetime:
    return params.aware_time(value) or app_state().now()


def _text(body: dict[str, Any], name: str, *, limit: int = 500) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{name} must be a text of at most {limit} characters")
    return value


def _optional_id(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidInput(f"{name} must be an integer id")
    return value


def _own(aed_id: int) -> None:
    """An owner token may act on its own organisation's AEDs only (others: 403)."""
    if g.role == "owner" and aed_registry.aed_organisation(
            app_state().engine, aed_id) != g.principal.organisation_id:
        raise Forbidden(f"AED {aed_id} belongs to another organisation")


def _dates(body: dict[str, Any]) -> dict[str, Any]:
    """The body with its expiry dates parsed."""
    for name in ("battery_expires_on", "pads_expire_on"):
        if name in body:
            body[name] = params.day(body[name], name)
    return body


def _feature(row: dict[str, Any], crs: Crs) -> dict[str, Any]:
    lon, lat = params.from_wgs84(row.pop("lon"), row.pop("lat"), crs)
    return {"type": "Feature", "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": jsonable(row)}


def create_blueprint(settings: Settings, engine: Engine) -> Blueprint:
    """The routes, with a per-IP limit on public fault reports (shared by all processes)."""
    blueprint = Blueprint("aeds", __name__)
    reports_limit = RateLimiter(engine, "fault_reports", settings.report_limit_per_hour,
                                window_s=3600)

    @blueprint.get("/api/aeds/available")
    def available() -> ResponseReturnValue:
        """AEDs usable at ``at`` (default now) as GeoJSON, in ``crs`` (default wgs84);
        ``bbox`` (WGS84 west,south,east,north) keeps the ``limit`` (default 500) nearest its
        centre, for a map showing what is around at once."""
        crs = params.crs(request.args.get("crs"))
        state = app_state()
        bbox = params.bbox(request.args.get("bbox"))
        limit = int(params.number(request.args.get("limit", 500), "limit", low=1, high=5000))
        rows = aed_registry.available_aeds(state.reads, _at(request.args.get("at")), bbox,
                                           limit if bbox else None)
        return jsonify(type="FeatureCollection", crs=crs,
                       features=[_feature(row, crs) for row in rows])

    @blueprint.get("/api/aeds/<int:aed_id>/availability")
    def availability(aed_id: int) -> ResponseReturnValue:
        """``{"available", "reason"}`` for one AED at ``at`` (default now)."""
        at = _at(request.args.get("at"))
        state = app_state()
        reason = aed_registry.unavailable_reason(state.reads, aed_id, at)
        return jsonify(aed_id=aed_id, at=at.isoformat(), available=reason is None,
                       reason=reason)

    @blueprint.get("/api/aeds/<int:aed_id>/history")
    @require_roles(*READERS)
    def history(aed_id: int) -> ResponseReturnValue:
        return jsonify(jsonable(aed_registry.history(app_state().engine, aed_id)))

    @blueprint.post("/api/aeds")
    @require_roles("owner", "admin")
    def register() -> ResponseReturnValue:
        """A new AED: registry fields, ``point`` [lon, lat] in ``crs``; an owner's becomes its
        organisation's, an admin may name ``organisation_id``. 201 with its id."""
        body = params.json_body(request.get_json(silent=True))
        crs = params.crs(body.pop("crs", None))
        lonlat = params.to_wgs84(*params.point(body.pop("point", None), "point"), crs)
        organisation = body.pop("organisation_id", None)
        if g.role == "owner":
            if organisation not in (None, g.principal.organisation_id):
                raise Forbidden("an owner registers AEDs for its own organisation only")
            organisation = g.principal.organisation_id
        elif organisation is not None and (not isinstance(organisation, int)
                                           or isinstance(organisation, bool)):
            raise InvalidInput("organisation_id must be an organisation's id")
        aed_id = aed_registry.register_aed(app_state().engine, _dates(body), lonlat=lonlat,
                                           organisation_id=organisation, actor=actor())
        return jsonify(id=aed_id), HTTPStatus.CREATED

    @blueprint.get("/api/owner/aeds")
    @require_roles("owner")
    def owned() -> ResponseReturnValue:
        """The owner's AEDs with their state and what needs doing."""
        state = app_state()
        return jsonify(jsonable(aed_registry.organisation_aeds(
            state.engine, g.principal.organisation_id, state.local_now().date())))

    @blueprint.put("/api/aeds/<int:aed_id>/organisation")
    @require_roles("admin")
    def transfer(aed_id: int) -> ResponseReturnValue:
        """``{"organisation_id"}`` (null: none): hand the AED to another owner."""
        body = params.json_body(request.get_json(silent=True))
        organisation = body.get("organisation_id")
        if organisation is not None and (not isinstance(organisation, int)
                                         or isinstance(organisation, bool)):
            raise InvalidInput("organisation_id must be an organisation's id or null")
        aed_registry.transfer_aed(app_state().engine, aed_id, organisation, actor=actor())
        return "", HTTPStatus.NO_CONTENT

    @blueprint.post("/api/aeds/<int:aed_id>/status")
    @require_roles("owner", *DISPATCH)
    def set_status(aed_id: int) -> ResponseReturnValue:
        """``{"status", "reason"?}``: set the status, recorded in the history."""
        _own(aed_id)
        body = params.json_body(request.get_json(silent=True))
        history_id = aed_registry.set_status(app_state().engine, aed_id,
                                             str(body.get("status")),
                                             reason=_text(body, "reason"), actor=actor())
        return jsonify(aed_id=aed_id, status=body.get("status"), history_id=history_id)

    @blueprint.patch("/api/aeds/<int:aed_id>")
    @require_roles("owner", "admin")
    def update(aed_id: int) -> ResponseReturnValue:
        """Registry fields, and ``point`` [lon, lat] in ``crs``; opening hours re-parsed."""
        _own(aed_id)
        body = params.json_body(request.get_json(silent=True))
        crs = params.crs(body.pop("crs", None))
        point = body.pop("point", None)
        lonlat = None if point is None else params.to_wgs84(*params.point(point, "point"), crs)
        aed_registry.update_aed(app_state().engine, aed_id, _dates(body), lonlat=lonlat,
                                actor=actor())
        return "", HTTPStatus.NO_CONTENT

    @blueprint.post("/api/aeds/<int:aed_id>/telemetry")
    @require_roles("owner", *INSPECTORS)
    def telemetry(aed_id: int) -> ResponseReturnValue:
        """A self-test or inspection: ``{"kind", "battery_level_pct"?, "battery_expires_on"?,
        "pads_expire_on"?, "error_codes"?, "note"?, "checked_at"?}``; 201 with the verdict."""
        _own(aed_id)
        body = params.json_body(request.get_json(silent=True))
        kind = body.get("kind", "self_test")
        if kind not in ("self_test", "inspection"):
            raise InvalidInput(f"kind {kind!r} is unknown; use self_test or inspection")
        if kind == "self_test" and g.role not in DISPATCH:
            raise Forbidden("device self-tests come from the telemetry gateway "
                            "(dispatcher or admin token)")
        codes = body.get("error_codes", [])
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise InvalidInput("error_codes must be a list of texts")
        level = body.get("battery_level_pct")
        check = Check(
            kind=kind, checked_at=_at(body.get("checked_at")),
            battery_level_pct=None if level is None else params.number(
                level, "battery_level_pct", low=0, high=100),
            battery_expires_on=params.day(body.get("battery_expires_on"),
                                          "battery_expires_on"),
            pads_expire_on=params.day(body.get("pads_expire_on"), "pads_expire_on"),
            error_codes=tuple(codes), note=_text(body, "note"),
            volunteer_id=g.principal.volunteer_id if g.role == "volunteer" else None)
        state = app_state()
        result = aed_registry.record_check(state.engine, aed_id, check, actor=actor(),
                                           low_battery_pct=state.settings.aed_low_battery_pct)
        return jsonify(jsonable(result)), HTTPStatus.CREATED

    @blueprint.post("/api/aeds/<int:aed_id>/uses")
    @require_roles("owner", *INSPECTORS)
    def uses(aed_id: int) -> ResponseReturnValue:
        """``{"outcome", "used_at"?, "incident_id"?, "volunteer_id"?, "point"?, "crs"?,
        "note"?}``; the AED goes out of service until re-checked."""
        _own(aed_id)
        body = params.json_body(request.get_json(silent=True))
        crs = params.crs(body.get("crs"))
        point = body.get("point")
        lon, lat = (None, None) if point is None else params.to_wgs84(
            *params.point(point, "point"), crs)
        volunteer_id = _optional_id(body, "volunteer_id")
        if g.role == "volunteer":
            volunteer_id = g.principal.volunteer_id
        use = Use(used_at=_at(body.get("used_at")), outcome=str(body.get("outcome")),
                  incident_id=_optional_id(body, "incident_id"), volunteer_id=volunteer_id,
                  note=_text(body, "note"), lon=lon, lat=lat)
        use_id = aed_registry.record_use(app_state().engine, aed_id, use, actor=actor())
        return jsonify(id=use_id, aed_id=aed_id), HTTPStatus.CREATED

    @blueprint.post("/api/aeds/<int:aed_id>/reports")
    def report(aed_id: int) -> ResponseReturnValue:
        """Anyone: ``{"problem", "description"?, "contact"?}`` into the inspection queue."""
        reports_limit.hit(request.remote_addr or "unknown")
        body = params.json_body(request.get_json(silent=True))
        report_id = aed_registry.report_fault(
            app_state().engine, aed_id, problem=str(body.get("problem")),
            description=_text(body, "description", limit=2000),
            contact=_text(body, "contact", limit=200))
        return jsonify(id=report_id, aed_id=aed_id, status="open"), HTTPStatus.CREATED

    @blueprint.get("/api/aeds/expiring")
    @require_roles(*READERS)
    def expiring() -> ResponseReturnValue:
        """Batteries and pads expiring within ``days`` (default RC_AED_EXPIRY_ALERT_DAYS)."""
        state = app_state()
        days = int(params.number(request.args.get("days", state.settings.aed_expiry_alert_days),
                                 "days", low=0, high=3650))
        today = state.local_now().date()
        return jsonify(jsonable(aed_registry.expiring(state.engine, days, today)))

    @blueprint.get("/api/inspections")
    @require_roles(*INSPECTORS)
    def inspections() -> ResponseReturnValue:
        """AEDs to visit (open reports, fault, out of service, missing), in ``crs``."""
        crs = params.crs(request.args.get("crs"))
        rows = aed_registry.inspection_queue(app_state().engine)
        return jsonify([_feature({"id": r["aed_id"], **r}, crs) for r in rows])

    return blueprint
