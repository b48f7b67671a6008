"""Every compiled routing kernel run once, on a small street grid read back from a snapshot
file the way server workers map theirs.

numba loads (or compiles, the first time) a kernel per kind of arrays it is called with: a
mapped snapshot's read-only arrays, an hour's own costs, a request's factors. Called in
gunicorn's master before it forks (api/gunicorn_conf.py), this leaves every kernel loaded once,
in pages the workers share, instead of each worker loading them on its first requests (several
MB and a fraction of a second per kernel and per worker). Going through the same functions
requests use, rather than calling kernels one by one, keeps it complete as kernels are added.
"""

import tempfile
from pathlib import Path

import numpy as np
import shapely

from routing.arrays import MODES, NetworkArrays
from routing.coverage import network_coverage_grid
from routing.hierarchy import hierarchy_of
from routing.isochrone import (
    bands,
    facilities_time_grid,
    facility_bands,
    network_time_grid,
)
from routing.matrix import HIERARCHY_MIN_ROWS, travel_matrix
from routing.network import Network
from routing.network_snapshot import read_network, write_network
from routing.time_of_day import SpeedFactors

SPACING_DEG = 0.002  # about 220 m between crossings
RUSH_HOUR = 8


def street_grid(side: int = 6) -> NetworkArrays:
    """A square grid of two-way streets near (0, 0), a primary road every third row."""
    node = np.arange(side * side).reshape(side, side) + 1
    pairs = [(node[r, c], node[r, c + 1], r) for r in range(side) for c in range(side - 1)]
    pairs += [(node[r, c], node[r + 1, c], c) for r in range(side - 1) for c in range(side)]
    lonlat = {int(n): (c * SPACING_DEG, r * SPACING_DEG) for (r, c), n in np.ndenumerate(node)}
    geometry = np.array([shapely.LineString([lonlat[a], lonlat[b]]) for a, b, _ in pairs])
    length_m = shapely.length(geometry) * 111_320
    return NetworkArrays.from_shapely(
        network_id=0, edge_id=np.arange(len(pairs)) + 1,
        source=np.array([a for a, _, _ in pairs]), target=np.array([b for _, b, _ in pairs]),
        length_m=length_m,
        road_class=np.array(["primary" if row % 3 == 0 else "residential"
                             for _, _, row in pairs], dtype=object),
        cost_s={m: length_m / speed for m, speed in zip(MODES, (10.0, 1.4, 4.0), strict=True)},
        reverse_cost_s={m: length_m / speed
                        for m, speed in zip(MODES, (10.0, 1.4, 4.0), strict=True)},
        island={m: np.zeros(len(pairs), bool) for m in MODES}, geometry=geometry)


def warm_kernels(directory: Path | None = None) -> None:
    """Write the street grid to a snapshot file in ``directory`` (a temporary one by default),
    map it and run every kernel over it."""
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        path = Path(scratch) / "warm_up.rcsnap"
        write_network(path, Network(street_grid()))
        exercise(read_network(path, speed_factors=SpeedFactors()))


def exercise(network: Network) -> None:
    """Searches, isochrones, routes, matrices and coverage over ``network``, as requests run
    them: free flow and at an hour, forwards and backwards, with and without factors."""
    corner_deg = SPACING_DEG * 4.5
    for mode in MODES:
        origin = network.snap(0.0005, 0.0005, mode)
        destination = network.snap(corner_deg, corner_deg, mode)
        facilities = [origin, destination]
        for hour in (None, RUSH_HOUR) if mode == "drive" else (None,):
            for direction in ("from", "to"):
                bands(network_time_grid(network, origin, mode, limit_s=300.0, hour=hour,
                                        direction=direction), [2, 5])
            network.route(origin, destination, mode, hour=hour)
            facility_bands(facilities_time_grid(network, facilities, mode, limit_s=300.0,
                                                hour=hour), [2, 5], len(facilities))
            network_coverage_grid(network, facilities, mode, limit_s=300.0, hour=hour)
            network.graph(mode, hour, reverse=True).search(
                network.arrival_seeds(origin, mode, hour), limit_s=600.0,
                edge_factor=np.ones(len(network.length_m)))
            travel_matrix(network, [origin], facilities, mode, hour=hour, lengths=True)
            hierarchy_of(network.graph(mode, hour), wait=True)
            rows = [origin] * HIERARCHY_MIN_ROWS
            travel_matrix(network, rows, rows + facilities, mode, hour=hour)
