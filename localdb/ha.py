"""A Patroni cluster on loopback (``rescuecircle ha start|stop|status``): one etcd, two
PostgreSQL nodes, synchronous replication, automatic failover.

Everything lives under ``<cluster root>/ha`` (``.rc/ha`` in a checkout): each node's Patroni
YAML, data directory, socket directory and log, etcd's data and log, and the generated
passwords. etcd and both Patroni daemons run as the ``postgres`` OS user when we are root,
started and stopped by Debian's ``start-stop-daemon`` with a pid file each. Patroni runs
initdb on the node that wins the race to bootstrap, which becomes the leader, and clones it
(pg_basebackup) onto the other, which becomes the synchronous standby; :func:`start` then
creates the application role and database with PostGIS and pgRouting on the leader. Clients
use the multi-host URL of :meth:`HaLayout.primary_url` (``target_session_attrs=read-write``:
whichever node is primary) and, for public reads, :meth:`HaLayout.replica_url`
(``prefer-standby``).
"""

import json
import os
import pwd
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import yaml

from localdb.cluster import ADMIN_ROLE, provision
from rescuecircle.database import APP_ROLE, OS_USER, cluster_paths, is_root
from rescuecircle.errors import Unavailable
from rescuecircle.settings import Settings

SCOPE = "rescuecircle"
NODES = ("node1", "node2")
REPLICATION_ROLE = "replicator"
PACKAGES = "patroni etcd-server"  # Debian's; scripts/install-deps.sh --test installs them
START_TIMEOUT_S = 90.0
# Patroni's timing: a leader that stops renewing its key loses it after TTL_S, so a dead
# primary is replaced within about TTL_S + LOOP_WAIT_S (ttl >= loop_wait + 2 * retry_timeout).
TTL_S, LOOP_WAIT_S, RETRY_TIMEOUT_S = 10, 1, 4


@dataclass(frozen=True)
class HaLayout:
    """Where one loopback HA cluster keeps its files, and its six consecutive ports."""

    root: Path
    base_port: int
    db_name: str
    pg_bin_dir: Path

    @property
    def etcd_port(self) -> int:
        return self.base_port

    def pg_port(self, node: str) -> int:
        return self.base_port + 2 + 2 * NODES.index(node)

    def rest_port(self, node: str) -> int:
        return self.pg_port(node) + 1

    def node_dir(self, node: str) -> Path:
        return self.root / node

    def pgdata(self, node: str) -> Path:
        return self.node_dir(node) / "pgdata"

    def config_file(self, node: str) -> Path:
        return self.node_dir(node) / "patroni.yml"

    def pid_file(self, name: str) -> Path:
        """The pid file of ``etcd`` or of a node's Patroni."""
        return self.root / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def secret(self, role: str) -> str:
        """The password of ``role`` in this cluster, generated once (a 0600 file)."""
        path = self.root / f"{role}.password"
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{self.pg_port(node)}" for node in NODES)

    def primary_url(self) -> str:
        """RC_DATABASE_URL: both nodes, the one accepting writes is chosen at each connect."""
        return (f"postgresql://{APP_ROLE}:{self.secret(APP_ROLE)}@{self.hosts()}/"
                f"{self.db_name}?target_session_attrs=read-write")

    def replica_url(self) -> str:
        """RC_DATABASE_READ_URL: a standby while there is one, else the primary."""
        return self.primary_url().replace("read-write", "prefer-standby")

    def node_url(self, node: str) -> str:
        """The application role's URL of one node (whatever its role)."""
        return (f"postgresql://{APP_ROLE}:{self.secret(APP_ROLE)}@127.0.0.1:"
                f"{self.pg_port(node)}/{self.db_name}")


def layout(settings: Settings) -> HaLayout:
    """The HA cluster of these settings: beside the local cluster, on RC_HA_BASE_PORT..+5."""
    return HaLayout(cluster_paths(settings).root / "ha", settings.ha_base_port, settings.db_name,
                    settings.pg_bin_dir)


def patroni_config(ha: HaLayout, node: str) -> dict[str, Any]:
    """One node's Patroni configuration (docs/operations.md shows it)."""
    return {
        "scope": SCOPE,
        "namespace": "/service/",
        "name": node,
        "restapi": {"listen": f"127.0.0.1:{ha.rest_port(node)}",
                    "connect_address": f"127.0.0.1:{ha.rest_port(node)}"},
        "etcd3": {"hosts": [f"127.0.0.1:{ha.etcd_port}"]},
        "bootstrap": {
            "dcs": {
                "ttl": TTL_S, "loop_wait": LOOP_WAIT_S, "retry_timeout": RETRY_TIMEOUT_S,
                "maximum_lag_on_failover": 1024 * 1024,
                # COMMIT returns once the synchronous standby has the WAL on disk, and only
                # that standby may be promoted: no acknowledged write is lost in a failover.
                "synchronous_mode": True,
                # With the standby gone the primary goes on alone (and no failover is allowed
                # until it is back in sync) rather than refusing every write.
                "synchronous_mode_strict": False,
                "postgresql": {
                    "use_pg_rewind": True,
                    "parameters": {"wal_level": "replica", "hot_standby": "on",
                                   "wal_log_hints": "on", "max_wal_senders": 5,
                                   "max_replication_slots": 5, "max_connections": 100,
                                   "max_wal_size": "4GB"},
                },
            },
            "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, {"auth-local": "trust"},
                       {"auth-host": "scram-sha-256"}],
        },
        "postgresql": {
            "listen": f"127.0.0.1:{ha.pg_port(node)}",
            "connect_address": f"127.0.0.1:{ha.pg_port(node)}",
            "data_dir": str(ha.pgdata(node)),
            "bin_dir": str(ha.pg_bin_dir),
            "pgpass": str(ha.node_dir(node) / "pgpass"),
            "authentication": {
                "superuser": {"username": ADMIN_ROLE, "password": ha.secret(ADMIN_ROLE)},
                "replication": {"username": REPLICATION_ROLE,
                                "password": ha.secret(REPLICATION_ROLE)},
            },
            "parameters": {"unix_socket_directories": str(ha.node_dir(node)),
                           "shared_buffers": "128MB"},
            "pg_hba": ["local all all trust",
                       f"host replication {REPLICATION_ROLE} 127.0.0.1/32 scram-sha-256",
                       "host all all 127.0.0.1/32 scram-sha-256"],
        },
    }


def start(ha: HaLayout) -> None:
    """Start etcd and both nodes (a running one is left be), wait for a leader and a
    synchronous standby, and make sure the application role and database exist."""
    _check_binaries()
    _write_configs(ha)
    _daemon(ha, "etcd", "/usr/bin/etcd", "--name", "etcd", "--data-dir", str(ha.root / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{ha.etcd_port}",
            "--advertise-client-urls", f"http://127.0.0.1:{ha.etcd_port}",
            "--listen-peer-urls", f"http://127.0.0.1:{ha.etcd_port + 1}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{ha.etcd_port + 1}",
            "--initial-cluster", f"etcd=http://127.0.0.1:{ha.etcd_port + 1}")
    _wait(lambda: _get_json(f"http://127.0.0.1:{ha.etcd_port}/health") is not None,
          "answer from etcd", ha.log_file("etcd"))
    # Both at once: on a first start one bootstraps and the other clones it; on a restart the
    # synchronous standby may promote only after comparing itself with the other node.
    for node in NODES:
        _daemon(ha, node, "/usr/bin/patroni", str(ha.config_file(node)))
    _wait(lambda: leader(ha) is not None, "leader", ha.log_file(NODES[0]))
    _wait(lambda: sync_standby(ha) is not None, "synchronous standby", ha.log_file(NODES[1]))
    primary = leader(ha)
    assert primary is not None, "a synchronous standby has a leader"
    provision(partial(_superuser_connect, ha, primary), ha.db_name, ha.secret(APP_ROLE))


def stop(ha: HaLayout) -> None:
    """Stop both Patroni daemons together (each stops its PostgreSQL), then etcd; a PostgreSQL
    whose Patroni died is stopped directly."""
    _stop_daemons(ha, NODES)
    for node in NODES:
        if (ha.pgdata(node) / "postmaster.pid").exists():
            _as_postgres([str(ha.pg_bin_dir / "pg_ctl"), "-D", str(ha.pgdata(node)), "-m",
                          "immediate", "-w", "stop"])
    _stop_daemons(ha, ["etcd"])


def members(ha: HaLayout) -> list[dict[str, Any]]:
    """Patroni's view of the cluster (name, role, state, lag), from any node that answers."""
    for node in NODES:
        found = _get_json(f"http://127.0.0.1:{ha.rest_port(node)}/cluster")
        if found is not None:
            return list(found.get("members", []))
    return []


def leader(ha: HaLayout) -> str | None:
    """The node that is primary and running, if any."""
    return _member(ha, "leader")


def sync_standby(ha: HaLayout) -> str | None:
    """The node that is the synchronous standby and streaming, if any."""
    return _member(ha, "sync_standby")


def _member(ha: HaLayout, role: str) -> str | None:
    for member in members(ha):
        if member.get("role") == role and member.get("state") in ("running", "streaming"):
            return str(member["name"])
    return None


def _superuser_connect(ha: HaLayout, node: str, dbname: str) -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", port=ha.pg_port(node), user=ADMIN_ROLE,
                           password=ha.secret(ADMIN_ROLE), dbname=dbname, autocommit=True,
                           connect_timeout=5)


def _check_binaries() -> None:
    missing = [name for name in ("/usr/bin/patroni", "/usr/bin/etcd") if not Path(name).exists()]
    if missing:
        raise Unavailable(f"missing {', '.join(missing)}: run `scripts/install-deps.sh --test` "
                          f"(apt-get install {PACKAGES})")


def _write_configs(ha: HaLayout) -> None:
    """Each node's YAML and directories, and etcd's, owned by the postgres user when we are
    root; the pid files, logs and passwords stay ours (start-stop-daemon trusts no pid file
    another user could write)."""
    for node in NODES:
        ha.node_dir(node).mkdir(parents=True, exist_ok=True)
        ha.node_dir(node).chmod(0o700)
        ha.config_file(node).write_text(yaml.safe_dump(patroni_config(ha, node),
                                                       sort_keys=False))
        ha.config_file(node).chmod(0o600)
    (ha.root / "etcd").mkdir(exist_ok=True)
    (ha.root / "etcd").chmod(0o700)
    if is_root():
        owner = pwd.getpwnam(OS_USER)
        for directory in [*map(ha.node_dir, NODES), ha.root / "etcd"]:
            for path in [directory, *directory.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)


def _daemon(ha: HaLayout, name: str, program: str, *args: str) -> None:
    """Start ``program`` in the background under ``name``'s pid file, unless it runs."""
    command = ["start-stop-daemon", "--start", "--quiet", "--background", "--make-pidfile",
               "--pidfile", str(ha.pid_file(name)), "--output", str(ha.log_file(name)),
               "--chdir", str(ha.root), "--startas", program]
    if is_root():
        command[2:2] = ["--chuid", f"{OS_USER}:{OS_USER}"]
    result = subprocess.run([*command, "--", *args], capture_output=True, text=True,
                            env=_environment(ha))
    if result.returncode not in (0, 1):  # 1: already running
        raise Unavailable(f"{name} did not start: {result.stderr.strip()}")


def _stop_daemons(ha: HaLayout, names: Sequence[str]) -> None:
    """SIGTERM to each, up to 60 s for a clean stop (Patroni shuts its PostgreSQL down), then
    SIGKILL; all at once, waiting for the slowest."""
    stopping = [subprocess.Popen(
        ["start-stop-daemon", "--stop", "--quiet", "--pidfile", str(ha.pid_file(name)),
         "--remove-pidfile", "--retry", "TERM/60/KILL/5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name in names if ha.pid_file(name).exists()]
    for process in stopping:
        process.wait()
    for name in names:
        ha.pid_file(name).unlink(missing_ok=True)


def _as_postgres(command: list[str]) -> None:
    if is_root():
        command = ["runuser", "-u", OS_USER, "--", *command]
    subprocess.run(command, capture_output=True, cwd="/")


def _environment(ha: HaLayout) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8", "HOME": str(ha.root)}


def _get_json(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except (OSError, ValueError):  # refused, timed out, an HTTP error, not JSON
        return None


def _wait(ready: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        if time.monotonic() > deadline:
            tail = " | ".join(log.read_text(errors="replace").splitlines()[-5:]) \
                if log.exists() else "no log"
            raise Unavailable(f"no {what} after {START_TIMEOUT_S:g} s (see {log}): {tail}")
        time.sleep(0.25)
