"""Hospitals as destinations: what each can treat, read for dispatch, and the arrival
pre-notices queued in the notification outbox for the hospital a patient is driven to."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from gis.db import jsonb_text

PRENOTICE_TOPIC = "arrival_prenotice"


def load_hospitals(engine: Engine) -> list[dict[str, Any]]:
    """Every hospital: id, name, lon, lat, emergency (department) and capabilities."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat, emergency, capabilities "
            "FROM rc.hospital")).all()
    return [dict(r._mapping) for r in rows]


def set_destination(conn: Connection, incident_id: int, hospital_id: int | None) -> None:
    """Record where the incident's patient goes."""
    conn.execute(text("UPDATE rc.incident SET destination_hospital_id = :h WHERE id = :i"),
                 {"h": hospital_id, "i": incident_id})


def hospital_exists(engine: Engine, hospital_id: int) -> bool:
    """Whether a hospital id is known."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM rc.hospital WHERE id = :id"),
                            {"id": hospital_id}).first() is not None


def queue_prenotice(conn: Connection, *, hospital_id: int, key: str,
                    payload: dict[str, Any]) -> None:
    """One pre-notice for the hospital, written in the caller's transaction (delivered by
    `rescuecircle notify deliver` with the owner notifications' retries)."""
    conn.execute(text(
        "INSERT INTO rc.notification_outbox (topic, event_key, hospital_id, recipient, payload) "
        "SELECT :topic, :key, h.id, coalesce(h.prenotice_contact, 'hospital:' || h.id), "
        "CAST(:payload AS jsonb) FROM rc.hospital h WHERE h.id = :hospital "
        "ON CONFLICT (event_key) DO NOTHING"),
        {"topic": PRENOTICE_TOPIC, "key": key, "hospital": hospital_id,
         "payload": jsonb_text(payload)})


def last_prenotice(engine: Engine, incident_id: int) -> dict[str, Any] | None:
    """The newest pre-notice queued for an incident (its payload and hospital), or None."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT hospital_id, payload, created_at FROM rc.notification_outbox "
            "WHERE topic = :topic AND (payload ->> 'incident_id')::integer = :incident "
            "ORDER BY id DESC LIMIT 1"), {"topic": PRENOTICE_TOPIC, "incident": incident_id}
        ).first()
    return None if row is None else dict(row._mapping)


def prenotice_payload(conn: Connection, incident_id: int, ambulance_id: int,
                      eta_s: float | None) -> dict[str, Any]:
    """What a receiving hospital is told: who comes, when (ETA and the expected time), the
    call's category and floor, when it was received, ROSC if recorded."""
    row = conn.execute(text(
        "SELECT i.category, i.reported_at, i.rosc, i.destination_hospital_id, h.name, "
        "a.call_sign, a.kind, now() AS sent_at "
        "FROM rc.incident i LEFT JOIN rc.hospital h ON h.id = i.destination_hospital_id "
        "JOIN rc.ambulance a ON a.id = :ambulance WHERE i.id = :id"),
        {"id": incident_id, "ambulance": ambulance_id}).one()
    expected = None if eta_s is None else row.sent_at + timedelta(seconds=eta_s)
    return {"incident_id": incident_id, "hospital_id": row.destination_hospital_id,
            "hospital": row.name, "ambulance": row.call_sign, "ambulance_kind": row.kind,
            "eta_s": eta_s, "expected_at": _iso(expected), "category": row.category,
            "call_received_at": _iso(row.reported_at), "rosc": row.rosc,
            "sent_at": _iso(row.sent_at)}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()



def record_prenotice_update(engine: Engine, incident_id: int, ambulance_id: int,
                            eta_s: float) -> None:
    """A new pre-notice for the incident's destination, the ETA having moved."""
    with engine.begin() as conn:
        payload = prenotice_payload(conn, incident_id, ambulance_id, eta_s)
        if payload["hospital_id"] is None:
            return
        queue_prenotice(conn, hospital_id=payload["hospital_id"],
                        key=f"prenotice:{incident_id}:update:{payload['sent_at']}",
                        payload={**payload, "update": True})
