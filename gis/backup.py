"""Backups of the ``rc`` schema with ``pg_dump -Fc``, and restores that replace it atomically.

Only the ``rc`` schema is dumped: PostGIS and pgRouting belong to the database (created by a
superuser in ``public``), and a restore that dropped them would need rights the application role
does not have. A restore drops ``rc`` and replays the dump in one transaction (``pg_restore``
writes the SQL to a scratch file, ``psql --single-transaction`` runs it), so a bad or truncated
file leaves the database as it was. The password goes to the tools through ``PGPASSWORD``,
never on a command line.
"""

import os
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import make_url

from rescuecircle.database import libpq_url
from rescuecircle.errors import InvalidInput, Unavailable

SCHEMA = "rc"


def backup(url: str, path: Path, *, pg_bin_dir: Path) -> Path:
    """Write the ``rc`` schema of the database at ``url`` to ``path`` (custom format).

    The file is written beside ``path`` first and renamed when complete, so an interrupted
    backup never leaves a truncated file under the name an operator trusts.
    """
    target = path.resolve()
    partial = target.with_name(target.name + ".partial")
    dsn, env = _libpq(url)
    result = subprocess.run(
        [str(pg_bin_dir / "pg_dump"), "--format=custom", f"--schema={SCHEMA}",
         f"--file={partial}", f"--dbname={dsn}"],
        capture_output=True, text=True, env=env,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise Unavailable(f"pg_dump failed: {_tail(result.stderr)}")
    partial.replace(target)
    return target


def restore(url: str, path: Path, *, pg_bin_dir: Path) -> None:
    """Replace the ``rc`` schema of the database at ``url`` with the backup in ``path``.

    All or nothing: the old schema is dropped and the dump replayed in one transaction that
    stops at the first error. Objects keep the restoring role as owner (``--no-owner``), so a
    dump taken on another server restores under this server's application role.
    """
    if not path.is_file():
        raise InvalidInput(f"backup file {path}: not found")
    listing = subprocess.run([str(pg_bin_dir / "pg_restore"), "--list", str(path)],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        raise InvalidInput(f"backup file {path}: not a pg_dump archive ({_tail(listing.stderr)})")
    dsn, env = _libpq(url)
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "restore.sql"
        written = subprocess.run(
            [str(pg_bin_dir / "pg_restore"), "--no-owner", f"--file={script}", str(path)],
            capture_output=True, text=True,
        )
        if written.returncode != 0:
            raise InvalidInput(f"backup file {path}: {_tail(written.stderr)}")
        result = subprocess.run(
            [str(pg_bin_dir / "psql"), "--no-psqlrc", "--quiet", "--single-transaction",
             "--set=ON_ERROR_STOP=1", f"--dbname={dsn}",
             f"--command=DROP SCHEMA IF EXISTS {SCHEMA} CASCADE", f"--file={script}"],
            capture_output=True, text=True, env=env,
        )
    if result.returncode != 0:
        raise Unavailable(f"restore failed, database unchanged: {_tail(result.stderr)}")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment that carries it."""
    parsed = make_url(url)
    env = os.environ.copy()
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return libpq_url(url), env


def _tail(stderr: str, lines: int = 3) -> str:
    return " | ".join(stderr.strip().splitlines()[-lines:]) or "no message"
