"""What the public AED finder reads: the AEDs near a point, each with whether it can be used now.

Availability is the registry's own rule, ``rc.aed_unavailable_reason`` (status, expiry dates,
access, opening hours in the deployment's time zone, ``rc.local_zone()``), so the finder,
dispatch and the registry never disagree about an AED. Walking times are added by the caller
from the routing network.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

# Fields the public may see; owner contacts, serial numbers and expiry dates stay internal.
PUBLIC_FIELDS = ("id", "name", "address", "location_text", "indoor", "level", "access",
                 "opening_hours", "phone", "status", "photo_ref")


def aeds_near(engine: Engine, lon: float, lat: float, *, radius_m: float, at: datetime,
              limit: int = 60) -> list[dict[str, Any]]:
    """AEDs within ``radius_m`` metres (straight line) of WGS84 ``lon``/``lat``, nearest first.

    Each row has the public fields, ``lon``/``lat``, ``distance_m`` and ``reason`` (why it
    cannot be used at ``at``; None when it can).
    """
    columns = ", ".join(f"a.{name}" for name in PUBLIC_FIELDS)
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT {columns}, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, "
            "ST_Distance(a.geom::geography, p.g::geography) AS distance_m, "
            "rc.aed_unavailable_reason(a.id, :at) AS reason "
            "FROM rc.aed a, (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) p "
            "WHERE ST_DWithin(a.geom::geography, p.g::geography, :radius) "
            "ORDER BY distance_m, a.id LIMIT :limit"),
            {"lon": lon, "lat": lat, "radius": radius_m, "at": at, "limit": limit}).all()
    return [dict(row._mapping) for row in rows]
