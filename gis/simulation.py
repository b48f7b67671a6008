"""What the live-loop simulator starts from: who it plays (active volunteers, where each was
last seen). Read only: the simulator writes through the use cases, as real phones do."""

from dataclasses import dataclass

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class Person:
    """An active volunteer, their availability and their latest position (WGS84)."""

    id: int
    availability: str
    lon: float
    lat: float


def people(engine: Engine) -> list[Person]:
    """Active volunteers with at least one stored position, by id."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT v.id, v.availability, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat "
            "FROM rc.volunteer v JOIN rc.volunteer_position_latest p ON p.volunteer_id = v.id "
            "WHERE v.status = 'active' ORDER BY v.id")).all()
    return [Person(int(r.id), str(r.availability), float(r.lon), float(r.lat)) for r in rows]

