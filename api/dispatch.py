"""``POST /api/dispatch``: one incident in, one plan out; stored with its audit trail.

Also ``GET /api/dispatch/{id}`` and ``POST /api/dispatch/{id}/replan`` (a volunteer declined or a
road is blocked). Dispatcher and admin roles only: plans hold volunteers' positions.
"""

import math
import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import shapely
import shapely.geometry
from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state, params
from api.auth import require_roles
from gis.dispatch_data import Search, area_kind, load_candidates
from gis.dispatch_store import load_dispatch, no_fly_zones, store_dispatch
from rescuecircle.errors import InvalidInput
from routing.dispatch import Candidates, Leg, Options, Pad, Plan, Site, plan
from routing.drone import DroneSpec
from routing.network import Network

blueprint = Blueprint("dispatch", __name__)
ROLES = ("dispatcher", "admin")
TARGET_S = {"urban": 480.0, "rural": 720.0}


def _request_inputs(body: dict[str, Any]) -> dict[str, Any]:
    """The validated inputs, as stored in the audit (WGS84 point, UTC time)."""
    crs = params.crs(body.get("crs"))
    lon, lat = params.to_wgs84(*params.point(body.get("point"), "point"), crs)
    at = params.depart_at(body.get("at"), "at") or datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidInput("at needs a time zone offset, e.g. 2026-11-25T08:00:00+08:00")
    category = body.get("category")
    if category is not None and (not isinstance(category, str) or len(category) > 64):
        raise InvalidInput("category must be a short text (at most 64 characters)")
    k = body.get("k", 3)
    if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= 3:
        raise InvalidInput(f"k = {k!r} is outside the allowed range 2 to 3")
    declined = body.get("declined", [])
    if not isinstance(declined, list) or not all(isinstance(v, int) for v in declined):
        raise InvalidInput("declined must be a list of volunteer ids")
    return {"point": [lon, lat], "crs": crs, "at": at.isoformat(), "category": category,
            "k": k, "declined": declined}


def _decide(inputs: dict[str, Any]) -> tuple[Plan, Network, dict[str, Any], dict[str, float]]:
    state = app_state()
    settings = state.settings
    lon, lat = inputs["point"]
    at = datetime.fromisoformat(inputs["at"])
    timings: dict[str, float] = {}
    started = time.perf_counter()
    network = state.networks.current()
    timings["network"] = _ms(started)
    rows = load_candidates(state.engine, Search(lon, lat, at))
    kind = area_kind(state.engine, lon, lat)
    zones = no_fly_zones(state.engine)
    timings["candidates"] = _ms(started) - timings["network"]
    declined = set(inputs["declined"])
    candidates = Candidates(
        volunteers=[Site(*row) for row in rows.volunteers if row[0] not in declined],
        aeds=[Site(*row) for row in rows.aeds],
        stations=[Site(*row) for row in rows.stations],
        pads=[Pad(Site(*row[:3]), DroneSpec(
            cruise_speed_kmh=row[4], range_km=row[3], takeoff_s=settings.drone_takeoff_s,
            landing_s=settings.drone_landing_s)) for row in rows.pads],
    )
    local_zones = [network.from_lonlat(zone) for zone in zones]
    options = Options(k=inputs["k"], ambulance_target_s=TARGET_S[kind], hour=at.hour)
    decided = plan(network, lon, lat, candidates, options, no_fly=local_zones)
    timings["plan"] = _ms(started) - timings["network"] - timings["candidates"]
    considered = {"volunteers": [r[0] for r in rows.volunteers], "aeds": [r[0] for r in rows.aeds],
                  "stations": [r[0] for r in rows.stations], "pads": [r[0] for r in rows.pads],
                  "area": kind}
    return decided, network, considered, timings


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _leg_json(network: Network, leg: Leg | None, key: str) -> dict[str, Any] | None:
    if leg is None:
        return None
    return {
        key: leg.id,
        "eta_s": round(leg.eta_s, 1),
        "routes": [{"type": "Feature",
                    "geometry": shapely.geometry.mapping(network.to_lonlat(r.geometry)),
                    "properties": {"duration_s": round(r.time_s, 1),
                                   "length_m": round(r.length_m, 1)}}
                   for r in leg.routes],
    }


def plan_json(network: Network, decided: Plan) -> dict[str, Any]:
    """The plan as the API returns it (routes as GeoJSON Features in WGS84)."""
    ambulance = _leg_json(network, decided.ambulance, "station_id")
    if ambulance is not None:
        ambulance["target_s"] = decided.ambulance_target_s
        ambulance["within_target"] = ambulance["eta_s"] <= decided.ambulance_target_s
    runner = None
    if decided.runner is not None:
        runner = _leg_json(network, decided.runner.volunteer, "volunteer_id")
        runner = {**(runner or {}), "aed_id": decided.runner.aed_id,
                  "aed_eta_s": round(decided.runner.aed_eta_s, 1)}
    selection = decided.selection
    return {
        "ambulance": ambulance,
        "volunteers": [_leg_json(network, v, "volunteer_id") for v in decided.volunteers],
        "aed_runner": runner,
        "drone": _leg_json(network, decided.drone, "pad_id"),
        "backups": [{"volunteer_id": b.id, "eta_s": round(b.eta_s, 1)}
                    for b in decided.backups],
        "first_arrival_s": _round(decided.first_arrival_s),
        "aed_arrival_s": _round(decided.aed_arrival_s),
        "circle_holds": decided.circle_holds,
        "robustness": None if selection is None else {
            # None when one blocked road cuts every chosen responder off (a dead end).
            "worst_case_first_arrival_s": _round(selection.worst_case_s),
            "expected_first_arrival_s": _round(selection.expected_s),
            "overlap_bound": selection.theta, "overlap_relaxed": selection.relaxed},
    }


def _round(value: float | None) -> float | None:
    """Seconds to 0.1 s for JSON; None stays None, and so does an infinite time."""
    return None if value is None or not math.isfinite(value) else round(value, 1)


def dispatch_plan(body: dict[str, Any]) -> tuple[dict[str, Any], HTTPStatus]:
    """Validate a request body, plan, store the plan; the stored plan and 201.

    Shared by ``POST /api/dispatch`` and the ``dispatch`` process; the caller checks roles.
    """
    return _planned(_request_inputs(body), None)


def _planned(inputs: dict[str, Any], replan_of: int | None) -> tuple[dict[str, Any], HTTPStatus]:
    decided, network, considered, timings = _decide(inputs)
    body = plan_json(network, decided)
    label = g.principal.label if g.principal else None
    dispatch_id, incident_id = store_dispatch(
        app_state().engine, inputs=inputs, plan=body, candidates=considered, timings_ms=timings,
        created_by=f"{g.role}:{label}" if label else g.role, replan_of=replan_of)
    return {"id": dispatch_id, "incident_id": incident_id, "timings_ms": timings,
            **body}, HTTPStatus.CREATED


def _respond(inputs: dict[str, Any], replan_of: int | None) -> ResponseReturnValue:
    body, status = _planned(inputs, replan_of)
    return jsonify(body), status


@blueprint.post("/api/dispatch")
@require_roles(*ROLES)
def create_dispatch() -> ResponseReturnValue:
    """Plan the response to an incident: ``{"point": [lon, lat], "crs"?, "at"?, "k"?}``."""
    body, status = dispatch_plan(params.json_body(request.get_json(silent=True)))
    return jsonify(body), status


@blueprint.get("/api/dispatch/<int:dispatch_id>")
@require_roles(*ROLES)
def get_dispatch(dispatch_id: int) -> ResponseReturnValue:
    """A stored plan with its inputs, candidates and timings."""
    return jsonify(load_dispatch(app_state().engine, dispatch_id))


@blueprint.post("/api/dispatch/<int:dispatch_id>/replan")
@require_roles(*ROLES)
def replan(dispatch_id: int) -> ResponseReturnValue:
    """Plan again for the same incident: ``{"declined": [volunteer ids]}`` adds to those who
    already declined; the new plan is stored as a replan of the old one."""
    previous = load_dispatch(app_state().engine, dispatch_id)
    body = params.json_body(request.get_json(silent=True))
    declined = body.get("declined", [])
    if not isinstance(declined, list) or not all(isinstance(v, int) for v in declined):
        raise InvalidInput("declined must be a list of volunteer ids")
    stored = previous["inputs"]
    if not isinstance(stored, dict):
        raise InvalidInput(f"dispatch {dispatch_id} has no inputs to plan again from")
    merged = sorted(set(stored.get("declined", [])) | set(declined))
    # The stored point is already WGS84: validate it as such, keep the caller's crs for audit.
    inputs = _request_inputs({**stored, "crs": "wgs84", "declined": merged})
    inputs["crs"] = stored.get("crs", "wgs84")
    return _respond(inputs, dispatch_id)
