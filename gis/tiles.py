"""Vector tiles of the public layers: which layers exist, their versions, a cache of tiles.

The tiles themselves are made in SQL (``sql/functions/tiles.sql``, one ``rc.tile_<layer>``
function each). A tile's *tag* identifies its content: a hash of the tile SQL and of the
versions of the tables the layer reads, which statement triggers bump in the writing
transaction. Reading the versions is one small query; a client holding the current tag needs
nothing more (HTTP 304), and a tile in the in-process cache under the current tag is served
without making it again. A write to a table changes the tag of every tile of its layers, so
stale tiles are never served: no timer, no explicit purge.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from rescuecircle import __version__
from rescuecircle.errors import NotFound
from rescuecircle.paths import FUNCTIONS_DIR

MAX_ZOOM = 22  # deepest tile served; rc._tile_envelope checks the same
DATA_MAX_ZOOM = 16  # deepest zoom with new detail; clients overzoom beyond it
CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class VectorLayer:
    """One MVT layer inside a tile, as TileJSON's ``vector_layers`` describes it."""

    id: str
    description: str
    fields: dict[str, str]  # name -> TileJSON type: Number, String, Boolean
    minzoom: int = 0


@dataclass(frozen=True)
class TileLayer:
    """A tile set: the SQL function making it, the tables it reads, what its tiles hold."""

    name: str
    title: str
    description: str
    sources: tuple[str, ...]
    vector_layers: tuple[VectorLayer, ...]
    max_age_s: int  # how long clients may use a tile without asking again

    @property
    def function(self) -> str:
        return f"rc.tile_{self.name}"


_ROAD_FIELDS = {
    "id": "Number", "osm_way_id": "Number", "road_class": "String", "name": "String",
    "length_m": "Number", "maxspeed_kmh": "Number",
    **{f"{prefix}cost_{mode}_s": "Number" for mode in ("drive", "walk", "bike")
       for prefix in ("", "reverse_")},
    **{f"island_{mode}": "Boolean" for mode in ("drive", "walk", "bike")},
}


def _points(name: str, title: str, source: str, fields: dict[str, str],
            description: str, max_age_s: int = 300) -> TileLayer:
    return TileLayer(name, title, description, (source,),
                     (VectorLayer(name, description, {"id": "Number", **fields}),), max_age_s)


LAYERS: dict[str, TileLayer] = {layer.name: layer for layer in (
    TileLayer(
        "aeds", "AEDs", "Automated external defibrillators with status and opening hours",
        ("aed",), (VectorLayer(
            "aeds", "One point per AED from zoom 12; below, one point per 64x64-unit cell "
            "with point_count and ready_count (ids and names only from zoom 12)",
            {"id": "Number", "name": "String", "status": "String", "access": "String",
             "opening_hours": "String", "indoor": "Boolean", "level": "String",
             "location_text": "String", "point_count": "Number", "ready_count": "Number"}),),
        max_age_s=30),  # a faulty AED must disappear from maps quickly
    _points("stations", "Ambulance stations", "station",
            {"name": "String", "ref": "String", "address": "String"},
            "Stations ambulances leave from"),
    _points("hospitals", "Hospitals", "hospital", {"name": "String"},
            "Hospitals patients are taken to"),
    _points("drone_pads", "Drone pads", "drone_pad",
            {"name": "String", "status": "String", "range_km": "Number",
             "cruise_speed_kmh": "Number"},
            "Pads drones carrying AEDs take off from"),
    _points("training_sites", "Training sites", "training_site",
            {"name": "String", "address": "String"}, "Where first-aid training is given"),
    TileLayer(
        "districts", "Districts", "Areas planners report coverage for", ("district",),
        (VectorLayer("districts", "District polygons, simplified to one tile unit",
                     {"id": "Number", "code": "String", "name": "String", "kind": "String"}),),
        max_age_s=3600),
    TileLayer(
        "road_edges", "Road network", "Road segments with travel times per mode (seconds; "
        "negative: closed in that direction)", ("road_edge",),
        (VectorLayer("road_edges", "Highways from zoom 5, primary 8, secondary 10, tertiary "
                     "11, residential 13, service roads and paths 14", _ROAD_FIELDS),),
        max_age_s=3600),
    TileLayer(
        "basemap", "Basemap", "Roads by kind and districts, for a background map "
        "(no water: the database holds no water areas)", ("road_edge", "district"),
        (VectorLayer("districts", "District polygons", {"name": "String", "kind": "String"}),
         VectorLayer("roads", "Roads by kind: highway, major, medium, minor, path",
                     {"kind": "String", "road_class": "String", "name": "String"}, minzoom=5)),
        max_age_s=3600),
)}


# Not a public layer: population tiles are for the planner view, behind the analyst role
# (api/planning.py), and never listed with the layers above.
POPULATION = TileLayer(
    "population", "Population", "Where people live: raster cells or zones with their people "
    "and density", ("population",),
    (VectorLayer("population", "Cells or zones from zoom 10, simplified to one tile unit",
                 {"id": "Number", "people": "Number", "people_per_km2": "Number"},
                 minzoom=10),),
    max_age_s=3600)


def tile_layer(name: str) -> TileLayer:
    """The tile set called ``name``; NotFound for any other name."""
    if name not in LAYERS:
        raise NotFound(f"tile layer {name!r} does not exist; use one of {', '.join(LAYERS)}")
    return LAYERS[name]


def check_tile(z: int, x: int, y: int) -> None:
    """NotFound unless z/x/y is a tile of WebMercatorQuad at zoom 0 to MAX_ZOOM."""
    if not 0 <= z <= MAX_ZOOM:
        raise NotFound(f"zoom {z} is outside the tile matrix set's zooms 0 to {MAX_ZOOM}")
    size = 1 << z
    if not (0 <= x < size and 0 <= y < size):
        raise NotFound(f"tile {z}/{x}/{y} is outside zoom {z}'s columns and rows 0 to {size - 1}")


@dataclass(frozen=True)
class Tile:
    """A tile's tag (what its content depends on) and its bytes, None when not needed."""

    tag: str
    data: bytes | None


@dataclass
class TileCache:
    """A thread-safe LRU map of (layer, z, x, y) to (tag, bytes), bounded in bytes."""

    max_bytes: int = CACHE_BYTES
    _entries: OrderedDict[tuple[str, int, int, int], tuple[str, bytes]] = field(
        default_factory=OrderedDict)
    _size: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple[str, int, int, int], tag: str) -> bytes | None:
        """The cached bytes when they were made under ``tag``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != tag:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple[str, int, int, int], tag: str, data: bytes) -> None:
        """Keep ``data``, dropping the least recently used tiles beyond ``max_bytes``."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._entries[key] = (tag, data)
            self._size += len(data)
            while self._size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= len(dropped)

    @property
    def size_bytes(self) -> int:
        return self._size


class TileService:
    """Tiles of the public layers from one database, with their tags and a cache."""

    def __init__(self, engine: Engine, *, cache_bytes: int = CACHE_BYTES) -> None:
        self.engine = engine
        self.cache = TileCache(cache_bytes)
        # The tile SQL and the app version: a deployment that changes tiles changes every tag.
        self._code = hashlib.sha256(
            (FUNCTIONS_DIR / "tiles.sql").read_bytes() + __version__.encode()).hexdigest()

    def fetch(self, layer: TileLayer, z: int, x: int, y: int, *,
              is_current: Callable[[str], bool] = lambda tag: False) -> Tile:
        """The tile z/x/y of ``layer``; its data is None when ``is_current(tag)`` says the
        caller already holds this content (an HTTP ``If-None-Match``)."""
        check_tile(z, x, y)
        key = (layer.name, z, x, y)
        with self.engine.connect() as conn:
            versions = {row.source_table: row.version for row in conn.execute(
                text("SELECT source_table, version FROM rc.tile_source_version "
                     "WHERE source_table = ANY(:sources)"),
                {"sources": list(layer.sources)})}
            tag = self._tag(layer, versions)
            if is_current(tag):
                return Tile(tag, None)
            data = self.cache.get(key, tag)
            if data is None:
                data = bytes(conn.execute(
                    text(f"SELECT {layer.function}(:z, :x, :y)"),
                    {"z": z, "x": x, "y": y}).scalar_one())
                self.cache.put(key, tag, data)
        return Tile(tag, data)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """The loaded network's bbox (lon/lat), None when no network is loaded."""
        with self.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox) "
                "FROM rc.network WHERE bbox IS NOT NULL ORDER BY id DESC LIMIT 1")).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def _tag(self, layer: TileLayer, versions: dict[str, int]) -> str:
        parts = [self._code, layer.name] + [f"{s}={versions.get(s)}" for s in layer.sources]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
