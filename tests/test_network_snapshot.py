"""Routing snapshots: a network read back from its file answers exactly as the one built from
arrays; server processes map the file instead of reading the database; an import makes a new
one; a damaged file is rebuilt, never served. The snapping grid finds the nearest edge."""

import mmap
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from numba.core.registry import CPUDispatcher
from sqlalchemy import Engine, event

from api.app import create_app
from gis.osm_import import import_osm
from rescuecircle.paths import PROJECT_ROOT
from routing.arrays import MODES, NetworkArrays
from routing.hierarchy import hierarchy_of
from routing.isochrone import network_time_grid
from routing.network import Network
from routing.network_snapshot import read_network, write_network
from routing.snapshot_file import SnapshotError, read_arrays, verify
from routing.time_of_day import SpeedFactors
from routing.warm_up import warm_kernels
from services.network import NetworkProvider
from tests.conftest import app_settings

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
ISOCHRONE, ROUTE = "/ogc/processes/isochrone/execution", "/ogc/processes/route/execution"
MATRIX = "/ogc/processes/matrix/execution"
RUSH = SpeedFactors()  # the built-in profile: arterials slower at 8 h


def grid_city(side: int = 12, seed: int = 3) -> NetworkArrays:
    """A jittered grid near the equator: bent streets (three points), primaries every fourth
    row, a few one-way streets, an island edge far off."""
    rng = np.random.default_rng(seed)
    node = np.arange(side * side).reshape(side, side) + 1
    pairs = [(node[r, c], node[r, c + 1], r) for r in range(side) for c in range(side - 1)]
    pairs += [(node[r, c], node[r + 1, c], c) for r in range(side - 1) for c in range(side)]
    xy = {n: (c * 0.002 + rng.normal(0, 2e-5), r * 0.002 + rng.normal(0, 2e-5))
          for (r, c), n in np.ndenumerate(node)}
    lines = [[xy[a], ((xy[a][0] + xy[b][0]) / 2 + rng.normal(0, 1e-4),
                      (xy[a][1] + xy[b][1]) / 2 + rng.normal(0, 1e-4)), xy[b]]
             for a, b, _ in pairs]
    lines.append([(0.05, 0.05), (0.0505, 0.05)])
    pairs.append((10_001, 10_002, 1))
    geometry = np.array([shapely.LineString(line) for line in lines])
    length_m = shapely.length(geometry) * 111_320
    forward = length_m / 8.0
    reverse = np.where(np.arange(len(pairs)) % 7 == 3, -1.0, forward)
    island = np.zeros(len(pairs), bool)
    island[-1] = True
    return NetworkArrays.from_shapely(
        network_id=5, edge_id=np.arange(len(pairs)) + 100,
        source=np.array([p[0] for p in pairs]), target=np.array([p[1] for p in pairs]),
        length_m=length_m,
        road_class=np.array(["primary" if p[2] % 4 == 0 else "residential" for p in pairs],
                            dtype=object),
        cost_s={m: forward * (1 + i) for i, m in enumerate(MODES)},
        reverse_cost_s={m: np.where(reverse >= 0, reverse * (1 + i), -1.0)
                        for i, m in enumerate(MODES)},
        island={m: island for m in MODES}, geometry=geometry)


def is_mapped(array: np.ndarray) -> bool:
    """Whether an array is a read-only view of a memory-mapped file."""
    base = array
    while isinstance(base, np.ndarray | memoryview):
        base = base.base if isinstance(base, np.ndarray) else base.obj
    return isinstance(base, mmap.mmap) and not array.flags.writeable


def answers(network: Network) -> list:
    """Snaps, routes and travel-time grids over the grid city, as plain values."""
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(-0.001, 0.023, 40), rng.uniform(-0.001, 0.023, 40)
    found = []
    for mode, hour in (("drive", 8), ("drive", None), ("walk", None)):
        snaps = network.snap_many(lon, lat, mode)
        found.append([(s.edge, s.fraction, s.distance_m) for s in snaps if s])
        for a, b in zip(snaps[:6], snaps[6:12], strict=True):
            route = network.route(a, b, mode, hour=hour)
            found.append((route.time_s, route.length_m, route.edges,
                          shapely.get_coordinates(route.geometry).tolist()))
        grid = network_time_grid(network, snaps[0], mode, limit_s=300, hour=hour)
        found.append((grid.time_s.tolist(), grid.transform))
    return found


def test_a_snapshot_answers_exactly_as_the_network_it_was_written_from(tmp_path):
    built = Network(grid_city(), speed_factors=RUSH)
    expected = answers(built)
    write_network(tmp_path / "city.rcsnap", built)
    mapped = read_network(tmp_path / "city.rcsnap", speed_factors=RUSH)
    assert is_mapped(mapped.length_m)
    assert mapped.network_id == 5
    assert answers(mapped) == expected


def test_the_grid_snaps_to_the_nearest_usable_edge():
    arrays = grid_city()
    network = Network(arrays)
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-0.002, 0.024, 300), rng.uniform(-0.002, 0.024, 300)
    x, y = network.projection.to_xy(lon, lat)
    lines = network.geometry.all()
    for mode in MODES:
        usable = (arrays.cost_s[mode] >= 0) | (arrays.reverse_cost_s[mode] >= 0)
        edge, metres, fraction = network._nearest(x, y, mode, connected=False)
        distance = shapely.distance(shapely.points(x, y)[:, None], lines[None, usable])
        np.testing.assert_allclose(metres, distance.min(axis=1), atol=1e-6)
        located = shapely.line_locate_point(lines[edge], shapely.points(x, y), normalized=True)
        np.testing.assert_allclose(fraction, located, atol=1e-9)


@pytest.mark.parametrize("damage", ["cut short", "one byte changed", "not a snapshot"])
def test_a_damaged_file_is_refused(tmp_path, damage):
    path = tmp_path / "city.rcsnap"
    write_network(path, Network(grid_city()))
    data = bytearray(path.read_bytes())
    if damage == "cut short":
        data = data[: len(data) // 2]
    elif damage == "one byte changed":
        data[-100] ^= 0xFF
    else:
        data = bytearray(b"hello" * 100)
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError):
        read_network(path)


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("network_snapshot")
    import_osm(engine, TOY_CITY)
    return engine


def provider(engine: Engine, directory: Path) -> NetworkProvider:
    """A fresh provider, as in a newly started worker."""
    return NetworkProvider(engine, snap_max_m=500, speed_factors=RUSH, snapshot_dir=directory)


class Statements:
    """The SQL an engine runs while the block is open."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.seen = engine, []

    def _record(self, conn, cursor, statement, *args) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def reads_edges(statements: list[str]) -> bool:
    return any("road_edge" in s for s in statements)


def test_a_worker_maps_the_snapshot_without_reading_the_edges(engine, tmp_path):
    with Statements(engine) as first:
        built = provider(engine, tmp_path).current()
    assert reads_edges(first)
    with Statements(engine) as second:
        mapped = provider(engine, tmp_path).current()
    assert not reads_edges(second)
    assert is_mapped(mapped.arrays.edge_id)
    assert mapped.network_id == built.network_id
    assert len(list(tmp_path.glob("*.rcsnap"))) == 1


def test_a_damaged_snapshot_is_rebuilt_not_served(engine, tmp_path):
    provider(engine, tmp_path).current()
    [path] = tmp_path.glob("*.rcsnap")
    path.write_bytes(path.read_bytes()[:-50])
    with Statements(engine) as statements:
        network = provider(engine, tmp_path).current()
    assert reads_edges(statements)
    read_arrays(path)  # whole again
    assert network.snap(0.001, 0.0, "walk").distance_m < 1


def test_a_new_import_gets_a_new_snapshot_and_the_old_one_goes(make_database, tmp_path):
    engine = make_database("network_snapshot_reimport")
    import_osm(engine, TOY_CITY)
    served = provider(engine, tmp_path)
    before = served.current()
    [old] = tmp_path.glob("*.rcsnap")
    import_osm(engine, TOY_CITY)
    after = served.current()
    assert after.network_id > before.network_id
    [new] = tmp_path.glob("*.rcsnap")
    assert new != old
    assert before.snap(0.001, 0.0, "walk").edge == after.snap(0.001, 0.0, "walk").edge


def test_a_file_verified_by_the_master_is_checked_again_once_it_changes(tmp_path):
    """Workers skip the CRC of a file their master verified, not of one written since."""
    path = tmp_path / "city.rcsnap"
    write_network(path, Network(grid_city()))
    verify(path)
    assert read_network(path).arrays.edge_id.size > 0
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    time.sleep(0.01)  # a new modification time, as any later write has
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError):
        read_network(path)
    with pytest.raises(SnapshotError):
        verify(path)


def kernel_signatures() -> dict[str, int]:
    """How many compiled versions each routing kernel has loaded in this process."""
    return {f"{name}.{attribute}": len(value.signatures)
            for name, module in list(sys.modules.items()) if name.startswith("routing.")
            for attribute, value in vars(module).items() if isinstance(value, CPUDispatcher)}


def test_after_the_warm_up_requests_load_no_other_kernel(engine, tmp_path):
    """What gunicorn's master runs before forking (routing.warm_up) loads every compiled kernel
    a worker's requests call, for the arrays they pass it: a worker loads none itself."""
    provider(engine, tmp_path).current()  # writes the snapshot the app's worker maps
    warm_kernels()
    loaded = kernel_signatures()
    assert all(loaded[k] for k in ("routing.dijkstra._search", "routing.hierarchy._contract",
                                   "routing.row_search._rows_kernel", "routing.polygonise._follow"))
    settings = app_settings(engine).model_copy(update={"snapshot_dir": tmp_path})
    client = create_app(settings, engine=engine).test_client()
    points = [[0.0005, 0.0001], [0.0021, 0.0009], [0.006, 0.0001], [-0.0009, 0.001]]
    morning = "2026-03-02T08:00:00+00:00"
    for inputs in ({"point": points[0], "mode": "drive", "minutes": [1, 2], "depart_at": morning},
                   {"point": points[1], "mode": "walk", "minutes": [2], "direction": "to"},
                   {"points": points[:3], "mode": "drive", "minutes": [1, 2]}):
        response = client.post(ISOCHRONE, json={"inputs": inputs})
        assert response.status_code == 200, response.json
    for mode in MODES:
        response = client.post(ROUTE, json={"inputs": {
            "origin": points[0], "destination": points[1], "mode": mode}})
        assert response.status_code == 200, response.json
    for sources in (points[:2], points * 3):  # row searches; the hierarchy from 10 rows
        response = client.post(MATRIX, json={"inputs": {
            "sources": sources, "targets": points, "mode": "drive"}})
        assert response.status_code == 200, response.json
    network = provider(engine, tmp_path).current()
    hierarchy_of(network.graph("drive"), wait=True)  # what the matrix started in the background
    assert kernel_signatures() == loaded
