"""The AED registry: status, checks, uses, public reports, availability and expiry alerts.

The rules live in SQL (``sql/functions/registry.sql``) so every writer obeys them and each
change lands in one transaction with its history row and owner notification; these functions
validate, call them and turn rows into plain data. Opening hours are parsed here, in Python,
when they are written (:func:`sync_opening_hours`), because SQL has no parser for them.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from formats.opening_hours import OpeningHours, parse_opening_hours
from rescuecircle.errors import InvalidInput, NotFound

STATUSES = ("ready", "fault", "in_use", "out_of_service", "missing")
REPORT_PROBLEMS = ("missing", "damaged", "inaccessible", "expired", "other")
USE_OUTCOMES = ("shock_delivered", "no_shock_advised", "pads_not_attached", "not_used")
# Registry columns an update may set (geometry goes through lon/lat).
EDITABLE = ("ref", "name", "brand", "model", "serial", "owner", "contact", "phone", "address",
            "location_text", "indoor", "level", "opening_hours", "access",
            "battery_expires_on", "pads_expire_on", "photo_ref")


@dataclass(frozen=True)
class Check:
    """A device self-test (telemetry) or an inspection on foot."""

    kind: str  # self_test | inspection
    checked_at: datetime
    battery_level_pct: float | None = None
    battery_expires_on: date | None = None
    pads_expire_on: date | None = None
    error_codes: tuple[str, ...] = ()
    note: str | None = None
    volunteer_id: int | None = None


@dataclass(frozen=True)
class Use:
    """One use of an AED, linked to an incident when there was one; position in WGS84."""

    used_at: datetime
    outcome: str
    incident_id: int | None = None
    volunteer_id: int | None = None
    note: str | None = None
    lon: float | None = None
    lat: float | None = None


def sync_opening_hours(conn: Connection) -> int:
    """Parse every AED whose opening hours are pending and store the weekly table.

    Run in the transaction that wrote them (imports, registry updates, the OSM import), so
    readers never see a changed value without its schedule. Returns the AEDs parsed.
    """
    rows = conn.execute(text(
        "SELECT id, opening_hours FROM rc.aed WHERE hours_state = 'pending' "
        "ORDER BY id FOR UPDATE")).all()
    if not rows:
        return 0
    parsed = []
    by_value: dict[str, OpeningHours] = {}  # an import brings thousands of AEDs, few schedules
    for aed_id, value in rows:
        if value not in by_value:
            by_value[value] = parse_opening_hours(value)
        hours = by_value[value]
        parsed.append({
            "aed_id": aed_id, "opening_hours": value, "state": hours.state,
            "problems": "; ".join(hours.problems) or None, "holiday": hours.holiday_rule,
            "intervals": [[i.weekday, i.opens_min, i.closes_min] for i in hours.intervals],
        })
    return int(conn.execute(text("SELECT rc._aed_store_hours(CAST(:p AS jsonb))"),
                            {"p": json.dumps(parsed)}).scalar_one())


def set_status(engine: Engine, aed_id: int, status: str, *, reason: str | None,
               actor: str) -> int | None:
    """Change an AED's status; returns the history id (None: it already had that status)."""
    if status not in STATUSES:
        raise InvalidInput(f"status {status!r} is unknown; use one of {', '.join(STATUSES)}")
    with engine.begin() as conn:
        _require_aed(conn, aed_id)
        history_id = conn.execute(text("SELECT rc.aed_set_status(:id, :s, :r, :a)"),
                                  {"id": aed_id, "s": status, "r": reason, "a": actor})
        return history_id.scalar_one()


def record_check(engine: Engine, aed_id: int, check: Check, *, actor: str,
                 low_battery_pct: float, tz: str | None = None) -> dict[str, Any]:
    """Store a check and apply the rules; returns check id, outcome, problems, new status.

    Expiry is judged on the local date of ``checked_at`` in ``tz`` (None: the deployment's
    zone, ``rc.local_zone()``: RC_TIMEZONE, else the loaded network's)."""
    with engine.begin() as conn:
        _require_aed(conn, aed_id)
        row = conn.execute(text(
            "SELECT * FROM rc.aed_record_check(:id, :kind, :at, CAST(:level AS real), :battery, "
            ":pads, CAST(:codes AS text[]), :note, :actor, :volunteer, CAST(:low AS real), "
            "CAST(:tz AS text))"),
            {"id": aed_id, "kind": check.kind, "at": check.checked_at,
             "level": check.battery_level_pct, "battery": check.battery_expires_on,
             "pads": check.pads_expire_on, "codes": list(check.error_codes), "note": check.note,
             "actor": actor, "volunteer": check.volunteer_id, "low": low_battery_pct,
             "tz": tz}).one()
    return dict(row._mapping)


def record_use(engine: Engine, aed_id: int, use: Use, *, actor: str) -> int:
    """Store a use record; a used AED goes out of service until an inspection passes."""
    if use.outcome not in USE_OUTCOMES:
        raise InvalidInput(f"outcome {use.outcome!r} is unknown; use one of "
                           f"{', '.join(USE_OUTCOMES)}")
    with engine.begin() as conn:
        _require_aed(conn, aed_id)
        _require_row(conn, "incident", use.incident_id)
        _require_row(conn, "volunteer", use.volunteer_id)
        return int(conn.execute(text(
            "SELECT rc.aed_record_use(:id, :at, :incident, :volunteer, :outcome, :note, "
            "CAST(:lon AS float8), CAST(:lat AS float8), :actor)"),
            {"id": aed_id, "at": use.used_at, "incident": use.incident_id,
             "volunteer": use.volunteer_id, "outcome": use.outcome, "note": use.note,
             "lon": use.lon, "lat": use.lat, "actor": actor}).scalar_one())


def report_fault(engine: Engine, aed_id: int, *, problem: str, description: str | None,
                 contact: str | None) -> int:
    """Queue a public fault report for inspection; the AED's status is left to inspectors."""
    if problem not in REPORT_PROBLEMS:
        raise InvalidInput(f"problem {problem!r} is unknown; use one of "
                           f"{', '.join(REPORT_PROBLEMS)}")
    with engine.begin() as conn:
        _require_aed(conn, aed_id)
        return int(conn.execute(text(
            "INSERT INTO rc.aed_report (aed_id, problem, description, contact) "
            "VALUES (:id, :p, :d, :c) RETURNING id"),
            {"id": aed_id, "p": problem, "d": description, "c": contact}).scalar_one())


def update_aed(engine: Engine, aed_id: int, fields: dict[str, Any], *,
               lonlat: tuple[float, float] | None, actor: str) -> None:
    """Change registry fields (``EDITABLE``) and optionally the WGS84 position."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"cannot set {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    assignments = [f"{name} = :{name}" for name in fields]
    if lonlat is not None:
        assignments.append("geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)")
    if not assignments:
        raise InvalidInput("nothing to change")
    values = {**fields, "id": aed_id, "actor": actor}
    if lonlat is not None:
        values.update(lon=lonlat[0], lat=lonlat[1])
    with engine.begin() as conn:
        _require_aed(conn, aed_id)
        conn.execute(text("SELECT rc._set_change_context(:actor, 'registry update')"), values)
        conn.execute(text(f"UPDATE rc.aed SET {', '.join(assignments)}, updated_at = now() "
                          "WHERE id = :id"), values)
        sync_opening_hours(conn)


def unavailable_reason(engine: Engine, aed_id: int, at: datetime,
                       tz: str | None = None) -> str | None:
    """Why the AED cannot be used at ``at`` (local time in ``tz``; None: the deployment's zone,
    ``rc.local_zone()``), or None when it can."""
    with engine.connect() as conn:
        _require_aed(conn, aed_id)
        return conn.execute(text("SELECT rc.aed_unavailable_reason(:id, :at, :tz)"),
                            {"id": aed_id, "at": at, "tz": tz}).scalar_one()


def available_aeds(engine: Engine, at: datetime,
                   bbox: tuple[float, float, float, float] | None = None,
                   limit: int | None = None) -> list[dict[str, Any]]:
    """Every AED usable at ``at`` (local time in the deployment's zone, ``rc.local_zone()``):
    id, name, address, location text, WGS84 lon/lat; within ``bbox`` (WGS84 west, south,
    east, north) and the ``limit`` nearest its centre, when given."""
    where, order = "", "a.id"
    values: dict[str, Any] = {"at": at, "limit": limit}
    if bbox is not None:
        west, south, east, north = bbox
        where = "WHERE a.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
        order = "a.geom <-> ST_SetSRID(ST_MakePoint((:w + :e) / 2, (:s + :n) / 2), 4326)"
        values.update(w=west, s=south, e=east, n=north)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.id, a.name, a.address, a.location_text, a.opening_hours, "
            "ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat "
            "FROM rc.aeds_available_at(:at) v JOIN rc.aed a ON a.id = v.aed_id "
            f"{where} ORDER BY {order} LIMIT :limit"), values).all()
    return [dict(r._mapping) for r in rows]


def expiring(engine: Engine, within_days: int, today: date) -> list[dict[str, Any]]:
    """Batteries and pads expiring within ``within_days`` (expired ones too), with owners."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.aed_id, a.name, a.serial, a.owner, a.contact, a.phone, e.part, "
            "e.expires_on, e.days_left FROM rc.aeds_expiring(:days, :today) e "
            "JOIN rc.aed a ON a.id = e.aed_id"), {"days": within_days, "today": today}).all()
    return [dict(r._mapping) for r in rows]


def history(engine: Engine, aed_id: int) -> list[dict[str, Any]]:
    """The AED's status changes, newest first."""
    with engine.connect() as conn:
        _require_aed(conn, aed_id)
        rows = conn.execute(text(
            "SELECT id, changed_at, old_status, new_status, reason, changed_by "
            "FROM rc.aed_status_history WHERE aed_id = :id ORDER BY changed_at DESC, id DESC"),
            {"id": aed_id}).all()
    return [dict(r._mapping) for r in rows]


def inspection_queue(engine: Engine) -> list[dict[str, Any]]:
    """What needs a visit: open public reports, and AEDs in fault, out of service or missing."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.id AS aed_id, a.name, a.address, a.status, ST_X(a.geom) AS lon, "
            "ST_Y(a.geom) AS lat, coalesce(jsonb_agg(jsonb_build_object("
            "'id', r.id, 'problem', r.problem, 'description', r.description, "
            "'reported_at', r.reported_at) ORDER BY r.reported_at) "
            "FILTER (WHERE r.id IS NOT NULL), '[]') AS reports "
            "FROM rc.aed a LEFT JOIN rc.aed_report r ON r.aed_id = a.id AND r.status = 'open' "
            "WHERE r.id IS NOT NULL OR a.status IN ('fault', 'out_of_service', 'missing') "
            "GROUP BY a.id ORDER BY a.id")).all()
    return [dict(r._mapping) for r in rows]


def _require_aed(conn: Connection, aed_id: int) -> None:
    if conn.execute(text("SELECT 1 FROM rc.aed WHERE id = :id"), {"id": aed_id}).first() is None:
        raise NotFound(f"AED {aed_id} does not exist")


def _require_row(conn: Connection, table: str, row_id: int | None) -> None:
    """InvalidInput when an id the request refers to does not exist (``table`` is ours)."""
    if row_id is not None and conn.execute(
            text(f"SELECT 1 FROM rc.{table} WHERE id = :id"), {"id": row_id}).first() is None:
        raise InvalidInput(f"{table}_id {row_id}: no such {table}")


def register_aed(engine: Engine, fields: dict[str, Any], *, lonlat: tuple[float, float],
                 organisation_id: int | None, actor: str) -> int:
    """A new AED reported by its owner (or an admin): registry fields (``EDITABLE``), its
    WGS84 position and owning organisation; live at once. Its id."""
    with engine.begin() as conn:
        if organisation_id is not None and conn.execute(text(
                "SELECT 1 FROM rc.organisation WHERE id = :id"),
                {"id": organisation_id}).first() is None:
            raise InvalidInput(f"organisation_id {organisation_id}: no such organisation")
        conn.execute(text("SELECT rc._set_change_context(:actor, 'registered by its owner')"),
                     {"actor": actor})
        return insert_aed(conn, fields, lonlat=lonlat, organisation_id=organisation_id,
                          source=f"owner:{organisation_id}" if organisation_id else "manual")


def insert_aed(conn: Connection, fields: dict[str, Any], *, lonlat: tuple[float, float],
               organisation_id: int | None, source: str) -> int:
    """Insert an AED in the caller's transaction (fields checked against ``EDITABLE``)."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"cannot set {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    if not fields.get("name"):
        raise InvalidInput("name is required: what the AED is called where it hangs")
    columns = [*fields, "organisation_id", "source"]
    values = {**fields, "organisation_id": organisation_id, "source": source,
              "lon": lonlat[0], "lat": lonlat[1]}
    aed_id = int(conn.execute(text(
        f"INSERT INTO rc.aed ({', '.join(columns)}, geom) VALUES "
        f"({', '.join(':' + c for c in columns)}, "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"), values).scalar_one())
    sync_opening_hours(conn)
    return aed_id


def aed_organisation(engine: Engine, aed_id: int) -> int | None:
    """The organisation owning an AED (None: none recorded); NotFound for an unknown AED."""
    with engine.connect() as conn:
        _require_aed(conn, aed_id)
        return conn.execute(text("SELECT organisation_id FROM rc.aed WHERE id = :id"),
                            {"id": aed_id}).scalar()


def transfer_aed(engine: Engine, aed_id: int, organisation_id: int | None, *,
                 actor: str) -> None:
    """Give an AED to another organisation (or to none)."""
    with engine.begin() as conn:
        _require_aed(conn, aed_id)
        conn.execute(text("SELECT rc._set_change_context(:actor, 'ownership transfer')"),
                     {"actor": actor})
        try:
            with conn.begin_nested():
                conn.execute(text("UPDATE rc.aed SET organisation_id = :o, updated_at = now() "
                                  "WHERE id = :id"), {"o": organisation_id, "id": aed_id})
        except IntegrityError:
            raise InvalidInput(f"organisation_id {organisation_id}: no such organisation"
                               ) from None


def organisation_aeds(engine: Engine, organisation_id: int, today: date
                      ) -> list[dict[str, Any]]:
    """An organisation's AEDs with their state and what needs doing (by ``today``)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, name, status, location_text, level, opening_hours, "
            "battery_expires_on, pads_expire_on, last_inspected_at, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM rc.aed "
            "WHERE organisation_id = :o ORDER BY id"), {"o": organisation_id}).all()
    found = []
    for row in rows:
        aed = dict(row._mapping)
        todo = []
        if aed["status"] != "ready":
            todo.append(f"status is {aed['status']}: inspect it and report it ready")
        for name, what in (("battery_expires_on", "battery"), ("pads_expire_on", "pads")):
            day = aed[name]
            if day is None:
                todo.append(f"{what} expiry unknown: record it")
            elif day < today:
                todo.append(f"{what} expired on {day.isoformat()}: replace them")
            elif (day - today).days <= 30:
                todo.append(f"{what} expire on {day.isoformat()}: order replacements")
        found.append({**aed, "todo": todo})
    return found
