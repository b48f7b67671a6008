"""gunicorn's settings: ``gunicorn -c python:api.gunicorn_conf api.wsgi:app`` (docker-compose.yml).

The master imports the app's modules before it forks, and freezes the garbage collector's
view of them: workers then share the loaded code copy-on-write (the collector would otherwise
write to every shared object) and start in a fraction of a second. It builds no app, opens no
connection and starts no thread, none of which would survive the fork: each worker builds its
own app in ``api/wsgi.py`` and maps the routing snapshot every worker shares (docs/operations.md).

The compiled Dijkstra (numba) is loaded in the master too, for the array kinds a worker
passes it (the snapshot's read-only arrays, a request's own costs or factors), so no worker
compiles or loads it on its first request.

glibc's allocator is told to give large blocks (a search's arrays) back to the system when
they are freed, instead of keeping them per thread: a worker's own memory then stays what it
holds, not the peak of its busiest request.
"""

import ctypes
import ctypes.util
import gc

import numpy as np
import psycopg  # noqa: F401  (these are loaded for the workers to inherit)
import pygeoapi.process.manager.dummy  # noqa: F401

import api.app  # noqa: F401
from routing.graph import ModeGraph, Seed

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


_load_dijkstra()
gc.freeze()
