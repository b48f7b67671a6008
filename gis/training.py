"""The training network in the database: sites with their upcoming sessions and free places,
enrolments (personal data), attendance, and the training record an attended course becomes."""

from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from planning.inputs import Points
from rescuecircle.errors import Conflict, NotFound


def training_sites(engine: Engine) -> list[dict[str, Any]]:
    """Every training site: id, name, address, lon, lat."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, name, address, ST_X(geom) AS lon, ST_Y(geom) AS lat "
            "FROM rc.training_site ORDER BY id")).all()
    return [dict(r._mapping) for r in rows]


def training_points(engine: Engine) -> Points:
    """Every training site as a point, for planning."""
    sites = training_sites(engine)
    return Points(np.array([s["lon"] for s in sites], float),
                  np.array([s["lat"] for s in sites], float))


def upcoming_sessions(engine: Engine, site_ids: list[int], after: datetime
                      ) -> dict[int, list[dict[str, Any]]]:
    """Sessions starting after ``after`` at the given sites, with their free places (None:
    no limit), by site."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT s.training_site_id, s.id, s.course, s.starts_at, s.ends_at, s.capacity, "
            "s.capacity - (SELECT count(*) FROM rc.enrolment e WHERE e.session_id = s.id "
            "AND e.status <> 'cancelled') AS free_places FROM rc.training_session s "
            "WHERE s.training_site_id = ANY(:ids) AND s.starts_at > :after "
            "ORDER BY s.starts_at"), {"ids": site_ids, "after": after}).all()
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in site_ids}
    for row in rows:
        session = dict(row._mapping)
        found[session.pop("training_site_id")].append(session)
    return found


def enrol(engine: Engine, session_id: int, *, name: str, phone: str, now: datetime) -> int:
    """Take a place in a session; Conflict when it is full, has started, or the phone is
    already enrolled. The session row is locked, so two people never take the last place."""
    with engine.begin() as conn:
        session = conn.execute(text(
            "SELECT starts_at, capacity FROM rc.training_session WHERE id = :id FOR UPDATE"),
            {"id": session_id}).first()
        if session is None:
            raise NotFound(f"training session {session_id} does not exist")
        if session.starts_at <= now:
            raise Conflict(f"training session {session_id} has started: enrol in a later one")
        taken = conn.execute(text(
            "SELECT count(*) FROM rc.enrolment WHERE session_id = :id "
            "AND status <> 'cancelled'"), {"id": session_id}).scalar_one()
        if session.capacity is not None and taken >= session.capacity:
            raise Conflict(f"training session {session_id} is full ({session.capacity} places)")
        volunteer = conn.execute(text(
            "SELECT id FROM rc.volunteer WHERE phone = :phone ORDER BY id LIMIT 1"),
            {"phone": phone}).scalar()
        try:
            with conn.begin_nested():
                return int(conn.execute(text(
                    "INSERT INTO rc.enrolment (session_id, name, phone, volunteer_id) "
                    "VALUES (:s, :n, :p, :v) RETURNING id"),
                    {"s": session_id, "n": name, "p": phone, "v": volunteer}).scalar_one())
        except IntegrityError:
            raise Conflict(f"this phone is already enrolled in session {session_id}") from None


def enrolments(engine: Engine, session_id: int) -> list[dict[str, Any]]:
    """A session's enrolments (personal data: admins only)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, name, phone, volunteer_id, status, enrolled_at, attended_at "
            "FROM rc.enrolment WHERE session_id = :id ORDER BY id"), {"id": session_id}).all()
    return [dict(r._mapping) for r in rows]


def record_attendance(engine: Engine, enrolment_id: int, *, attended: bool, level: str | None,
                      certificate_no: str | None, expires_on: date | None) -> dict[str, Any]:
    """Mark an enrolment attended or absent; an attended course of a known volunteer becomes
    their training record (and, with an expiry, their certificate's dates)."""
    with engine.begin() as conn:
        row = conn.execute(text(
            "SELECT e.id, e.status, e.volunteer_id, s.course, s.training_site_id, s.ends_at "
            "FROM rc.enrolment e JOIN rc.training_session s ON s.id = e.session_id "
            "WHERE e.id = :id FOR UPDATE OF e"), {"id": enrolment_id}).first()
        if row is None:
            raise NotFound(f"enrolment {enrolment_id} does not exist")
        if row.status == "cancelled":
            raise Conflict(f"enrolment {enrolment_id} was cancelled")
        conn.execute(text(
            "UPDATE rc.enrolment SET status = :s, attended_at = CASE WHEN :a THEN now() END "
            "WHERE id = :id"), {"s": "attended" if attended else "absent", "a": attended,
                                "id": enrolment_id})
        record_id = None
        if attended and row.volunteer_id is not None:
            record_id = conn.execute(text(
                "INSERT INTO rc.training_record (volunteer_id, course, level, completed_on, "
                "expires_on, certificate_no, training_site_id) VALUES (:v, :c, :l, "
                "CAST(:done AS date), :exp, :cert, :site) RETURNING id"),
                {"v": row.volunteer_id, "c": row.course, "l": level, "done": row.ends_at,
                 "exp": expires_on, "cert": certificate_no, "site": row.training_site_id}
            ).scalar_one()
            if expires_on is not None:
                conn.execute(text(
                    "UPDATE rc.volunteer SET certified_on = CAST(:done AS date), "
                    "certified_until = :exp WHERE id = :v"),
                    {"done": row.ends_at, "exp": expires_on, "v": row.volunteer_id})
    return {"enrolment_id": enrolment_id, "status": "attended" if attended else "absent",
            "volunteer_id": row.volunteer_id, "training_record_id": record_id}
