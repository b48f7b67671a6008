"""The extent of each public table, as OGC API collections describe it: a bbox and a time span.

Clients zoom to a collection's extent (QGIS "Zoom to layer", GDAL's OAPIF layer extent), so it
must be the data's, not the whole world. ``ST_Extent`` is exact but reads every row; it runs
once per table *version* (``rc.tile_source_version``, bumped by a statement trigger in the
transaction of every write, migration 0008), so a reader pays one small version query and a
write is seen at once: no timer, no stale extent.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text

from gis.catalogue import table


@dataclass(frozen=True)
class Extent:
    """Where and when a table's rows are: lon/lat degrees (SRID 4326), and the span of its
    time column (None without one). ``bbox`` is None for an empty table."""

    bbox: tuple[float, float, float, float] | None
    begin: datetime | None = None
    end: datetime | None = None


class ExtentCache:
    """Extents of public tables, each recomputed only when its table's version changes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._kept: dict[str, tuple[int, Extent]] = {}  # table -> (version, extent)
        self._lock = threading.Lock()

    def extents(self, time_columns: dict[str, str | None]) -> dict[str, Extent]:
        """The extent of each table named in ``time_columns`` (table -> its time column, or
        None), read from the data when the table changed since it was last read."""
        with self.engine.connect() as conn:
            versions: dict[str, int] = dict(conn.execute(text(
                "SELECT source_table, version FROM rc.tile_source_version "
                "WHERE source_table = ANY(:tables)"), {"tables": list(time_columns)}).all())
            found: dict[str, Extent] = {}
            for name, time_column in time_columns.items():
                version = versions.get(name)
                with self._lock:
                    kept = self._kept.get(name)
                if kept is not None and version is not None and kept[0] == version:
                    found[name] = kept[1]
                    continue
                found[name] = _measure(conn, name, time_column)
                if version is not None:  # a table without a version is measured every time
                    with self._lock:
                        self._kept[name] = (version, found[name])
        return found


def _measure(conn: Connection, name: str, time_column: str | None) -> Extent:
    """One table's extent from its rows. Table and column names come from code and are
    checked against the catalogue: never from a request."""
    found = table(conn, name)
    if time_column is not None and time_column not in {c.name for c in found.columns}:
        raise LookupError(f"rc.{name} has no column {time_column}")
    begin, end = (f"min({time_column})", f"max({time_column})") if time_column else (
        "NULL::timestamptz", "NULL::timestamptz")
    row = conn.execute(text(
        f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM ("
        f"SELECT ST_Extent({found.geometry.name}) AS e, {begin} AS t0, {end} AS t1 "
        f"FROM rc.{name}) AS measured")).one()
    bbox = None if row[0] is None else (row[0], row[1], row[2], row[3])
    return Extent(bbox, row[4], row[5])
