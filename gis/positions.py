"""Volunteer positions: personal data, written by the volunteer (or dispatch), read by dispatch."""

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from rescuecircle.errors import NotFound


def record_position(
    engine: Engine, volunteer_id: int, *, lon: float, lat: float, accuracy_m: float | None,
    observed_at: datetime | None, availability: str | None = None,
) -> int:
    """Store one position (WGS84) and, if given, the volunteer's availability, together.

    Returns the position's id; NotFound for an unknown volunteer (nothing is stored).
    """
    with engine.begin() as conn:
        found = conn.execute(text(
            "UPDATE rc.volunteer SET availability = coalesce(:a, availability) WHERE id = :id"),
            {"a": availability, "id": volunteer_id}).rowcount
        if not found:
            raise NotFound(f"volunteer {volunteer_id} does not exist")
        return int(conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, accuracy_m, geom) "
            "VALUES (:id, coalesce(:at, now()), :accuracy, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"),
            {"id": volunteer_id, "at": observed_at, "accuracy": accuracy_m,
             "lon": lon, "lat": lat}).scalar_one())


def record_positions(engine: Engine, positions: list[dict[str, Any]]) -> int:
    """Store many volunteers' positions (``volunteer_id``, ``lon``, ``lat``, ``accuracy_m``,
    ``observed_at``, ``availability``) in one transaction; NotFound naming the unknown
    volunteers, and nothing stored, when any is unknown."""
    wanted = sorted({p["volunteer_id"] for p in positions})
    with engine.begin() as conn:
        known = set(conn.execute(text("SELECT id FROM rc.volunteer WHERE id = ANY(:ids)"),
                                 {"ids": wanted}).scalars())
        unknown = [v for v in wanted if v not in known]
        if unknown:
            raise NotFound(f"no volunteer has the id {', '.join(map(str, unknown[:10]))}; "
                           "nothing was stored")
        updates = [{"a": p["availability"], "id": p["volunteer_id"]} for p in positions
                   if p["availability"] is not None]
        if updates:
            conn.execute(text("UPDATE rc.volunteer SET availability = :a WHERE id = :id"),
                         updates)
        conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, accuracy_m, geom) "
            "VALUES (:volunteer_id, coalesce(:observed_at, now()), :accuracy_m, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"), positions)
    return len(positions)
