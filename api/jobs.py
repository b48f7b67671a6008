"""Asynchronous jobs of OGC API - Processes under ``/ogc/jobs``, and the executor running them.

``POST /ogc/processes/{id}/execution`` with ``Prefer: respond-async`` (on a process that allows
it) stores a job in ``rc.job`` and runs it on a small thread pool owned by the app; the caller
polls ``GET /ogc/jobs/{jobId}`` (status and progress) and fetches ``/results`` when it is
successful. Jobs are visible to the token that created them and to admins (404 for anyone else,
so their existence is not revealed); finished jobs expire after ``job_ttl_s``.

A job that fails stores the message of an ``InvalidInput``/``NoRoute`` it raised, or else a
generic message; its traceback goes to the log, never into the job. Each app's runner beats
for its unfinished jobs every ``job_heartbeat_s``; a job whose runner stopped (the server was
stopped or crashed mid-job) is failed as orphaned after four missed beats, by any live runner.
"""

import logging
import os
import socket
import threading
import uuid
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from api import app_state
from gis.jobs import (
    JobRecord,
    beat,
    create_job,
    fail_job,
    fail_orphans,
    finish_job,
    list_jobs,
    load_job,
    load_result,
    purge_expired,
    set_progress,
)
from rescuecircle.errors import InvalidInput, NoRoute, NotFound, Unauthorized
from services.context import Context

LOGGER = logging.getLogger(__name__)
PREFIX = "/ogc/jobs"
EXTENSION_KEY = "rescuecircle.jobs"
GENERIC_FAILURE = "the job failed because of a server error; it has been logged"
DATABASE_DOWN = "the job failed: the database was unavailable; try again shortly"

RENDERINGS = {"html": "text/html"}
"""Other forms a job's result may carry, as ``renderings: {name: text}``, by media type."""
RESULTS = {"qc": ("application/json", ("html",)), "matrix": ("application/json", ())}
"""Processes whose results are not GeoJSON: their media type, and the renderings they carry."""

Progress = Callable[[int], None]
Compute = Callable[[Context, dict[str, Any], Progress], dict[str, Any]]

blueprint = Blueprint("jobs", __name__)


class JobRunner:
    """Runs jobs on a thread pool and records their progress and outcome in ``rc.job``."""

    def __init__(self, state: Context) -> None:
        self._state = state
        self._pool = ThreadPoolExecutor(max_workers=state.settings.job_workers,
                                        thread_name_prefix="rc-job")
        self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopped = threading.Event()
        self._heart = threading.Thread(target=_beat, args=(weakref.ref(self),),
                                       name="rc-job-heartbeat", daemon=True)
        self._heart.start()

    def submit(self, process: str, inputs: dict[str, Any], owner_token_id: int,
               compute: Compute) -> uuid.UUID:
        """Store a new job and start it; returns its id at once."""
        engine = self._state.engine
        purge_expired(engine, ttl_s=self._state.settings.job_ttl_s)
        job_id = create_job(engine, process=process, inputs=inputs,
                            owner_token_id=owner_token_id, runner=self.runner_id)
        self._pool.submit(self._run, job_id, inputs, compute)
        return job_id

    def _run(self, job_id: uuid.UUID, inputs: dict[str, Any], compute: Compute) -> None:
        engine = self._state.engine
        try:
            set_progress(engine, job_id, 0)
            result = compute(self._state, inputs, lambda pct: set_progress(engine, job_id, pct))
        except (InvalidInput, NoRoute) as exc:
            LOGGER.info("job %s failed: %s", job_id, exc)
            _fail(engine, job_id, str(exc))
        except OperationalError:
            LOGGER.exception("job %s failed: database unavailable", job_id)
            _fail(engine, job_id, DATABASE_DOWN)
        except Exception:  # noqa: BLE001 - a job must end failed, whatever went wrong
            LOGGER.exception("job %s failed", job_id)
            _fail(engine, job_id, GENERIC_FAILURE)
        else:
            finish_job(engine, job_id, result)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, let the running ones finish."""
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
        self._stopped.set()


def _beat(runner_ref: "weakref.ref[JobRunner]") -> None:
    """Every ``job_heartbeat_s``: keep the runner's jobs alive, fail orphaned ones. Holds the
    runner only while beating, so an app that is gone (a test's, a reloaded worker's) stops
    beating instead of keeping its database connection open for the life of the process."""
    while (runner := runner_ref()) is not None:
        state, stopped = runner._state, runner._stopped
        interval_s = state.settings.job_heartbeat_s
        try:
            beat(state.engine, runner.runner_id)
            fail_orphans(state.engine, stale_s=4 * interval_s)
        except Exception:  # noqa: BLE001 - the database may be away; beat again later
            LOGGER.warning("job heartbeat failed; trying again", exc_info=True)
        del runner, state
        if stopped.wait(interval_s):
            return


def _fail(engine: Engine, job_id: uuid.UUID, message: str) -> None:
    try:
        fail_job(engine, job_id, message)
    except Exception:  # noqa: BLE001 - the database may be the reason the job failed
        LOGGER.exception("job %s: could not record its failure", job_id)


def init_app(app: Flask, state: Context) -> None:
    """Give the app its job runner and the ``/ogc/jobs`` endpoints."""
    app.extensions[EXTENSION_KEY] = JobRunner(state)
    app.register_blueprint(blueprint)


def runner() -> JobRunner:
    """The job runner of the app handling the current request."""
    jobs: JobRunner = current_app.extensions[EXTENSION_KEY]
    return jobs


def status_info(job: JobRecord) -> dict[str, Any]:
    """The OGC statusInfo document of a job."""
    base = f"{app_state().settings.base_url}{PREFIX}/{job.id}"
    links = [{"rel": "self", "type": "application/json", "href": base, "title": "status"}]
    if job.status == "successful":
        media, renderings = RESULTS.get(job.process, ("application/geo+json", ()))
        links.append({"rel": "http://www.opengis.net/def/rel/ogc/1.0/results",
                      "type": media, "href": f"{base}/results", "title": "results"})
        links += [{"rel": "alternate", "type": RENDERINGS[name],
                   "href": f"{base}/results?f={name}", "title": f"results as {name}"}
                  for name in renderings]
    return {
        "type": "process", "processID": job.process, "jobID": str(job.id),
        "status": job.status, "progress": job.progress,
        "message": job.error or "",
        "created": job.created_at.isoformat(),
        "finished": job.finished_at.isoformat() if job.finished_at else None,
        "links": links,
    }


def accepted(job_id: uuid.UUID) -> ResponseReturnValue:
    """The 201 answer to an asynchronous execution: statusInfo and its Location."""
    job = _job(str(job_id))
    href = f"{app_state().settings.base_url}{PREFIX}/{job.id}"
    return jsonify(status_info(job)), HTTPStatus.CREATED, {
        "Location": href, "Preference-Applied": "respond-async"}


def _owner() -> int | None:
    """The token id whose jobs the caller may see; None for admins (every job)."""
    if g.principal is None:
        raise Unauthorized("jobs belong to tokens: send the token that started the job")
    return None if g.role == "admin" else int(g.principal.token_id)


def _job(job_id: str) -> JobRecord:
    """The caller's unexpired job; NotFound for a bad id, someone else's job or an expired one."""
    owner = _owner()
    try:
        parsed = uuid.UUID(job_id)
    except ValueError:
        raise NotFound(f"job {job_id!r} does not exist") from None
    job = load_job(app_state().engine, parsed, ttl_s=app_state().settings.job_ttl_s)
    if job is None or (owner is not None and job.owner_token_id != owner):
        raise NotFound(f"job {job_id} does not exist or has expired")
    return job


@blueprint.get(PREFIX)
def jobs() -> ResponseReturnValue:
    """The caller's unexpired jobs (every job for admins), newest first."""
    state = app_state()
    listed = list_jobs(state.engine, owner_token_id=_owner(), ttl_s=state.settings.job_ttl_s)
    return jsonify(jobs=[status_info(job) for job in listed], links=[
        {"rel": "self", "type": "application/json", "href": state.settings.base_url + PREFIX}])


@blueprint.get(f"{PREFIX}/<job_id>")
def job_status(job_id: str) -> ResponseReturnValue:
    """A job's status and progress, with a link to its results once it is successful."""
    return jsonify(status_info(_job(job_id)))


@blueprint.get(f"{PREFIX}/<job_id>/results")
def job_results(job_id: str) -> ResponseReturnValue:
    """The stored result of a successful job: GeoJSON (a FeatureCollection) or JSON; with
    ``?f=NAME``, the rendering the result carries under ``renderings`` (the qc job's
    ``html`` report), which the JSON leaves out."""
    job = _job(job_id)
    if job.status == "failed":
        raise NotFound(f"job {job_id} failed and has no results: {job.error}")
    if job.status != "successful":
        raise NotFound(f"job {job_id} is {job.status} ({job.progress} %); results are not ready")
    result = load_result(app_state().engine, job.id, ttl_s=app_state().settings.job_ttl_s)
    if result is None:
        raise NotFound(f"job {job_id} has expired")
    renderings = result.pop("renderings", {})
    wanted = request.args.get("f", "json")
    if wanted != "json":
        if wanted not in RENDERINGS or wanted not in renderings:
            offered = ", ".join(["json", *sorted(set(renderings) & set(RENDERINGS))])
            raise InvalidInput(f"f {wanted!r} is not offered by this job; use {offered}")
        return Response(renderings[wanted], mimetype=RENDERINGS[wanted])
    response = jsonify(result)
    response.mimetype = ("application/geo+json" if result.get("type") == "FeatureCollection"
                         else "application/json")
    return response
