"""The volunteer registry: registration, approval, training and service records, promotion.

Volunteers are personal data: these functions are called only by handlers that checked the
caller's role. A registration starts ``pending``; the emergency centre approves it (``active``,
which issues the electronic certificate id), may suspend and reinstate. Promotion counts the
rescues attended and service hours in ``rc.volunteer_service`` against thresholds from the
settings (``RC_PROMOTE_*``).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from formats.fields import LEVELS
from gis.photos import store_photo
from rescuecircle.errors import InvalidInput, NotFound

STATUSES = ("pending", "active", "suspended")
SERVICE_KINDS = ("rescue", "duty", "training_given")


@dataclass(frozen=True)
class Registration:
    """What a new volunteer brings: identity and the training certificate."""

    name: str
    phone: str | None
    level: str
    certificate_no: str | None
    certified_until: date | None


@dataclass(frozen=True)
class Training:
    """A course completed."""

    course: str
    completed_on: date
    level: str | None = None
    expires_on: date | None = None
    certificate_no: str | None = None
    training_site_id: int | None = None


@dataclass(frozen=True)
class Service:
    """A rescue attended or a stretch of duty."""

    kind: str
    started_at: datetime
    duration_min: int
    incident_id: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class Session:
    """A scheduled course at a training site."""

    course: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = None


@dataclass(frozen=True)
class PromotionRules:
    """Rescues and service hours each level needs."""

    junior_rescues: int
    junior_service_h: float
    senior_rescues: int
    senior_service_h: float


_COLUMNS = ("id, name, phone, level, availability, status, status_reason, status_changed_at, "
            "status_changed_by, certificate_no, certified_until, ecert_id, source, created_at")


def register(engine: Engine, registration: Registration, *,
             certificate_photo: tuple[bytes, str] | None = None,
             source: str = "registration") -> int:
    """Store a pending registration (with the photo of the certificate, for an application);
    InvalidInput when the certificate is already registered."""
    if registration.level not in LEVELS:
        raise InvalidInput(f"level {registration.level!r} is unknown; use one of "
                           f"{', '.join(LEVELS)}")
    with engine.begin() as conn:
        if registration.certificate_no and conn.execute(text(
                "SELECT 1 FROM rc.volunteer WHERE certificate_no = :c"),
                {"c": registration.certificate_no}).first():
            raise InvalidInput(f"certificate_no {registration.certificate_no}: already "
                               "registered")
        photo_id = (None if certificate_photo is None
                    else store_photo(conn, certificate_photo))
        return int(conn.execute(text(
            "INSERT INTO rc.volunteer (name, phone, level, certificate_no, certified_until, "
            "status, source, certificate_photo_id) VALUES (:n, :p, :l, :c, :u, 'pending', "
            ":source, :photo) RETURNING id"),
            {"n": registration.name, "p": registration.phone, "l": registration.level,
             "c": registration.certificate_no, "u": registration.certified_until,
             "source": source, "photo": photo_id}).scalar_one())


def certificate_photo(engine: Engine, volunteer_id: int) -> tuple[bytes, str]:
    """The photo of a volunteer's certificate; NotFound when there is none."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT f.bytes, f.media_type FROM rc.volunteer v JOIN rc.photo f "
            "ON f.id = v.certificate_photo_id WHERE v.id = :id"), {"id": volunteer_id}).first()
    if row is None:
        raise NotFound(f"volunteer {volunteer_id} has no certificate photo")
    return bytes(row.bytes), str(row.media_type)


def set_status(engine: Engine, volunteer_id: int, status: str, *, reason: str | None,
               actor: str) -> dict[str, Any]:
    """Approve, suspend or reinstate; returns id, status and the electronic certificate id."""
    if status not in STATUSES:
        raise InvalidInput(f"status {status!r} is unknown; use one of {', '.join(STATUSES)}")
    with engine.begin() as conn:
        _require(conn, volunteer_id)
        certificate = conn.execute(text("SELECT rc.volunteer_set_status(:id, :s, :r, :a)"),
                                   {"id": volunteer_id, "s": status, "r": reason,
                                    "a": actor}).scalar_one()
    return {"id": volunteer_id, "status": status, "ecert_id": certificate}


def get(engine: Engine, volunteer_id: int) -> dict[str, Any]:
    """One volunteer with training records and service totals."""
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {_COLUMNS} FROM rc.volunteer WHERE id = :id"),
                           {"id": volunteer_id}).mappings().first()
        if row is None:
            raise NotFound(f"volunteer {volunteer_id} does not exist")
        training = conn.execute(text(
            "SELECT id, course, level, completed_on, expires_on, certificate_no, "
            "training_site_id FROM rc.training_record WHERE volunteer_id = :id "
            "ORDER BY completed_on"), {"id": volunteer_id}).mappings().all()
        served = conn.execute(text(
            "SELECT count(*) FILTER (WHERE kind = 'rescue') AS rescues, "
            "coalesce(sum(duration_min), 0) / 60.0 AS service_h "
            "FROM rc.volunteer_service WHERE volunteer_id = :id"), {"id": volunteer_id}).one()
    return {**row, "training": [dict(t) for t in training], "rescues": served.rescues,
            "service_h": float(served.service_h)}


def listing(engine: Engine, status: str | None = None) -> list[dict[str, Any]]:
    """Volunteers, optionally of one status, by id."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status {status!r} is unknown; use one of {', '.join(STATUSES)}")
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT {_COLUMNS} FROM rc.volunteer WHERE CAST(:s AS text) IS NULL "
            "OR status = :s ORDER BY id"), {"s": status}).mappings().all()
    return [dict(r) for r in rows]


def add_training(engine: Engine, volunteer_id: int, training: Training) -> int:
    """Record a completed course."""
    if training.level is not None and training.level not in LEVELS:
        raise InvalidInput(f"level {training.level!r} is unknown; use one of {', '.join(LEVELS)}")
    with engine.begin() as conn:
        _require(conn, volunteer_id)
        if training.training_site_id is not None and conn.execute(text(
                "SELECT 1 FROM rc.training_site WHERE id = :id"),
                {"id": training.training_site_id}).first() is None:
            raise InvalidInput(f"training_site_id {training.training_site_id}: no such site")
        return int(conn.execute(text(
            "INSERT INTO rc.training_record (volunteer_id, course, level, completed_on, "
            "expires_on, certificate_no, training_site_id) VALUES (:v, :c, :l, :done, :exp, "
            ":cert, :site) RETURNING id"),
            {"v": volunteer_id, "c": training.course, "l": training.level,
             "done": training.completed_on, "exp": training.expires_on,
             "cert": training.certificate_no, "site": training.training_site_id}).scalar_one())


def add_service(engine: Engine, volunteer_id: int, service: Service) -> int:
    """Record a rescue attended or service time."""
    if service.kind not in SERVICE_KINDS:
        raise InvalidInput(f"kind {service.kind!r} is unknown; use one of "
                           f"{', '.join(SERVICE_KINDS)}")
    if not 0 <= service.duration_min <= 24 * 60:
        raise InvalidInput(f"duration_min {service.duration_min} is outside 0 to 1440")
    with engine.begin() as conn:
        _require(conn, volunteer_id)
        if service.incident_id is not None and conn.execute(text(
                "SELECT 1 FROM rc.incident WHERE id = :id"),
                {"id": service.incident_id}).first() is None:
            raise InvalidInput(f"incident_id {service.incident_id}: no such incident")
        return int(conn.execute(text(
            "INSERT INTO rc.volunteer_service (volunteer_id, kind, started_at, duration_min, "
            "incident_id, note) VALUES (:v, :k, :s, :d, :i, :n) RETURNING id"),
            {"v": volunteer_id, "k": service.kind, "s": service.started_at,
             "d": service.duration_min, "i": service.incident_id,
             "n": service.note}).scalar_one())


def promotions_due(conn: Connection, rules: PromotionRules) -> list[dict[str, Any]]:
    """Active volunteers whose service earns a higher level."""
    rows = conn.execute(text(
        "SELECT * FROM rc.volunteer_promotions_due(:jr, :jh, :sr, :sh)"),
        {"jr": rules.junior_rescues, "jh": rules.junior_service_h,
         "sr": rules.senior_rescues, "sh": rules.senior_service_h}).mappings().all()
    return [dict(r) for r in rows]


def promote(engine: Engine, rules: PromotionRules) -> list[dict[str, Any]]:
    """Apply every promotion due; returns them."""
    with engine.begin() as conn:
        due = promotions_due(conn, rules)
        for promotion in due:
            conn.execute(text("UPDATE rc.volunteer SET level = :l WHERE id = :id"),
                         {"l": promotion["to_level"], "id": promotion["volunteer_id"]})
    return due


def training_sessions(engine: Engine, site_id: int,
                      start: datetime | None) -> list[dict[str, Any]]:
    """A training site's courses that end after ``start`` (default now), by start time."""
    with engine.connect() as conn:
        _require_site(conn, site_id)
        rows = conn.execute(text(
            "SELECT id, course, starts_at, ends_at, capacity FROM rc.training_session "
            "WHERE training_site_id = :id AND ends_at >= coalesce(:start, now()) "
            "ORDER BY starts_at"), {"id": site_id, "start": start}).mappings().all()
    return [dict(r) for r in rows]


def add_training_session(engine: Engine, site_id: int, session: Session) -> int:
    """Publish a course at a training site."""
    if session.ends_at <= session.starts_at:
        raise InvalidInput("ends_at must be after starts_at")
    if session.capacity is not None and session.capacity <= 0:
        raise InvalidInput(f"capacity {session.capacity} must be above 0")
    with engine.begin() as conn:
        _require_site(conn, site_id)
        return int(conn.execute(text(
            "INSERT INTO rc.training_session (training_site_id, course, starts_at, ends_at, "
            "capacity) VALUES (:id, :c, :s, :e, :cap) RETURNING id"),
            {"id": site_id, "c": session.course, "s": session.starts_at, "e": session.ends_at,
             "cap": session.capacity}).scalar_one())


def _require_site(conn: Connection, site_id: int) -> None:
    if conn.execute(text("SELECT 1 FROM rc.training_site WHERE id = :id"),
                    {"id": site_id}).first() is None:
        raise NotFound(f"training site {site_id} does not exist")


def _require(conn: Connection, volunteer_id: int) -> None:
    if conn.execute(text("SELECT 1 FROM rc.volunteer WHERE id = :id"),
                    {"id": volunteer_id}).first() is None:
        raise NotFound(f"volunteer {volunteer_id} does not exist")
