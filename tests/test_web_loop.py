"""The live dispatch loop in a real browser: the dispatcher's console and a volunteer's
``/responder`` page on one incident, each in its own browser context (Debian's chromium driven
by playwright-core, as in ``tests/test_web.py``), end to end: dispatch, alert, accept, positions
and ETAs, arrival, closing; and a second volunteer who never sees the first one's alert.

The demo city is loaded into its own database. Volunteers near the incident get fresh
positions (the demo's are minutes old when loaded, and a dispatch ignores positions older than
15 minutes), one of them a few metres from the patient, so the plan is sure to alert them, and
every volunteer near it gets a token the flow can pick from once it sees whom the plan alerted.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from gis.demo_load import load_demo_city
from gis.tokens import create_token
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings
from tests.browser import run_flow
from tests.conftest import app_settings, served

POINT = (114.2, 22.65)       # the demo city's centre: dense streets, AEDs, several stations
NEAR_M = 2000                # the dispatch's volunteer radius
ALERT_TIMEOUT_S = 180        # long enough that nobody times out under the flow's feet


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("web_loop")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def loop_settings(engine) -> Settings:
    return app_settings(engine).model_copy(update={"alert_timeout_s": ALERT_TIMEOUT_S})


@pytest.fixture(scope="module")
def base_url(engine, loop_settings) -> Iterator[str]:
    """Served by waitress: an event stream and two long-polls hold a thread each."""
    with served(engine, loop_settings, threads=12) as url:
        yield url


@pytest.fixture(scope="module")
def loop_case(engine) -> dict:
    """The incident point, the volunteer standing by it, tokens for every volunteer near it
    (by volunteer id) and a dispatcher token."""
    lon, lat = POINT
    with engine.begin() as conn:
        near = conn.execute(text(
            "SELECT v.id FROM rc.volunteer v JOIN LATERAL (SELECT geom FROM "
            "rc.volunteer_position p WHERE p.volunteer_id = v.id ORDER BY observed_at DESC "
            "LIMIT 1) p ON true WHERE v.availability = 'available' AND v.status = 'active' "
            "AND (v.certified_until IS NULL OR v.certified_until >= current_date) "
            "AND ST_DWithin(p.geom::geography, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :near) "
            "ORDER BY p.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"),
            {"lon": lon, "lat": lat, "near": NEAR_M}).scalars().all()
        assert len(near) >= 6, f"only {len(near)} volunteers near {POINT}"
        conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, accuracy_m, geom) "
            "SELECT p.volunteer_id, now(), 10, p.geom FROM (SELECT DISTINCT ON (volunteer_id) "
            "volunteer_id, geom FROM rc.volunteer_position WHERE volunteer_id = ANY(:ids) "
            "ORDER BY volunteer_id, observed_at DESC) p"), {"ids": list(near)})
        standing_by = near[0]
        conn.execute(text(               # ~25 m north-east of the patient
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, accuracy_m, geom) "
            "VALUES (:id, now() + interval '1 second', 5, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
            {"id": standing_by, "lon": lon + 0.00017, "lat": lat + 0.00017})
    tokens = {str(v): create_token(engine, role="volunteer", volunteer_id=v, label=f"web {v}")
              for v in near}
    return {"lon": lon, "lat": lat, "volunteer": standing_by, "tokens": tokens,
            "token": create_token(engine, role="dispatcher", label="web loop"),
            "alert_timeout_s": ALERT_TIMEOUT_S}


def test_dispatcher_and_volunteer_on_one_incident(browser, base_url, loop_case, engine):  # noqa: F811
    """Console and /responder, end to end; the flow checks each step in the browsers."""
    output = run_flow("loop", base_url, loop_case)
    assert "zero requests outside" in output
    incident_id = int(output.split("INCIDENT=")[1].split()[0])
    with engine.connect() as conn:
        incident = conn.execute(text(
            "SELECT status, outcome, rosc FROM rc.incident WHERE id = :id"),
            {"id": incident_id}).one()
        kinds = conn.execute(text(
            "SELECT kind FROM rc.incident_event WHERE incident_id = :id AND unit_kind = "
            "'volunteer' AND unit_id = :v ORDER BY seq"),
            {"id": incident_id, "v": loop_case["volunteer"]}).scalars().all()
    assert tuple(incident) == ("closed", "treated_on_scene", True)
    assert kinds[0] == "alerted" and kinds[1] == "accepted" and "on_scene" in kinds
    assert kinds.count("position") >= 2, kinds


def test_a_volunteer_reads_and_answers_only_their_own_alerts(engine, loop_settings, loop_case):
    """Without a browser: two volunteers alerted on one incident each see their own alert
    only; the other's cannot be read or answered (404, as for one that does not exist); after
    closing, each one's alert says it was stood down and its incident is closed."""
    client = create_app(loop_settings, engine=engine).test_client()
    desk = {"Authorization": f"Bearer {loop_case['token']}"}
    plan = client.post("/api/dispatch", headers=desk,
                       json={"point": [loop_case["lon"], loop_case["lat"]]}).get_json()
    alerts = client.get(f"/api/incidents/{plan['incident_id']}", headers=desk).get_json()["alerts"]
    mine, theirs = ([a for a in alerts if str(a["volunteer_id"]) in loop_case["tokens"]]
                    + [None, None])[:2]
    assert mine and theirs, f"two of the volunteers with tokens are alerted: {alerts}"
    as_me = {"Authorization": f"Bearer {loop_case['tokens'][str(mine['volunteer_id'])]}"}
    listed = client.get("/api/responder/alerts", headers=as_me).get_json()["alerts"]
    assert [a["id"] for a in listed] == [mine["id"]]
    assert listed[0]["incident_status"] == "open" and listed[0]["status"] == "pending"
    assert client.get(f"/api/responder/alerts/{theirs['id']}", headers=as_me).status_code == 404
    for action in ("accept", "decline", "arrived"):
        answered = client.post(f"/api/responder/alerts/{theirs['id']}/{action}", headers=as_me)
        assert answered.status_code == 404, action
    assert client.post(f"/api/incidents/{plan['incident_id']}/close", headers=desk,
                       json={"outcome": "false_alarm"}).status_code == 200
    after = client.get(f"/api/responder/alerts/{mine['id']}", headers=as_me).get_json()
    assert (after["status"], after["incident_status"]) == ("stood_down", "closed")
    assert client.get("/api/responder/alerts", headers=as_me).get_json()["alerts"] == []


def test_event_stream_reader():
    """web/event-stream.js under Node: events split anywhere across chunks, CRLF, comments,
    retry, several data lines; an event cut off by a dropped connection is not delivered."""
    if shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is missing in CI")
        pytest.skip("node is missing")
    result = subprocess.run(["node", str(PROJECT_ROOT / "tests" / "web" / "event_stream.mjs")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
