"""The ambulance fleet in the database: the list with each ambulance's latest position, status
changes (the trigger keeps their history) and live positions."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from gis.hospitals import prenotice_payload, queue_prenotice, set_destination
from gis.incident_store import Unit, add_event, release
from rescuecircle.errors import NotFound

STATUSES = ("available", "dispatched", "en_route", "on_scene", "transporting", "at_hospital",
            "busy", "out_of_service")
# The incident event each status is, for an ambulance sent to an incident.
MISSION_EVENTS = {"dispatched": "dispatched", "en_route": "en_route", "on_scene": "on_scene",
                  "transporting": "transporting", "at_hospital": "at_hospital"}


def list_ambulances(engine: Engine) -> list[dict[str, Any]]:
    """Every ambulance with its station and latest position (None when it never reported)."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT a.id, a.call_sign, a.kind, a.equipment, a.status, a.source,
                   a.station_id, s.name AS station, s.ref AS station_ref,
                   ST_X(s.geom) AS station_lon, ST_Y(s.geom) AS station_lat,
                   p.observed_at, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
            FROM rc.ambulance a
            JOIN rc.station s ON s.id = a.station_id
            LEFT JOIN LATERAL (
                SELECT ap.observed_at, ap.geom FROM rc.ambulance_position ap
                WHERE ap.ambulance_id = a.id ORDER BY ap.observed_at DESC LIMIT 1) p ON true
            ORDER BY a.call_sign""")).mappings().all()
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class Transport:
    """Where an ambulance starts driving its patient, and how long it will take."""

    hospital_id: int
    eta_s: float | None


def set_ambulance_status(engine: Engine, ambulance_id: int, status: str, *, reason: str | None,
                         actor: str, at: datetime | None = None,
                         transport: Transport | None = None) -> None:
    """Change one ambulance's status; the history trigger records who and why. For an
    ambulance sent to an incident, the change is also an event of that incident; becoming
    available (or going out of service) frees it from the incident, after a hospital as its
    hand-over. Starting to transport with a ``transport`` records the destination and queues
    the hospital's arrival pre-notice, in the same transaction."""
    with engine.begin() as conn:
        old = update_ambulance_status(conn, ambulance_id, status, reason=reason, actor=actor)
        incident = conn.execute(text(
            "SELECT incident_id FROM rc.assignment WHERE unit_kind = 'ambulance' "
            "AND unit_id = :id AND released_at IS NULL"), {"id": ambulance_id}).scalar()
        if incident is None or old == status:
            return
        unit = Unit("ambulance", ambulance_id)
        data: dict[str, Any] = {"status": status, **({"reason": reason} if reason else {})}
        if status in MISSION_EVENTS:
            if status == "transporting" and transport is not None:
                set_destination(conn, incident, transport.hospital_id)
                data |= {"hospital_id": transport.hospital_id, "eta_s": transport.eta_s}
            seq = add_event(conn, incident, MISSION_EVENTS[status], unit=unit, data=data,
                            created_by=actor, at=at)
            if status == "transporting" and transport is not None:
                queue_prenotice(conn, hospital_id=transport.hospital_id,
                                key=f"prenotice:{incident}:{seq}", payload=prenotice_payload(
                                    conn, incident, ambulance_id, transport.eta_s))
            return
        kind = "handed_over" if old == "at_hospital" and status == "available" else "released"
        add_event(conn, incident, kind, unit=unit, data=data, created_by=actor, at=at)
        release(conn, incident, unit, status)


def update_ambulance_status(conn: Connection, ambulance_id: int, status: str, *,
                            reason: str | None, actor: str) -> str:
    """Set the status inside the caller's transaction; the status it had."""
    conn.execute(text("SELECT rc._set_change_context(:a, :r)"), {"a": actor, "r": reason})
    old = conn.execute(text("SELECT status FROM rc.ambulance WHERE id = :id FOR UPDATE"),
                       {"id": ambulance_id}).scalar()
    if old is None:
        raise NotFound(f"ambulance {ambulance_id} does not exist")
    conn.execute(text("UPDATE rc.ambulance SET status = :s WHERE id = :id"),
                 {"s": status, "id": ambulance_id})
    return str(old)


def fresh_position(engine: Engine, ambulance_id: int, now: datetime,
                   max_age_s: float = 120.0) -> tuple[float, float] | None:
    """The ambulance's latest position when at most ``max_age_s`` old, else None."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM rc.ambulance_position "
            "WHERE ambulance_id = :id AND observed_at > :since ORDER BY observed_at DESC "
            "LIMIT 1"), {"id": ambulance_id, "since": now - timedelta(seconds=max_age_s)}).first()
    return None if row is None else (float(row.lon), float(row.lat))


def status_of(engine: Engine, ambulance_id: int) -> str | None:
    """The ambulance's status now (None for an unknown one)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM rc.ambulance WHERE id = :id"),
                            {"id": ambulance_id}).scalar()


def status_history(engine: Engine, ambulance_id: int) -> list[dict[str, Any]]:
    """Every status the ambulance had, newest first."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT old_status, new_status, reason, changed_at, changed_by "
            "FROM rc.ambulance_status_history WHERE ambulance_id = :id "
            "ORDER BY changed_at DESC, id DESC"), {"id": ambulance_id}).mappings()]


def record_ambulance_position(engine: Engine, ambulance_id: int, *, lon: float, lat: float,
                              accuracy_m: float | None, observed_at: datetime | None) -> int:
    """Store one live position (WGS84); NotFound for an unknown ambulance."""
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM rc.ambulance WHERE id = :id"),
                        {"id": ambulance_id}).first() is None:
            raise NotFound(f"ambulance {ambulance_id} does not exist")
        return int(conn.execute(text(
            "INSERT INTO rc.ambulance_position (ambulance_id, observed_at, accuracy_m, geom) "
            "VALUES (:id, coalesce(:at, now()), :accuracy, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"),
            {"id": ambulance_id, "at": observed_at, "accuracy": accuracy_m,
             "lon": lon, "lat": lat}).scalar_one())


def position_history(engine: Engine, ambulance_id: int, since: datetime) -> list[dict[str, Any]]:
    """The ambulance's positions since ``since``, oldest first (its track)."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT observed_at, accuracy_m, ST_X(geom) AS lon, ST_Y(geom) AS lat "
            "FROM rc.ambulance_position WHERE ambulance_id = :id AND observed_at >= :since "
            "ORDER BY observed_at"), {"id": ambulance_id, "since": since}).mappings()]
