"""Create, replace and delete facilities (OGC API - Features - Part 4), for the admin role.

Only tables whose rows are plain facts are edited this way: stations, hospitals, drone pads
and training sites. AEDs have a registry (status history, parsed opening hours, owner
notices) and are edited through it; districts, roads and people never through Features.

What may be written, and what must be, is read from the schema itself (``gis.catalogue``, the
same reader the exports use): every column but ``id``, ``geom``, ``source`` and the OSM
identity. A replace sets every writable column: those it leaves out go back to their default,
or NULL.
"""

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from gis import catalogue
from rescuecircle.errors import InvalidInput, NotFound

# Collection -> table: the public layers whose rows are plain facts.
EDITABLE = {collection: catalogue.PUBLIC_LAYERS[collection]
            for collection in ("stations", "hospitals", "drone_pads", "training_sites")}
FIXED = frozenset({"id", "geom", "source", "osm_type", "osm_id"})
MAX_TEXT = 500
TYPES = {"text": str, "character": str, "real": float, "double precision": float,
         "integer": int, "bigint": int, "boolean": bool}


@dataclass(frozen=True)
class Writable:
    """A writable column: its name, Python type, and whether it may be left out."""

    name: str
    kind: type
    required: bool        # NOT NULL without a default
    has_default: bool


def create_feature(engine: Engine, collection: str, feature: Any) -> int:
    """Insert a feature; returns its id."""
    table = _table(collection)
    values, lon, lat = _parsed(_columns(engine, table), collection, feature)
    columns = ", ".join([*values, "source", "geom"])
    placeholders = ", ".join([*(f":{name}" for name in values), "'api'", _POINT])
    with engine.begin() as conn:
        return int(_write(conn, collection, text(
            f"INSERT INTO rc.{table} ({columns}) VALUES ({placeholders}) RETURNING id"),
            {**values, "lon": lon, "lat": lat}).scalar_one())


def replace_feature(engine: Engine, collection: str, item_id: int, feature: Any) -> None:
    """Replace a feature's geometry and every writable property; NotFound for an unknown id."""
    table = _table(collection)
    columns = _columns(engine, table)
    values, lon, lat = _parsed(columns, collection, feature)
    assignments = [f"{c.name} = :{c.name}" if c.name in values
                   else f"{c.name} = {'DEFAULT' if c.has_default else 'NULL'}"
                   for c in columns.values()]
    with engine.begin() as conn:
        found = _write(conn, collection, text(
            f"UPDATE rc.{table} SET {', '.join([*assignments, f'geom = {_POINT}'])} "
            "WHERE id = :item_id RETURNING id"),
            {**values, "lon": lon, "lat": lat, "item_id": item_id}).first()
    if found is None:
        raise NotFound(f"{collection} has no item {item_id}")


def delete_feature(engine: Engine, collection: str, item_id: int) -> None:
    """Delete a feature (a station's ambulances go with it); NotFound for an unknown id."""
    table = _table(collection)
    with engine.begin() as conn:
        found = conn.execute(text(f"DELETE FROM rc.{table} WHERE id = :id RETURNING id"),
                             {"id": item_id}).first()
    if found is None:
        raise NotFound(f"{collection} has no item {item_id}")


_POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"


def _table(collection: str) -> str:
    if collection not in EDITABLE:
        raise NotFound(f"collection {collection!r} cannot be edited; editable: "
                       f"{', '.join(EDITABLE)}")
    return EDITABLE[collection]


def _parsed(columns: dict[str, Writable], collection: str, feature: Any
            ) -> tuple[dict[str, Any], float, float]:
    """The writable values of a GeoJSON Feature with a WGS84 Point, checked column by column."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput("the body must be a GeoJSON Feature")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise InvalidInput(f"{collection} are points: geometry must be a GeoJSON Point")
    lon, lat = _coordinates(geometry.get("coordinates"))
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise InvalidInput("properties must be an object")
    unknown = sorted(set(properties) - set(columns))
    if unknown:
        raise InvalidInput(f"{collection} have no writable properties {', '.join(unknown)}; "
                           f"writable: {', '.join(columns)}")
    values = {}
    for name, column in columns.items():
        value = properties.get(name)
        if value is None:
            if column.required:
                raise InvalidInput(f"property {name} is required for {collection}")
            continue
        values[name] = _checked(name, column, value)
    return values, lon, lat


def _coordinates(value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value):
        raise InvalidInput("geometry coordinates must be [longitude, latitude]")
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(f"coordinates ({lon}, {lat}) are outside -180..180, -90..90")
    return lon, lat


def _checked(name: str, column: Writable, value: Any) -> Any:
    """``value`` if it fits the column's type (an int fits a real), else InvalidInput."""
    if column.kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise InvalidInput(f"property {name} must be a finite number")
        return float(value)
    if not isinstance(value, column.kind) or (column.kind is int and isinstance(value, bool)):
        raise InvalidInput(f"property {name} must be {column.kind.__name__}, not {value!r}")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise InvalidInput(f"property {name} is longer than {MAX_TEXT} characters")
    return value


def _columns(engine: Engine, table: str) -> dict[str, Writable]:
    """The table's writable columns in table order, from the catalogue (cached there)."""
    return {c.name: Writable(c.name, TYPES[c.data_type], not c.nullable and not c.has_default,
                             c.has_default)
            for c in catalogue.table(engine, table).columns if c.name not in FIXED}


def _write(conn: Connection, collection: str, statement: Any, values: dict[str, Any]) -> Any:
    """Run an INSERT or UPDATE; a broken constraint (a status not allowed, a range of 0) is
    the caller's mistake: InvalidInput naming the constraint."""
    try:
        return conn.execute(statement, values)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        rule = constraint or "of the table"
        raise InvalidInput(f"{collection}: the values break the rule {rule}") from None
