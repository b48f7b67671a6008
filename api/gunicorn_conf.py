"""gunicorn's settings: ``gunicorn -c python:api.gunicorn_conf api.wsgi:app`` (docker-compose.yml).

The master imports the app's modules before it forks, and freezes the garbage collector's
view of them: workers then share the loaded code copy-on-write (the collector would otherwise
write to every shared object) and start in a fraction of a second. It builds no app, opens no
connection and starts no thread, none of which would survive the fork: each worker builds its
own app in ``api/wsgi.py`` and maps the routing snapshot every worker shares (docs/operations.md).

glibc's allocator is told to give large blocks (a search's arrays) back to the system when
they are freed, instead of keeping them per thread: a worker's own memory then stays what it
holds, not the peak of its busiest request.
"""

import ctypes
import ctypes.util
import gc

import psycopg  # noqa: F401  (these are loaded for the workers to inherit)
import pygeoapi.process.manager.dummy  # noqa: F401

import api.app  # noqa: F401

_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)
try:
    _mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
except (OSError, AttributeError):  # another C library: its allocator is left as it is
    pass
else:
    _mallopt(_M_MMAP_THRESHOLD, 1 << 20)  # blocks of 1 MB and more: mapped, returned on free
    _mallopt(_M_ARENA_MAX, 2)

gc.freeze()
