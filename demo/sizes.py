"""generate_network_of_size: a demo city whose road network has about a given number of edges,
for benchmarks that need a network of a given size."""

from pathlib import Path

import numpy as np

from demo.city import MAX_SIZE_KM, MIN_SIZE_KM, DemoCityFiles, check_args, write_city
from demo.model import Way
from demo.network import build_city


def _count_edges(ways: list[Way]) -> int:
    """Pieces of highway ways between way ends and nodes used more than once."""
    roads = [np.asarray(w.nodes) for w in ways if "highway" in w.tags]
    flat = np.concatenate(roads)
    uses = np.bincount(flat)
    junction = uses[flat] >= 2
    ends = np.cumsum([len(r) for r in roads])
    junction[ends - 1] = True
    junction[np.concatenate([[0], ends[:-1]])] = True
    return int(junction.sum()) - len(roads)


def generate_network_of_size(out_dir: Path, *, target_edges: int, seed: int = 42) -> DemoCityFiles:
    """Write a demo city whose road network has about target_edges edges (usually within 5%).

    The edge count grows with the area, so size_km is found by a few square-root updates on
    the network alone (milliseconds to a second) before the files are written; the best size
    seen wins. It is recorded in demo_extras.json, and generate_demo_city with that size_km
    reproduces the same files. 300,000 edges is a city of about 100 km and takes ~10 s.
    """
    check_args(seed, 15.0)
    if target_edges <= 0:
        raise ValueError(f"target_edges={target_edges} must be > 0")
    size_km, tried = 15.0, []
    for _ in range(8):
        city = build_city(seed, size_km)
        edges = _count_edges(city.ways)
        tried.append((abs(edges - target_edges) / target_edges, city))
        next_km = round(
            min(MAX_SIZE_KM, max(MIN_SIZE_KM, size_km * (target_edges / edges) ** 0.5)), 2
        )
        if tried[-1][0] <= 0.02 or next_km == size_km:
            break
        size_km = next_km
    miss, city = min(tried, key=lambda t: t[0])
    if miss > 0.2:
        raise ValueError(
            f"target_edges={target_edges} is out of reach: sizes {MIN_SIZE_KM}-{MAX_SIZE_KM} km "
            f"give about {_count_edges(build_city(seed, MIN_SIZE_KM).ways)} to "
            f"{_count_edges(build_city(seed, MAX_SIZE_KM).ways)} edges"
        )
    return write_city(city, out_dir)
