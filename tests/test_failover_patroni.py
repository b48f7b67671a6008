"""High availability on a real Patroni cluster: etcd and two PostgreSQL nodes on loopback with
synchronous replication (``localdb.ha``, what ``rescuecircle ha start`` runs), the app
connecting through the multi-host URL (``target_session_attrs=read-write``).

The failover test streams dispatch plans and AED status changes through the HTTP API, then
kills the primary the way a dying machine goes (SIGKILL to its Patroni and its PostgreSQL, no
clean hand-over). The standby is primary within 30 s, the same app serves writes again with
no restart, every answer meanwhile is a 2xx or a JSON 503 (never a 500), and every write that
was answered 2xx is on the new primary; the killed node then rejoins as the synchronous
standby. The read-replica test shows the public reads going to
the standby (RC_DATABASE_READ_URL) while a dispatch goes to the primary.

Marked ``ha`` (``pytest -m ha``); it runs in ``make test``, which installs Patroni and etcd.
"""

import json
import os
import random
import shutil
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, create_engine, text

from gis.db import make_engine
from gis.migrate import migrate
from gis.osm_import import import_osm
from gis.tokens import create_token
from localdb import ha
from rescuecircle.database import sqlalchemy_url
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings
from tests.conftest import served

pytestmark = pytest.mark.ha

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
PATIENT = [0.0015, 0.0]
NEW_PRIMARY_LIMIT_S = 30.0
STATUSES = ("fault", "ready")  # alternated, so every change is a change


def free_port_block(size: int) -> int:
    """The first of ``size`` consecutive free loopback ports."""
    for _ in range(50):
        base = random.randrange(20000, 30000)
        try:
            for port in range(base, base + size):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports")


@dataclass(frozen=True)
class Cluster:
    """The running HA cluster, its settings for the app, and what the data holds."""

    layout: ha.HaLayout
    settings: Settings
    aed_id: int
    dispatcher: str
    admin: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    """The Patroni cluster with a migrated toy city; stopped and deleted afterwards."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("ha") / "rc", database_url=None,
                        ha_base_port=free_port_block(6), db_name="rc_ha")
    layout = ha.layout(settings)
    try:
        ha.start(layout)
        app_settings = Settings(database_url=layout.primary_url(),
                                database_read_url=layout.replica_url())
        engine = make_engine(app_settings)
        migrate(engine)
        import_osm(engine, TOY_CITY)
        with engine.begin() as conn:
            aed_id = conn.execute(text(
                "INSERT INTO rc.aed (name, status, pads_expire_on, battery_expires_on, access, "
                "opening_hours, geom) VALUES ('ha', 'ready', '2099-01-01', '2099-01-01', 'yes', "
                "'24/7', ST_SetSRID(ST_MakePoint(0.0025, 0), 4326)) RETURNING id")).scalar_one()
            conn.execute(text(
                "INSERT INTO rc.ambulance (station_id, call_sign) "
                "SELECT id, 'HA-1' FROM rc.station LIMIT 1"))
        tokens = {role: create_token(engine, role=role) for role in ("dispatcher", "admin")}
        engine.dispose()
        yield Cluster(layout, app_settings, aed_id, tokens["dispatcher"], tokens["admin"])
    finally:
        ha.stop(layout)
        shutil.rmtree(layout.root.parent, ignore_errors=True)  # this test's own cluster root


def call(url: str, token: str, *, body: dict | None = None) -> tuple[int, dict]:
    """Status and JSON body of one request (a POST when ``body`` is given)."""
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def node_engine(cluster: Cluster, node: str) -> Engine:
    return create_engine(sqlalchemy_url(cluster.layout.node_url(node)))


def test_public_reads_go_to_the_replica_and_dispatch_to_the_primary(cluster):
    layout = cluster.layout
    primary, standby = ha.leader(layout), ha.sync_standby(layout)
    assert primary and standby
    with node_engine(cluster, standby).connect() as conn:  # replay is asynchronous to COMMIT
        deadline = time.monotonic() + 10
        while conn.execute(text("SELECT count(*) FROM rc.aed")).scalar_one() == 0:
            assert time.monotonic() < deadline, "the standby never saw the AED"
            time.sleep(0.1)
            conn.rollback()
    served_engine = make_engine(cluster.settings)
    with served(served_engine, cluster.settings) as base:
        finder = urllib.request.urlopen(f"{base}/api/aeds/nearest?lon=0.0015&lat=0")
        assert cluster.aed_id in [f["id"] for f in json.loads(finder.read())["features"]]
        features = json.loads(urllib.request.urlopen(
            f"{base}/ogc/collections/aeds/items?f=json").read())
        assert cluster.aed_id in [f["id"] for f in features["features"]]
        tile = urllib.request.urlopen(f"{base}/tiles/aeds/14/8192/8191.mvt")
        assert tile.status == 200
        export = urllib.request.urlopen(f"{base}/api/exports/aeds.geojson")
        assert json.loads(export.read())["features"]
        health = json.loads(urllib.request.urlopen(f"{base}/health").read())
        assert health["reads"] == {"database": "ok", "standby": True}
        status, plan = call(f"{base}/api/dispatch", cluster.dispatcher, body={"point": PATIENT})
        assert status == 201, plan

        def readers(node: str) -> set[str]:
            with node_engine(cluster, node).connect() as conn:
                return set(conn.execute(text(
                    "SELECT application_name FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalars())

        on_standby, on_primary = readers(standby), readers(primary)
    served_engine.dispose()
    assert {"rescuecircle-read", "pygeoapi"} <= on_standby, on_standby
    assert "rescuecircle" not in on_standby, "a write-side connection on the standby"
    assert "rescuecircle" in on_primary and "rescuecircle-read" not in on_primary
    with node_engine(cluster, primary).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rc.dispatch WHERE id = :d"),
                            {"d": plan["id"]}).scalar_one() == 1


@dataclass
class Stream:
    """What the writers saw: every answer with its time, and the writes answered 2xx."""

    answers: list[tuple[float, int, str]] = field(default_factory=list)  # time, status, code
    dispatches: set[int] = field(default_factory=set)
    status_changes: set[str] = field(default_factory=set)  # the reasons, unique per request
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def record(self, status: int, body: dict) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), status, str(body.get("code", ""))))


def dispatcher_loop(stream: Stream, base: str, cluster: Cluster) -> None:
    while not stream.stop.is_set():
        status, body = call(f"{base}/api/dispatch", cluster.dispatcher, body={"point": PATIENT})
        stream.record(status, body)
        if status == 201:
            with stream.lock:
                stream.dispatches.add(body["id"])
        time.sleep(0.05)


def status_loop(stream: Stream, base: str, cluster: Cluster) -> None:
    step = 0
    while not stream.stop.is_set():
        reason = f"ha stream {step}"
        status, body = call(f"{base}/api/aeds/{cluster.aed_id}/status", cluster.admin,
                            body={"status": STATUSES[step % 2], "reason": reason})
        stream.record(status, body)
        if status == 200 and body.get("history_id") is not None:
            with stream.lock:
                stream.status_changes.add(reason)
        step += 1
        time.sleep(0.02)


def kill_node(layout: ha.HaLayout, node: str) -> None:
    """Kill ``node`` as a machine dies: SIGKILL to its Patroni, then to its PostgreSQL's
    process group (the postmaster and its backends), no shutdown, no hand-over."""
    os.kill(int(layout.pid_file(node).read_text()), signal.SIGKILL)
    postmaster = int((layout.pgdata(node) / "postmaster.pid").read_text().split()[0])
    group = os.getpgid(postmaster)
    assert group != os.getpgrp(), "the postmaster shares our process group"
    os.killpg(group, signal.SIGKILL)


def test_primary_killed_under_writes_fails_over_and_loses_no_acknowledged_write(cluster):
    layout = cluster.layout
    old = ha.leader(layout)
    assert old and ha.sync_standby(layout)
    stream = Stream()
    app_engine = make_engine(cluster.settings)
    with served(app_engine, cluster.settings, threads=8) as base:
        threads = [threading.Thread(target=dispatcher_loop, args=(stream, base, cluster)),
                   threading.Thread(target=status_loop, args=(stream, base, cluster))]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2.0)
            kill_node(layout, old)
            killed = time.monotonic()
            new = old  # until the leader key expires, the DCS still names the dead node
            while new in (None, old) and time.monotonic() - killed < NEW_PRIMARY_LIMIT_S + 5:
                time.sleep(0.2)
                new = ha.leader(layout)
            promoted = time.monotonic()
            time.sleep(4.0)  # the stream goes on against the new primary
        finally:
            stream.stop.set()
            for thread in threads:
                thread.join(timeout=60)
    app_engine.dispose()

    assert new is not None and new != old, "no new primary"
    assert promoted - killed < NEW_PRIMARY_LIMIT_S, f"new primary after {promoted - killed:.1f} s"
    kinds = {(status, code) for _, status, code in stream.answers}
    assert kinds <= {(200, ""), (201, ""), (503, "Unavailable")}, kinds
    outage = [status for at, status, _ in stream.answers if killed + 0.5 < at < promoted]
    assert 503 in outage, "the writes never saw the primary gone"
    after = [status for at, status, _ in stream.answers if at > promoted + 1.0]
    assert len(after) > 10 and set(after) <= {200, 201}, "the app did not recover by itself"
    before = [status for at, status, _ in stream.answers if at < killed]
    assert before.count(201) > 3 and len(stream.status_changes) > 10
    with node_engine(cluster, new).connect() as conn:
        assert conn.execute(text("SELECT NOT pg_is_in_recovery()")).scalar_one()
        dispatches = set(conn.execute(text("SELECT id FROM rc.dispatch")).scalars())
        reasons = set(conn.execute(text(
            "SELECT reason FROM rc.aed_status_history WHERE aed_id = :a"),
            {"a": cluster.aed_id}).scalars())
    print(f"new primary {promoted - killed:.1f} s after the kill; acknowledged "
          f"{len(stream.dispatches)} dispatches, {len(stream.status_changes)} status changes; "
          f"{[s for _, s, _ in stream.answers].count(503)} answers 503")
    assert stream.dispatches <= dispatches, f"lost: {sorted(stream.dispatches - dispatches)}"
    assert stream.status_changes <= reasons, f"lost: {stream.status_changes - reasons}"


def test_the_killed_node_rejoins_as_the_synchronous_standby(cluster):
    layout = cluster.layout
    primary = ha.leader(layout)
    ha.start(layout)  # starts what is not running: the killed node, rewound if it must be
    assert ha.leader(layout) == primary
    rejoined = ha.sync_standby(layout)
    assert rejoined not in (None, primary)
    with node_engine(cluster, rejoined).connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one()
