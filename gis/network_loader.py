"""Read the loaded road network into ``NetworkArrays`` for the routing engine."""

import hashlib
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Engine, text

from rescuecircle.errors import NoRoute
from routing.arrays import MODES, NetworkArrays

_COLUMNS = ", ".join(
    ["id", "source", "target", "length_m", "road_class", "ST_AsBinary(geom) AS wkb"]
    + [f"cost_{m}_s, reverse_cost_{m}_s, island_{m}" for m in MODES]
)


def current_network_id(engine: Engine) -> int | None:
    """The id of the newest import, the key routing caches are valid for."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT max(id) FROM rc.network")).scalar()


@dataclass(frozen=True)
class NetworkKey:
    """The newest import: its id, a tag of the database it is in (host, port and name) and
    a name no other import of any database shares (the tag, the id and the import time)."""

    network_id: int
    database: str
    name: str


def network_key(engine: Engine) -> NetworkKey | None:
    """The key of the newest import (None before the first): what routing snapshot files are
    named by."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT id, current_database(), "
            "(extract(epoch FROM imported_at) * 1e6)::bigint FROM rc.network "
            "ORDER BY id DESC LIMIT 1")).one_or_none()
    if row is None:
        return None
    where = f"{engine.url.host}:{engine.url.port}/{row[1]}"
    database = hashlib.sha256(where.encode()).hexdigest()[:12]
    return NetworkKey(int(row[0]), database, f"{database}-n{row[0]}-{row[2]}")


def load_network_arrays(engine: Engine) -> NetworkArrays:
    """All edges of the current network as arrays; NoRoute when no network is loaded."""
    with engine.connect() as conn:
        network_id = conn.execute(text("SELECT max(id) FROM rc.network")).scalar()
        result = conn.execute(text(f"SELECT {_COLUMNS} FROM rc.road_edge ORDER BY id"))
        keys, rows = list(result.keys()), result.all()
    if network_id is None or not rows:
        raise NoRoute("no road network is loaded: run `rescuecircle import osm FILE`")
    named = dict(zip(keys, zip(*rows, strict=True), strict=True))
    return NetworkArrays.from_shapely(
        network_id=int(network_id),
        edge_id=np.array(named["id"], np.int64),
        source=np.array(named["source"], np.int64),
        target=np.array(named["target"], np.int64),
        length_m=np.array(named["length_m"], np.float64),
        road_class=np.array(named["road_class"], dtype=object),
        cost_s={m: np.array(named[f"cost_{m}_s"], np.float64) for m in MODES},
        reverse_cost_s={m: np.array(named[f"reverse_cost_{m}_s"], np.float64) for m in MODES},
        island={m: np.array(named[f"island_{m}"], bool) for m in MODES},
        geometry=shapely.from_wkb([bytes(w) for w in named["wkb"]]),
    )
