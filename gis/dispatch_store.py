"""Storing dispatch plans with their audit trail, and reading them back."""

import json
from typing import Any

import shapely
from sqlalchemy import Engine, text

from rescuecircle.errors import NotFound


def store_dispatch(
    engine: Engine, *, inputs: dict[str, Any], plan: dict[str, Any],
    candidates: dict[str, Any], timings_ms: dict[str, float], created_by: str,
    replan_of: int | None,
) -> tuple[int, int]:
    """Store the incident (new, or the replanned one's) and the plan together.

    Returns (dispatch id, incident id).
    """
    with engine.begin() as conn:
        if replan_of is None:
            lon, lat = inputs["point"]
            incident_id = conn.execute(text(
                "INSERT INTO rc.incident (reported_at, category, input_crs, geom) "
                "VALUES (:at, :category, :crs, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
                "RETURNING id"),
                {"at": inputs["at"], "category": inputs["category"], "crs": inputs["crs"],
                 "lon": lon, "lat": lat}).scalar_one()
        else:
            incident_id = conn.execute(text(
                "SELECT incident_id FROM rc.dispatch WHERE id = :id"), {"id": replan_of}
            ).scalar_one()
        dispatch_id = conn.execute(text(
            "INSERT INTO rc.dispatch (incident_id, plan, inputs, candidates, timings_ms, "
            "created_by, replan_of) VALUES (:incident, CAST(:plan AS jsonb), "
            "CAST(:inputs AS jsonb), CAST(:candidates AS jsonb), CAST(:timings AS jsonb), "
            ":by, :replan_of) RETURNING id"),
            {"incident": incident_id, "plan": _json(plan), "inputs": _json(inputs),
             "candidates": _json(candidates), "timings": _json(timings_ms),
             "by": created_by, "replan_of": replan_of}).scalar_one()
    return int(dispatch_id), int(incident_id)


def load_dispatch(engine: Engine, dispatch_id: int) -> dict[str, Any]:
    """A stored dispatch as a dict; NotFound for an unknown id."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT id, incident_id, created_at, created_by, replan_of, inputs, candidates, "
            "timings_ms, plan FROM rc.dispatch WHERE id = :id"), {"id": dispatch_id}).first()
    if row is None:
        raise NotFound(f"dispatch {dispatch_id} does not exist")
    record = dict(row._mapping)
    record["created_at"] = record["created_at"].isoformat()
    return record


def no_fly_zones(engine: Engine) -> list[shapely.Geometry]:
    """Every no-fly zone (WGS84)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ST_AsBinary(geom) FROM rc.no_fly_zone")).scalars()
        return [shapely.from_wkb(bytes(wkb)) for wkb in rows]


def _json(value: Any) -> str:
    """Strict JSON: a NaN or infinity in our own data is a bug to see, not a jsonb error."""
    return json.dumps(value, allow_nan=False)
