"""The road network as plain arrays: the contract ``routing/`` consumes and ``gis/`` fills.

Also the one definition of the travel modes. No database here: ``gis`` imports this module to
fill it, ``routing`` never imports ``gis``.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

Mode = Literal["drive", "walk", "bike"]
MODES: tuple[Mode, ...] = ("drive", "walk", "bike")  # the road modes; drones fly, see drone.py


@dataclass(frozen=True, eq=False)
class NetworkArrays:
    """Edges of one loaded network, aligned by index.

    Costs are seconds; a negative cost closes the edge to the mode in that direction.
    ``geometry`` holds shapely LineStrings in WGS84 (lon, lat), from source to target.
    """

    network_id: int
    edge_id: np.ndarray
    source: np.ndarray
    target: np.ndarray
    length_m: np.ndarray
    road_class: np.ndarray
    cost_s: dict[str, np.ndarray]
    reverse_cost_s: dict[str, np.ndarray]
    island: dict[str, np.ndarray]
    geometry: np.ndarray

    def __post_init__(self) -> None:
        count = len(self.edge_id)
        arrays = [self.source, self.target, self.length_m, self.road_class, self.geometry,
                  *self.cost_s.values(), *self.reverse_cost_s.values(), *self.island.values()]
        if any(len(array) != count for array in arrays):
            raise ValueError("network arrays must all have one entry per edge")
        if set(self.cost_s) != set(MODES) or set(self.reverse_cost_s) != set(MODES):
            raise ValueError(f"costs are needed for every mode of {MODES}")
