"""The demo city in memory while it is generated: nodes and ways in local metres, the built
City the writers read, and one random stream per purpose drawn from the seed."""

import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import LineString, Polygon

from demo.layout import FloatArray, Layout


def random_stream(seed: int, purpose: str) -> np.random.Generator:
    """One independent random stream per purpose, so changing POIs never moves a road."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


class Nodes:
    """Nodes that are not lattice points, with ids handed out in creation order."""

    def __init__(self, first_id: int) -> None:
        self.first_id = first_id
        self.xy_m: list[tuple[float, float]] = []
        self.tags: list[dict[str, str]] = []

    def add(self, x_m: float, y_m: float, tags: dict[str, str] | None = None) -> int:
        self.xy_m.append((float(x_m), float(y_m)))
        self.tags.append(tags or {})
        return self.first_id + len(self.xy_m) - 1


@dataclass(slots=True)
class Way:
    nodes: list[int]
    tags: dict[str, str]


@dataclass
class City:
    """Everything to write, in local metres; lattice node ids are 1..len(lattice_xy_m)."""

    seed: int
    size_km: float
    layout: Layout
    lattice_xy_m: FloatArray
    lattice_zone: NDArray[np.int8]
    extra: Nodes
    ways: list[Way]
    river_m: LineString
    water_m: Polygon
    village_centres_m: list[tuple[float, float]]
