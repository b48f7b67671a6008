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
import shapely
from sqlalchemy import Engine, text

from formats.areas import read_areas
from gis.dispatch_store import no_fly_zones
from gis.population import PopulationPoints, load_population_points
from planning.inputs import BASE_KINDS, POST_KINDS, District, PlanningInputs, Points, Venue
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


def load_inputs(
    engine: Engine, *, at: datetime, population: PopulationPoints | None = None
) -> PlanningInputs:
    """Stations and posts (with ambulances), AEDs (available at ``at``, usable that day),
    drone pads, AED duty venues, emergency departments with their capabilities, training
    sites, people
    (``population`` when the caller holds it already, else read from rc.population) and the
    no-fly zones."""
    with engine.connect() as conn:
        stations = conn.execute(text("SELECT * FROM rc.planning_stations()")).all()
        aeds = conn.execute(text("SELECT * FROM rc.planning_aeds(:at)"), {"at": at}).all()
        pads = conn.execute(text("SELECT * FROM rc.planning_drone_pads()")).all()
        departments = conn.execute(text(
            "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, capabilities FROM rc.hospital "
            "WHERE emergency ORDER BY id")).all()
        sites = conn.execute(text(
            "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM rc.training_site "
            "ORDER BY id")).all()
    people = population if population is not None else load_population_points(engine)
    return PlanningInputs(
        stations=_points([s for s in stations if s.kind in BASE_KINDS],
                         "ambulances", "negative_pressure"),
        aeds=_points(aeds, "id", "available", "usable"),
        drone_pads=_points(pads, "range_km", "cruise_speed_kmh"),
        people=Points(people.lon, people.lat, {"people": people.people}),
        no_fly=tuple(no_fly_zones(engine)),
        posts=_points([s for s in stations if s.kind in POST_KINDS], "kind", "ambulances"),
        venues=tuple(load_aed_venues(engine)),
        hospitals=Points(np.array([d.lon for d in departments], float),
                         np.array([d.lat for d in departments], float),
                         {"capabilities": _objects([tuple(d.capabilities or ())
                                                    for d in departments])}),
        training_sites=Points(np.array([t.lon for t in sites], float),
                              np.array([t.lat for t in sites], float)),
    )


def _objects(values: list[tuple[str, ...]]) -> np.ndarray:
    """A one-dimensional array of tuples (numpy would make equal-length tuples a matrix)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def load_usable_aeds(engine: Engine, *, at: datetime) -> Points:
    """The public, usable AEDs on the day of ``at`` (ready, in date, public access)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT lon, lat FROM rc.planning_aeds(:at) WHERE usable"),
                            {"at": at}).all()
    return _points(rows)


def load_aed_venues(engine: Engine) -> list[Venue]:
    """The venues that must have an AED (``rc.aed_venue``), with their outlines."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM rc.planning_aed_venues()")).all()
    return [Venue(r.id, r.name, r.kind, r.lon, r.lat,
                  None if r.outline is None else shapely.from_wkb(bytes(r.outline)))
            for r in rows]


def load_incidents(engine: Engine, *, start: datetime | None, end: datetime | None,
                   categories: Sequence[str] | None) -> Points:
    """Stored incidents received in [``start``, ``end``) of ``categories`` (None: any), as
    points with their ``id`` and ``category`` (cancelled calls and false alarms left out)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT * FROM rc.planning_incidents(:start, :end, :categories)"),
            {"start": start, "end": end,
             "categories": None if categories is None else list(categories)}).all()
    return _points(rows, "id", "category")


def read_incident_points(path: Path, *, categories: Sequence[str] | None) -> Points:
    """Incident points from a file: a CSV with lon/lat columns or any vector file GDAL reads
    (reprojected to WGS84), one call per feature unless a ``calls`` field counts them;
    ``categories`` keeps those whose ``category`` field is one of them."""
    areas = read_areas(path)
    fields = {name.lower(): name for area in areas for name in area.fields}
    if categories is not None and "category" not in fields:
        raise InvalidInput(f"{path.name}: categories were asked for, and it has no category "
                           "field")
    lon, lat, calls = [], [], []
    for area in areas:
        if area.geometry is None or area.geometry.geom_type != "Point":
            raise InvalidInput(f"{path.name}: {area.label} is not a point (lon/lat columns, "
                               "or point geometries)")
        if categories is not None and str(area.fields.get(fields["category"])) \
                not in categories:
            continue
        count = area.fields.get(fields["calls"], 1) if "calls" in fields else 1
        try:
            calls.append(float(count))
        except (TypeError, ValueError):
            raise InvalidInput(f"{path.name}: {area.label}: calls {count!r} is not a "
                               "number") from None
        lon.append(area.geometry.x)
        lat.append(area.geometry.y)
    if not lon:
        raise InvalidInput(f"{path.name}: no incident point"
                           + (" of those categories" if categories is not None else ""))
    return Points(np.array(lon), np.array(lat), {"calls": np.array(calls)})


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
