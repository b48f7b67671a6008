"""Where networks are: the locale of networks imported before rc.network kept one."""

from sqlalchemy import Connection, text

from formats.place_locale import locale_of


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
