"""Read districts and population from a city's own files: any vector format GDAL reads
(GeoJSON, GeoPackage, Shapefile, ...) in any CRS, and CSV with lon/lat columns, each feature
as its fields and a WGS84 geometry. A table of attributes (a CSV keyed like the features) may
bring the values the geometry file lacks, as Shenzhen's traffic zones keep their population
apart from their outlines.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pyproj
import shapely

from formats.records import LAT_NAMES, LON_NAMES, csv_rows
from rescuecircle.errors import InvalidInput

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Area:
    """One feature: a label to report it by, its fields by name, its geometry in WGS84 (None
    when it had none)."""

    label: str
    fields: dict[str, Any]
    geometry: shapely.Geometry | None


def read_areas(path: Path, *, table: Path | None = None, key: str | None = None) -> list[Area]:
    """The features of ``path``; with ``table`` (a CSV), each gets the table row whose
    ``key`` matches: ``key`` is ``FIELD`` (the same name in both) or ``FIELD=COLUMN``."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    areas = _csv_points(path) if path.suffix.lower() == ".csv" else _vector(path)
    if table is None:
        return areas
    if key is None:
        raise InvalidInput(f"{table.name}: say which field joins it, e.g. --key zone=zone_id")
    return _joined(areas, table, key)


def field_of(areas: list[Area], wanted: str, what: str, path: Path) -> str:
    """The field named ``wanted`` (case-insensitive), or InvalidInput listing the fields."""
    names = sorted({name for area in areas for name in area.fields})
    for name in names:
        if name.lower() == wanted.lower():
            return name
    raise InvalidInput(f"{path.name}: no field '{wanted}' for the {what} "
                       f"(fields: {', '.join(names) or 'none'})")


def _vector(path: Path) -> list[Area]:
    try:
        meta, _, geometry, values = pyogrio.raw.read(path)
    except Exception as exc:  # GDAL's errors name the file and the problem
        raise InvalidInput(f"{path.name}: not a readable vector file ({exc})") from None
    names = [str(n) for n in meta["fields"]]
    shapes = shapely.from_wkb(geometry) if geometry is not None else [None] * len(values[0])
    shapes = _to_wgs84(np.asarray(shapes, dtype=object), meta.get("crs"), path)
    return [Area(f"feature {i + 1}", {n: _plain(values[j][i]) for j, n in enumerate(names)},
                 shape)
            for i, shape in enumerate(shapes)]


def _csv_points(path: Path) -> list[Area]:
    areas = []
    for line, row in enumerate(csv_rows(path), start=2):
        fields = {str(k).strip(): (v.strip() if isinstance(v, str) else v)
                  for k, v in row.items() if k}
        lower = {k.lower(): v for k, v in fields.items()}
        lon = next((lower[n] for n in LON_NAMES if lower.get(n)), None)
        lat = next((lower[n] for n in LAT_NAMES if lower.get(n)), None)
        try:
            point = None if lon is None or lat is None else shapely.Point(float(lon), float(lat))
        except ValueError:
            point = None
        areas.append(Area(f"row {line}", fields, point))
    return areas


def _to_wgs84(shapes: np.ndarray, crs: str | None, path: Path) -> np.ndarray:
    """Shapes reprojected from ``crs`` (none given: taken as WGS84, as GeoJSON is)."""
    if crs in (None, WGS84, "OGC:CRS84"):
        return shapes
    try:
        transformer = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    except pyproj.exceptions.CRSError as exc:
        raise InvalidInput(f"{path.name}: unknown CRS {crs} ({exc})") from None
    present = np.array([s is not None for s in shapes], bool)
    out = shapes.copy()
    out[present] = shapely.transform(
        shapes[present], lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    return out


def _joined(areas: list[Area], table: Path, key: str) -> list[Area]:
    field, _, column = key.partition("=")
    column = column or field
    if not table.is_file():
        raise InvalidInput(f"{table}: no such file")
    rows = csv_rows(table)
    if rows and column not in rows[0]:
        raise InvalidInput(f"{table.name}: no column '{column}' to join on")
    by_key = {str(row[column]).strip(): row for row in rows}
    joined = []
    for area in areas:
        if field not in area.fields:
            raise InvalidInput(f"no field '{field}' in the features to join {table.name} on")
        extra = by_key.get(str(area.fields[field]).strip(), {})
        joined.append(Area(area.label, {**extra, **area.fields}, area.geometry))
    return joined


def _plain(value: Any) -> Any:
    """numpy scalars as Python values."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Rejected:
    """A feature that was not loaded, and why."""

    label: str
    reason: str


@dataclass(frozen=True)
class DistrictRow:
    """A checked district: name, code, kind (None: to derive), population, outline."""

    name: str
    code: str | None
    kind: str | None
    population: float | None
    geometry: shapely.MultiPolygon


@dataclass(frozen=True)
class FieldNames:
    """Which fields of a districts file hold what (``None``: the file has none)."""

    name: str
    code: str | None = None
    kind: str | None = None
    population: str | None = None


def district_rows(areas: list[Area], fields: FieldNames) -> tuple[list[DistrictRow],
                                                                   list[Rejected]]:
    """The districts to load and the features rejected, each with its reason."""
    rows: list[DistrictRow] = []
    rejected: list[Rejected] = []
    codes: dict[str, str] = {}
    for area in areas:
        try:
            row = _district(area, fields)
        except ValueError as exc:
            rejected.append(Rejected(area.label, str(exc)))
            continue
        if row.code is not None and row.code in codes:
            rejected.append(Rejected(area.label, f"duplicate code {row.code} (as "
                                                 f"{codes[row.code]})"))
            continue
        if row.code is not None:
            codes[row.code] = area.label
        rows.append(row)
    return rows, rejected


def _district(area: Area, fields: FieldNames) -> DistrictRow:
    name = _text(area.fields.get(fields.name))
    if name is None:
        raise ValueError(f"missing {fields.name}")
    kind = _text(area.fields.get(fields.kind)) if fields.kind else None
    if kind is not None and kind.lower() not in ("urban", "rural"):
        raise ValueError(f"kind {kind!r} is not urban or rural")
    population = _count(area.fields.get(fields.population), fields.population) \
        if fields.population else None
    return DistrictRow(name, _text(area.fields.get(fields.code)) if fields.code else None,
                       kind.lower() if kind else None, population, _polygons(area))


def counts(areas: list[Area], field: str) -> tuple[list[tuple[float, shapely.Geometry]],
                                                   list[Rejected]]:
    """(people, geometry) of each feature with a count and a geometry; the rest rejected.
    A feature counting nobody is left out quietly: nobody lives there."""
    found, rejected = [], []
    for area in areas:
        try:
            people = _count(area.fields.get(field), field)
            if people is None:
                raise ValueError(f"missing {field}")
            if area.geometry is None or area.geometry.is_empty:
                raise ValueError("missing geometry")
            if area.geometry.geom_type not in ("Point", "Polygon", "MultiPolygon"):
                raise ValueError(f"a {area.geometry.geom_type} cannot hold people; give "
                                 "polygons or points")
        except ValueError as exc:
            rejected.append(Rejected(area.label, str(exc)))
            continue
        if people > 0:
            found.append((people, area.geometry))
    return found, rejected


def _text(value: Any) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


def _count(value: Any, name: str | None) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} {value!r} must be a count of 0 or more")
    return number


def _polygons(area: Area) -> shapely.MultiPolygon:
    geometry = area.geometry
    if geometry is None or geometry.is_empty:
        raise ValueError("missing geometry")
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"a district must be a polygon, not a {geometry.geom_type}")
    valid = shapely.make_valid(geometry)
    parts = [g for g in shapely.get_parts(valid) if g.geom_type == "Polygon"] \
        if valid.geom_type != "Polygon" else [valid]
    if not parts:
        raise ValueError("the polygon has no area")
    return shapely.MultiPolygon(parts)
