"""The road network as plain arrays: the contract ``routing/`` consumes and ``gis/`` fills.

Also the one definition of the travel modes. No database here: ``gis`` imports this module to
fill it, ``routing`` never imports ``gis``. Every field is a plain numpy array (no Python
objects), so a whole network can be written to a snapshot file and memory-mapped by every
server process (``routing.snapshot``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import shapely

Mode = Literal["drive", "walk", "bike"]
MODES: tuple[Mode, ...] = ("drive", "walk", "bike")  # the road modes; drones fly, see drone.py


def ranges(start: np.ndarray | int, count: np.ndarray) -> np.ndarray:
    """The integers ``start[i], ..., start[i] + count[i] - 1`` of every ``i``, one range after
    the other (``start`` 0: each item's place within its own range), without a Python loop."""
    count = np.asarray(count, np.int64)
    return (np.repeat(np.asarray(start, np.int64) - np.cumsum(count) + count, count)
            + np.arange(int(count.sum())))


@dataclass(frozen=True, eq=False)
class EdgeLines:
    """The polyline of every edge in one flat coordinate array: edge e is
    ``coords[offsets[e]:offsets[e + 1]]``, at least two points, from source to target.

    Why not shapely objects: they cannot be memory-mapped nor shared between processes, and a
    request touches few edges; ``lines[edges]`` makes LineStrings for those edges only.
    """

    coords: np.ndarray   # (points, 2) float64
    offsets: np.ndarray  # (edges + 1,) int64

    @classmethod
    def from_shapely(cls, lines: np.ndarray) -> "EdgeLines":
        """From an array of LineStrings."""
        if len(lines) == 0:
            return cls(np.empty((0, 2)), np.zeros(1, np.int64))
        _, coords, (offsets,) = shapely.to_ragged_array(lines, include_z=False)
        return cls(np.ascontiguousarray(coords, np.float64), offsets.astype(np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def point_indices(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices into ``coords`` of the points of ``edges``, in order, and their count per
        edge."""
        counts = self.offsets[edges + 1] - self.offsets[edges]
        return ranges(self.offsets[edges], counts), counts

    @overload
    def __getitem__(self, edges: int | np.integer) -> shapely.LineString: ...
    @overload
    def __getitem__(self, edges: Sequence[int] | np.ndarray) -> np.ndarray: ...

    def __getitem__(self, edges: "int | np.integer | Sequence[int] | np.ndarray"
                    ) -> "shapely.LineString | np.ndarray":
        """One edge as a LineString, or an array of LineStrings for an array of edges."""
        if np.ndim(edges) == 0:
            edge = int(edges)  # type: ignore[arg-type]
            return shapely.LineString(self.coords[self.offsets[edge]:self.offsets[edge + 1]])
        edges = np.asarray(edges, np.int64)
        if len(edges) == 0:
            return np.empty(0, object)
        take, counts = self.point_indices(edges)
        return shapely.linestrings(self.coords[take],
                                   indices=np.repeat(np.arange(len(edges)), counts))

    def all(self) -> np.ndarray:
        """Every edge as a LineString (for tools and benchmarks; the server never needs it)."""
        return self[np.arange(len(self))]


@dataclass(frozen=True, eq=False)
class NetworkArrays:
    """Edges of one loaded network, aligned by index.

    Costs are seconds; a negative cost closes the edge to the mode in that direction.
    ``lines`` are in WGS84 (lon, lat), from source to target. ``class_code`` indexes
    ``class_names`` (the OSM highway value).
    """

    network_id: int
    edge_id: np.ndarray
    source: np.ndarray
    target: np.ndarray
    length_m: np.ndarray
    class_code: np.ndarray
    class_names: tuple[str, ...]
    cost_s: dict[str, np.ndarray]
    reverse_cost_s: dict[str, np.ndarray]
    island: dict[str, np.ndarray]
    lines: EdgeLines

    def __post_init__(self) -> None:
        count = len(self.edge_id)
        arrays = [self.source, self.target, self.length_m, self.class_code,
                  *self.cost_s.values(), *self.reverse_cost_s.values(), *self.island.values()]
        if len(self.lines) != count or any(len(array) != count for array in arrays):
            raise ValueError("network arrays must all have one entry per edge")
        if set(self.cost_s) != set(MODES) or set(self.reverse_cost_s) != set(MODES):
            raise ValueError(f"costs are needed for every mode of {MODES}")

    @classmethod
    def from_shapely(
        cls, *, network_id: int, edge_id: np.ndarray, source: np.ndarray, target: np.ndarray,
        length_m: np.ndarray, road_class: np.ndarray, cost_s: dict[str, np.ndarray],
        reverse_cost_s: dict[str, np.ndarray], island: dict[str, np.ndarray],
        geometry: np.ndarray,
    ) -> "NetworkArrays":
        """From road classes as strings and geometry as shapely LineStrings (WGS84)."""
        names, code = np.unique(np.asarray(road_class, dtype=object).astype(str),
                                return_inverse=True)
        return cls(network_id, np.asarray(edge_id, np.int64), np.asarray(source, np.int64),
                   np.asarray(target, np.int64), np.asarray(length_m, np.float64),
                   code.astype(np.int16), tuple(str(n) for n in names),
                   {m: np.asarray(c, np.float64) for m, c in cost_s.items()},
                   {m: np.asarray(c, np.float64) for m, c in reverse_cost_s.items()},
                   {m: np.asarray(i, bool) for m, i in island.items()},
                   EdgeLines.from_shapely(np.asarray(geometry)))

    @property
    def road_class(self) -> np.ndarray:
        """The OSM highway value of every edge, as strings."""
        return np.asarray(self.class_names, dtype=object)[self.class_code]
