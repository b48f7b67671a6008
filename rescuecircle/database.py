"""Where the database is: ``RC_DATABASE_URL``, else the project-local cluster's files and URL.

Only paths and the URL: creating, starting and stopping the cluster is ``localdb.cluster``'s.
"""

import hashlib
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

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
        url = make_url(settings.database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return local_url(settings)


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


def _reachable_by_postgres(directory: Path) -> bool:
    probe = directory
    while not probe.exists():
        probe = probe.parent
    result = subprocess.run(["runuser", "-u", OS_USER, "--", "test", "-x", str(probe)],
                            capture_output=True)
    return result.returncode == 0


def is_root() -> bool:
    return os.geteuid() == 0
