"""Vector tiles: the layers (rows of ``rc.tile_layer``), their versions, a cache of tiles.

A layer is defined once, by its rows in ``rc.tile_layer`` and ``rc.tile_vector_layer``
(migration 0020): ``migrate`` writes the one tile function ``rc.tile(layer, z, x, y)`` from
them (``sql/functions/tiles.sql``), and this module reads the same rows, once per process,
through ``rc.tile_catalogue()`` for everything the API says about a layer: TileJSON and OGC
metadata (property names, their types taken from the source columns, min zooms), whether it is
public, how long clients may keep its tiles.

A tile's *tag* identifies its content: a hash of the tile SQL, of the layer's rows and of the
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
from typing import Any

from sqlalchemy import Connection, Engine, text

from rescuecircle import __version__
from rescuecircle.errors import NotFound
from rescuecircle.paths import FUNCTIONS_DIR

MAX_ZOOM = 22  # deepest tile served; rc._tile_envelope checks the same
DATA_MAX_ZOOM = 16  # deepest zoom with new detail; clients overzoom beyond it
CACHE_BYTES = 64 * 1024 * 1024
POPULATION = "population"  # the planner's layer (api/planning.py); not public


@dataclass(frozen=True)
class VectorLayer:
    """One MVT layer inside a tile, as TileJSON's ``vector_layers`` describes it."""

    id: str
    description: str
    fields: dict[str, str]  # name -> TileJSON type: Number, String, Boolean
    minzoom: int = 0


@dataclass(frozen=True)
class TileLayer:
    """A tile set (one row of rc.tile_layer): its MVT layers, the tables they read, whether
    anyone may have its tiles, and a digest of its rows (part of every tile's tag)."""

    name: str
    title: str
    description: str
    public: bool
    sources: tuple[str, ...]
    vector_layers: tuple[VectorLayer, ...]
    max_age_s: int  # how long clients may use a tile without asking again
    digest: str


@dataclass(frozen=True)
class TileCatalogue:
    """Every tile layer of the database, in their order (rc.tile_layer.position)."""

    layers: dict[str, TileLayer]

    @property
    def public(self) -> dict[str, TileLayer]:
        """The layers served at /tiles to anyone."""
        return {name: layer for name, layer in self.layers.items() if layer.public}

    def public_layer(self, name: str) -> TileLayer:
        """The public layer ``name``; NotFound for any other name, the private ones too."""
        public = self.public
        if name not in public:
            raise NotFound(f"tile layer {name!r} does not exist; use one of {', '.join(public)}")
        return public[name]

    def layer(self, name: str) -> TileLayer:
        """The layer ``name``, public or not (for routes behind a role); NotFound if none."""
        if name not in self.layers:
            raise NotFound(f"tile layer {name!r} does not exist")
        return self.layers[name]


def load_catalogue(conn: Connection) -> TileCatalogue:
    """The tile layers as rc.tile_catalogue() lists them: one row per MVT layer, in order."""
    rows = conn.execute(text("SELECT * FROM rc.tile_catalogue()")).mappings().all()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["tile_layer"], []).append(dict(row))
    layers = {}
    for name, parts in grouped.items():
        first = parts[0]
        layers[name] = TileLayer(
            name=name, title=first["title"], description=first["description"],
            public=first["public"],
            sources=tuple(dict.fromkeys(s for part in parts for s in part["sources"])),
            vector_layers=tuple(VectorLayer(part["vector_layer"], part["vector_description"],
                                            dict(part["fields"]), part["minzoom"])
                                for part in parts),
            max_age_s=first["max_age_s"],
            digest=hashlib.sha256("|".join(p["definition"] for p in parts).encode())
            .hexdigest())
    return TileCatalogue(layers)


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
    """Tiles of the layers of one database, with their tags and a cache."""

    def __init__(self, engine: Engine, *, cache_bytes: int = CACHE_BYTES) -> None:
        self.engine = engine
        self.cache = TileCache(cache_bytes)
        # The tile SQL and the app version: a deployment that changes tiles changes every tag.
        self._code = hashlib.sha256(
            (FUNCTIONS_DIR / "tiles.sql").read_bytes() + __version__.encode()).hexdigest()
        self._catalogue: TileCatalogue | None = None
        self._catalogue_lock = threading.Lock()

    def catalogue(self) -> TileCatalogue:
        """The tile layers, read from the database on first use and kept: the rows change
        only by migrations, which a deployment follows with a restart."""
        if self._catalogue is None:
            with self._catalogue_lock:
                if self._catalogue is None:
                    with self.engine.connect() as conn:
                        self._catalogue = load_catalogue(conn)
        return self._catalogue

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
                    text("SELECT rc.tile(:layer, :z, :x, :y)"),
                    {"layer": layer.name, "z": z, "x": x, "y": y}).scalar_one())
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
        parts = [self._code, layer.name, layer.digest] + [
            f"{s}={versions.get(s)}" for s in layer.sources]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
