"""Routing snapshots on disk: one file per database's current import, built by the first
process that needs it, memory-mapped by all (the OS shares the pages between workers).

The build runs under an exclusive lock on the database's lock file, so concurrent workers
build once and the others map what it wrote; a file is renamed into place only when whole
(``routing.snapshot_file``). A file that cannot be used (cut short, corrupt, an older format)
is removed and built again, never served; when a new import's file is written, the older
imports' files of the same database are removed (a process still mapping one keeps reading
it: unlinking leaves open mappings valid).
"""

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gis.network_loader import NetworkKey
from routing.network import Network
from routing.network_snapshot import FORMAT, read_network, write_network
from routing.snapshot_file import SnapshotError
from routing.time_of_day import SpeedFactors

LOGGER = logging.getLogger(__name__)
SUFFIX = f".f{FORMAT}.rcsnap"


def snapshot_path(directory: Path, key: NetworkKey) -> Path:
    """The file a network's snapshot is kept in."""
    return directory / f"{key.name}{SUFFIX}"


def open_network(
    directory: Path, key: NetworkKey, build: Callable[[], Network], *, snap_max_m: float,
    speed_factors: SpeedFactors,
) -> Network:
    """The network of ``key`` mapped from its snapshot, which ``build`` makes when missing or
    unusable."""
    path = snapshot_path(directory, key)
    try:
        return read_network(path, snap_max_m=snap_max_m, speed_factors=speed_factors)
    except SnapshotError as exc:
        if path.exists():
            LOGGER.warning("routing snapshot unusable, rebuilding: %s", exc)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory / f"{key.database}.lock"):
        try:  # another process may have built it while this one waited
            return read_network(path, snap_max_m=snap_max_m, speed_factors=speed_factors)
        except SnapshotError:
            path.unlink(missing_ok=True)
        started = time.perf_counter()
        size = write_network(path, build())
        LOGGER.info("routing snapshot %s written: %.0f MB in %.1f s", path.name, size / 1e6,
                    time.perf_counter() - started)
        for stale in [*directory.glob(f"{key.database}-*.rcsnap"),
                      *directory.glob(f".{key.database}-*.tmp")]:  # a killed writer's
            if stale != path:
                stale.unlink(missing_ok=True)
    return read_network(path, snap_max_m=snap_max_m, speed_factors=speed_factors)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
