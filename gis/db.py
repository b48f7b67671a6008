"""Database engines: the one URL the whole project uses, and a helper to run SQL files."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import Connection

from rescuecircle.database import database_url
from rescuecircle.errors import Unavailable
from rescuecircle.settings import Settings


def make_engine(settings: Settings, url: str | None = None, *,
                application_name: str = "rescuecircle") -> Engine:
    """An engine with pre-ping, so connections dropped by a database restart are replaced.

    Pre-ping also carries the app across a failover: a pooled connection to the old primary
    fails its ping and is replaced by a new one, which a multi-host URL with
    ``target_session_attrs=read-write`` opens on whichever node is primary now. A connection
    that dies mid-request is a 503 (``api.errors``), never a 2xx.

    ``application_name`` shows in ``pg_stat_activity`` (the read engine's is
    ``rescuecircle-read``). When RC_TIMEZONE is set, every connection carries it as
    ``rc.timezone``, which ``rc.local_zone()`` puts before the loaded network's own zone
    (sql/functions/locale.sql).
    """
    connect_args: dict[str, object] = {"connect_timeout": 5, "application_name": application_name}
    if settings.timezone:
        connect_args["options"] = f"-c rc.timezone={settings.timezone}"
    return create_engine(
        url or database_url(settings),
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args=connect_args,
    )


def run_sql_file(conn: Connection, path: Path) -> None:
    """Execute a whole SQL file as one batch, in the connection's transaction.

    Goes to the psycopg cursor without parameters, so many statements run in one call and a
    ``%`` in the SQL (RAISE formats) is not taken for a placeholder.
    """
    driver = conn.connection.driver_connection
    assert driver is not None, "a connection in a transaction has a driver connection"
    with driver.cursor() as cursor:
        cursor.execute(path.read_text().encode())


def unreachable(exc: Exception, settings: Settings) -> Unavailable:
    """One line for a database that cannot be reached, saying what to do about it."""
    first = (str(getattr(exc, "orig", exc)).strip().splitlines() or ["no answer"])[0]
    detail = first.split("FATAL:")[-1].split("failed:")[-1].strip()
    if settings.database_url:
        return Unavailable(f"cannot reach RC_DATABASE_URL: {detail}")
    if "does not exist" in detail:
        return Unavailable(f"{detail}: run `rescuecircle db init`")
    return Unavailable(f"the local database on 127.0.0.1:{settings.pg_port} does not answer "
                       f"({detail}): run `rescuecircle db init` (or `db start`)")


def jsonb_text(value: Any) -> str:
    """JSON for a jsonb parameter; strict, so a NaN or infinity in our own data is a bug to
    see, not a jsonb error (dates and the like become their text)."""
    return json.dumps(value, allow_nan=False, default=str)
