"""Population: how many people live inside an area (for isochrones and coverage)."""

import shapely
from sqlalchemy import Engine, text


def population_within(engine: Engine, area: shapely.Geometry) -> float | None:
    """People inside ``area`` (WGS84), areal-weighted; None when no population is loaded."""
    with engine.connect() as conn:
        if conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM rc.population)")).scalar():
            return None
        value = conn.execute(
            text("SELECT rc.population_within(ST_GeomFromWKB(:wkb, 4326))"),
            {"wkb": shapely.to_wkb(area)},
        ).scalar_one()
    return round(float(value))
