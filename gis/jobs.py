"""Asynchronous jobs in ``rc.job``: create, report progress, finish or fail, read back.

Finished jobs expire ``ttl_s`` seconds after they finished: the readers below treat them as
absent and :func:`purge_expired` deletes them. Unfinished jobs never expire, but each belongs
to a *runner* (one server process) that beats for its jobs; :func:`fail_orphans` fails those
whose runner has gone silent (the server stopped or crashed), so nobody polls them forever.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

_LIVE = ("(finished_at IS NULL OR finished_at > now() - make_interval(secs => :ttl))")
_COLUMNS = "id, process, status, progress, created_at, finished_at, owner_token_id, error"
ORPHANED = ("the server running this job stopped before it finished; submit it again")


@dataclass(frozen=True)
class JobRecord:
    """One job without its result (which may be large)."""

    id: uuid.UUID
    process: str
    status: str
    progress: int
    created_at: datetime
    finished_at: datetime | None
    owner_token_id: int
    error: str | None


def create_job(
    engine: Engine, *, process: str, inputs: dict[str, Any], owner_token_id: int, runner: str
) -> uuid.UUID:
    """A new job in status ``accepted``, run by ``runner``; returns its id."""
    with engine.begin() as conn:
        job_id = conn.execute(text(
            "INSERT INTO rc.job (process, inputs, owner_token_id, runner) "
            "VALUES (:process, CAST(:inputs AS jsonb), :owner, :runner) RETURNING id"),
            {"process": process, "inputs": json.dumps(inputs), "owner": owner_token_id,
             "runner": runner},
        ).scalar_one()
    return uuid.UUID(str(job_id))


def beat(engine: Engine, runner: str) -> int:
    """Show that ``runner`` is alive for its unfinished jobs; returns how many it has."""
    with engine.begin() as conn:
        return conn.execute(text(
            "UPDATE rc.job SET heartbeat_at = now() "
            "WHERE runner = :runner AND finished_at IS NULL"), {"runner": runner}).rowcount


def fail_orphans(engine: Engine, *, stale_s: float) -> int:
    """Fail unfinished jobs whose runner has been silent for ``stale_s``; returns how many."""
    with engine.begin() as conn:
        return conn.execute(text(
            "UPDATE rc.job SET status = 'failed', finished_at = now(), error = :m "
            "WHERE finished_at IS NULL "
            "AND heartbeat_at < now() - make_interval(secs => :stale)"),
            {"m": ORPHANED, "stale": stale_s}).rowcount


def set_progress(engine: Engine, job_id: uuid.UUID, progress: int) -> None:
    """Mark the job running at ``progress`` percent (0-100)."""
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE rc.job SET status = 'running', progress = :p "
            "WHERE id = :id AND finished_at IS NULL"),
            {"id": job_id, "p": max(0, min(100, int(progress)))})


def finish_job(engine: Engine, job_id: uuid.UUID, result: dict[str, Any]) -> None:
    """Store the result; the job is ``successful`` at 100 % (unless already failed as orphaned:
    its caller was told so, and an answer that changes afterwards cannot be trusted)."""
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE rc.job SET status = 'successful', progress = 100, finished_at = now(), "
            "result = CAST(:result AS jsonb) WHERE id = :id AND finished_at IS NULL"),
            {"id": job_id, "result": json.dumps(result)})


def fail_job(engine: Engine, job_id: uuid.UUID, message: str) -> None:
    """Mark the job ``failed`` with a message fit for the caller (no raw exception text)."""
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE rc.job SET status = 'failed', finished_at = now(), error = :m "
            "WHERE id = :id AND finished_at IS NULL"), {"id": job_id, "m": message})


def load_job(engine: Engine, job_id: uuid.UUID, *, ttl_s: float) -> JobRecord | None:
    """The job, or None when it does not exist or has expired."""
    with engine.connect() as conn:
        row = conn.execute(text(
            f"SELECT {_COLUMNS} FROM rc.job WHERE id = :id AND {_LIVE}"),
            {"id": job_id, "ttl": ttl_s}).first()
    return None if row is None else JobRecord(*row)


def load_result(engine: Engine, job_id: uuid.UUID, *, ttl_s: float) -> dict[str, Any] | None:
    """The stored result of an unexpired job; None when there is none."""
    with engine.connect() as conn:
        result: dict[str, Any] | None = conn.execute(text(
            f"SELECT result FROM rc.job WHERE id = :id AND {_LIVE}"),
            {"id": job_id, "ttl": ttl_s}).scalar()
    return result


def list_jobs(engine: Engine, *, owner_token_id: int | None, ttl_s: float) -> list[JobRecord]:
    """Unexpired jobs, newest first: one owner's, or everyone's when ``owner_token_id`` is None."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT {_COLUMNS} FROM rc.job WHERE {_LIVE} "
            "AND (CAST(:owner AS integer) IS NULL OR owner_token_id = :owner) "
            "ORDER BY created_at DESC LIMIT 1000"),
            {"owner": owner_token_id, "ttl": ttl_s}).all()
    return [JobRecord(*row) for row in rows]


def purge_expired(engine: Engine, *, ttl_s: float) -> int:
    """Delete jobs that finished more than ``ttl_s`` seconds ago; returns how many."""
    with engine.begin() as conn:
        return conn.execute(text(
            "DELETE FROM rc.job WHERE finished_at <= now() - make_interval(secs => :ttl)"),
            {"ttl": ttl_s}).rowcount
