"""Storing dispatch plans with their audit trail and what they send (claims, alerts, events),
and reading them back."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import Connection, Engine, text

from gis.db import jsonb_text
from gis.fleet import update_ambulance_status
from gis.hospitals import set_destination
from gis.incident_store import (
    AlertOrder,
    Unit,
    active_alerts,
    add_event,
    claim,
    claimed_units,
    incident_row,
    insert_alert,
    latest_dispatch_id,
    release,
    set_alert_status,
    update_alert_order,
)
from rescuecircle.errors import Conflict, NotFound


@dataclass(frozen=True)
class Sent:
    """What a plan sends: the units it claims and the volunteers it alerts."""

    units: set[Unit]
    alerts: list[AlertOrder]
    ambulance_eta_s: float | None = None
    destination_hospital_id: int | None = None


class StalePlan(Exception):
    """A replan of a plan that is no longer the incident's newest (another replan won)."""

    def __init__(self, latest: int) -> None:
        super().__init__(f"plan {latest} is the incident's newest")
        self.latest = latest


def store_dispatch(
    engine: Engine, *, inputs: dict[str, Any], plan: dict[str, Any],
    candidates: dict[str, Any], timings_ms: dict[str, float], created_by: str,
    replan_of: int | None, sent: Sent, alert_timeout_s: float,
) -> tuple[int, int]:
    """Store the incident (new, or the replanned one's), the plan, its claims, its alerts and
    their events in one transaction. ClaimConflict when another incident holds a unit the plan
    sends; StalePlan when ``replan_of`` is no longer the newest plan.

    Returns (dispatch id, incident id).
    """
    with engine.begin() as conn:
        if replan_of is None:
            incident_id = _new_incident(conn, inputs, created_by)
        else:
            incident_id = conn.execute(text(
                "SELECT incident_id FROM rc.dispatch WHERE id = :id"), {"id": replan_of}
            ).scalar_one()
            if incident_row(conn, incident_id, lock=True)["status"] != "open":
                raise Conflict(f"incident {incident_id} is closed: it cannot be planned again")
            if (latest := latest_dispatch_id(conn, incident_id)) != replan_of:
                raise StalePlan(int(latest or 0))
        held = claimed_units(conn, incident_id)
        claim(conn, incident_id, sent.units)
        dispatch_id = int(conn.execute(text(
            "INSERT INTO rc.dispatch (incident_id, plan, inputs, candidates, timings_ms, "
            "created_by, replan_of) VALUES (:incident, CAST(:plan AS jsonb), "
            "CAST(:inputs AS jsonb), CAST(:candidates AS jsonb), CAST(:timings AS jsonb), "
            ":by, :replan_of) RETURNING id"),
            {"incident": incident_id, "plan": jsonb_text(plan), "inputs": jsonb_text(inputs),
             "candidates": jsonb_text(candidates), "timings": jsonb_text(timings_ms),
             "by": created_by, "replan_of": replan_of}).scalar_one())
        add_event(conn, incident_id, "plan_sent", created_by=created_by,
                  data={"dispatch_id": dispatch_id, "replan_of": replan_of})
        set_destination(conn, incident_id, sent.destination_hospital_id)
        _send_alerts(conn, incident_id, dispatch_id, sent, alert_timeout_s, created_by)
        _move_units(conn, incident_id, held, sent, created_by)
    return dispatch_id, int(incident_id)


def _new_incident(conn: Connection, inputs: dict[str, Any], created_by: str) -> int:
    """The incident row and its call events (received, and answered when the time is known)."""
    lon, lat = inputs["point"]
    received = inputs.get("received_at") or inputs["at"]
    incident_id = int(conn.execute(text(
        "INSERT INTO rc.incident (reported_at, answered_at, category, floor, input_crs, geom) "
        "VALUES (:received, :answered, :category, :floor, :crs, "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"),
        {"received": received, "answered": inputs.get("answered_at"),
         "category": inputs["category"], "floor": inputs.get("floor"), "crs": inputs["crs"],
         "lon": lon, "lat": lat}).scalar_one())
    add_event(conn, incident_id, "call_received", created_by=created_by,
              at=datetime.fromisoformat(received),
              data={"category": inputs["category"], "floor": inputs.get("floor")})
    if inputs.get("answered_at"):
        add_event(conn, incident_id, "call_answered", created_by=created_by,
                  at=datetime.fromisoformat(inputs["answered_at"]))
    return incident_id


def _send_alerts(conn: Connection, incident_id: int, dispatch_id: int, sent: Sent,
                 timeout_s: float, created_by: str) -> None:
    """Alert the volunteers the plan adds, re-brief those it keeps, stand down the others
    (never one already at the patient)."""
    active = active_alerts(conn, incident_id, with_arrived=True)
    ordered = {order.volunteer_id for order in sent.alerts}
    for order in sent.alerts:
        unit = Unit("volunteer", order.volunteer_id)
        if order.volunteer_id in active:
            if active[order.volunteer_id]["status"] != "arrived":
                update_alert_order(conn, active[order.volunteer_id]["id"], dispatch_id, order)
            continue
        alert_id = insert_alert(conn, incident_id, dispatch_id, order, timeout_s)
        add_event(conn, incident_id, "alerted", unit=unit, created_by=created_by, data={
            "alert_id": alert_id, "task": order.task, "aed_id": order.aed_id,
            "eta_s": order.eta_s, "timeout_s": timeout_s})
    for volunteer_id, alert in active.items():
        if volunteer_id not in ordered and alert["status"] != "arrived":
            set_alert_status(conn, alert["id"], "withdrawn")
            unit = Unit("volunteer", volunteer_id)
            release(conn, incident_id, unit, "replanned")
            add_event(conn, incident_id, "withdrawn", unit=unit, created_by=created_by,
                      data={"alert_id": alert["id"]})


def _move_units(conn: Connection, incident_id: int, held: set[Unit], sent: Sent,
                created_by: str) -> None:
    """Send the ambulance and drone the plan adds; free what it no longer sends."""
    for unit in sorted(sent.units - held, key=lambda u: (u.kind, u.id)):
        if unit.kind == "ambulance":
            update_ambulance_status(conn, unit.id, "dispatched", reason=f"incident {incident_id}",
                                    actor=created_by)
            add_event(conn, incident_id, "dispatched", unit=unit, created_by=created_by,
                      data={"eta_s": sent.ambulance_eta_s})
        elif unit.kind == "drone_pad":
            add_event(conn, incident_id, "dispatched", unit=unit, created_by=created_by)
    for unit in held - sent.units:
        if unit.kind == "volunteer":
            continue                        # stood down with their alert
        release(conn, incident_id, unit, "replanned")
        if unit.kind == "ambulance":
            update_ambulance_status(conn, unit.id, "available", reason="replanned",
                                    actor=created_by)
        if unit.kind in ("ambulance", "drone_pad"):
            add_event(conn, incident_id, "released", unit=unit, created_by=created_by)


def load_dispatch(engine: Engine, dispatch_id: int) -> dict[str, Any]:
    """A stored dispatch as a dict; NotFound for an unknown id."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT id, incident_id, created_at, created_by, replan_of, inputs, candidates, "
            "timings_ms, plan FROM rc.dispatch WHERE id = :id"), {"id": dispatch_id}).first()
    if row is None:
        raise NotFound(f"dispatch {dispatch_id} does not exist")
    record = dict(row._mapping)
    record["created_at"] = record["created_at"].isoformat()
    return record


def latest_plan_id(engine: Engine, incident_id: int) -> int:
    """The incident's newest plan; NotFound when it has none."""
    with engine.connect() as conn:
        latest = latest_dispatch_id(conn, incident_id)
    if latest is None:
        raise NotFound(f"incident {incident_id} has no plan")
    return int(latest)


def no_fly_zones(engine: Engine) -> list[shapely.Geometry]:
    """Every no-fly zone (WGS84)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ST_AsBinary(geom) FROM rc.no_fly_zone")).scalars()
        return [shapely.from_wkb(bytes(wkb)) for wkb in rows]

