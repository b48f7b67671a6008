"""Schema migrations after pgstac: append-only numbered files, re-run idempotent files around them.

Order on every ``migrate``: ``sql/idempotent/pre.sql``; each ``sql/migrations/NNNN_*.sql`` not yet
recorded in ``rc.migration`` (one transaction each); every ``sql/functions/*.sql`` (CREATE OR
REPLACE, so functions follow the checkout); ``sql/idempotent/post.sql`` (grants, comments).
An applied migration whose file has changed since is an error: migrations are append-only.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from gis.aed_registry import sync_opening_hours
from gis.db import run_sql_file
from gis.network_locale import fill_missing_locales
from gis.positions import make_partitions
from rescuecircle.errors import RescueCircleError
from rescuecircle.paths import FUNCTIONS_DIR, MIGRATIONS_DIR, SQL_DIR

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RescueCircleError):
    """The migration files and the database's record of them disagree."""


@dataclass(frozen=True)
class Migration:
    """One numbered, append-only schema file."""

    version: int
    name: str
    path: Path

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; two files with one version are an error."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration names are NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


def schema_version(bind: Engine | Connection) -> int:
    """The highest applied migration, 0 for an empty database; on a connection, in its
    transaction (``gis.catalogue`` reads it beside the columns it keys by it)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return schema_version(conn)
    if bind.execute(text("SELECT to_regclass('rc.migration')")).scalar() is None:
        return 0
    return int(bind.execute(text("SELECT coalesce(max(version), 0) FROM rc.migration"))
               .scalar_one())


def migrate(engine: Engine) -> list[Migration]:
    """Bring the database to the newest schema; returns the migrations applied now."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('rescuecircle.migrate'))"))
        run_sql_file(conn, SQL_DIR / "idempotent" / "pre.sql")
        applied: dict[int, str] = {
            int(version): str(sha) for version, sha in
            conn.execute(text("SELECT version, sha256 FROM rc.migration")).all()}
    done = []
    known = migrations()
    missing = sorted(set(applied) - {m.version for m in known})
    if missing:
        raise MigrationError(f"the database has migration {missing[0]:04d} applied, which no "
                             "file in sql/migrations holds: this checkout is older than it")
    for migration in known:
        if migration.version not in applied and applied and migration.version < max(applied):
            raise MigrationError(
                f"{migration.path.name} is older than the applied {max(applied):04d}: migrations "
                "must be applied in order; rebuild this database")
        if migration.version in applied:
            if applied[migration.version] != migration.sha256:
                raise MigrationError(
                    f"{migration.path.name} changed after it was applied; "
                    "migrations are append-only: add a new one instead"
                )
            continue
        with engine.begin() as conn:
            run_sql_file(conn, migration.path)
            conn.execute(
                text("INSERT INTO rc.migration (version, name, sha256) VALUES (:v, :n, :s)"),
                {"v": migration.version, "n": migration.name, "s": migration.sha256},
            )
        done.append(migration)
    with engine.begin() as conn:
        for path in sorted(FUNCTIONS_DIR.glob("*.sql")):
            run_sql_file(conn, path)
        post = SQL_DIR / "idempotent" / "post.sql"
        if post.exists():
            run_sql_file(conn, post)
        # A migration may ask for opening hours to be parsed again (pending); do it now, so
        # no AED waits unavailable for the next registry write.
        sync_opening_hours(conn)
        # Networks imported before 0017 get a locale, so their opening hours are not read
        # in UTC until the next import.
        fill_missing_locales(conn)
        # The positions' day partitions from yesterday on (and the rows 0033 moved into the
        # default partition, into their days): a fresh database takes positions at once.
        make_partitions(conn)
    return done
