"""Volunteer positions: personal data, written by the volunteer, a gateway or dispatch, read by
dispatch. The history is partitioned by day (sql/migrations/0033); each insert also keeps
``rc.volunteer_position_latest`` (a trigger), which is what readers of "where is the volunteer
now" use."""

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from rescuecircle.errors import NotFound

LOGGER = logging.getLogger(__name__)
PARTITIONS_AHEAD_DAYS = 3

# One statement for one position or a thousand: the rows come in as one JSON text (dumped and
# parsed in C at both ends; a driver's array parameters cost a Python call per value). It
# answers how many rows missed every day partition (they went to the default one).
_INSERT = text(
    "WITH stored AS ("
    "  INSERT INTO rc.volunteer_position (volunteer_id, observed_at, accuracy_m, geom) "
    "  SELECT v, coalesce(t, now()), a, ST_SetSRID(ST_MakePoint(x, y), 4326) "
    "  FROM json_to_recordset(CAST(:rows AS json)) "
    "       AS p(v integer, t timestamptz, a real, x float8, y float8) "
    "  RETURNING id, tableoid) "
    "SELECT min(id) AS first_id, "
    "       count(*) FILTER (WHERE tableoid = 'rc.volunteer_position_default'::regclass) "
    "       AS strays FROM stored")


@dataclass(frozen=True)
class PositionRow:
    """One position to store (WGS84); ``observed_at`` None means now, ``availability`` None
    leaves the volunteer's as it is."""

    volunteer_id: int
    lon: float
    lat: float
    accuracy_m: float | None
    observed_at: datetime | None
    availability: str | None = None


def record_positions(engine: Engine, positions: list[PositionRow]) -> int:
    """Store positions (and availabilities) in one transaction, all or none: NotFound naming the
    unknown volunteers when any is unknown. Returns the smallest id stored: a single
    position's own id."""
    wanted = sorted({p.volunteer_id for p in positions})
    with engine.begin() as conn:
        known = set(conn.execute(text("SELECT id FROM rc.volunteer WHERE id = ANY(:ids)"),
                                 {"ids": wanted}).scalars())
        unknown = [(i, p.volunteer_id) for i, p in enumerate(positions)
                   if p.volunteer_id not in known]
        if unknown:
            named = ", ".join(f"volunteer {v} (positions[{i}])" for i, v in unknown[:10])
            raise NotFound(f"no such {named}"
                           f"{' and more' if len(unknown) > 10 else ''}; nothing was stored")
        updates = sorted({p.volunteer_id: p.availability for p in positions
                          if p.availability is not None}.items())
        if updates:
            conn.execute(text(
                "UPDATE rc.volunteer v SET availability = u.a FROM unnest("
                "CAST(:ids AS integer[]), CAST(:a AS text[])) AS u(id, a) "
                "WHERE v.id = u.id AND v.availability IS DISTINCT FROM u.a"),
                {"ids": [i for i, _ in updates], "a": [a for _, a in updates]})
        row = conn.execute(_INSERT, {"rows": json.dumps([
            {"v": p.volunteer_id, "t": p.observed_at and p.observed_at.isoformat(),
             "a": p.accuracy_m, "x": p.lon, "y": p.lat} for p in positions])}).one()
    if row.strays:
        # Outside every day partition (the maintenance has not run for days): stored all the
        # same, in the default partition; give those days their partitions now. The positions
        # are stored whatever happens here: a failure is the maintenance's to retry.
        try:
            make_partitions(engine)
        except DBAPIError:
            LOGGER.warning("positions: making day partitions after a write failed",
                           exc_info=True)
    return int(row.first_id)


def make_partitions(engine: Engine | Connection,
                    ahead_days: int = PARTITIONS_AHEAD_DAYS) -> int:
    """Make the history's day partitions from yesterday to ``ahead_days`` ahead, and move rows
    out of the default partition; how many partitions were added."""
    if isinstance(engine, Connection):
        return int(engine.execute(text("SELECT rc.volunteer_position_partitions(:d)"),
                                  {"d": ahead_days}).scalar_one())
    with engine.begin() as conn:
        return make_partitions(conn, ahead_days)


def drop_old_partitions(engine: Engine, keep_days: int) -> int:
    """Drop the history's days wholly older than ``keep_days`` (and older latest positions);
    how many partitions were dropped."""
    with engine.begin() as conn:
        return int(conn.execute(text("SELECT rc.volunteer_position_retain(:d)"),
                                {"d": keep_days}).scalar_one())
