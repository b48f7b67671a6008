"""Read registry files into raw records: CSV, GeoJSON, OSM (.osm/.pbf) and Tencent place JSON.

A :class:`Record` is one row as found, before any checking: a label to report it by, its
properties by (lower-cased) name, and its coordinates as given (possibly missing or garbage).
The format is chosen by the file's suffix, and for ``.json`` by its content: GeoJSON, or the
Tencent place-search answers of ``shenzhen/aed_tencent_gcj02`` (several JSON objects
concatenated in one file, each with a ``data`` list of places).
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import osmium
import osmium.filter

from formats.osm_tags import PoiKind, poi_fields, poi_kind
from rescuecircle.errors import InvalidInput

OSM_SUFFIXES = (".osm", ".pbf", ".bz2", ".gz")
LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")


@dataclass(frozen=True)
class Record:
    """One input row: where it came from, its properties, its coordinates as given."""

    label: str
    fields: dict[str, Any]
    lon: Any
    lat: Any
    osm_type: str | None = None
    osm_id: int | None = None


def read_records(path: Path, *, osm_kind: PoiKind | None = None) -> tuple[str, list[Record]]:
    """The format name and records of ``path``; InvalidInput for unreadable files.

    ``osm_kind`` selects which OSM objects an OSM file yields (AEDs, stations, hospitals);
    OSM files hold no other registry kind.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in OSM_SUFFIXES:
        if osm_kind is None:
            raise InvalidInput(f"{path}: OSM files hold AEDs, stations and hospitals only")
        return "osm", _osm(path, osm_kind)
    if suffix == ".csv":
        return "csv", _csv(path)
    if suffix in (".json", ".geojson"):
        objects = _json_objects(path)
        if len(objects) == 1 and objects[0].get("type") in ("FeatureCollection", "Feature"):
            return "geojson", _geojson(objects[0])
        if objects and all(isinstance(o.get("data"), list) for o in objects):
            return "tencent", _tencent(objects)
        raise InvalidInput(f"{path}: JSON that is neither GeoJSON nor Tencent place results")
    raise InvalidInput(f"{path}: unknown format {suffix or '(no suffix)'}; "
                       "use .csv, .geojson, .json, .osm or .osm.pbf")


def csv_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a UTF-8 CSV file with a header (a byte-order mark is fine)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"{path}: not a UTF-8 CSV file ({exc})") from exc


def _csv(path: Path) -> list[Record]:
    rows = csv_rows(path)
    records = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        fields = {str(k).strip().lower(): _blank_to_none(v) for k, v in row.items() if k}
        records.append(Record(f"row {line}", fields, _first(fields, LON_NAMES),
                              _first(fields, LAT_NAMES)))
    return records


def _geojson(document: dict[str, Any]) -> list[Record]:
    features = document.get("features") if document["type"] == "FeatureCollection" else [
        document]
    if not isinstance(features, list):
        raise InvalidInput("GeoJSON: 'features' must be a list")
    records = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            records.append(Record(f"feature {number}", {}, None, None))
            continue
        props = feature.get("properties") or {}
        fields = {str(k).lower(): _blank_to_none(v) for k, v in props.items()}
        fields.setdefault("id", feature.get("id"))
        geometry = feature.get("geometry") or {}
        coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        lon, lat = (coords[0], coords[1]) if isinstance(coords, list) and len(coords) >= 2 \
            else (None, None)
        label = f"feature {number}" + (f" (id {feature['id']})" if "id" in feature else "")
        records.append(Record(label, fields, lon, lat))
    return records


def _tencent(objects: list[dict[str, Any]]) -> list[Record]:
    """Places of a Tencent place search: title, address, tel, location.lat/lng, ad_info."""
    records = []
    for place in (p for o in objects for p in o["data"]):
        location = place.get("location") or {}
        ad_info = place.get("ad_info") or {}
        fields = {"name": place.get("title"), "address": place.get("address"),
                  "phone": _blank_to_none(place.get("tel")), "adcode": ad_info.get("adcode"),
                  "category": place.get("category"), "id": place.get("id")}
        records.append(Record(f"place {place.get('id')}", fields, location.get("lng"),
                              location.get("lat")))
    return records


def _osm(path: Path, kind: PoiKind) -> list[Record]:
    """Nodes (and ways, at their first node) of ``kind``, their tags mapped by osm_tags."""
    tags = osmium.filter.KeyFilter("amenity", "emergency")
    records = []
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY) \
            .with_locations().with_filter(tags)
        for obj in processor:
            if poi_kind(obj.tags) != kind:
                continue
            if isinstance(obj, osmium.osm.Node):
                osm_type, name, locations = "n", "node", [obj.location]
            elif isinstance(obj, osmium.osm.Way):
                osm_type, name, locations = "w", "way", [n.location for n in obj.nodes]
            else:
                continue
            location = next((loc for loc in locations if loc.valid()), None)
            fields = {k: v for k, v in poi_fields(kind, obj.tags).items() if v is not None}
            records.append(Record(f"{name} {obj.id}", fields,
                                  None if location is None else location.lon,
                                  None if location is None else location.lat, osm_type, obj.id))
    except RuntimeError as exc:
        raise InvalidInput(f"{path}: cannot read OSM data ({' '.join(str(exc).split())})") \
            from exc
    return records


def _json_objects(path: Path) -> list[dict[str, Any]]:
    """Every top-level JSON object in the file (some exports concatenate several)."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text") from exc
    decoder = json.JSONDecoder()
    objects, at = [], 0
    while True:
        while at < len(content) and content[at].isspace():
            at += 1
        if at == len(content):
            break
        try:
            value, at = decoder.raw_decode(content, at)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}: invalid JSON at line {exc.lineno} ({exc.msg})") \
                from exc
        if not isinstance(value, dict):
            raise InvalidInput(f"{path}: expected JSON objects, found {type(value).__name__}")
        objects.append(value)
    return objects


def _first(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((fields[n] for n in names if fields.get(n) is not None), None)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value
