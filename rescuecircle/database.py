"""Where the database is: ``RC_DATABASE_URL``, else the project-local cluster's files and URL.

Only paths and URLs: creating, starting and stopping the cluster is ``localdb.cluster``'s. A URL
may name several hosts the libpq way (``postgresql://u:p@h1:5432,h2:5432/db?target_session_attrs=
read-write``, what a Patroni cluster's clients use): it becomes SQLAlchemy's spelling of the same
(``?host=h1:5432&host=h2:5432``), and :func:`libpq_url` turns either back into libpq's.
"""

import functools
import hashlib
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import URL, make_url

from rescuecircle.settings import Settings

APP_ROLE = "rescuecircle"
OS_USER = "postgres"


@dataclass(frozen=True)
class ClusterPaths:
    """Files of one local cluster, all under one directory the postgres user can reach."""

    root: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.root / "db-password"


def cluster_paths(settings: Settings) -> ClusterPaths:
    """The cluster's directory: ``data_dir`` when the postgres user can reach it, else a twin.

    A checkout under a directory the postgres user cannot traverse (a 0700 home, say) gets its
    cluster under /var/tmp, named after the checkout so two checkouts never share one.
    """
    if not is_root() or _reachable_by_postgres(settings.data_dir):
        return ClusterPaths(settings.data_dir)
    digest = hashlib.sha256(str(settings.data_dir).encode()).hexdigest()[:12]
    return ClusterPaths(Path("/var/tmp") / f"rescuecircle-{digest}")


def database_url(settings: Settings) -> str:
    """``RC_DATABASE_URL`` when given, else the project-local cluster's URL."""
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    return local_url(settings)


def read_url(settings: Settings) -> str:
    """``RC_DATABASE_READ_URL`` (a replica for public reads) when given, else the primary's."""
    if settings.database_read_url:
        return sqlalchemy_url(settings.database_read_url)
    return database_url(settings)


def sqlalchemy_url(raw: str) -> str:
    """``raw`` (libpq or SQLAlchemy spelling, one host or several) as a psycopg 3 URL."""
    url = _multi_host(raw) or make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A libpq URI of ``url`` without its password (for pg_dump, psql): several hosts become
    libpq's ``host=h1,h2&port=p1,p2``."""
    parsed = make_url(url)
    hosts = parsed.query.get("host")
    plain = parsed.set(drivername="postgresql")._replace(password=None)  # set() skips None
    if isinstance(hosts, tuple):
        names, ports = zip(*(host.rpartition(":")[::2] for host in hosts), strict=True)
        plain = plain.update_query_dict({"host": ",".join(names), "port": ",".join(ports)})
    return plain.render_as_string(hide_password=False)


def _multi_host(raw: str) -> URL | None:
    """A libpq URL naming several ``host:port`` pairs, in SQLAlchemy's form; None for others."""
    parts = urlsplit(raw)
    hosts = parts.netloc.rpartition("@")[2]
    if "," not in hosts:
        return None
    query: dict[str, str | list[str]] = {
        key: values[0] for key, values in parse_qs(parts.query).items()}
    query["host"] = [host if ":" in host else f"{host}:5432" for host in hosts.split(",")]
    return URL.create(
        parts.scheme, username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=parts.path.lstrip("/") or None, query=query)


def local_url(settings: Settings, db_name: str | None = None) -> str:
    """The SQLAlchemy URL the application uses to reach the local cluster over loopback."""
    secret = app_password(cluster_paths(settings))
    name = db_name or settings.db_name
    return f"postgresql+psycopg://{APP_ROLE}:{secret}@127.0.0.1:{settings.pg_port}/{name}"


def app_password(paths: ClusterPaths) -> str:
    """The application role's password, generated once and kept in a 0600 file."""
    if not paths.password_file.exists():
        paths.root.mkdir(parents=True, exist_ok=True)
        paths.password_file.write_text(secrets.token_urlsafe(24))
        paths.password_file.chmod(0o600)
    return paths.password_file.read_text().strip()


@functools.cache
def _reachable_by_postgres(directory: Path) -> bool:
    """Whether the postgres user can traverse ``directory`` (asked once per process: it is a
    subprocess, and building an app asks for the cluster's URL once per collection)."""
    probe = directory
    while not probe.exists():
        probe = probe.parent
    result = subprocess.run(["runuser", "-u", OS_USER, "--", "test", "-x", str(probe)],
                            capture_output=True)
    return result.returncode == 0


def is_root() -> bool:
    return os.geteuid() == 0
