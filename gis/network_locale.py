"""The time zone local times are read in, and the loaded network's country, as the database
resolves them: ``rc.local_zone()`` (sql/functions/locale.sql) is the one definition, RC_TIMEZONE
(the connection's ``rc.timezone``, see ``gis.db.make_engine``) else the loaded network's zone
else UTC, so SQL given no zone and the app's "today" always agree.
"""

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from formats.place_locale import locale_of


@dataclass(frozen=True)
class LocalZone:
    """The effective zone, where it came from, and the loaded network's country (ISO 3166)."""

    zone: str
    zone_from: str  # RC_TIMEZONE | network | UTC: why there is none
    country: str | None


def local_zone(engine: Engine) -> LocalZone:
    """The zone local times are read in on ``engine``'s connections, and the country."""
    with engine.connect() as conn:
        row = conn.execute(text("SELECT zone, zone_from, country FROM rc.local_zone()")).one()
    return LocalZone(row.zone, row.zone_from, row.country)


def fill_missing_locales(conn: Connection) -> int:
    """Give networks imported before rc.network kept a locale (migration 0017) the zone and
    country at the centre of their bounding box; returns how many were filled."""
    rows = conn.execute(text(
        "SELECT id, ST_X(ST_Centroid(bbox)) AS lon, ST_Y(ST_Centroid(bbox)) AS lat "
        "FROM rc.network WHERE timezone IS NULL AND bbox IS NOT NULL ORDER BY id")).all()
    for row in rows:
        locale = locale_of([row.lon], [row.lat])
        conn.execute(text("UPDATE rc.network SET timezone = :zone, country = :country "
                          "WHERE id = :id"),
                     {"zone": locale.timezone, "country": locale.country, "id": row.id})
    return len(rows)
