"""The routing network of the running app: mapped from its snapshot, replaced after an import.

Each use asks the database for the newest network id (one indexed query); a new id means a new
import landed, and the next request maps the new network's snapshot (the first process to
need it builds it from the database, ``services.network_snapshots``) while the old one keeps
serving the requests already under way.
"""

import threading
from pathlib import Path

from sqlalchemy import Engine

from gis.network_loader import current_network_id, load_network_arrays, network_key
from gis.population import PopulationPoints, load_population_points, population_version
from rescuecircle.errors import NoRoute, Unavailable
from routing.isochrone import PeopleXY
from routing.network import Network
from routing.time_of_day import SpeedFactors
from services.network_snapshots import open_network


class NetworkProvider:
    """Hands out the current ``routing.network.Network`` and the population, both cached."""

    def __init__(self, engine: Engine, *, snap_max_m: float, speed_factors: SpeedFactors,
                 snapshot_dir: Path) -> None:
        self._engine = engine
        self._snapshot_dir = snapshot_dir
        self._snap_max_m = snap_max_m
        self._speed_factors = speed_factors
        self._network: Network | None = None
        self._people: tuple[tuple[int, int], PeopleXY | None] | None = None
        self._points: PopulationPoints | None = None
        self._lock = threading.Lock()
        self._population_lock = threading.Lock()

    def current(self) -> Network:
        """The network for the newest import; NoRoute when none is loaded."""
        network_id = current_network_id(self._engine)
        if network_id is None:
            raise NoRoute("no road network is loaded: run `rescuecircle import osm FILE`")
        network = self._network
        if network is not None and network.network_id == network_id:
            return network
        with self._lock:
            if self._network is None or self._network.network_id != network_id:
                key = network_key(self._engine)
                if key is None:
                    raise NoRoute("no road network is loaded: run `rescuecircle import osm FILE`")
                self._network = open_network(
                    self._snapshot_dir, key, lambda: self._load(key.network_id),
                    snap_max_m=self._snap_max_m, speed_factors=self._speed_factors)
            return self._network

    def _load(self, network_id: int) -> Network:
        """Network ``network_id`` from the database, to be written as its snapshot."""
        arrays = load_network_arrays(self._engine)
        if arrays.network_id != network_id:  # an import landed meanwhile: not this key's
            raise Unavailable("the road network was replaced while it was read: try again")
        return Network(arrays)

    def population(self) -> PopulationPoints:
        """All population as weighted WGS84 points, read again only when rc.population changes
        (cutting zones on a grid takes seconds on a real city)."""
        version = population_version(self._engine)
        cached = self._points
        if cached is not None and cached.version == version:
            return cached
        with self._population_lock:
            if self._points is None or self._points.version != version:
                self._points = load_population_points(self._engine)
            return self._points

    def people(self, network: Network) -> PeopleXY | None:
        """Population points in the network's local metres; None when none is loaded."""
        points = self.population()
        key = (network.network_id, points.version)
        cached = self._people
        if cached is not None and cached[0] == key:
            return cached[1]
        people = None
        if len(points.people):
            x, y = network.projection.to_xy(points.lon, points.lat)
            people = PeopleXY(x, y, points.people)
        self._people = (key, people)
        return people
