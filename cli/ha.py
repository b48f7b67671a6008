"""``rescuecircle ha start|stop|status``: the Patroni test cluster on loopback (etcd and two
PostgreSQL nodes with synchronous replication, ``localdb.ha``), for trying failover and the
read replica locally; docs/operations.md shows the same configuration for a deployment."""

import argparse
from typing import Any

from rescuecircle.settings import Settings


def _start(args: argparse.Namespace, settings: Settings) -> None:
    """Start the cluster, migrate its database on the primary, print the two URLs."""
    from gis.db import make_engine
    from gis.migrate import migrate, schema_version
    from localdb import ha
    from rescuecircle.database import sqlalchemy_url

    cluster = ha.layout(settings)
    ha.start(cluster)
    engine = make_engine(settings, sqlalchemy_url(cluster.primary_url()))
    try:
        migrate(engine)
        version = schema_version(engine)
    finally:
        engine.dispose()
    print(f"Patroni cluster running in {cluster.root}: leader {ha.leader(cluster)}, "
          f"synchronous standby {ha.sync_standby(cluster)}; schema version {version}")
    print(f"RC_DATABASE_URL={cluster.primary_url()}")
    print(f"RC_DATABASE_READ_URL={cluster.replica_url()}")


def _stop(args: argparse.Namespace, settings: Settings) -> None:
    from localdb import ha

    ha.stop(ha.layout(settings))
    print("Patroni cluster stopped")


def _status(args: argparse.Namespace, settings: Settings) -> None:
    """One line per node, as Patroni's REST API reports it; exit 1 when nobody answers."""
    from localdb import ha

    cluster = ha.layout(settings)
    found = ha.members(cluster)
    if not found:
        print(f"no Patroni node answers on 127.0.0.1:{cluster.rest_port(ha.NODES[0])} or "
              f":{cluster.rest_port(ha.NODES[1])}; start it with `rescuecircle ha start`")
        raise SystemExit(1)
    for member in found:
        print(f"{member['name']}: {member.get('role')}, {member.get('state')}, "
              f"127.0.0.1:{member.get('port')}, lag {member.get('lag', 0)}")


def add_command(commands: Any) -> None:
    """Register ``ha start|stop|status`` on the top-level subparsers."""
    ha = commands.add_parser(
        "ha", help="a Patroni cluster on loopback: etcd and two PostgreSQL nodes with "
        "synchronous replication and automatic failover").add_subparsers(
        dest="action", required=True)
    for name, handler, help_text in (
        ("start", _start, "start etcd and both nodes (RC_HA_BASE_PORT..+5), migrate, print "
         "RC_DATABASE_URL and RC_DATABASE_READ_URL"),
        ("stop", _stop, "stop both nodes and etcd"),
        ("status", _status, "each node's role (leader, sync_standby), state and lag"),
    ):
        ha.add_parser(name, help=help_text).set_defaults(handler=handler)
