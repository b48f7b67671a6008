"""Fixtures: real PostGIS + pgRouting databases in the project's cluster, and the shared data.

Each fixture database is created afresh (dropped first) once per test session and migrated, so a
test run never touches the database ``make run`` serves. ``RC_TEST_DATABASE_URL`` points the
suite at an existing database instead; the suite then drops and rebuilds its ``rc`` schema.
"""

import contextlib
import gc
import os
import socket
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import shapely
import waitress
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from waitress import wasyncore

from api.app import create_app
from gis.db import make_engine
from gis.migrate import migrate
from gis.network_loader import load_network_arrays
from gis.osm_import import import_osm
from localdb import cluster
from rescuecircle import database
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings
from routing.network import Network
from routing.snap import Snap
from tests.browser import browser_missing

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
TEST_ENGINES: "weakref.WeakSet[Engine]" = weakref.WeakSet()  # every fixture database's engine


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings for the test run: the local cluster, a test database name."""
    return Settings(db_name="rc_test", database_url=None)


@pytest.fixture(scope="session")
def make_database(settings: Settings) -> Iterator[Callable[[str], Engine]]:
    """A factory of fresh, migrated databases, one per name and session."""
    engines: dict[str, Engine] = {}
    external = os.environ.get("RC_TEST_DATABASE_URL")

    def factory(name: str) -> Engine:
        if name in engines:
            return engines[name]
        if external:
            engine = make_engine(settings, external)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS rc CASCADE"))
        else:
            cluster.create_database(settings, f"rc_test_{name}", replace=True)
            engine = make_engine(settings, database.local_url(settings, f"rc_test_{name}"))
        migrate(engine)
        engines[name] = engine
        TEST_ENGINES.add(engine)
        return engine

    if not external:
        cluster.init(settings)
    yield factory
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def release_connections() -> Iterator[None]:
    """After each module: collect the apps it left (their alert clocks stop with them) and
    close the idle pooled connections of every test database, so the session's databases
    never add up to the cluster's connection limit."""
    yield
    gc.collect()
    for engine in list(TEST_ENGINES):
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> None:
    """Skips a browser test without chromium, Node or node_modules; fails it in CI, whose
    machine the project's scripts equip."""
    reason = browser_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data beside the project (../shared/data); skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}; see shared/data/README.md")
    return SHARED_DATA


@pytest.fixture(scope="session")
def futian_streets(make_database, shared_data: Path) -> Network:
    """Futian's real streets (one-way pairs, islands) as a routing network, imported once."""
    engine = make_database("futian_streets")
    import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    return Network(load_network_arrays(engine))


def road_points(network: Network, mode: str, count: int, seed: int) -> list[Snap]:
    """Snapped midpoints of random edges open to ``mode`` (random spots may miss the roads)."""
    arrays = network.arrays
    usable = np.nonzero(((arrays.cost_s[mode] >= 0) | (arrays.reverse_cost_s[mode] >= 0))
                        & ~arrays.island[mode])[0]
    edges = np.random.default_rng(seed).choice(usable, count, replace=False)
    middles = shapely.line_interpolate_point(arrays.lines[edges], 0.5, normalized=True)
    return [network.snap(x, y, mode) for x, y in shapely.get_coordinates(middles)]


def app_settings(engine: Engine) -> Settings:
    """Settings whose database is the engine's, so pygeoapi's own connections read it too;
    positions are kept ten years, since tests store them at fixed dates the server's retention
    round would otherwise drop as the calendar moves on."""
    return Settings(database_url=engine.url.render_as_string(hide_password=False),
                    position_retention_days=3660)


def zoned(engine: Engine, zone: str) -> Engine:
    """An engine on the same database whose connections carry RC_TIMEZONE=``zone``: for AEDs
    tested with no network loaded, whose local time would otherwise be UTC."""
    return make_engine(Settings(database_url=app_settings(engine).database_url, timezone=zone))


def client_for(engine: Engine, settings: Settings | None = None) -> FlaskClient:
    """A test client of an app serving the database behind ``engine`` (with ``settings``,
    by default ``app_settings(engine)``)."""
    return create_app(settings or app_settings(engine), engine=engine).test_client()


@contextmanager
def served(engine: Engine, settings: Settings | None = None, *, threads: int = 4
           ) -> Iterator[str]:
    """The app under waitress on a free loopback port, its links naming that port; yields the
    base URL and stops the server afterwards."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    settings = (settings or app_settings(engine)).model_copy(
        update={"host": "127.0.0.1", "port": port})
    server = waitress.create_server(create_app(settings, engine=engine), sockets=[listener],
                                    threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:  # requests finish first; then the loop's own thread closes the sockets (closed
        # from here they race its select, and a finishing request's wake-up of the loop)
        server.task_dispatcher.shutdown()
        with contextlib.suppress(OSError):  # its trigger closed already: the loop is closing
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
