"""Files for planners: public layers (or computed features) as GeoPackage, GeoJSON, zipped
Shapefile or CSV, and travel-time surfaces as Cloud-Optimized GeoTIFF.

Vector files are written by pyogrio, which ships its own GDAL (3.12, with the GPKG, GeoJSON,
Shapefile and CSV drivers) in its wheel: no system GDAL, and columns go over as whole numpy
arrays rather than feature by feature as with Fiona. A layer's columns, their order and types
are the database's own (``gis.catalogue``, read from the migrated schema), so an export holds
every column the OGC API - Features collection shows, with its type, and no Python copy of the
schema can disagree with it. Geometries are SRID 4326 throughout; timestamps are written in UTC.
"""

import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyogrio.raw
import rasterio.shutil
from rasterio.io import MemoryFile
from sqlalchemy import Engine, column, func, select, table, text

from gis import catalogue
from rescuecircle.errors import InvalidInput, NotFound

CRS = "EPSG:4326"
GEOMETRY_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon",
                  "MULTIPOLYGON": "MultiPolygon"}

Kind = Literal["boolean", "integer", "real", "datetime", "date", "text", "list"]
# How a column of each type (information_schema's data_type) goes into a file: integers and
# booleans as such (nulls masked), reals as doubles (null: NaN), timestamps in UTC, dates as
# dates. Any other type is written as text; tests/test_migrations.py requires every column of a
# public layer to have a type named here, so a new type is a decision, not a fallback.
KINDS: dict[str, Kind] = {
    "boolean": "boolean", "smallint": "integer", "integer": "integer", "bigint": "integer",
    "real": "real", "double precision": "real", "timestamp with time zone": "datetime",
    "date": "date", "text": "text", "character": "text", "character varying": "text",
    "ARRAY": "list",       # text[]: names joined by ';', as the registry files give them
}


@dataclass(frozen=True)
class Format:
    """A file format: GDAL driver, file name ending, media type and layer options."""

    driver: str
    suffix: str
    media_type: str
    options: tuple[tuple[str, str], ...] = ()
    dataset_options: tuple[tuple[str, str], ...] = ()


FORMATS = {
    # GeoPackage 1.2, which every GDAL since 2.2 (QGIS 3.x on Debian 12: GDAL 3.6) reads
    # without warning; pyogrio's GDAL would write 1.4.
    "gpkg": Format("GPKG", ".gpkg", "application/geopackage+sqlite3",
                   dataset_options=(("VERSION", "1.2"),)),
    "geojson": Format("GeoJSON", ".geojson", "application/geo+json",
                      (("RFC7946", "YES"), ("WRITE_NAME", "NO"))),
    "shp": Format("ESRI Shapefile", ".shp.zip", "application/zip"),
    "csv": Format("CSV", ".csv", "text/csv"),  # GEOMETRY option depends on the geometry type
}
SUFFIXES = {fmt.suffix.lstrip("."): name for name, fmt in FORMATS.items()}  # "shp.zip" -> "shp"

# Layer (OGC API collection name) -> table: every public layer, and nothing else
# (``gis.catalogue.PUBLIC_LAYERS`` says which tables are public and which never are).
LAYER_TABLES: dict[str, str] = catalogue.PUBLIC_LAYERS


@dataclass
class LayerData:
    """One layer in memory: WKB geometries (SRID 4326; None for none) and named columns."""

    name: str
    geometry_type: str  # Point, LineString, MultiPolygon, ...
    wkb: list[bytes | None]
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.wkb)


def format_named(name: str) -> Format:
    """The format called ``name`` (gpkg, geojson, shp, csv); InvalidInput otherwise."""
    if name not in FORMATS:
        raise InvalidInput(f"format {name!r} is unknown; use one of {', '.join(FORMATS)}")
    return FORMATS[name]


def format_for_path(path: Path) -> str:
    """The format a file name asks for by its ending (.gpkg, .geojson, .shp.zip or .shp, .csv)."""
    name = path.name.lower()
    for format_name, fmt in FORMATS.items():
        if name.endswith(fmt.suffix) or name.endswith(fmt.suffix.removesuffix(".zip")):
            return format_name
    raise InvalidInput(f"{path.name}: the ending names no format; use .gpkg, .geojson, "
                       ".shp.zip, .csv or give --format")


def read_layer(engine: Engine, layer: str) -> LayerData:
    """Every row of a public layer, ordered by id: each column but the geometry, in table
    order, as the catalogue describes it; NotFound for any other name."""
    if layer not in LAYER_TABLES:
        raise NotFound(f"layer {layer!r} cannot be exported; use one of {', '.join(LAYER_TABLES)}")
    with engine.connect() as conn:
        described = catalogue.table(conn, LAYER_TABLES[layer])
        geometry, columns = described.geometry, described.attributes
        source = table(described.name, *(column(c.name) for c in described.columns),
                       schema="rc")
        rows = conn.execute(select(*(source.c[c.name] for c in columns),
                                   func.ST_AsBinary(source.c[geometry.name]))
                            .order_by(source.c.id)).all()
    values = list(zip(*rows, strict=True)) if rows else [()] * (len(columns) + 1)
    return LayerData(
        name=layer,
        geometry_type=GEOMETRY_TYPES[str(geometry.geometry_type)],
        wkb=[bytes(g) for g in values[-1]],
        columns={c.name: _array(kind_of(c), list(v))
                 for c, v in zip(columns, values[:-1], strict=True)},
    )


def kind_of(described: catalogue.Column) -> Kind:
    """How a column goes into a file (``KINDS``; text for a type not named there)."""
    return KINDS.get(described.data_type, "text")


def write_layer(data: LayerData, format_name: str, path: Path, *, append: bool = False
                ) -> Path:
    """Write ``data`` to ``path`` (its ending set to the format's) and return that path; with
    ``append``, as one more layer of the file already there (GeoPackage)."""
    fmt = format_named(format_name)
    path = path.with_name(_stem(path.name) + fmt.suffix)
    if not append:
        path.unlink(missing_ok=True)
    columns = data.columns
    options = dict(fmt.options)
    if fmt.driver == "ESRI Shapefile":
        columns = _shapefile_columns(columns)
    if fmt.driver == "CSV":
        options["GEOMETRY"] = "AS_XY" if data.geometry_type == "Point" else "AS_WKT"
    masks = [_null_mask(values) for values in columns.values()]
    pyogrio.raw.write(
        path, np.array(data.wkb, dtype=object), [_filled(v) for v in columns.values()],
        list(columns), field_mask=masks, layer=data.name, driver=fmt.driver,
        geometry_type=data.geometry_type, crs=CRS, layer_options=options, append=append,
        dataset_options={} if append else dict(fmt.dataset_options))
    return path


def export_bytes(data: LayerData, format_name: str) -> bytes:
    """The file :func:`write_layer` makes, as bytes (for HTTP responses)."""
    with tempfile.TemporaryDirectory(prefix="rc-export-") as tmp:
        return write_layer(data, format_name, Path(tmp) / data.name).read_bytes()


def geopackage_bytes(
    layers: Mapping[str, tuple[Sequence[bytes | None], list[dict[str, Any]]]], geometry_type: str
) -> bytes:
    """One GeoPackage holding a layer per name: WKB geometries (SRID 4326) and records."""
    with tempfile.TemporaryDirectory(prefix="rc-export-") as tmp:
        path = Path(tmp) / "layers.gpkg"
        for i, (name, (wkb, records)) in enumerate(layers.items()):
            write_layer(layer_from_records(name, geometry_type, wkb, records), "gpkg", path,
                        append=i > 0)
        return path.read_bytes()


def to_cog(geotiff: bytes) -> bytes:
    """A GeoTIFF rewritten as a Cloud-Optimized GeoTIFF: 256-pixel tiles, deflate, overviews
    (GDAL's COG driver; overviews average the valid cells, nodata stays nodata)."""
    with MemoryFile(geotiff) as source, tempfile.TemporaryDirectory(prefix="rc-cog-") as tmp:
        target = Path(tmp) / "surface.tif"
        with source.open() as dataset:
            rasterio.shutil.copy(dataset, target, driver="COG", COMPRESS="DEFLATE",
                                 BLOCKSIZE=256, OVERVIEWS="AUTO", RESAMPLING="AVERAGE")
        return target.read_bytes()


def station_points(engine: Engine) -> list[tuple[int, str | None, float, float]]:
    """Ambulance stations as (id, name, lon, lat), ordered by id."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name, ST_X(geom), ST_Y(geom) FROM rc.station "
                                 "ORDER BY id")).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def layer_from_records(name: str, geometry_type: str, wkb: Sequence[bytes | None],
                       records: list[dict[str, Any]]) -> LayerData:
    """A computed layer (coverage bands, ...) from WKB geometries and property dicts."""
    keys = list(records[0]) if records else []
    return LayerData(name, geometry_type, list(wkb),
                     {key: _infer_array([r[key] for r in records]) for key in keys})


def _stem(name: str) -> str:
    """The file name without its format ending (``a.shp.zip`` -> ``a``, ``a.txt`` -> ``a``)."""
    for fmt in FORMATS.values():
        if name.endswith(fmt.suffix):
            return name[: -len(fmt.suffix)]
    return Path(name).stem


def _array(kind: Kind, values: list[Any]) -> np.ndarray:
    """A numpy column of a kind; None stays None (object) or NaN/NaT."""
    if kind in ("boolean", "integer"):
        return np.array(values, dtype=object)  # nullable: masked when written
    if kind == "real":
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if kind == "datetime":
        return np.array([None if v is None else v.astimezone(UTC).replace(tzinfo=None)
                         for v in values], dtype="datetime64[ms]")
    if kind == "date":
        return np.array(values, dtype="datetime64[D]")
    if kind == "list":
        return np.array([None if v is None else ";".join(map(str, v)) for v in values],
                        dtype=object)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def _infer_array(values: list[Any]) -> np.ndarray:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return np.array(values, dtype=object)
    if values and len(present) == len(values) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    if present and all(isinstance(v, int | float) for v in present):
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if present and all(isinstance(v, datetime) for v in present):
        return _array("datetime", values)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def _null_mask(values: np.ndarray) -> np.ndarray | None:
    if values.dtype != object:
        return None
    mask = np.array([v is None for v in values], dtype=bool)
    return mask if mask.any() else None


def _filled(values: np.ndarray) -> np.ndarray:
    """Object columns of ints or bools become int64/bool arrays (nulls masked), texts stay."""
    present = [v for v in values if v is not None]
    if values.dtype != object or not present or isinstance(present[0], str):
        return values
    if all(isinstance(v, bool) for v in present):
        return np.array([bool(v) if v is not None else False for v in values])
    return np.array([int(v) if v is not None else 0 for v in values], dtype=np.int64)


def _shapefile_columns(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Names cut to dBase's 10 characters (kept unique); timestamps as ISO text, which dBase
    has no type for."""
    renamed: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        short = name[:10]
        counter = 1
        while short in renamed:
            short = f"{name[:8]}{counter:02d}"
            counter += 1
        if values.dtype == np.dtype("datetime64[ms]"):
            values = np.array([None if np.isnat(v) else re.sub(r"\.000$", "", str(v)) + "Z"
                               for v in values], dtype=object)
        renamed[short] = values
    return renamed
