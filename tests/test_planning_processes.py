"""Siting and QC as OGC API processes on the demo city, synchronous and as jobs.

Incidents are stored by hand: 40 cardiac arrests in March 2026 around one corner of the core,
10 falls in May, 5 cancelled calls and a false alarm (neither is demand), and two calls either
side of midnight at the end of March (local time): the selection by local dates, categories
and status is checked against that. QC takes a call log as inline CSV (or base64) within its
own body limit.
"""

import base64
import json
from datetime import date

import numpy as np
import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from cli.main import main
from gis.demo_load import load_demo_city
from gis.tokens import create_token
from rescuecircle.errors import InvalidInput
from services.planning import Incidents, incident_calls
from tests.conftest import app_settings
from tests.test_processes_async import wait_for

SITE = "/ogc/processes/site/execution"
QC = "/ogc/processes/qc/execution"
COVERAGE = "/ogc/processes/coverage/execution"
ASYNC = {"Prefer": "respond-async"}
AT = "2026-11-25T11:00:00+08:00"
CORNER = (114.205, 22.66)
MARCH = {"from": "2026-03-01", "to": "2026-03-31", "categories": ["cardiac_arrest"]}
LOG = ("incident_date,call_type,received_time_in_seconds,answered_time_in_seconds,"
       "dispatch_time_in_seconds,arrive_time_in_seconds,district\n"
       "2026-01-03,9E1,100,105,150,400,A\n"      # answered in 5 s, dispatched in 45 s
       "2026-01-04,26A1,100,115,200,900,A\n"     # 15 s, 85 s
       "2026-02-01,17B1,86300,86308,86350,200,B\n"  # 8 s, 42 s; arrives after midnight
       "2026-02-02,29D2P,100,,190,,B\n")


def _incident(conn, lon: float, lat: float, at: str, category: str, *,
              status: str = "closed", outcome: str | None = None) -> None:
    conn.execute(text(
        "INSERT INTO rc.incident (reported_at, category, status, outcome, geom) VALUES "
        "(:at, :category, :status, :outcome, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
        {"at": at, "category": category, "status": status, "outcome": outcome, "lon": lon,
         "lat": lat})


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("planning_processes")
    load_demo_city(engine)
    rng = np.random.default_rng(16)
    with engine.begin() as conn:
        for k, (dx, dy) in enumerate(rng.normal(0, 0.0015, (40, 2))):
            _incident(conn, CORNER[0] + dx, CORNER[1] + dy,
                      f"2026-03-{1 + k % 28:02d}T10:00:00+08:00", "cardiac_arrest")
        for k in range(10):
            _incident(conn, 114.15 + 0.001 * k, 22.64, "2026-05-02T10:00:00+08:00", "fall")
        for _ in range(5):
            _incident(conn, *CORNER, "2026-03-05T10:00:00+08:00", "cardiac_arrest",
                      status="cancelled")
        _incident(conn, *CORNER, "2026-03-06T10:00:00+08:00", "cardiac_arrest",
                  outcome="false_alarm")
        _incident(conn, *CORNER, "2026-03-31T23:30:00+08:00", "cardiac_arrest")   # in
        _incident(conn, *CORNER, "2026-04-01T00:10:00+08:00", "cardiac_arrest")   # out
    return engine


@pytest.fixture(scope="module")
def app(engine):
    return create_app(app_settings(engine), engine=engine)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def tokens(engine) -> dict[str, dict[str, str]]:
    return {role: {"Authorization": f"Bearer {create_token(engine, role=role, label=role)}"}
            for role in ("analyst", "dispatcher", "admin")}


def test_site_and_qc_are_async_processes(client):
    listed = {p["id"]: p for p in client.get("/ogc/processes").json["processes"]}
    for name in ("site", "qc"):
        assert listed[name]["jobControlOptions"] == ["sync-execute", "async-execute"]
    described = client.get("/ogc/processes/site").json
    assert described["inputs"]["kind"]["schema"]["enum"] == ["stations", "aeds", "drone-pads"]
    assert "from/to" in client.get("/ogc/processes/qc").json["description"]


def test_stored_incidents_are_selected_by_local_date_category_and_status(app):
    context = app.extensions["rescuecircle"]
    march = incident_calls(context, Incidents(first=date(2026, 3, 1), last=date(2026, 3, 31),
                                              categories=("cardiac_arrest",)))
    assert len(march.lon) == 41      # 40 and the one at 23:30 on the 31st; no cancelled
    assert len(incident_calls(context, Incidents(categories=("fall",))).lon) == 10
    assert len(incident_calls(context, Incidents()).lon) == 52


def test_siting_by_incidents_as_a_job_equals_the_sync_answer(client, tokens):
    inputs = {"kind": "aeds", "add": 2, "demand": "incidents", "at": AT, **MARCH}
    analyst = tokens["analyst"]
    assert client.post(SITE, json={"inputs": inputs}).status_code == 401
    assert client.post(SITE, json={"inputs": inputs},
                       headers=tokens["dispatcher"]).status_code == 403
    started = client.post(SITE, json={"inputs": inputs}, headers={**analyst, **ASYNC})
    assert started.status_code == 201, started.json
    status = wait_for(client, started.headers["Location"], analyst, seconds=300)
    assert status["status"] == "successful", status
    link = next(x for x in status["links"] if x["rel"].endswith("/results"))
    assert link["type"] == "application/geo+json"
    results = client.get(link["href"].split("localhost:8000")[-1], headers=analyst)
    assert results.status_code == 200 and results.mimetype == "application/geo+json"
    body = results.json
    assert body["demand"] == "incidents" and body["model"] == "mclp"
    assert body["total_calls"] == 41
    assert body["covered_calls"] > 0 and body["gained_calls"] > 0
    gains = [f["properties"]["gained_calls"] for f in body["features"]]
    assert len(gains) == 2 and gains == sorted(gains, reverse=True)
    assert sum(gains) == pytest.approx(body["gained_calls"], abs=0.2)
    # the corner where the calls cluster gets the first new AED
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    assert abs(lon - CORNER[0]) < 0.006 and abs(lat - CORNER[1]) < 0.006
    query = "&".join(["kind=aeds", "add=2", "demand=incidents", "from=2026-03-01",
                      "to=2026-03-31", "categories=cardiac_arrest",
                      "at=" + AT.replace("+", "%2B")])
    by_get = client.get(f"/api/planning/sites/aeds?{query}", headers=analyst)
    assert by_get.status_code == 200 and by_get.json == body


def test_a_site_job_without_incidents_fails_with_the_reason(client, tokens):
    analyst = tokens["analyst"]
    started = client.post(SITE, headers={**analyst, **ASYNC}, json={"inputs": {
        "kind": "aeds", "add": 1, "demand": "mix:0.5", "categories": ["none-such"]}})
    assert started.status_code == 201, started.json
    status = wait_for(client, started.headers["Location"], analyst)
    assert status["status"] == "failed"
    assert "no incident was received from the first call to the last call of none-such" in \
        status["message"]


def test_relocating_aeds_over_http_names_the_aeds_moved(client, tokens, engine):
    response = client.post(SITE, headers=tokens["admin"], json={"inputs": {
        "kind": "aeds", "relocate": 2, "at": AT}})
    assert response.status_code == 200, response.json
    body = response.json
    # the demo city has AEDs side by side: moving two of them reaches people none reaches
    assert body["model"] == "relocate" and len(body["moves"]) == len(body["features"]) == 2
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM rc.aed")).scalars())
    assert {move["aed_id"] for move in body["moves"]} <= ids
    assert body["gained_people"] > 0
    assert all("moved_aed_id" in f["properties"] for f in body["features"])


@pytest.mark.parametrize(("inputs", "words"), [
    ({"kind": "ponies", "add": 1}, "kind 'ponies' is unknown"),
    ({"kind": "aeds"}, "give one of add"),
    ({"kind": "aeds", "add": 1, "relocate": 1}, "give one of add"),
    ({"kind": "aeds", "add": 1, "demand": "mix:2"}, "allowed range 0-1"),
    ({"kind": "aeds", "add": 1, "from": "2026-04-01", "to": "2026-03-01"}, "is after to"),
    ({"kind": "aeds", "add": 1, "from": "March"}, "from 'March' is not a date"),
    ({"kind": "aeds", "add": 1, "categories": 5}, "categories must be a list"),
    ({"kind": "aeds", "add": 1, "minutes": 90}, "minutes = 90 is outside"),
    ({"kind": "aeds", "add": 500}, "add = 500 is outside"),
    ({"kind": "aeds", "relocate": 1.5}, "relocate = 1.5 is not a whole number"),
])
def test_site_bad_inputs_are_400_sync_and_async(client, tokens, inputs, words):
    for headers in (tokens["analyst"], {**tokens["analyst"], **ASYNC}):
        response = client.post(SITE, json={"inputs": inputs}, headers=headers)
        assert response.status_code == 400, response.json
        assert words in response.json["description"]


def test_qc_of_an_uploaded_call_log_sync_and_as_a_job(client, tokens):
    analyst = tokens["analyst"]
    assert client.post(QC, json={"inputs": {"calls": LOG}}).status_code == 401
    assert client.post(QC, json={"inputs": {"calls": LOG}},
                       headers=tokens["dispatcher"]).status_code == 403
    sync = client.post(QC, json={"inputs": {"calls": LOG, "name": "jan-feb.csv"}},
                       headers=analyst)
    assert sync.status_code == 200, sync.json
    overall = sync.json["overall"][0]
    assert sync.json["source"] == "jan-feb.csv" and overall["group"] == "all"
    assert overall["answered_within_10s"] == pytest.approx(2 / 3)
    assert overall["response_median_s"] == pytest.approx(250)
    encoded = {"value": base64.b64encode(LOG.encode()).decode(), "encoding": "base64",
               "mediaType": "text/csv"}
    started = client.post(QC, json={"inputs": {"calls": encoded, "name": "jan-feb.csv"}},
                          headers={**analyst, **ASYNC})
    assert started.status_code == 201, started.json
    location = started.headers["Location"]
    status = wait_for(client, location, analyst)
    assert status["status"] == "successful"
    types = {link["type"] for link in status["links"]}
    assert {"application/json", "text/html"} <= types
    path = location.split("localhost:8000")[-1]
    results = client.get(f"{path}/results", headers=analyst)
    assert results.mimetype == "application/json" and "renderings" not in results.json
    assert results.json == sync.json
    page = client.get(f"{path}/results?f=html", headers=analyst)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.get_data(as_text=True).startswith("<!doctype html>")
    assert "jan-feb.csv" in page.get_data(as_text=True)
    wrong = client.get(f"{path}/results?f=pdf", headers=analyst)
    assert wrong.status_code == 400 and "use json, html" in wrong.json["description"]


@pytest.mark.parametrize(("calls", "words"), [
    (5, "calls must be the call log's CSV content"),
    ("", "calls is empty"),
    ("incident_date,call_type\n2026-01-01,9E1\n", "missing columns"),
    ({"href": "http://example.org/calls.csv"}, "fetches nothing"),
    ({"value": "%%%", "encoding": "base64"}, "not base64"),
    ({"value": LOG, "encoding": "gzip"}, "optional \"encoding\""),
])
def test_qc_bad_call_logs_are_400_sync_and_async(client, tokens, calls, words):
    for headers in (tokens["analyst"], {**tokens["analyst"], **ASYNC}):
        response = client.post(QC, json={"inputs": {"calls": calls}}, headers=headers)
        assert response.status_code == 400, response.json
        assert words in response.json["description"]


def test_qc_of_the_stored_incidents_answers_what_the_qc_endpoint_answers(client, tokens):
    analyst = tokens["analyst"]
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    response = client.post(QC, json={"inputs": period}, headers=analyst)
    assert response.status_code == 200, response.json
    body = response.json
    assert body.pop("source") == "stored incidents, 2026-03-01 to 2026-03-31"
    by_get = client.get("/api/planning/qc?from=2026-03-01&to=2026-03-31", headers=analyst)
    assert by_get.status_code == 200 and by_get.json == body
    assert body["overall"][0]["calls"] > 0
    mixed = client.post(QC, json={"inputs": {"calls": LOG, **period}}, headers=analyst)
    assert mixed.status_code == 400 and "without calls" in mixed.json["description"]
    wrong = client.post(QC, json={"inputs": {"from": "2026-04-01", "to": "2026-03-01"}},
                        headers={**analyst, **ASYNC})
    assert wrong.status_code == 400 and "is after to" in wrong.json["description"]


def test_qc_takes_a_log_larger_than_other_bodies_within_its_own_limit(engine, tokens):
    row = "2026-01-03,9E1,100,105,150,400,A\n"
    big = LOG + row * (1_300_000 // len(row))          # 1.3 MB: over the 1 MiB body limit
    settings = app_settings(engine).model_copy(update={"max_upload_bytes": 2 * 1024 * 1024})
    client = create_app(settings, engine=engine).test_client()
    analyst = tokens["analyst"]
    response = client.post(QC, json={"inputs": {"calls": big}}, headers=analyst)
    assert response.status_code == 200, response.json
    assert response.json["overall"][0]["calls"] == 4 + 1_300_000 // len(row)
    other = client.post(COVERAGE, json={"inputs": {"layer": "aeds", "pad": big}},
                        headers=analyst)
    assert other.status_code == 413
    small = app_settings(engine).model_copy(update={"max_upload_bytes": 64 * 1024})
    refused = create_app(small, engine=engine).test_client().post(
        QC, json={"inputs": {"calls": big}}, headers=analyst)
    assert refused.status_code == 413


@pytest.mark.realdata
def test_lincoln_county_log_through_the_process_equals_the_cli_reading(client, tokens,
                                                                       shared_data):
    """The real 2.5 MB log fits the default upload limit and gives what the file gives."""
    from planning.qc import indicators, read_calls
    from planning.qc_report import qc_json
    from tests.test_qc import LOG as LINCOLN

    path = shared_data / "lincoln-county-calls" / LINCOLN
    response = client.post(QC, headers=tokens["analyst"], json={"inputs": {
        "calls": path.read_text(encoding="utf-8"), "name": LINCOLN}})
    assert response.status_code == 200, response.json
    expected = {"source": LINCOLN, **qc_json(indicators(read_calls(path)))}
    assert response.json == json.loads(json.dumps(expected))   # NaN-free, floats exact
    assert response.json["overall"][1]["calls"] == 350         # cardiac arrests, as test_qc


def test_incident_files_are_read_as_calls(app, tmp_path):
    context = app.extensions["rescuecircle"]
    csv = tmp_path / "calls.csv"
    csv.write_text("lon,lat,category,calls\n114.2,22.66,cardiac_arrest,3\n"
                   "114.21,22.66,fall,1\n114.22,22.67,cardiac_arrest,\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"row 4: calls '' is not a number"):
        incident_calls(context, Incidents(file=csv))
    csv.write_text("lon,lat,category,calls\n114.2,22.66,cardiac_arrest,3\n"
                   "114.21,22.66,fall,1\n", encoding="utf-8")
    both = incident_calls(context, Incidents(file=csv))
    assert list(both.values["calls"]) == [3, 1]
    arrests = incident_calls(context, Incidents(file=csv, categories=("cardiac_arrest",)))
    assert list(arrests.lon) == [114.2]
    geojson = tmp_path / "calls.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "LineString", "coordinates": [[114.2, 22.66], [114.3, 22.7]]}}]}),
        encoding="utf-8")
    with pytest.raises(InvalidInput, match="feature 1 is not a point"):
        incident_calls(context, Incidents(file=geojson))
    with pytest.raises(InvalidInput, match="has no category field"):
        incident_calls(context, Incidents(file=geojson, categories=("fall",)))


def test_the_cli_sites_aeds_by_the_calls_of_a_file(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    rng = np.random.default_rng(4)
    calls = tmp_path / "calls.geojson"
    calls.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"calls": 2},
         "geometry": {"type": "Point", "coordinates": [CORNER[0] + dx, CORNER[1] + dy]}}
        for dx, dy in rng.normal(0, 0.001, (25, 2))]}), encoding="utf-8")
    out = tmp_path / "sites.geojson"
    main(["site", "aeds", "--add", "1", "--demand", "incidents", "--incidents", str(calls),
          "--at", AT, "-o", str(out)])
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["demand"] == "incidents" and plan["total_calls"] == 50
    lon, lat = plan["features"][0]["geometry"]["coordinates"]
    assert abs(lon - CORNER[0]) < 0.006 and abs(lat - CORNER[1]) < 0.006
    assert plan["features"][0]["properties"]["gained_calls"] > 0
