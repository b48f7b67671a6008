"""The ``rc`` schema as the database itself describes it, and which of its tables are public.

The numbered files in ``sql/migrations`` are the one definition of the schema. Code that needs
a table's columns (the exports write each one with its type; Features editing checks what a
client may write) reads them here, from PostgreSQL's catalogue: ``information_schema.columns``
for names, order, types, nullability and defaults, PostGIS's ``geometry_columns`` for each
geometry's type and SRID. No Python copy of the tables is kept, so none can drift from the
migrations.

One query reads every table of ``rc`` (a few milliseconds, some tens on a fresh connection);
the answer is kept per database and schema version (the newest migration in ``rc.migration``),
so a reader pays one sub-millisecond version check instead, and a process still sees a
migration applied by another without a restart. ``information_schema`` shows only the columns
the connecting role may read, so a column hidden from the application role by column privileges
is not offered either.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from gis.migrate import schema_version

# The public layers, by OGC API collection name: the only tables served as OGC API - Features
# collections and exported as files, each with every column (the geometry as the features'
# geometry). No other table is: the personal and operational ones (volunteers, their training
# records, service and positions; incidents, dispatches; AED checks, reports and uses; the
# notification outbox; tokens, jobs) must never be, and the rest are internal or reach the
# public otherwise (vector tiles with their own fields, the AED registry's endpoints).
PUBLIC_LAYERS: dict[str, str] = {
    "aeds": "aed", "stations": "station", "hospitals": "hospital", "drone_pads": "drone_pad",
    "training_sites": "training_site", "districts": "district", "road_edges": "road_edge",
    "helipads": "helipad",
}


@dataclass(frozen=True)
class Column:
    """One column as the catalogue has it."""

    name: str
    data_type: str               # information_schema's: integer, text, real, USER-DEFINED, ...
    nullable: bool
    has_default: bool
    geometry_type: str | None    # geometry_columns': POINT, LINESTRING, ...; None if no geometry
    srid: int | None


@dataclass(frozen=True)
class Table:
    """One table's columns in their order in the table (``ordinal_position``)."""

    name: str
    columns: tuple[Column, ...]

    @property
    def geometry(self) -> Column:
        """The table's one geometry column (every public table has exactly one)."""
        found = [c for c in self.columns if c.geometry_type is not None]
        if len(found) != 1:
            raise LookupError(f"rc.{self.name} has {len(found)} geometry columns, not one")
        return found[0]

    @property
    def attributes(self) -> tuple[Column, ...]:
        """Every column that is not a geometry, in table order."""
        return tuple(c for c in self.columns if c.geometry_type is None)


_CACHE: dict[tuple[str, int], dict[str, Table]] = {}  # (database URL, schema version) -> tables


def tables(bind: Engine | Connection) -> Mapping[str, Table]:
    """Every table and view of schema ``rc`` by name, read once per database and version."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return tables(conn)
    # The version is read before the columns: a migration committed between the two reads then
    # leaves its columns under the older version, which no later reader asks for.
    key = (str(bind.engine.url), schema_version(bind))
    if key not in _CACHE:
        _CACHE[key] = _read(bind)
    return _CACHE[key]


def table(bind: Engine | Connection, name: str) -> Table:
    """The columns of ``rc.<name>``; LookupError when the database has no such table."""
    found = tables(bind).get(name)
    if found is None:
        raise LookupError(f"rc.{name} does not exist: is the database migrated?")
    return found


def _read(conn: Connection) -> dict[str, Table]:
    rows = conn.execute(text(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'YES', "
        "c.column_default IS NOT NULL, upper(g.type), g.srid "
        "FROM information_schema.columns c LEFT JOIN geometry_columns g "
        "ON g.f_table_schema = c.table_schema AND g.f_table_name = c.table_name "
        "AND g.f_geometry_column = c.column_name "
        "WHERE c.table_schema = 'rc' ORDER BY c.table_name, c.ordinal_position")).all()
    columns: dict[str, list[Column]] = {}
    for table_name, name, data_type, nullable, has_default, geometry_type, srid in rows:
        columns.setdefault(table_name, []).append(
            Column(name, data_type, nullable, has_default, geometry_type, srid))
    return {name: Table(name, tuple(cols)) for name, cols in columns.items()}
