"""Faults: the database stopped under load, concurrent AED status changes.

The restart test runs its own throwaway PostgreSQL cluster (a temporary directory, a free port),
never the project's shared one: position writes and reads hammer a real HTTP server while the
cluster is stopped and started again. Meanwhile every answer is a 201/200 or a JSON 503; after
the restart the service answers again by itself within seconds; and the set of writes that were
acknowledged (201, each carrying a unique marker) is exactly the set stored.

A failed import leaving the previous data whole is tested where the imports are:
``test_osm_import.py`` (``test_toy_failed_load_rolls_back``, ``test_bad_files_leave_the_network_
unchanged``) and ``test_registry_import.py`` (``test_strict_import_loads_nothing_and_a_failure_
leaves_previous_data``).
"""

import gc
import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from werkzeug.serving import make_server

from api.app import create_app
from gis import aed_registry
from gis.db import make_engine
from gis.migrate import migrate
from gis.tokens import create_token
from localdb import cluster
from rescuecircle import database
from rescuecircle.settings import Settings

WRITERS = 4
READERS = 2
OUTAGE_S = 3.0
RECOVERY_LIMIT_S = 10.0
MARKERS_PER_WRITER = 2000  # accuracy_m = writer * MARKERS_PER_WRITER + sequence: unique


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory) -> Iterator[tuple[Settings, Engine]]:
    """A private cluster with one migrated database; stopped and deleted afterwards."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("faults") / "rc", pg_port=free_port(),
                        db_name="reliab_faults", database_url=None)
    root = database.cluster_paths(settings).root
    try:
        cluster.init(settings)
        engine = make_engine(settings, database.local_url(settings))
        migrate(engine)
        yield settings, engine
        engine.dispose()
    finally:
        cluster.stop(settings)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Load:
    """What the load threads saw: acknowledged markers, and every status with its time."""

    acknowledged: set[int] = field(default_factory=set)
    answers: list[tuple[float, int, str]] = field(default_factory=list)  # time, status, code
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def record(self, status: int, code: str, marker: int | None = None) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), status, code))
            if marker is not None and status == 201:
                self.acknowledged.add(marker)


def call(url: str, token: str, *, method: str = "GET", body: dict | None = None
         ) -> tuple[int, str]:
    """Status and error code (``""`` on success) of one HTTP request."""
    request = urllib.request.Request(
        url, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        payload = json.loads(error.read() or b"{}")
        return error.code, str(payload.get("code", ""))


def writer(load: Load, url: str, token: str, number: int) -> None:
    for sequence in range(MARKERS_PER_WRITER):
        if load.stop.is_set():
            return
        marker = number * MARKERS_PER_WRITER + sequence
        status, code = call(url, token, method="PUT", body={
            "lon": 0.001, "lat": 0.0005, "accuracy_m": marker, "availability": "available"})
        load.record(status, code, marker)
        time.sleep(0.01)


def reader(load: Load, url: str, token: str) -> None:
    while not load.stop.is_set():
        load.record(*call(url, token))
        time.sleep(0.01)


def test_database_restart_under_load(throwaway):
    settings, engine = throwaway
    with engine.begin() as conn:
        volunteer = conn.execute(text(
            "INSERT INTO rc.volunteer (name, status) VALUES ('fault test', 'active') "
            "RETURNING id")).scalar_one()
    token = create_token(engine, role="dispatcher", label="faults")
    app = create_app(Settings(database_url=database.local_url(settings)), engine=engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{server.server_port}/api/volunteers/{volunteer}"
    load = Load()
    threads = [threading.Thread(target=writer, args=(load, f"{base}/position", token, n))
               for n in range(WRITERS)]
    threads += [threading.Thread(target=reader, args=(load, base, token))
                for _ in range(READERS)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        cluster.stop(settings)
        stopped = time.monotonic()
        time.sleep(OUTAGE_S)
        restarting = time.monotonic()  # the server may accept connections before start returns
        cluster.start(settings)
        started = time.monotonic()
        time.sleep(RECOVERY_LIMIT_S)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        server.shutdown()
        server.server_close()

    statuses = {(status, code) for _, status, code in load.answers}
    assert statuses <= {(200, ""), (201, ""), (503, "Unavailable")}, statuses
    outage = [status for at, status, _ in load.answers if stopped + 0.5 < at < restarting]
    assert outage and set(outage) == {503}, "requests during the outage must answer 503"
    back = [at for at, status, _ in load.answers if at > restarting and status in (200, 201)]
    assert back and back[0] - started < RECOVERY_LIMIT_S / 2, "service not back on its own"
    assert not [status for at, status, _ in load.answers if at > back[0] + 1.0 and status != 200
                and status != 201], "errors after recovery"
    with engine.connect() as conn:
        stored = set(conn.execute(text(
            "SELECT accuracy_m::integer FROM rc.volunteer_position WHERE volunteer_id = :v"),
            {"v": volunteer}).scalars())
    assert len(load.acknowledged) > 50
    assert stored == load.acknowledged, (
        f"lost: {sorted(load.acknowledged - stored)[:10]}, "
        f"stored but not acknowledged: {sorted(stored - load.acknowledged)[:10]}")


def test_concurrent_aed_status_changes_lose_nothing(throwaway):
    _, engine = throwaway
    with engine.begin() as conn:
        aed = conn.execute(text(
            "INSERT INTO rc.aed (name, status, geom) VALUES ('contended', 'ready', "
            "ST_SetSRID(ST_MakePoint(0, 0), 4326)) RETURNING id")).scalar_one()
    statuses = ("ready", "fault", "in_use", "out_of_service")
    changes: list[tuple[int, str]] = []  # history id, reason
    lock = threading.Lock()

    def worker(number: int) -> None:
        for step in range(40):
            status = statuses[(number + step) % len(statuses)]
            reason = f"worker {number} step {step}"
            history_id = aed_registry.set_status(engine, aed, status, reason=reason,
                                                 actor=f"thread {number}")
            if history_id is not None:
                with lock:
                    changes.append((history_id, reason))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        history = conn.execute(text(
            "SELECT id, old_status, new_status, reason FROM rc.aed_status_history "
            "WHERE aed_id = :a ORDER BY id"), {"a": aed}).all()
        final = conn.execute(text("SELECT status FROM rc.aed WHERE id = :a"),
                             {"a": aed}).scalar_one()
    assert len(changes) > 40
    assert sorted(changes) == [(row.id, row.reason) for row in history
                               if (row.reason or "").startswith("worker ")]
    for before, after in zip(history, history[1:], strict=False):
        assert after.old_status == before.new_status, "a change was made from a stale status"
        assert after.old_status != after.new_status
    assert final == history[-1].new_status


def test_throwaway_cluster_is_not_the_shared_one(throwaway):
    settings, _ = throwaway
    shared = Settings()
    assert settings.pg_port != shared.pg_port
    assert database.cluster_paths(settings).root != database.cluster_paths(shared).root
    assert Path(database.local_url(settings)).name == "reliab_faults"


def test_the_alert_clock_logs_an_outage_once_and_the_recovery(throwaway, caplog):
    """With the database stopped the clock ticks four times a second: one warning with its
    cause, not one per tick; when the database is back, one line says so."""
    settings, engine = throwaway
    gc.collect()  # the earlier tests' apps, whose clocks would log the outage too
    caplog.set_level("INFO", logger="api.alert_clock")
    app = create_app(settings, engine=engine)

    def said(words: str) -> list:
        return [r for r in caplog.records if words in r.getMessage()]

    try:
        time.sleep(0.5)
        cluster.stop(settings)
        time.sleep(1.5)
        [warning] = said("timing out alerts failed")
        assert warning.levelname == "WARNING" and warning.exc_info is not None
        cluster.start(settings)
        deadline = time.monotonic() + 20
        while not said("works again") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(said("works again")) == 1
        assert len(said("timing out alerts failed")) == 1
    finally:
        app.extensions["rc_alert_clock"].stop()
        cluster.start(settings)
