"""Place search: streets of the loaded network and named facilities (``rc.search_places``).

For the public finder when a phone will not share its position, and for dispatchers who hear a
street name on the phone. Matching, ranking and what counts as a place live in
``sql/functions/places.sql``.
"""

from dataclasses import dataclass

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class Place:
    """A place found by name: what it is, its id in its table, a label and where it is."""

    kind: str          # street, hospital, station, aed, training_site
    id: int
    name: str
    detail: str | None
    lon: float
    lat: float


def search_places(
    engine: Engine, query: str, *, near: tuple[float, float] | None = None, limit: int = 10
) -> list[Place]:
    """Places matching ``query`` (any part of a name or address), best first."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    near_lon, near_lat = near if near is not None else (None, None)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM rc.search_places(:q, :lon, :lat, :limit)"),
            {"q": escaped, "lon": near_lon, "lat": near_lat, "limit": limit}).all()
    return [Place(*row) for row in rows]
