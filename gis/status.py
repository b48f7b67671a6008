"""What the database holds and runs: the facts behind ``/health`` and ``rescuecircle db status``."""

from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from gis.migrate import migrations, schema_version
from gis.network_locale import local_zone


def database_status(engine: Engine) -> dict[str, Any]:
    """Reachability, PostGIS and pgRouting versions, schema version, network size per mode,
    where the network is and the time zone local times are read in (and where that came from).

    Never raises for an unreachable database: that is a status to report, not an error.
    """
    try:
        with engine.connect() as conn:
            postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar()
            pgrouting = conn.execute(text("SELECT pgr_version()")).scalar()
            server = conn.execute(text("SHOW server_version")).scalar()
    except OperationalError as exc:
        return {"database": "unreachable", "error": str(exc.orig).strip().splitlines()[0]}
    except ProgrammingError as exc:
        return {"database": "incomplete", "error": str(exc.orig).strip().splitlines()[0]}
    status: dict[str, Any] = {
        "database": "ok",
        "postgresql": server,
        "postgis": postgis,
        "pgrouting": pgrouting,
        "schema_version": schema_version(engine),
    }
    needed = migrations()[-1].version
    if 0 < status["schema_version"] < needed:
        return {**status, "database": "outdated",
                "error": f"schema version {status['schema_version']}, this server needs "
                         f"{needed}: run `rescuecircle db migrate`"}
    if status["schema_version"]:
        with engine.connect() as conn:
            status["network"] = {
                row.mode: {"edges": row.edge_count, "length_km": round(row.length_km, 1)}
                for row in conn.execute(text("SELECT * FROM rc.network_size()"))
            }
            source = conn.execute(text(
                "SELECT source, synthetic, imported_at, timezone, country FROM rc.network "
                "ORDER BY id DESC LIMIT 1")).first()
            status["network_source"] = (
                {"source": source.source, "synthetic": source.synthetic,
                 "imported_at": source.imported_at.isoformat(), "timezone": source.timezone,
                 "country": source.country} if source else None
            )
        zone = local_zone(engine)
        status["timezone"] = {"zone": zone.zone, "from": zone.zone_from}
    return status


def reads_status(engine: Engine) -> dict[str, Any]:
    """Whether the public reads' database (RC_DATABASE_READ_URL) answers, and whether it is a
    standby (``false``: the reads fell back to the primary); never raises."""
    try:
        with engine.connect() as conn:
            standby = conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one()
    except OperationalError as exc:
        return {"database": "unreachable", "error": str(exc.orig).strip().splitlines()[0]}
    return {"database": "ok", "standby": standby}


def city_facts(engine: Engine) -> dict[str, Any]:
    """Network, registries and planning inputs as counts (``rc.readiness``)."""
    with engine.connect() as conn:
        facts: dict[str, Any] = conn.execute(text("SELECT rc.readiness()")).scalar_one()
    return facts
