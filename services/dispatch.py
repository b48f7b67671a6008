"""Dispatch: one incident in, one plan out, stored with its audit trail, and sent: the units
it names are claimed (no other incident gets them), the volunteers it names are alerted.
Replan when a volunteer declines or times out or a road is reported blocked, keeping whoever is
already on the way.

Callers check roles (dispatchers and admins only: plans hold volunteers' positions) and say who
asked (``created_by``), which the audit keeps.
"""

import contextlib
import time
from datetime import datetime
from typing import Any

from formats.china_crs import Crs
from gis.dispatch_data import (
    CandidateRows,
    Search,
    area_kind,
    load_candidates,
    loaded_counts,
    newest_position_age_s,
)
from gis.dispatch_grade import Grade, grade_of
from gis.dispatch_store import (
    Sent,
    StalePlan,
    latest_plan_id,
    load_dispatch,
    no_fly_zones,
    store_dispatch,
)
from gis.hospitals import load_hospitals
from gis.incident_store import AlertOrder, ClaimConflict, Unit, claims_serialised
from rescuecircle.errors import InvalidInput, Unavailable
from routing.air import helicopter
from routing.destination import Hospital, destinations
from routing.dispatch import Candidates, Options, Pad, Previous, Site, plan
from routing.drone import DroneSpec
from routing.network import Network
from services import params
from services.context import Context
from services.dispatch_answer import Decision, plan_json

TARGET_S = {"urban": 480.0, "rural": 720.0}
MAX_BLOCKED = 50          # roads reported blocked per incident
CLAIM_ATTEMPTS = 12       # plans tried when parallel dispatches keep taking the chosen units
OPTIMISTIC_ATTEMPTS = 1   # after which a dispatch plans and claims under claims_serialised


def request_inputs(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The validated inputs, as stored in the audit (WGS84 point, time with its offset)."""
    crs = params.crs(body.get("crs"))
    lon, lat = params.to_wgs84(*params.point(body.get("point"), "point"), crs)
    at = params.aware_time(body.get("at")) or now
    category = body.get("category")
    if category is not None and (not isinstance(category, str) or len(category) > 64):
        raise InvalidInput("category must be a short text (at most 64 characters)")
    k = body.get("k", 3)
    if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= 3:
        raise InvalidInput(f"k = {k!r} is outside the allowed range 2 to 3")
    floor = body.get("floor")
    if floor is not None and (not isinstance(floor, int) or isinstance(floor, bool)
                              or not -10 <= floor <= 200):
        raise InvalidInput(f"floor = {floor!r} must be a whole floor from -10 to 200 "
                           "(0 the ground floor)")
    received = params.aware_time(body.get("received_at"), "received_at")
    answered = params.aware_time(body.get("answered_at"), "answered_at")
    if received and answered and answered < received:
        raise InvalidInput("answered_at lies before received_at")
    return {"point": [lon, lat], "crs": crs, "at": at.isoformat(), "category": category,
            "k": k, "floor": floor,
            "received_at": received.isoformat() if received else None,
            "answered_at": answered.isoformat() if answered else None,
            "declined": _declined(body.get("declined", [])),
            "blocked": _blocked(body.get("blocked", []), crs)}


def _declined(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise InvalidInput("declined must be a list of volunteer ids")
    return value


def _blocked(value: Any, crs: Crs) -> list[list[float]]:
    """Points on roads reported blocked, as WGS84 [lon, lat] (at most MAX_BLOCKED)."""
    if not isinstance(value, list) or len(value) > MAX_BLOCKED:
        raise InvalidInput(f"blocked must be a list of at most {MAX_BLOCKED} points "
                           "[longitude, latitude] on the blocked roads")
    return [list(params.to_wgs84(*params.point(p, f"blocked[{i}]"), crs))
            for i, p in enumerate(value)]


def _closed_network(network: Network, inputs: dict[str, Any]) -> Network:
    """The network with the roads at the ``blocked`` points closed to every mode."""
    if not inputs["blocked"]:
        return network
    edges = {network.nearest_edge(lon, lat) for lon, lat in inputs["blocked"]}
    lon, lat = inputs["point"]
    if network.snap(lon, lat, "walk").edge in edges:
        raise InvalidInput("a blocked point lies on the patient's own street: nobody could "
                           "reach the patient; report the road next to it instead")
    return network.with_closed(edges)


def _previous(stored_plan: Any) -> Previous:
    """Who the stored plan sent: kept on a replan wherever they still can go."""
    if not isinstance(stored_plan, dict):
        return Previous()
    runner = stored_plan.get("aed_runner")
    return Previous(
        volunteers=frozenset(v["volunteer_id"] for v in stored_plan.get("volunteers") or []),
        runner=(runner["volunteer_id"], runner["aed_id"]) if runner else None)


def _decide(state: Context, inputs: dict[str, Any], previous: Previous, incident: int | None,
            taken: set[Unit], grade: Grade) -> Decision:
    """The plan for ``inputs``; ``taken``: units found claimed by another incident while
    storing an earlier attempt (left out before the database shows them claimed)."""
    settings = state.settings
    lon, lat = inputs["point"]
    at = datetime.fromisoformat(inputs["at"])
    search = Search(lon, lat, at, incident)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    network = _closed_network(state.networks.current(), inputs)
    timings["network"] = _ms(started)
    rows = _without(load_candidates(state.engine, search), taken, grade)
    kind = area_kind(state.engine, lon, lat)
    zones = no_fly_zones(state.engine)
    loaded = loaded_counts(state.engine)
    stale_s = None if rows.volunteers else newest_position_age_s(state.engine, at)
    timings["candidates"] = _ms(started) - timings["network"]
    declined = set(inputs["declined"])
    candidates = Candidates(
        volunteers=[Site(*row) for row in rows.volunteers if row[0] not in declined],
        aeds=[Site(*row) for row in rows.aeds],
        ambulances=[Site(a.id, a.lon, a.lat) for a in rows.ambulances],
        pads=[Pad(Site(*row[:3]), DroneSpec(
            cruise_speed_kmh=row[4], range_km=row[3], takeoff_s=settings.drone_takeoff_s,
            landing_s=settings.drone_landing_s)) for row in rows.pads],
        air_bases=[Pad(Site(*row[:3]), helicopter(*row[3:])) for row in rows.air_bases],
    )
    local_zones = [network.from_lonlat(zone) for zone in zones]
    options = Options(k=inputs["k"], ambulance_target_s=TARGET_S[kind],
                      hour=state.local_time(at).hour,  # rush hours are the city's hours
                      patient_floor=inputs.get("floor") or 0, floor_s=settings.floor_s)
    decided = plan(network, lon, lat, candidates, options, no_fly=local_zones,
                   previous=previous)
    timings["plan"] = _ms(started) - timings["network"] - timings["candidates"]
    hospitals = destinations(network, lon, lat, [
        Hospital(h["id"], h["name"], h["lon"], h["lat"], h["emergency"],
                 frozenset(h["capabilities"])) for h in load_hospitals(state.engine)],
        need=grade.destination_capability, hour=options.hour)
    timings["destination"] = (_ms(started) - timings["network"] - timings["candidates"]
                              - timings["plan"])
    return Decision(decided, network, search, rows, loaded, kind, inputs["k"],
                    sum(row[0] in declined for row in rows.volunteers), timings, grade,
                    hospitals, newest_position_age_s=stale_s)


def _without(rows: CandidateRows, taken: set[Unit], grade: Grade) -> CandidateRows:
    """The candidates less the units taken meanwhile and the parts the grade does not send."""
    def free(kind: str, unit_id: int) -> bool:
        return Unit(kind, unit_id) not in taken
    return CandidateRows(
        volunteers=[r for r in rows.volunteers if free("volunteer", r[0])]
        if grade.volunteers or grade.aed_runner else [],
        aeds=[r for r in rows.aeds if free("aed", r[0])] if grade.aed_runner else [],
        ambulances=[a for a in rows.ambulances if free("ambulance", a.id)],
        pads=[r for r in rows.pads if free("drone_pad", r[0])] if grade.drone else [],
        air_bases=rows.air_bases)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def plan_dispatch(context: Context, body: dict[str, Any], *, created_by: str) -> dict[str, Any]:
    """Validate a request body, plan, store and send the plan; the stored plan with its ids."""
    inputs = request_inputs(body, context.now())
    return _planned(context, inputs, Previous(), created_by)


def replan_dispatch(context: Context, dispatch_id: int, body: dict[str, Any], *,
                    created_by: str) -> dict[str, Any]:
    """Plan again for the same incident: ``declined`` volunteers and ``blocked`` road points
    add to what the earlier plans were told. Who is already on their way stays (re-routed round
    blocked roads); only the places that must change are filled again. Stored as a replan."""
    previous = load_dispatch(context.engine, dispatch_id)
    declined = _declined(body.get("declined", []))
    blocked = _blocked(body.get("blocked", []), params.crs(body.get("crs")))
    stored = previous["inputs"]
    if not isinstance(stored, dict):
        raise InvalidInput(f"dispatch {dispatch_id} has no inputs to plan again from")
    # The stored points are already WGS84: validate them as such, keep the caller's crs.
    inputs = request_inputs({
        **stored, "crs": "wgs84",
        "declined": sorted(set(stored.get("declined", [])) | set(declined)),
        "blocked": [*stored.get("blocked", []), *blocked]}, context.now())
    inputs["crs"] = stored.get("crs", "wgs84")
    return _planned(context, inputs, _previous(previous["plan"]), created_by,
                    replan_of=dispatch_id, incident=previous["incident_id"])


def replan_incident(context: Context, incident_id: int, *, declined: list[int],
                    created_by: str) -> dict[str, Any]:
    """Replan an incident from its newest plan, with more volunteers declined (or timed out)."""
    latest = latest_plan_id(context.engine, incident_id)
    return replan_dispatch(context, latest, {"declined": declined}, created_by=created_by)


def stored_dispatch(context: Context, dispatch_id: int) -> dict[str, Any]:
    """A stored plan with its inputs, candidates and timings."""
    return load_dispatch(context.engine, dispatch_id)


def _planned(context: Context, inputs: dict[str, Any], previous: Previous, created_by: str, *,
             replan_of: int | None = None, incident: int | None = None) -> dict[str, Any]:
    """Plan and store (a replan of dispatch ``replan_of`` of ``incident``); when a parallel
    dispatch claimed a chosen unit first, plan again without it (the claim and the plan commit
    together, so no unit is sent twice). An unknown category fails before any planning."""
    grade = grade_of(context.engine, inputs["category"])
    taken: set[Unit] = set()
    for attempt in range(1, CLAIM_ATTEMPTS + 1):
        serial = (claims_serialised(context.engine) if attempt > OPTIMISTIC_ATTEMPTS
                  else contextlib.nullcontext())
        try:
            with serial:
                decision = _decide(context, inputs, previous, incident, taken, grade)
                body = plan_json(decision)
                dispatch_id, incident_id = store_dispatch(
                    context.engine, inputs=inputs, plan=body, candidates=decision.considered(),
                    timings_ms={**decision.timings_ms, "attempts": attempt},
                    created_by=created_by, replan_of=replan_of, sent=_sent(body),
                    alert_timeout_s=context.settings.alert_timeout_s)
        except ClaimConflict as conflict:
            taken |= conflict.units
            continue
        except StalePlan as stale:            # another replan won: add ours to it
            known = stored_dispatch(context, stale.latest)["inputs"].get("blocked", [])
            return replan_dispatch(context, stale.latest, {
                "declined": inputs["declined"],
                "blocked": [b for b in inputs["blocked"] if b not in known]},
                created_by=created_by)
        return {"id": dispatch_id, "incident_id": incident_id,
                "timings_ms": {**decision.timings_ms, "attempts": attempt}, **body}
    raise Unavailable(f"{CLAIM_ATTEMPTS} plans in a row chose units that parallel dispatches "
                      "took first; try again")


def _sent(body: dict[str, Any]) -> Sent:
    """The units a plan claims and the volunteers it alerts."""
    units: set[Unit] = set()
    alerts = []
    for leg in body["volunteers"]:
        units.add(Unit("volunteer", leg["volunteer_id"]))
        alerts.append(AlertOrder(leg["volunteer_id"], "respond", None, leg["eta_s"], leg))
    if runner := body["aed_runner"]:
        units |= {Unit("volunteer", runner["volunteer_id"]), Unit("aed", runner["aed_id"])}
        alerts.append(AlertOrder(runner["volunteer_id"], "fetch_aed", runner["aed_id"],
                                 runner["eta_s"], runner))
    if ambulance := body["ambulance"]:
        units.add(Unit("ambulance", ambulance["ambulance_id"]))
    if drone := body["drone"]:
        units.add(Unit("drone_pad", drone["pad_id"]))
    destination = body["destination"]
    return Sent(units, alerts, ambulance["eta_s"] if ambulance else None,
                destination["hospital_id"] if destination else None)
