"""Planning inputs read from the database: facilities, districts, population (issue 7).

Rows come from the ``rc.planning_*`` functions (sql/functions/planning.sql); this module only
turns them into the plain arrays ``planning.kpi`` works on.
"""

import csv
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely
from sqlalchemy import Connection, Engine, text

from gis.dispatch_store import no_fly_zones
from gis.population import PopulationPoints, load_population_points
from planning.inputs import District, PlanningInputs, Points
from rescuecircle.errors import InvalidInput


def _points(rows: Sequence[Any], *extra: str) -> Points:
    lon = np.array([r.lon for r in rows], float)
    lat = np.array([r.lat for r in rows], float)
    return Points(lon, lat, {name: np.array([getattr(r, name) for r in rows]) for name in extra})


def load_districts(engine: Engine) -> list[District]:
    """The districts of ``rc.district``."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM rc.planning_districts()")).all()
    return [District(r.name, r.kind, shapely.from_wkb(bytes(r.wkb))) for r in rows]


def read_districts_file(path: Path, *, name_field: str, kind: str = "urban") -> list[District]:
    """Districts from a vector file (GeoJSON, GeoPackage, ...) in WGS84; every one of ``kind``
    unless the file has a ``kind`` column (urban/rural)."""
    meta, _, geometry, fields = pyogrio.raw.read(path)
    if meta.get("crs") not in (None, "EPSG:4326", "OGC:CRS84"):
        raise InvalidInput(f"{path.name}: districts must be in WGS84, not {meta['crs']}")
    names = list(meta["fields"])
    if name_field not in names:
        raise InvalidInput(f"{path.name}: no field '{name_field}' (fields: {', '.join(names)})")
    kinds = fields[names.index("kind")] if "kind" in names else [kind] * len(geometry)
    for value in set(kinds):
        if value not in ("urban", "rural"):
            raise InvalidInput(f"{path.name}: kind '{value}' is not urban or rural")
    return [District(str(n), str(k), shapely.from_wkb(g))
            for n, k, g in zip(fields[names.index(name_field)], kinds, geometry, strict=True)]


def load_inputs(
    engine: Engine, *, at: datetime, population: PopulationPoints | None = None
) -> PlanningInputs:
    """Stations (with ambulances), AEDs (with availability at ``at``), drone pads, people
    (``population`` when the caller holds it already, else read from rc.population) and the
    no-fly zones."""
    with engine.connect() as conn:
        stations = conn.execute(text("SELECT * FROM rc.planning_stations()")).all()
        aeds = conn.execute(text("SELECT * FROM rc.planning_aeds(:at)"), {"at": at}).all()
        pads = conn.execute(text("SELECT * FROM rc.planning_drone_pads()")).all()
    people = population if population is not None else load_population_points(engine)
    return PlanningInputs(
        stations=_points(stations, "ambulances", "negative_pressure"),
        aeds=_points(aeds, "available"),
        drone_pads=_points(pads, "range_km", "cruise_speed_kmh"),
        people=Points(people.lon, people.lat, {"people": people.people}),
        no_fly=tuple(no_fly_zones(engine)),
    )


def load_population_zones(conn: Connection, path: Path, people: dict[str, float], *,
                          name_field: str, source: str) -> float:
    """Replace the population of ``source`` with zone polygons (WGS84 vector file) carrying
    ``people[name]`` each; zones without a count are skipped. Returns the total loaded.

    Why zones: traffic zones are often the only population a city publishes; they are cut on
    a grid when read back (``rc.population_points``), which is areal weighting.
    """
    meta, _, geometry, fields = pyogrio.raw.read(path)
    if meta.get("crs") not in (None, "EPSG:4326", "OGC:CRS84"):
        raise InvalidInput(f"{path.name}: zones must be in WGS84, not {meta['crs']}")
    if name_field not in list(meta["fields"]):
        raise InvalidInput(f"{path.name}: no field '{name_field}'")
    names = [str(n) for n in fields[list(meta["fields"]).index(name_field)]]
    keep = [i for i, name in enumerate(names) if people.get(name, 0) > 0]
    conn.execute(text("DELETE FROM rc.population WHERE source = :source"), {"source": source})
    conn.execute(text(
        "INSERT INTO rc.population (population, source, geom) "
        "SELECT p, :source, ST_Multi(ST_CollectionExtract(ST_MakeValid("
        "ST_SetSRID(ST_GeomFromWKB(g), 4326)), 3)) "
        "FROM unnest(CAST(:p AS float8[]), CAST(:g AS bytea[])) AS t (p, g)"),
        {"source": source, "p": [people[names[i]] for i in keep],
         "g": [bytes(geometry[i]) for i in keep]})
    return float(sum(people[names[i]] for i in keep))


def store_districts(conn: Connection, districts: list[District], *, source: str) -> int:
    """Replace the districts of ``source`` in ``rc.district``; returns how many were stored."""
    conn.execute(text("DELETE FROM rc.district WHERE source = :source"), {"source": source})
    conn.execute(text(
        "INSERT INTO rc.district (name, kind, source, geom) "
        "SELECT n, k, :source, ST_Multi(ST_SetSRID(ST_GeomFromWKB(g), 4326)) "
        "FROM unnest(CAST(:n AS text[]), CAST(:k AS text[]), CAST(:g AS bytea[])) AS t (n, k, g)"),
        {"source": source, "n": [d.name for d in districts], "k": [d.kind for d in districts],
         "g": [shapely.to_wkb(d.geometry) for d in districts]})
    return len(districts)


def read_points_csv(path: Path) -> Points:
    """Points from a CSV with ``lon`` and ``lat`` columns (WGS84), e.g. candidate sites."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"lon", "lat"} <= set(rows[0]):
        raise InvalidInput(f"{path.name}: needs lon and lat columns and at least one row")
    try:
        return Points(np.array([float(r["lon"]) for r in rows]),
                      np.array([float(r["lat"]) for r in rows]))
    except ValueError as exc:
        raise InvalidInput(f"{path.name}: {exc}") from None


def volunteer_density(
    engine: Engine, *, cell_m: float, min_count: int, since: datetime
) -> list[tuple[int, bytes]]:
    """Active volunteers per hexagon of about ``cell_m`` by their latest position since
    ``since`` (count, WKB in WGS84), cells of fewer than ``min_count`` left out."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT volunteers, wkb FROM rc.volunteer_density(:cell, :k, :since)"),
            {"cell": cell_m, "k": min_count, "since": since}).all()
    return [(int(count), bytes(wkb)) for count, wkb in rows]
