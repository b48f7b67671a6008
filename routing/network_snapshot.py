"""A routing network as one snapshot file: written once per imported network, memory-mapped
read-only by every server process, so the pages are shared through the page cache.

Holds the network's arrays, its index (vertices, lines in local metres, distances along
them), the free-flow graph of every mode in both directions and the snapping grid: a process
that maps it routes at once, without the database or any building. Driving graphs at an hour
are scaled views made on use (``Network.graph``).
"""

from pathlib import Path
from typing import Any

import numpy as np

from routing.arrays import MODES, EdgeLines, NetworkArrays
from routing.graph import ModeGraph
from routing.network import Network
from routing.network_index import NetworkIndex
from routing.snap_grid import SnapGrid
from routing.snapshot_file import SnapshotError, read_arrays, write_arrays
from routing.time_of_day import FREE_FLOW, SpeedFactors

FORMAT = 3  # bump when what is stored changes: older files are then rebuilt
_GRAPH_FIELDS = ("indptr", "indices", "cost_s", "edge", "forward")


def write_network(path: Path, network: Network) -> int:
    """Write the network, with every graph and the grid built, to ``path``; bytes written."""
    index = network.complete_index()
    arrays, grid = network.arrays, network.grid()
    tables: dict[str, np.ndarray] = {
        "edge_id": arrays.edge_id, "source_id": arrays.source, "target_id": arrays.target,
        "length_m": arrays.length_m, "class_code": arrays.class_code,
        "lonlat": arrays.lines.coords, "offsets": arrays.lines.offsets,
        "vertex_id": index.vertex_id, "source": index.source, "target": index.target,
        "xy": index.lines.coords, "cumulative_m": index.cumulative_m,
        "point_edge": index.point_edge, "vertex_xy": index.vertex_xy,
        "edge_middle_xy": index.edge_middle_xy, "vertex_start": index.vertex_start,
        "vertex_edge": index.vertex_edge,
        "edge_vertices": network.edge_vertices,
        "grid_cell_start": grid.cell_start, "grid_segment": grid.segment,
    }
    for mode in MODES:
        tables[f"cost_s.{mode}"] = arrays.cost_s[mode]
        tables[f"reverse_cost_s.{mode}"] = arrays.reverse_cost_s[mode]
        tables[f"island.{mode}"] = arrays.island[mode]
        for reverse in (False, True):
            graph = index.graphs[mode, reverse]
            for field in _GRAPH_FIELDS:
                tables[f"graph.{mode}.{int(reverse)}.{field}"] = getattr(graph, field)
    meta = {"format": FORMAT, "network_id": arrays.network_id,
            "class_names": list(arrays.class_names), "centre": list(index.centre),
            "vertices": len(index.vertex_id),
            "grid": [grid.west, grid.south, grid.cell_m, grid.columns, grid.rows]}
    return write_arrays(path, meta, tables)


def read_network(
    path: Path, *, snap_max_m: float = 500.0, speed_factors: SpeedFactors = FREE_FLOW
) -> Network:
    """The network in ``path``, its arrays mapped read-only; SnapshotError if unusable."""
    meta, tables = read_arrays(path)
    try:
        return _network(meta, tables, snap_max_m, speed_factors)
    except (KeyError, ValueError, TypeError) as exc:
        raise SnapshotError(f"{path} does not hold a network of format {FORMAT}: {exc}") from exc


def _network(meta: dict[str, Any], t: dict[str, np.ndarray], snap_max_m: float,
             speed_factors: SpeedFactors) -> Network:
    if meta.get("format") != FORMAT:
        raise ValueError(f"format {meta.get('format')}")
    arrays = NetworkArrays(
        int(meta["network_id"]), t["edge_id"], t["source_id"], t["target_id"], t["length_m"],
        t["class_code"], tuple(meta["class_names"]),
        {m: t[f"cost_s.{m}"] for m in MODES}, {m: t[f"reverse_cost_s.{m}"] for m in MODES},
        {m: t[f"island.{m}"] for m in MODES}, EdgeLines(t["lonlat"], t["offsets"]))
    vertices = int(meta["vertices"])
    graphs: dict[tuple[str, bool], ModeGraph] = {
        (m, reverse): ModeGraph(vertices, *(t[f"graph.{m}.{int(reverse)}.{field}"]
                                            for field in _GRAPH_FIELDS))
        for m in MODES for reverse in (False, True)}
    west, south, cell_m, columns, rows = meta["grid"]
    index = NetworkIndex(
        t["vertex_id"], t["source"], t["target"], (meta["centre"][0], meta["centre"][1]),
        EdgeLines(t["xy"], t["offsets"]), t["cumulative_m"], t["point_edge"], t["vertex_xy"],
        t["edge_middle_xy"], t["vertex_start"], t["vertex_edge"], graphs,
        SnapGrid(west, south, cell_m, int(columns), int(rows), t["grid_cell_start"],
                 t["grid_segment"]), t["edge_vertices"])
    return Network(arrays, snap_max_m=snap_max_m, speed_factors=speed_factors, index=index)
