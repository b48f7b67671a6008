"""The live loop in the database: incident events, unit claims and volunteers' alerts.

Every function taking a ``Connection`` works inside the caller's transaction, so a plan, its
claims, its alerts and its events commit together or not at all.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from gis.db import jsonb_text
from rescuecircle.errors import Conflict, NotFound

ACTIVE_ALERTS = ("pending", "accepted")
CLAIMS_LOCK_KEY = 0x5243_0015         # pg advisory lock: plans that lost a claim, one at a time
_PROCESS_CLAIMS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Unit:
    """A unit sent to an incident: a volunteer, an ambulance, an AED or a drone pad."""

    kind: str
    id: int


@dataclass(frozen=True)
class AlertOrder:
    """Alert one volunteer: to go to the patient (``respond``) or via an AED (``fetch_aed``)."""

    volunteer_id: int
    task: str
    aed_id: int | None
    eta_s: float
    leg: dict[str, Any]


class ClaimConflict(Exception):
    """Units another incident claimed first (the transaction is rolled back)."""

    def __init__(self, units: set[Unit]) -> None:
        super().__init__(f"{len(units)} units were claimed by another incident")
        self.units = units


def add_event(conn: Connection, incident_id: int, kind: str, *, unit: Unit | None = None,
              data: dict[str, Any] | None = None, created_by: str | None = None,
              at: datetime | None = None) -> int:
    """Append an event to an incident; its number."""
    return int(conn.execute(text(
        "SELECT rc.incident_event_add(:incident, :kind, :unit_kind, :unit_id, "
        "CAST(:data AS jsonb), :by, coalesce(:at, now()))"),
        {"incident": incident_id, "kind": kind, "unit_kind": unit.kind if unit else None,
         "unit_id": unit.id if unit else None, "data": jsonb_text(data or {}), "by": created_by,
         "at": at}).scalar_one())


def claim(conn: Connection, incident_id: int, units: set[Unit]) -> None:
    """Claim the units the incident does not hold yet; ClaimConflict naming those another
    incident holds (waits for concurrent claimers to finish, so the answer is final)."""
    held = claimed_units(conn, incident_id)
    wanted = sorted(units - held, key=lambda u: (u.kind, u.id))
    if not wanted:
        return
    got = {Unit(r.unit_kind, int(r.unit_id)) for r in conn.execute(text(
        "INSERT INTO rc.assignment (incident_id, unit_kind, unit_id) "
        "SELECT :incident, k, u FROM unnest(CAST(:kinds AS text[]), CAST(:ids AS integer[])) "
        "AS t(k, u) ON CONFLICT (unit_kind, unit_id) WHERE released_at IS NULL DO NOTHING "
        "RETURNING unit_kind, unit_id"),
        {"incident": incident_id, "kinds": [u.kind for u in wanted],
         "ids": [u.id for u in wanted]})}
    if lost := set(wanted) - got:
        raise ClaimConflict(lost)


@contextmanager
def claims_serialised(engine: Engine) -> Iterator[None]:
    """Plan and claim one at a time, across processes (an advisory lock), for dispatches that
    lost a claim to a parallel one: optimistic attempts alone can starve when many dispatches
    near one place want the same few volunteers. Threads of one process queue on a lock
    first, so a waiting thread holds no connection."""
    with _PROCESS_CLAIMS_LOCK, engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": CLAIMS_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": CLAIMS_LOCK_KEY})
            conn.commit()


def claimed_units(conn: Connection, incident_id: int) -> set[Unit]:
    """The units an incident holds now."""
    return {Unit(r.unit_kind, int(r.unit_id)) for r in conn.execute(text(
        "SELECT unit_kind, unit_id FROM rc.assignment "
        "WHERE incident_id = :incident AND released_at IS NULL"), {"incident": incident_id})}


def release(conn: Connection, incident_id: int, unit: Unit | None, reason: str) -> int:
    """Free one unit of an incident (every unit when ``unit`` is None); how many were freed."""
    return int(conn.execute(text("SELECT rc.release_claims(:incident, :kind, :unit, :reason)"),
                            {"incident": incident_id, "kind": unit.kind if unit else None,
                             "unit": unit.id if unit else None, "reason": reason}).scalar_one())


def active_alerts(conn: Connection, incident_id: int, *, with_arrived: bool = False
                  ) -> dict[int, dict[str, Any]]:
    """The incident's pending and accepted alerts (and arrived ones, if asked), by volunteer,
    locked for update."""
    statuses = [*ACTIVE_ALERTS, *(["arrived"] if with_arrived else [])]
    rows = conn.execute(text(
        "SELECT id, volunteer_id, task, aed_id, status FROM rc.alert "
        "WHERE incident_id = :incident AND status = ANY(:statuses) FOR UPDATE"),
        {"incident": incident_id, "statuses": statuses}).all()
    return {int(r.volunteer_id): dict(r._mapping) for r in rows}


def insert_alert(conn: Connection, incident_id: int, dispatch_id: int, order: AlertOrder,
                 timeout_s: float) -> int:
    """A pending alert with its deadline; its id."""
    return int(conn.execute(text(
        "INSERT INTO rc.alert (incident_id, dispatch_id, volunteer_id, task, aed_id, eta_s, "
        "leg, deadline_at) VALUES (:incident, :dispatch, :volunteer, :task, :aed, :eta, "
        "CAST(:leg AS jsonb), now() + make_interval(secs => :timeout)) RETURNING id"),
        {"incident": incident_id, "dispatch": dispatch_id, "volunteer": order.volunteer_id,
         "task": order.task, "aed": order.aed_id, "eta": order.eta_s, "leg": jsonb_text(order.leg),
         "timeout": timeout_s}).scalar_one())


def update_alert_order(conn: Connection, alert_id: int, dispatch_id: int,
                       order: AlertOrder) -> None:
    """A kept responder's new task and route after a replan."""
    conn.execute(text(
        "UPDATE rc.alert SET dispatch_id = :dispatch, task = :task, aed_id = :aed, "
        "eta_s = :eta, leg = CAST(:leg AS jsonb) WHERE id = :id"),
        {"id": alert_id, "dispatch": dispatch_id, "task": order.task, "aed": order.aed_id,
         "eta": order.eta_s, "leg": jsonb_text(order.leg)})


def set_alert_status(conn: Connection, alert_id: int, status: str, *,
                     column: str | None = None) -> None:
    """Move an alert on; ``column`` (answered_at, arrived_at, aed_collected_at) takes now()."""
    stamp = {"answered_at": ", answered_at = now()", "arrived_at": ", arrived_at = now()",
             "aed_collected_at": ", aed_collected_at = now()", None: ""}[column]
    conn.execute(text(f"UPDATE rc.alert SET status = :status{stamp} WHERE id = :id"),
                 {"id": alert_id, "status": status})


def stamp_alert(conn: Connection, alert_id: int, column: str) -> None:
    """Record when a step happened without changing the status (AED collected)."""
    if column not in ("aed_collected_at",):
        raise ValueError(column)
    conn.execute(text(f"UPDATE rc.alert SET {column} = now() WHERE id = :id"), {"id": alert_id})


def lock_alert(conn: Connection, alert_id: int) -> dict[str, Any]:
    """One alert, locked for update; NotFound when it does not exist."""
    row = conn.execute(text(
        "SELECT a.*, i.status AS incident_status FROM rc.alert a "
        "JOIN rc.incident i ON i.id = a.incident_id WHERE a.id = :id FOR UPDATE OF a"),
        {"id": alert_id}).first()
    if row is None:
        raise NotFound(f"alert {alert_id} does not exist")
    return dict(row._mapping)


def due_alerts(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """Pending alerts past their deadline, locked (others skip them: one sweeper each)."""
    return [dict(r._mapping) for r in conn.execute(text(
        "SELECT id, incident_id, volunteer_id, task, aed_id FROM rc.alert "
        "WHERE status = 'pending' AND deadline_at <= now() ORDER BY deadline_at "
        "LIMIT :limit FOR UPDATE SKIP LOCKED"), {"limit": limit})]


def volunteer_alerts(engine: Engine, volunteer_id: int, *, active_only: bool,
                     alert_id: int | None = None) -> list[dict[str, Any]]:
    """A volunteer's alerts (only ``alert_id`` when given), newest first, with where the
    patient is and whether the incident is still open."""
    where = "AND a.status IN ('pending', 'accepted') AND i.status = 'open'" if active_only else ""
    if alert_id is not None:
        where += " AND a.id = :alert"
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.id, a.incident_id, a.task, a.aed_id, a.status, a.alerted_at, "
            "a.deadline_at, a.answered_at, a.aed_collected_at, a.arrived_at, a.eta_s, a.leg, "
            "i.category, i.floor, i.status AS incident_status, ST_X(i.geom) AS lon, "
            "ST_Y(i.geom) AS lat, ST_X(d.geom) AS aed_lon, ST_Y(d.geom) AS aed_lat, "
            "d.location_text AS aed_location, "
            "d.level AS aed_level, rc.level_floor(d.level) AS aed_floor "
            "FROM rc.alert a JOIN rc.incident i ON i.id = a.incident_id "
            "LEFT JOIN rc.aed d ON d.id = a.aed_id "
            f"WHERE a.volunteer_id = :volunteer {where} ORDER BY a.id DESC LIMIT 20"),
            {"volunteer": volunteer_id, "alert": alert_id}).all()
    return [dict(r._mapping) for r in rows]


def latest_alert_change(engine: Engine, volunteer_id: int) -> tuple[int, int]:
    """(newest alert id, count of its answered or ended alerts): changes when anything the
    volunteer's alert list shows changes, for long-polling."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT coalesce(max(id), 0) AS newest, "
            "count(*) FILTER (WHERE status NOT IN ('pending', 'accepted')) AS ended "
            "FROM rc.alert WHERE volunteer_id = :volunteer"), {"volunteer": volunteer_id}).one()
    return int(row.newest), int(row.ended)


def events_after(engine: Engine, incident_id: int, after: int, limit: int = 500
                 ) -> list[dict[str, Any]]:
    """The incident's events numbered above ``after``, in order."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seq, at, kind, unit_kind, unit_id, data, created_by FROM rc.incident_event "
            "WHERE incident_id = :incident AND seq > :after ORDER BY seq LIMIT :limit"),
            {"incident": incident_id, "after": after, "limit": limit}).all()
    return [dict(r._mapping) for r in rows]


def incident_row(conn: Connection, incident_id: int, *, lock: bool = False) -> dict[str, Any]:
    """One incident with its point; NotFound when unknown."""
    row = conn.execute(text(
        "SELECT id, reported_at, answered_at, category, status, floor, closed_at, outcome, "
        "rosc, event_seq, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM rc.incident "
        f"WHERE id = :id{' FOR UPDATE' if lock else ''}"), {"id": incident_id}).first()
    if row is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return dict(row._mapping)


def latest_dispatch_id(conn: Connection, incident_id: int) -> int | None:
    """The incident's newest plan."""
    return conn.execute(text(
        "SELECT max(id) FROM rc.dispatch WHERE incident_id = :incident"),
        {"incident": incident_id}).scalar_one()



def open_incidents(engine: Engine) -> list[dict[str, Any]]:
    """Every open incident, newest first, with how many units are on it."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT i.id, i.reported_at, i.category, i.floor, i.event_seq, "
            "ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, "
            "(SELECT count(*) FROM rc.assignment c WHERE c.incident_id = i.id "
            " AND c.released_at IS NULL) AS units "
            "FROM rc.incident i WHERE i.status = 'open' ORDER BY i.id DESC LIMIT 200")).all()
    return [dict(r._mapping) for r in rows]


def incident_detail(engine: Engine, incident_id: int) -> dict[str, Any]:
    """One incident: its times and outcome, the units on it now, every alert, the newest plan."""
    with engine.connect() as conn:
        row = incident_row(conn, incident_id)
        units = conn.execute(text(
            "SELECT c.unit_kind, c.unit_id, c.claimed_at, a.status AS ambulance_status, "
            "a.call_sign FROM rc.assignment c "
            "LEFT JOIN rc.ambulance a ON c.unit_kind = 'ambulance' AND a.id = c.unit_id "
            "WHERE c.incident_id = :id AND c.released_at IS NULL ORDER BY c.id"),
            {"id": incident_id}).all()
        alerts = conn.execute(text(
            "SELECT a.id, a.volunteer_id, v.name, a.task, a.aed_id, a.status, a.alerted_at, "
            "a.deadline_at, a.answered_at, a.aed_collected_at, a.arrived_at, a.eta_s "
            "FROM rc.alert a JOIN rc.volunteer v ON v.id = a.volunteer_id "
            "WHERE a.incident_id = :id ORDER BY a.id"), {"id": incident_id}).all()
        plan_id = latest_dispatch_id(conn, incident_id)
    return {**row, "units": [dict(u._mapping) for u in units],
            "alerts": [dict(a._mapping) for a in alerts], "dispatch_id": plan_id}


def close(engine: Engine, incident_id: int, *, outcome: str, rosc: bool | None, at: datetime,
          actor: str) -> None:
    """Close an incident: stand down its volunteers, turn back ambulances that have not reached
    the patient, free every unit, record the outcome, all in one transaction."""
    from gis.fleet import update_ambulance_status  # fleet builds on this module
    with engine.begin() as conn:
        row = incident_row(conn, incident_id, lock=True)
        if row["status"] != "open":
            raise Conflict(f"incident {incident_id} is already {row['status']}")
        for volunteer_id, alert in active_alerts(conn, incident_id).items():
            set_alert_status(conn, alert["id"], "stood_down")
            add_event(conn, incident_id, "withdrawn", unit=Unit("volunteer", volunteer_id),
                      data={"alert_id": alert["id"], "reason": "closed"}, created_by=actor,
                      at=at)
        for unit in claimed_units(conn, incident_id):
            status = conn.execute(text("SELECT status FROM rc.ambulance WHERE id = :id"),
                                  {"id": unit.id}).scalar() if unit.kind == "ambulance" else None
            if status in ("dispatched", "en_route"):
                update_ambulance_status(conn, unit.id, "available",
                                        reason=f"incident {incident_id} closed", actor=actor)
        release(conn, incident_id, None, "closed")
        conn.execute(text(
            "UPDATE rc.incident SET status = CASE WHEN :outcome = 'cancelled' THEN 'cancelled' "
            "ELSE 'closed' END, closed_at = :at, outcome = :outcome, rosc = :rosc "
            "WHERE id = :id"), {"id": incident_id, "at": at, "outcome": outcome, "rosc": rosc})
        add_event(conn, incident_id, "closed", created_by=actor, at=at,
                  data={"outcome": outcome, "rosc": rosc})


def position_lonlat(engine: Engine, position_id: int) -> tuple[float, float]:
    """Where a stored volunteer position is (WGS84)."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM rc.volunteer_position "
            "WHERE id = :id"), {"id": position_id}).one()
    return float(row.lon), float(row.lat)


def unit_mission(engine: Engine, unit: Unit) -> dict[str, Any] | None:
    """The open incident a unit is sent to, with the patient's point and floor, or None."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT i.id, i.floor, i.destination_hospital_id, ST_X(i.geom) AS lon, "
            "ST_Y(i.geom) AS lat FROM rc.assignment c JOIN rc.incident i ON i.id = c.incident_id "
            "WHERE c.unit_kind = :kind AND c.unit_id = :id AND c.released_at IS NULL "
            "AND i.status = 'open'"), {"kind": unit.kind, "id": unit.id}).first()
    return None if row is None else dict(row._mapping)


def record_event(engine: Engine, incident_id: int, kind: str, *, unit: Unit,
                 data: dict[str, Any], created_by: str) -> int:
    """Append one event in its own transaction; its number."""
    with engine.begin() as conn:
        return add_event(conn, incident_id, kind, unit=unit, data=data, created_by=created_by)
