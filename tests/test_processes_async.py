"""The dispatch and coverage processes, and coverage as an asynchronous job, on the demo city.

Dispatch is guarded (dispatcher/admin), coverage too (analyst/admin); coverage also runs as a
job with ``Prefer: respond-async``: 201 with Location, status with progress, results as GeoJSON
bands, visible only to the token that started it (and admins), gone after ``job_ttl_s``.
"""

import dataclasses
import threading
import time
import uuid

import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from gis.demo_load import load_demo_city
from gis.tokens import create_token
from tests.conftest import app_settings

DISPATCH = "/ogc/processes/dispatch/execution"
COVERAGE = "/ogc/processes/coverage/execution"
AT = "2026-11-25T11:00:00+08:00"
ASYNC = {"Prefer": "respond-async"}
STATIONS = {"layer": "stations", "minutes": [3, 5], "at": AT}


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("processes_async")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return create_app(app_settings(engine), engine=engine).test_client()


@pytest.fixture(scope="module")
def tokens(engine) -> dict[str, dict[str, str]]:
    """Authorization headers by role (two analysts, to check jobs are private)."""
    return {name: {"Authorization": f"Bearer {create_token(engine, role=role, label=name)}"}
            for name, role in (("dispatcher", "dispatcher"), ("analyst", "analyst"),
                               ("other analyst", "analyst"), ("admin", "admin"),
                               ("volunteer", "volunteer"))}


def wait_for(client, location: str, headers: dict[str, str], *, seconds: float = 120) -> dict:
    """Poll a job until it is finished (bounded); its last statusInfo."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(location, headers=headers)
        assert response.status_code == 200, response.json
        status = response.json
        assert 0 <= status["progress"] <= 100
        if status["status"] in ("successful", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {location} did not finish in {seconds} s")


def test_processes_are_listed_with_their_job_control(client):
    listed = {p["id"]: p for p in client.get("/ogc/processes").json["processes"]}
    assert {"isochrone", "route", "dispatch", "coverage"} <= set(listed)
    assert listed["coverage"]["jobControlOptions"] == ["sync-execute", "async-execute"]
    assert listed["dispatch"]["jobControlOptions"] == ["sync-execute"]
    described = client.get("/ogc/processes/coverage").json
    assert described["inputs"]["layer"]["schema"]["enum"] == [
        "stations", "aeds", "drone-pads", "circle", "hospitals", "hospitals:chest_pain",
        "hospitals:stroke", "hospitals:trauma", "hospitals:paediatric", "hospitals:maternity",
        "hospitals:burns", "training-sites"]


def test_dispatch_process_needs_a_dispatcher(client, tokens):
    inputs = {"inputs": {"point": [114.19, 22.655], "at": AT}}
    assert client.post(DISPATCH, json=inputs).status_code == 401
    assert client.post(DISPATCH, json=inputs, headers=tokens["analyst"]).status_code == 403
    assert client.post(DISPATCH, json=inputs, headers=tokens["volunteer"]).status_code == 403
    response = client.post(DISPATCH, json=inputs, headers=tokens["dispatcher"])
    assert response.status_code == 200, response.json
    plan = response.json
    assert plan["ambulance"]["station_id"] > 0 and plan["ambulance"]["eta_s"] > 0
    stored = client.get(f"/api/dispatch/{plan['id']}", headers=tokens["dispatcher"])
    assert stored.status_code == 200  # stored like POST /api/dispatch
    assert stored.json["created_by"] == "dispatcher:dispatcher"
    assert client.post(DISPATCH, json=inputs, headers=tokens["admin"]).status_code == 200


@pytest.mark.parametrize("inputs", [
    {"point": [114.19, 91]}, {"point": [114.19, 22.655], "k": 7}, {"point": "here"},
    {"point": [114.19, 22.655], "at": "2026-11-25T11:00:00"},
])
def test_dispatch_process_bad_inputs(client, tokens, inputs):
    response = client.post(DISPATCH, json={"inputs": inputs}, headers=tokens["dispatcher"])
    assert response.status_code == 400, response.json
    assert response.json["code"] == "InvalidInput"


def test_coverage_sync(client, tokens):
    assert client.post(COVERAGE, json={"inputs": STATIONS}).status_code == 401
    assert client.post(COVERAGE, json={"inputs": STATIONS},
                       headers=tokens["dispatcher"]).status_code == 403
    response = client.post(COVERAGE, json={"inputs": STATIONS}, headers=tokens["analyst"])
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/geo+json"
    five, three = response.json["features"]  # largest first
    assert (five["properties"]["minutes"], three["properties"]["minutes"]) == (5, 3)
    assert 0 < three["properties"]["area_km2"] < five["properties"]["area_km2"]


@pytest.mark.parametrize(("inputs", "word"), [
    ({"layer": "ponies"}, "layer"), ({}, "layer"),
    ({"layer": "aeds", "minutes": [0]}, "minutes"),
    ({"layer": "aeds", "minutes": [5, 90]}, "minutes"),
    ({"layer": "stations", "hour": 24}, "hour"), ({"layer": "stations", "hour": 7.5}, "hour"),
    ({"layer": "aeds", "at": "yesterday"}, "at"),
    ({"layer": "aeds", "at": "2026-11-25T11:00:00"}, "at"),
])
def test_coverage_bad_inputs_are_400_sync_and_async(client, tokens, inputs, word):
    for headers in (tokens["analyst"], {**tokens["analyst"], **ASYNC}):
        response = client.post(COVERAGE, json={"inputs": inputs}, headers=headers)
        assert response.status_code == 400, response.json
        assert word in response.json["description"]
    assert client.post(COVERAGE, json={"input": {}}, headers=tokens["analyst"]).status_code == 400


def test_coverage_async_job(client, tokens):
    analyst = tokens["analyst"]
    response = client.post(COVERAGE, json={"inputs": {**STATIONS, "hour": 8}},
                           headers={**analyst, **ASYNC})
    assert response.status_code == 201, response.json
    assert response.headers["Preference-Applied"] == "respond-async"
    location = response.headers["Location"]
    job_id = response.json["jobID"]
    assert location.endswith(f"/ogc/jobs/{job_id}")
    assert response.json["status"] in ("accepted", "running", "successful")
    path = f"/ogc/jobs/{job_id}"

    status = wait_for(client, path, analyst)
    assert status["status"] == "successful", status
    assert status["progress"] == 100 and status["finished"] is not None
    results_link = next(link for link in status["links"] if link["rel"].endswith("/results"))
    assert results_link["href"].endswith(f"{path}/results")

    results = client.get(f"{path}/results", headers=analyst)
    assert results.status_code == 200
    assert results.mimetype == "application/geo+json"
    body = results.json
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["minutes"] for f in body["features"]] == [5, 3]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in body["features"])

    listed = client.get("/ogc/jobs", headers=analyst).json["jobs"]
    assert job_id in [job["jobID"] for job in listed]
    # Private: another analyst sees neither the job nor its results; admins see it.
    other = tokens["other analyst"]
    assert client.get(path, headers=other).status_code == 404
    assert client.get(f"{path}/results", headers=other).status_code == 404
    assert job_id not in [j["jobID"] for j in client.get("/ogc/jobs", headers=other).json["jobs"]]
    assert client.get(path, headers=tokens["admin"]).status_code == 200
    assert job_id in [j["jobID"] for j in client.get("/ogc/jobs", headers=tokens["admin"])
                      .json["jobs"]]
    assert client.get(path).status_code == 401
    assert client.get("/ogc/jobs").status_code == 401


def test_unknown_and_malformed_job_ids_are_404(client, tokens):
    assert client.get(f"/ogc/jobs/{uuid.uuid4()}", headers=tokens["admin"]).status_code == 404
    assert client.get("/ogc/jobs/not-a-uuid", headers=tokens["admin"]).status_code == 404
    assert client.get("/ogc/jobs/not-a-uuid/results",
                      headers=tokens["admin"]).status_code == 404


def test_sync_only_process_ignores_prefer_async(client, tokens):
    response = client.post(DISPATCH, json={"inputs": {"point": [114.19, 22.655], "at": AT}},
                           headers={**tokens["dispatcher"], **ASYNC})
    assert response.status_code == 200


def test_failing_job_stores_a_message_not_the_exception(engine, client, tokens, monkeypatch):
    """A job whose work raises InvalidInput keeps that message; any other error a generic one."""
    from api import processes
    from rescuecircle.errors import InvalidInput

    def invalid(state, inputs, progress):
        raise InvalidInput("layer 'stations' has nothing to cover")

    def broken(state, inputs, progress):
        raise RuntimeError('relation "rc.secret" does not exist: SELECT * FROM rc.secret')

    analyst = tokens["analyst"]
    outcomes = []
    for compute in (invalid, broken):
        monkeypatch.setitem(processes.PROCESSES, "coverage", dataclasses.replace(
            processes.PROCESSES["coverage"], compute=compute))
        response = client.post(COVERAGE, json={"inputs": STATIONS}, headers={**analyst, **ASYNC})
        assert response.status_code == 201
        status = wait_for(client, response.headers["Location"], analyst)
        assert status["status"] == "failed"
        results = client.get(response.headers["Location"] + "/results", headers=analyst)
        assert results.status_code == 404
        outcomes.append(status["message"])
    assert outcomes[0] == "layer 'stations' has nothing to cover"
    assert "secret" not in outcomes[1] and "SELECT" not in outcomes[1]
    assert "server error" in outcomes[1]
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT error FROM rc.job WHERE status = 'failed' ORDER BY created_at")).scalars().all()
    assert not any("SELECT" in message for message in stored)


def test_finished_jobs_expire(engine, tokens):
    settings = app_settings(engine).model_copy(update={"job_ttl_s": 1})
    client = create_app(settings, engine=engine).test_client()
    analyst = tokens["analyst"]
    response = client.post(COVERAGE, json={"inputs": STATIONS}, headers={**analyst, **ASYNC})
    assert response.status_code == 201
    location = response.headers["Location"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # finished: successful, or already expired (404)
        polled = client.get(location, headers=analyst)
        if polled.status_code == 404 or polled.json["status"] == "successful":
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the job did not finish")
    time.sleep(1.5)
    assert client.get(location, headers=analyst).status_code == 404
    assert client.get(location + "/results", headers=analyst).status_code == 404
    job_id = location.rsplit("/", 1)[1]
    assert job_id not in [j["jobID"] for j in client.get("/ogc/jobs", headers=analyst)
                          .json["jobs"]]


def test_a_job_whose_server_stopped_ends_failed_and_stays_failed(engine, tokens, monkeypatch):
    from api import processes
    from api.jobs import EXTENSION_KEY
    from gis.jobs import ORPHANED

    release = threading.Event()

    def slow(state, inputs, progress):
        release.wait(60)
        return {"type": "FeatureCollection", "features": []}

    monkeypatch.setitem(processes.PROCESSES, "coverage", dataclasses.replace(
        processes.PROCESSES["coverage"], compute=slow))
    beating = app_settings(engine).model_copy(update={"job_heartbeat_s": 0.2})
    stopping, living = (create_app(beating, engine=engine) for _ in range(2))
    analyst = {**tokens["analyst"], **ASYNC}
    orphan = stopping.test_client().post(COVERAGE, json={"inputs": STATIONS}, headers=analyst)
    alive = living.test_client().post(COVERAGE, json={"inputs": STATIONS}, headers=analyst)
    assert orphan.status_code == alive.status_code == 201
    # The first server stops (no more heartbeats) while its job still hangs in a thread.
    stopping.extensions[EXTENSION_KEY].shutdown(wait=False)
    client = living.test_client()
    try:
        status = wait_for(client, orphan.headers["Location"], tokens["analyst"], seconds=20)
        assert status["status"] == "failed" and status["message"] == ORPHANED
        still = client.get(alive.headers["Location"], headers=tokens["analyst"]).json
        assert still["status"] in ("accepted", "running")
    finally:
        release.set()
    finished = wait_for(client, alive.headers["Location"], tokens["analyst"], seconds=20)
    assert finished["status"] == "successful"
    time.sleep(0.5)   # the orphan's thread has finished too by now: it must not revive the job
    again = client.get(orphan.headers["Location"], headers=tokens["analyst"]).json
    assert again["status"] == "failed" and again["message"] == ORPHANED


def test_dispatch_on_a_dead_end_street_still_answers_a_plan(client, tokens):
    # Found by bench/load.py: here one blocked road cuts every chosen responder off, so the
    # worst case is infinite; the plan must still be stored and answered (it was a 400).
    response = client.post("/api/dispatch", headers=tokens["dispatcher"],
                           json={"point": [114.2001237, 22.6880423], "k": 3})
    assert response.status_code == 201, response.json
    assert response.json["robustness"]["worst_case_first_arrival_s"] is None


def test_the_cached_population_follows_every_write(engine):
    # An update that keeps the number of rows must still be seen (a count did not see it).
    app = create_app(app_settings(engine), engine=engine)
    networks = app.extensions["rescuecircle"].networks
    before = networks.population()
    assert networks.population() is before          # unchanged: the cached points
    with engine.begin() as conn:
        conn.execute(text("UPDATE rc.population SET population = population + 100 "
                          "WHERE id = (SELECT min(id) FROM rc.population)"))
    try:
        after = networks.population()
        assert after.version != before.version
        assert after.people.sum() == pytest.approx(before.people.sum() + 100)
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE rc.population SET population = population - 100 "
                              "WHERE id = (SELECT min(id) FROM rc.population)"))
