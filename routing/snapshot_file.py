"""A file of named numpy arrays that every process memory-maps read-only (after Valhalla's
tile extract and OSRM's shared-memory datastore: built once, shared through the page cache).

Layout: 8 bytes of magic, the header's length (8 bytes, little-endian), the header (JSON:
the caller's metadata, each array's dtype, shape and offset, the data's length and CRC-32),
then the arrays, each aligned to 64 bytes. A file is written under a temporary name and
renamed into place, so a reader never sees half of one; a file that is cut short, altered or
of another format is refused with ``SnapshotError`` (the caller builds it again).
"""

import json
import mmap
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"RCSNAP\x00\x01"
_ALIGN = 64
_CHUNK = 1 << 24


class SnapshotError(Exception):
    """A snapshot file that cannot be used: missing, cut short, corrupt or of another format."""


def write_arrays(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> int:
    """Write ``arrays`` and ``meta`` (JSON-able) to ``path`` atomically; the size in bytes."""
    layout: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in arrays.items():
        offset = -(-offset // _ALIGN) * _ALIGN
        layout[name] = {"dtype": np.asarray(array).dtype.str, "shape": list(np.shape(array)),
                        "offset": offset}
        offset += np.asarray(array).nbytes
    data_bytes = offset
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w+b") as out:
            out.write(b"\0" * _header_size(meta, layout, data_bytes))
            base = out.tell()
            crc = 0
            for name, array in arrays.items():
                pad = base + layout[name]["offset"] - out.tell()
                out.write(b"\0" * pad)
                crc = zlib.crc32(b"\0" * pad, crc)
                raw = np.ascontiguousarray(array).tobytes()
                out.write(raw)
                crc = zlib.crc32(raw, crc)
            header = _header(meta, layout, data_bytes, crc, base)
            out.seek(0)
            out.write(header)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return base + data_bytes


def verify(path: Path) -> None:
    """Check ``path`` whole against its CRC-32 (through the page cache, about a second per
    gigabyte) and remember it as verified while its inode, size and time stay the same:
    a server's master verifies the files before it forks, so its workers need not."""
    _check(path)


def read_arrays(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The metadata and the arrays of a snapshot, mapped read-only; SnapshotError if unusable.

    The whole file is checked against its CRC-32 first unless this process (or the one it
    was forked from) already verified that very file, so a damaged file is never served.
    """
    header = _check(path)
    base = header["base"]
    with open(path, "rb") as source:
        mapped = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
    arrays = {}
    for name, spec in header["arrays"].items():
        dtype = np.dtype(spec["dtype"])
        count = int(np.prod(spec["shape"], dtype=np.int64))
        # plain arrays over the mapping: indexing a np.memmap is many times slower
        arrays[name] = np.frombuffer(mapped, dtype, count, base + spec["offset"]).reshape(
            spec["shape"])
    return header["meta"], arrays


_verified: set[tuple[int, int, int, int]] = set()  # (device, inode, size, mtime) checked whole


def _check(path: Path) -> dict[str, Any]:
    """The header of ``path``, the data checked against its CRC-32 unless already verified."""
    try:
        with open(path, "rb") as source:
            stat = os.fstat(source.fileno())
            identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if source.read(8) != MAGIC:
                raise SnapshotError(f"{path} is not a snapshot of this format")
            length = int.from_bytes(source.read(8), "little")
            header: dict[str, Any] = json.loads(source.read(length))
            if identity in _verified:
                return header
            source.seek(header["base"])
            crc, remaining = 0, header["data_bytes"]
            while remaining:
                chunk = source.read(min(_CHUNK, remaining))
                if not chunk:
                    raise SnapshotError(f"{path} is cut short")
                crc, remaining = zlib.crc32(chunk, crc), remaining - len(chunk)
            if crc != header["crc32"]:
                raise SnapshotError(f"{path} is corrupt (CRC mismatch)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{path} cannot be read: {exc}") from exc
    _verified.add(identity)
    return header


def _header(meta: dict[str, Any], layout: dict[str, Any], data_bytes: int, crc: int,
            base: int) -> bytes:
    """Magic, length and JSON header, padded to ``base`` bytes."""
    text = json.dumps({"meta": meta, "arrays": layout, "data_bytes": data_bytes, "crc32": crc,
                       "base": base}).encode()
    head = MAGIC + len(text).to_bytes(8, "little") + text
    if len(head) > base:
        raise ValueError("snapshot header outgrew its reserved space")
    return head + b" " * (base - len(head))


def _header_size(meta: dict[str, Any], layout: dict[str, Any], data_bytes: int) -> int:
    """Bytes to reserve for the header (written last, once the CRC is known), aligned."""
    text = json.dumps({"meta": meta, "arrays": layout, "data_bytes": data_bytes,
                       "crc32": 2**32 - 1, "base": 2**40})
    return -(-(len(MAGIC) + 8 + len(text.encode())) // _ALIGN) * _ALIGN
