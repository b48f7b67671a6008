"""The project-local PostgreSQL cluster: create, start, stop and inspect it.

PostgreSQL refuses to run as root, so when we are root the cluster's files belong to the
``postgres`` OS user (created by Debian's package) and its commands run through ``runuser``.
Administration (roles, databases, extensions) goes over a Unix socket in a 0700 directory with
``trust``; the application connects over loopback TCP with a generated password.
"""

import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path

import psycopg
from psycopg import sql

from rescuecircle.database import (
    APP_ROLE,
    OS_USER,
    ClusterPaths,
    app_password,
    cluster_paths,
    is_root,
)
from rescuecircle.errors import Unavailable
from rescuecircle.settings import Settings

ADMIN_ROLE = "postgres"
EXTENSIONS = ("postgis", "pgrouting")
DEBIAN_PACKAGES = ("postgresql-15", "postgresql-15-postgis-3", "postgresql-15-pgrouting")
AdminConnect = Callable[[str], psycopg.Connection]  # a superuser connection to a database


def check_binaries(settings: Settings) -> None:
    """Fail with the install command when PostgreSQL, PostGIS or pgRouting is missing."""
    missing = [
        what
        for what, path in (
            ("postgresql-15", settings.pg_bin_dir / "initdb"),
            ("postgresql-15-postgis-3", _extension_control("postgis", settings)),
            ("postgresql-15-pgrouting", _extension_control("pgrouting", settings)),
        )
        if not path.exists()
    ]
    if missing:
        raise Unavailable(
            f"missing Debian packages: {' '.join(missing)}; run `make deps` "
            f"(apt-get install {' '.join(DEBIAN_PACKAGES)})"
        )


def init(settings: Settings) -> ClusterPaths:
    """Create the cluster, its application role and database; do nothing that already exists."""
    check_binaries(settings)
    paths = cluster_paths(settings)
    if not (paths.pgdata / "PG_VERSION").exists():
        _initdb(settings, paths)
    start(settings)
    provision(partial(admin_connect, settings), settings.db_name, app_password(paths))
    return paths


def provision(connect: AdminConnect, name: str, secret: str) -> None:
    """The application role (login ``secret``) and its database ``name`` with PostGIS and
    pgRouting, on the server ``connect`` reaches; what exists is kept, the password reset."""
    with connect("postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(secret)
            )
        )
    _create_database(connect, name)


def create_database(settings: Settings, name: str, *, replace: bool = False) -> None:
    """Create database ``name`` owned by the application role, with PostGIS and pgRouting."""
    _create_database(partial(admin_connect, settings), name, replace=replace)


def _create_database(connect: AdminConnect, name: str, *, replace: bool = False) -> None:
    with connect("postgres") as conn:
        if replace:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(APP_ROLE)))
    with connect(name) as conn:
        for extension in EXTENSIONS:
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {} CASCADE").format(
                sql.Identifier(extension)))


def start(settings: Settings) -> None:
    """Start the cluster and wait until it accepts connections; a running cluster is left be."""
    check_binaries(settings)
    paths = cluster_paths(settings)
    if not (paths.pgdata / "PG_VERSION").exists():
        raise Unavailable(f"no cluster in {paths.pgdata}; run `rescuecircle db init`")
    if is_running(settings):
        return
    result = _run_pg(
        settings,
        "pg_ctl", "-D", str(paths.pgdata), "-l", str(paths.log_file), "-w", "-t", "60", "start",
    )
    if result.returncode != 0:
        raise Unavailable(
            f"PostgreSQL did not start (see {paths.log_file}): {_last_lines(paths.log_file)}"
        )


def stop(settings: Settings) -> None:
    """Stop the cluster (fast shutdown: open transactions roll back, committed data stays)."""
    if is_running(settings):
        _run_pg(settings, "pg_ctl", "-D", str(cluster_paths(settings).pgdata), "-m", "fast",
                "-w", "stop")


def is_running(settings: Settings) -> bool:
    """True when the cluster's postmaster is alive."""
    pgdata = cluster_paths(settings).pgdata
    if not (pgdata / "PG_VERSION").exists():
        return False
    return _run_pg(settings, "pg_ctl", "-D", str(pgdata), "status").returncode == 0


def admin_connect(settings: Settings, db_name: str) -> psycopg.Connection:
    """A superuser connection over the cluster's private socket, in autocommit mode."""
    try:
        return psycopg.connect(
            host=str(cluster_paths(settings).socket_dir), port=settings.pg_port,
            user=ADMIN_ROLE, dbname=db_name, autocommit=True,
        )
    except psycopg.OperationalError as exc:
        raise Unavailable(f"cannot reach the local cluster: {exc}".strip()) from exc


def _initdb(settings: Settings, paths: ClusterPaths) -> None:
    for directory in (paths.root, paths.pgdata, paths.socket_dir):
        directory.mkdir(parents=True, exist_ok=True)
    paths.pgdata.chmod(0o700)
    paths.socket_dir.chmod(0o700)
    if is_root():
        owner = pwd.getpwnam(OS_USER)
        for path in (paths.pgdata, paths.socket_dir):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        paths.log_file.touch()
        os.chown(paths.log_file, owner.pw_uid, owner.pw_gid)
    result = _run_pg(
        settings, "initdb", "-D", str(paths.pgdata), "-U", ADMIN_ROLE, "-E", "UTF8",
        "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
    )
    if result.returncode != 0:
        shutil.rmtree(paths.pgdata, ignore_errors=True)
        raise Unavailable(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    with (paths.pgdata / "postgresql.conf").open("a") as conf:
        conf.write(
            "\n# rescuecircle: a private cluster on loopback\n"
            f"port = {settings.pg_port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{paths.socket_dir}'\n"
            "shared_buffers = 256MB\n"
            "work_mem = 32MB\n"
            "maintenance_work_mem = 256MB\n"
            "max_connections = 200\n"  # the test suite holds a pool per database
            "max_wal_size = 4GB\n"  # positions at rate: checkpoints by time (operations.md)
        )


def _run_pg(settings: Settings, program: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(settings.pg_bin_dir / program), *args]
    if is_root():
        command = ["runuser", "-u", OS_USER, "--", *command]
    # Detach the server from our terminal so Ctrl-C on `make run` does not kill the database.
    return subprocess.run(command, capture_output=True, text=True, start_new_session=True,
                          cwd="/")


def _extension_control(name: str, settings: Settings) -> Path:
    share = Path("/usr/share/postgresql") / settings.pg_bin_dir.parent.name / "extension"
    return share / f"{name}.control"


def _last_lines(path: Path, count: int = 5) -> str:
    if not path.exists():
        return "no log"
    return " | ".join(path.read_text(errors="replace").strip().splitlines()[-count:])

