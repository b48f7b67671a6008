"""gunicorn's settings: ``gunicorn -c python:api.gunicorn_conf api.wsgi:app`` (docker-compose.yml).

The master imports the app's modules before it forks, and freezes the garbage collector's
view of them: workers then share the loaded code copy-on-write (the collector would otherwise
write to every shared object) and start in a fraction of a second. It builds no app, opens no
connection and starts no thread, none of which would survive the fork: each worker builds its
own app in ``api/wsgi.py`` and maps the routing snapshot every worker shares (docs/operations.md).

The compiled code (numba: the Dijkstra, for the array kinds a worker passes it, the
snapshot's read-only arrays and a request's own costs or factors; the isochrone's grid,
spread and cell groups) is loaded in the master too, so no worker compiles or loads it on its
first request. The master also checks the snapshot files already on disk against their CRC:
a worker maps a file its master verified without reading it whole again (a second per
gigabyte, times every worker starting at once).

glibc's allocator is told to give large blocks (a search's arrays) back to the system when
they are freed, instead of keeping them per thread: a worker's own memory then stays what it
holds, not the peak of its busiest request.
"""

import contextlib
import ctypes
import ctypes.util
import gc

import numpy as np
import psycopg  # noqa: F401  (these are loaded for the workers to inherit)
import pygeoapi.process.manager.dummy  # noqa: F401

import api.app  # noqa: F401
from rescuecircle.settings import Settings
from routing.graph import ModeGraph, Seed
from routing.isochrone import spread_off_road
from routing.raster_labels import label_side_by_side
from routing.snapshot_file import SnapshotError, verify

_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)
try:
    _mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
except (OSError, AttributeError):  # another C library: its allocator is left as it is
    pass
else:
    _mallopt(_M_MMAP_THRESHOLD, 1 << 20)  # blocks of 1 MB and more: mapped, returned on free
    _mallopt(_M_ARENA_MAX, 2)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _load_dijkstra() -> None:
    """Search a two-vertex graph with each kind of arrays a worker's searches use."""
    one = np.array([0]), np.array([1]), np.array([1.0]), np.array([1.0])
    built = ModeGraph.build(2, *one)
    mapped = ModeGraph(2, *(_read_only(getattr(built, f).copy()) for f in (
        "indptr", "indices", "cost_s", "edge", "forward")))
    for graph in (mapped, ModeGraph(2, mapped.indptr, mapped.indices, built.cost_s.copy(),
                                    mapped.edge, mapped.forward)):
        graph.search([Seed(0, 0.0)])
        graph.search([Seed(0, 0.0)], edge_factor=np.ones(1))


def _load_isochrone_kernels() -> None:
    """Grid, spread and label a few samples, with and without facilities."""
    x = y = np.array([0.0, 100.0])
    for facility in (None, np.array([0, 1])):
        spread_off_road(x, y, np.array([0.0, 30.0]), limit_s=60.0, cell_m=25.0,
                        facility=facility)
    label_side_by_side(np.ones((2, 2), bool))


def _verify_snapshots() -> None:
    """Check every snapshot file on disk once, here, for all the workers."""
    for path in sorted(Settings().snapshots.glob("*.rcsnap")):
        with contextlib.suppress(SnapshotError):  # the worker that opens it rebuilds it
            verify(path)


_load_dijkstra()
_load_isochrone_kernels()
_verify_snapshots()
gc.freeze()
