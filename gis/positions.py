"""Volunteer positions: personal data, written by the volunteer (or dispatch), read by dispatch."""

from datetime import datetime

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
