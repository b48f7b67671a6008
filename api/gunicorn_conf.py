"""gunicorn's settings: ``gunicorn -c python:api.gunicorn_conf api.wsgi:app`` (docker-compose.yml).

The master imports the app's modules before it forks, and freezes the garbage collector's
view of them: workers then share the loaded code copy-on-write (the collector would otherwise
write to every shared object) and start in a fraction of a second. It builds no app, opens no
connection and starts no thread, none of which would survive the fork: each worker builds its
own app in ``api/wsgi.py`` and maps the routing snapshot every worker shares (docs/operations.md).

The compiled routing kernels (numba) are loaded in the master too, by running each on a small
grid mapped from a snapshot file (``routing.warm_up``), so no worker compiles or loads one on
its first requests: loaded once, their code is shared (several MB per kernel and worker).
The master also checks the snapshot files already on disk against their CRC: a worker maps a
file its master verified without reading it whole again (a second per gigabyte, times every
worker starting at once).

glibc's allocator is told to give large blocks (a search's arrays) back to the system when
they are freed, instead of keeping them per thread: a worker's own memory then stays what it
holds, not the peak of its busiest request.
"""

import contextlib
import ctypes
import ctypes.util
import gc

import psycopg  # noqa: F401  (these are loaded for the workers to inherit)
import pygeoapi.process.manager.dummy  # noqa: F401

import api.app  # noqa: F401
from rescuecircle.settings import Settings
from routing.snapshot_file import SnapshotError, verify
from routing.warm_up import warm_kernels

_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)
try:
    _mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
except (OSError, AttributeError):  # another C library: its allocator is left as it is
    pass
else:
    _mallopt(_M_MMAP_THRESHOLD, 1 << 20)  # blocks of 1 MB and more: mapped, returned on free
    _mallopt(_M_ARENA_MAX, 2)


def _verify_snapshots() -> None:
    """Check every snapshot file on disk once, here, for all the workers."""
    for path in sorted(Settings().snapshots.glob("*.rcsnap")):
        with contextlib.suppress(SnapshotError):  # the worker that opens it rebuilds it
            verify(path)


warm_kernels()
_verify_snapshots()
gc.freeze()
