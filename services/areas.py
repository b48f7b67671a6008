"""Import a city's districts and population from its own files, each in one transaction, and
keep the districts' urban/rural kinds in step: a district whose file gives no kind is classified
by the Degree of Urbanisation on the population loaded (planning.urbanisation), again whenever
population is loaded."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Connection

from formats.areas import FieldNames, district_rows, field_of, read_areas
from formats.areas import counts as area_counts
from gis.areas import (
    AreaReport,
    derived_outlines,
    population_points,
    set_district_kinds,
    store_districts,
    store_population,
)
from gis.population import load_population_raster
from planning.population_cells import cells_around
from planning.urbanisation import classify
from rescuecircle.errors import InvalidInput
from routing.projection import LocalProjection
from services.context import Context

RASTER_SUFFIXES = (".tif", ".tiff")
NO_KIND = ("{n} districts have no kind and nothing to derive it from: counted as urban; "
           "load population (`rescuecircle import population FILE`) or give a kind field")


def import_districts(context: Context, path: Path, fields: FieldNames, *,
                     table: Path | None = None, key: str | None = None,
                     strict: bool = False) -> AreaReport:
    """Replace the districts of this file with its features; a report of what was loaded."""
    areas = read_areas(path, table=table, key=key)
    if areas:
        def named(name: str | None, what: str) -> str | None:
            return None if name is None else field_of(areas, name, what, path)

        fields = FieldNames(field_of(areas, fields.name, "name", path),
                            named(fields.code, "code"), named(fields.kind, "kind"),
                            named(fields.population, "population"))
    rows, rejected = district_rows(areas, fields)
    report = AreaReport("districts", path.name, len(areas), rejected=rejected)
    _check(report, strict, bool(rows))
    with context.engine.begin() as conn:
        derived = _derive(conn, [r.geometry for r in rows], [r.population for r in rows])
        kinds = [(r.kind, "given") if r.kind else derived[i] for i, r in enumerate(rows)]
        store_districts(conn, rows, kinds, source=f"import:{path.name}")
    report.loaded = len(rows)
    _note_kinds(report, [basis for _, basis in kinds])
    return report


def import_population(context: Context, path: Path, *, count_field: str | None = None,
                      table: Path | None = None, key: str | None = None,
                      strict: bool = False) -> AreaReport:
    """Replace the population of this file: a GeoTIFF of people per cell (any CRS), or
    polygons or points with a count field; then classify the districts again."""
    source = f"import:{path.name}"
    if path.suffix.lower() in RASTER_SUFFIXES:
        report = AreaReport("cells", path.name, 0)
        with context.engine.begin() as conn:
            report.people = load_population_raster(conn, path, source=source)
            _reclassify(conn, report)
        return report
    areas = read_areas(path, table=table, key=key)
    if count_field is None:
        raise InvalidInput(f"{path.name}: say which field counts the people (--count FIELD)")
    found, rejected = area_counts(areas, field_of(areas, count_field, "count", path)
                                  if areas else count_field)
    report = AreaReport("areas", path.name, len(areas), rejected=rejected)
    _check(report, strict, bool(found))
    with context.engine.begin() as conn:
        report.people = store_population(conn, _as_areas(found), source=source)
        _reclassify(conn, report)
    report.loaded = len(found)
    return report


def _check(report: AreaReport, strict: bool, anything: bool) -> None:
    """Refuse a file with nothing to load, or with any rejected feature under ``strict``."""
    if strict and report.rejected:
        raise InvalidInput(f"{len(report.rejected)} features rejected, nothing loaded "
                           f"(strict):\n{report}")
    if not anything:
        raise InvalidInput(f"nothing to load:\n{report}")


def _as_areas(found: list[tuple[float, shapely.Geometry]]
              ) -> list[tuple[float, shapely.Geometry]]:
    """Points become the cells around them (planning.population_cells); polygons stay."""
    points = [(i, g) for i, (_, g) in enumerate(found) if g.geom_type == "Point"]
    if not points:
        return found
    lon = np.array([g.x for _, g in points])
    lat = np.array([g.y for _, g in points])
    projection = LocalProjection(float(lon.mean()), float(lat.mean()))
    cells = cells_around(*projection.to_xy(lon, lat))
    areas = list(found)
    for (index, _), cell in zip(points, cells, strict=True):
        areas[index] = (found[index][0], shapely.transform(
            cell, lambda xy: np.column_stack(projection.to_lonlat(xy[:, 0], xy[:, 1]))))
    return areas


def _derive(conn: Connection, outlines: Sequence[shapely.Geometry],
            given_people: Sequence[float | None]) -> list[tuple[str, str]]:
    """(kind, basis) of each outline from the population visible in ``conn``."""
    if not outlines:
        return []
    lon, lat, people = (np.array(v, float) for v in population_points(conn))
    centre = shapely.centroid(shapely.union_all(list(outlines)))
    projection = LocalProjection(centre.x, centre.y)
    x, y = projection.to_xy(lon, lat)
    metric = [shapely.transform(o, lambda xy: np.column_stack(
        projection.to_xy(xy[:, 0], xy[:, 1]))) for o in outlines]
    kinds = classify(metric, x, y, people, district_people=given_people)
    return [(kind, "density") if kind else ("urban", "default") for kind in kinds]


def _reclassify(conn: Connection, report: AreaReport) -> None:
    outlines = derived_outlines(conn)
    kinds = _derive(conn, [o.geometry for o in outlines], [o.population for o in outlines])
    set_district_kinds(conn, {o.id: kind for o, kind in zip(outlines, kinds, strict=True)})
    if outlines:
        report.notes.append(f"{len(outlines)} districts without a given kind classified again")
    _note_kinds(report, [basis for _, basis in kinds])


def _note_kinds(report: AreaReport, bases: list[str]) -> None:
    defaulted = bases.count("default")
    if defaulted:
        report.notes.append(NO_KIND.format(n=defaulted))
    if bases.count("density"):
        report.notes.append(f"{bases.count('density')} districts classified urban or rural by "
                            "the Degree of Urbanisation (urban: half the people in clusters of "
                            "1 km² cells of 300 or more, 5,000 people together)")
