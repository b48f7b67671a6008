"""Import a registry file: check every record, convert coordinates, merge duplicates, load.

Order: read the file; check each record (:func:`~formats.fields.clean`) and set the rejected
ones aside with their reason; convert the accepted positions to WGS84 in one vectorised call;
then, in one transaction holding a lock on the table, match each row against what is loaded and
what came before it in the file, and insert or update. A database error rolls everything back,
so a failed import leaves the previous data whole; with ``strict`` any rejected record does.

Duplicates: the same identifying key (an AED's serial, a volunteer's certificate number or
phone, an OSM object) is the same thing: merged into the loaded row, but rejected when it
repeats within one file (which of the two is right cannot be known). The same place (within
``MERGE_RADIUS_M``) is the same thing when the names agree (equal, or one missing or generic
like "AED") and, for AEDs, the serials do not differ: its values fill in the earlier row's gaps.
Two devices in one building with different names stay apart.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from formats.china_crs import Crs, to_wgs84
from formats.fields import KINDS, Kind, Rejected, Row, clean
from formats.records import read_records
from gis.aed_registry import sync_opening_hours
from rescuecircle.errors import InvalidInput

MERGE_RADIUS_M = 10.0
_EARTH_RADIUS_M = 6_371_008.8
_CELL_DEG = 0.0002  # grid cell of the place index, about 22 m north-south
_GENERIC_NAMES = re.compile(r"aed|defibrillator|defi|除颤仪|除颤器|自动体外除颤器|[\W_]+",
                            re.IGNORECASE)


@dataclass(frozen=True)
class Rejection:
    """A record that was not loaded, and why."""

    label: str
    reason: str


@dataclass
class ImportReport:
    """What an import did; ``ids`` maps each loaded record's label to its row id."""

    kind: str
    file: str
    format: str
    read: int
    inserted: int = 0
    updated: int = 0
    merged_in_file: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    positions: int = 0

    def __str__(self) -> str:
        positions = f", {self.positions} positions" if self.positions else ""
        lines = [f"{self.file} ({self.format}): {self.read} records, {self.inserted} new "
                 f"{self.kind}, {self.updated} merged into loaded ones, {self.merged_in_file} "
                 f"merged with a record above{positions}, {len(self.rejected)} rejected"]
        lines += [f"  rejected {r.label}: {r.reason}" for r in self.rejected]
        return "\n".join(lines)


@dataclass
class _Target:
    """A row records may merge into: loaded before, or created by a record of this file."""

    id: int
    values: dict[str, Any]
    keys: dict[str, str]
    lon: float | None
    lat: float | None
    created_by: str | None = None  # the label of the record that inserted it


def import_file(engine: Engine, path: Path, kind_name: str, *, crs: Crs = "wgs84",
                source: str | None = None, strict: bool = False) -> ImportReport:
    """Load ``path`` as ``kind_name`` (aeds, stations, hospitals, drone-pads, training-sites,
    volunteers, ambulances) with coordinates in ``crs``; returns the report of what happened.
    Volunteers and ambulances may carry a last known position (``lon``/``lat`` or a Point,
    seen at ``observed_at``)."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise InvalidInput(f"kind {kind_name!r} is unknown; use one of {', '.join(KINDS)}")
    file_format, records = read_records(path, osm_kind=kind.osm_kind)
    if file_format == "osm" and crs != "wgs84":
        raise InvalidInput(f"crs {crs}: OpenStreetMap data is always WGS84")
    report = ImportReport(kind.name, path.name, file_format, len(records))
    rows = []
    for record in records:
        try:
            rows.append(clean(kind, record))
        except Rejected as exc:
            report.rejected.append(Rejection(record.label, str(exc)))
    placed = [r for r in rows if r.lon is not None and r.lat is not None]
    if placed:
        lon, lat = to_wgs84([float(r.lon or 0) for r in placed],
                            [float(r.lat or 0) for r in placed], crs)
        for row, x, y in zip(placed, lon.tolist(), lat.tolist(), strict=True):
            row.lon, row.lat = x, y
    label = source or ("osm" if file_format == "osm" else f"import:{path.name}")
    with engine.begin() as conn:
        conn.execute(text(f"LOCK TABLE rc.{kind.table} IN SHARE ROW EXCLUSIVE MODE"))
        conn.execute(text("SELECT rc._set_change_context(:a, :r)"),
                     {"a": "import", "r": f"imported from {path.name}"})
        if kind.name == "ambulances":
            rows = _with_station_ids(conn, rows, report)
        if kind.name == "hospitals":
            rows = _with_known_capabilities(conn, rows, report)
        _load(conn, kind, rows, label, report)
        if kind.position_table:
            _store_positions(conn, kind, rows, report)
        if strict and report.rejected:
            raise InvalidInput(f"{len(report.rejected)} records rejected, nothing loaded "
                               f"(strict):\n{report}")
        if kind.name == "aeds":
            sync_opening_hours(conn)
    return report


def _with_known_capabilities(conn: Connection, rows: list[Row], report: ImportReport
                             ) -> list[Row]:
    """The rows whose capabilities are all rows of rc.hospital_capability; the others are
    rejected naming the known ones (a misspelt capability would never match a call)."""
    known = set(conn.execute(text("SELECT name FROM rc.hospital_capability")).scalars())
    kept = []
    for row in rows:
        unknown = sorted(set(row.values.get("capabilities", [])) - known)
        if unknown:
            report.rejected.append(Rejection(row.label, (
                f"unknown capabilities {', '.join(unknown)} (known: {', '.join(sorted(known))}; "
                "add rows to rc.hospital_capability for others)")))
        else:
            kept.append(row)
    return kept


def _with_station_ids(conn: Connection, rows: list[Row], report: ImportReport) -> list[Row]:
    """The rows whose station (a loaded station's ``ref``, else its exact name) is found, with
    its id; the others are rejected with the reason."""
    stations = conn.execute(text("SELECT id, ref, name FROM rc.station")).all()
    by_ref = {str(s.ref): s.id for s in stations if s.ref}
    by_name: dict[str, list[int]] = defaultdict(list)
    for station in stations:
        if station.name:
            by_name[str(station.name)].append(station.id)
    kept = []
    for row in rows:
        wanted = str(row.values["station_id"])
        named = by_name.get(wanted, [])
        if wanted in by_ref:
            row.values["station_id"] = by_ref[wanted]
        elif len(named) == 1:
            row.values["station_id"] = named[0]
        else:
            report.rejected.append(Rejection(row.label, (
                f"station {wanted!r} names {len(named)} loaded stations; give its ref"
                if named else f"no loaded station has the ref or name {wanted!r}: "
                "run `rescuecircle import stations FILE` first")))
            continue
        kept.append(row)
    return kept


def _store_positions(conn: Connection, kind: Kind, rows: list[Row],
                     report: ImportReport) -> None:
    """Each loaded row's last known position, seen at ``observed_at`` (default: now)."""
    owner = f"{kind.table}_id"
    positions = [{"id": report.ids[r.label], "at": r.observed_at, "lon": r.lon, "lat": r.lat}
                 for r in rows if r.lon is not None and r.label in report.ids]
    if positions:
        conn.execute(text(
            f"INSERT INTO rc.{kind.position_table} ({owner}, observed_at, geom) "
            "VALUES (:id, coalesce(:at, now()), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
            positions)
    report.positions = len(positions)


def _load(conn: Connection, kind: Kind, rows: list[Row], source: str,
          report: ImportReport) -> None:
    """Match every row, then insert or update it (in the caller's transaction)."""
    loaded = _loaded_targets(conn, kind, rows)
    known = {(key, value): target for target in loaded for key, value in target.keys.items()}
    seen: dict[tuple[str, str], str] = {}
    places = _PlaceIndex()
    for target in loaded:
        places.add(target)
    for row in rows:
        keys = _row_keys(kind, row)
        repeat = next(((k, v) for k, v in keys.items() if (k, v) in seen), None)
        if repeat is not None:
            report.rejected.append(Rejection(
                row.label, f"duplicate {_key_name(repeat[0])} {repeat[1]} (as {seen[repeat]})"))
            continue
        match = next((known[(k, v)] for k, v in keys.items() if (k, v) in known), None)
        if match is None and kind.point:
            match = places.near(row, keys, kind)
        if match is None:
            target = _Target(_insert(conn, kind, row, source), dict(row.values), keys,
                             row.lon, row.lat, created_by=row.label)
            places.add(target)
            report.inserted += 1
        else:
            target = match
            if target.values.get("name") and not _plain_name(row.values.get("name")):
                row.values.pop("name", None)  # "AED" does not rename "Gym"
            _update(conn, kind, target.id, row)
            target.values.update({k: v for k, v in row.values.items() if v is not None})
            target.keys.update(keys)
            if target.created_by is not None:
                report.merged_in_file += 1
            else:
                report.updated += 1
        for key, value in keys.items():
            seen[(key, value)] = row.label
            known[(key, value)] = target
        report.ids[row.label] = target.id


def _keys(kind: Kind) -> tuple[str, ...]:
    return (*kind.unique_keys, "osm") if kind.osm_kind else kind.unique_keys


def _row_keys(kind: Kind, row: Row) -> dict[str, str]:
    keys = {k: str(row.values[k]) for k in kind.unique_keys if row.values.get(k) is not None}
    if kind.osm_kind and row.osm_id is not None:
        keys["osm"] = f"{row.osm_type}{row.osm_id}"
    return keys


def _key_name(key: str) -> str:
    return "OSM object" if key == "osm" else key.replace("_", " ")


def _loaded_targets(conn: Connection, kind: Kind, rows: list[Row]) -> list[_Target]:
    """Loaded rows that could match: near the file's positions, or sharing a key."""
    columns = ", ".join(("id", *kind.column_names(),
                         *(("osm_type", "osm_id") if kind.osm_kind else ()),
                         *(("ST_X(geom) AS lon", "ST_Y(geom) AS lat") if kind.point else ())))
    conditions: list[str] = []
    params: dict[str, Any] = {}
    lons = [r.lon for r in rows if r.lon is not None]
    lats = [r.lat for r in rows if r.lat is not None]
    if kind.point and lons and lats:
        conditions.append("geom && ST_Expand(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326), 0.001)")
        params.update(x0=min(lons), y0=min(lats), x1=max(lons), y1=max(lats))
    for key in kind.unique_keys:
        conditions.append(f"{key} = ANY(:{key})")
        params[key] = [str(r.values[key]) for r in rows if r.values.get(key) is not None]
    if kind.osm_kind:
        conditions.append("osm_id = ANY(:osm_ids)")
        params["osm_ids"] = [r.osm_id for r in rows if r.osm_id is not None]
    if not conditions:
        return []
    found = conn.execute(text(f"SELECT {columns} FROM rc.{kind.table} "
                              f"WHERE {' OR '.join(conditions)}"), params).mappings().all()
    targets = []
    for db_row in found:
        values = {name: db_row[name] for name in kind.column_names()}
        keys = {k: str(values[k]) for k in kind.unique_keys if values.get(k) is not None}
        if kind.osm_kind and db_row["osm_id"] is not None:
            keys["osm"] = f"{db_row['osm_type']}{db_row['osm_id']}"
        targets.append(_Target(db_row["id"], values, keys, db_row.get("lon"), db_row.get("lat")))
    return targets


def _insert(conn: Connection, kind: Kind, row: Row, source: str) -> int:
    values = _db_values(kind, row)
    values["source"] = source
    names = list(values)
    placeholders = [f":{n}" for n in names]
    if kind.point:
        names.append("geom")
        placeholders.append("ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)")
    return int(conn.execute(text(
        f"INSERT INTO rc.{kind.table} ({', '.join(names)}) VALUES ({', '.join(placeholders)}) "
        "RETURNING id"), {**values, "lon": row.lon, "lat": row.lat}).scalar_one())


def _update(conn: Connection, kind: Kind, row_id: int, row: Row) -> None:
    """Fill and overwrite the loaded row with the record's values (its position stays)."""
    values = _db_values(kind, row)
    if not values:
        return
    sets = ", ".join(f"{name} = coalesce(:{name}, {name})" for name in values)
    conn.execute(text(f"UPDATE rc.{kind.table} SET {sets} WHERE id = :row_id"),
                 {**values, "row_id": row_id})


def _db_values(kind: Kind, row: Row) -> dict[str, Any]:
    values = {k: v for k, v in row.values.items() if k in kind.column_names()}
    if kind.osm_kind and row.osm_id is not None:
        values.update(osm_type=row.osm_type, osm_id=row.osm_id)
    return values


class _PlaceIndex:
    """Targets on a grid of ``_CELL_DEG`` cells, to find those within ``MERGE_RADIUS_M``."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[_Target]] = defaultdict(list)

    def add(self, target: _Target) -> None:
        if target.lon is not None and target.lat is not None:
            self.cells[self._cell(target.lon, target.lat)].append(target)

    def near(self, row: Row, keys: dict[str, str], kind: Kind) -> _Target | None:
        """The closest target within MERGE_RADIUS_M that may be the same thing, if any."""
        assert row.lon is not None and row.lat is not None
        cx, cy = self._cell(row.lon, row.lat)
        candidates = [t for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                      for t in self.cells.get((cx + dx, cy + dy), ())]
        scored = sorted((_distance_m(row.lon, row.lat, t.lon, t.lat), i)
                        for i, t in enumerate(candidates) if _same_thing(row, keys, t))
        return candidates[scored[0][1]] if scored and scored[0][0] <= MERGE_RADIUS_M else None

    @staticmethod
    def _cell(lon: float, lat: float) -> tuple[int, int]:
        # Longitude cells shrink with latitude; a cell of _CELL_DEG is >= 10 m below 60 deg.
        return math.floor(lon / _CELL_DEG), math.floor(lat / _CELL_DEG)


def _same_thing(row: Row, keys: dict[str, str], target: _Target) -> bool:
    """May a record at the same place be the same thing as ``target``? Not when an
    identifying key (serial, OSM object) differs, nor when both have different names."""
    if any(k in target.keys and target.keys[k] != v for k, v in keys.items()):
        return False
    mine, theirs = _plain_name(row.values.get("name")), _plain_name(target.values.get("name"))
    return not mine or not theirs or mine == theirs


def _plain_name(name: Any) -> str:
    return _GENERIC_NAMES.sub("", str(name or "")).casefold()


def _distance_m(lon1: float, lat1: float, lon2: float | None, lat2: float | None) -> float:
    assert lon2 is not None and lat2 is not None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h))
