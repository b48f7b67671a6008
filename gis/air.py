"""Air rescue data for planning: ready landing sites, air bases with their helicopters'
figures, hospitals with their grade and helipad flag."""

import numpy as np
from sqlalchemy import Engine, text

from planning.inputs import Points


def load_air(engine: Engine) -> tuple[Points, Points, list[tuple[float | None, ...]], Points]:
    """(landing sites, bases, each base's (spin_up_s, cruise_speed_kmh, range_km) with None
    for a default, hospitals with values ``tertiary`` and ``helipad``)."""
    with engine.connect() as conn:
        sites = conn.execute(text(
            "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, kind, helicopters, spin_up_s, "
            "cruise_speed_kmh, range_km FROM rc.helipad WHERE status = 'ready'")).all()
        hospitals = conn.execute(text(
            "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, "
            "coalesce(grade ~ '^\\s*(3|III|三级)', false) AS tertiary, "
            "coalesce(helipad, false) AS helipad FROM rc.hospital")).all()
    bases = [s for s in sites if s.kind == "air_base" and s.helicopters > 0]
    return (
        Points(np.array([s.lon for s in sites], float), np.array([s.lat for s in sites], float)),
        Points(np.array([b.lon for b in bases], float), np.array([b.lat for b in bases], float)),
        [(b.spin_up_s, b.cruise_speed_kmh, b.range_km) for b in bases],
        Points(np.array([h.lon for h in hospitals], float),
               np.array([h.lat for h in hospitals], float),
               {"tertiary": np.array([h.tertiary for h in hospitals], bool),
                "helipad": np.array([h.helipad for h in hospitals], bool)}),
    )
