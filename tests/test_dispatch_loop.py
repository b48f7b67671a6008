"""The live loop on the demo city, through the real server: claims under parallel dispatches,
declines and time-outs filling the place with the next volunteer, the resumable event stream,
graded dispatch, floors, the ambulance's mission and closing an incident."""

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import Engine, text

from gis.demo_load import load_demo_city
from gis.tokens import create_token
from tests.conftest import app_settings, served

TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("dispatch_loop")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def base_url(engine) -> Iterator[str]:
    with served(engine, threads=16) as url:
        yield url


@pytest.fixture(scope="module")
def impatient_url(engine) -> Iterator[str]:
    """A server whose alerts time out after TIMEOUT_S."""
    settings = app_settings(engine).model_copy(update={"alert_timeout_s": TIMEOUT_S})
    with served(engine, settings) as url:
        yield url


@pytest.fixture(scope="module")
def dispatcher(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}


def volunteer_token(engine: Engine, volunteer_id: int) -> dict[str, str]:
    token = create_token(engine, role="volunteer", volunteer_id=volunteer_id)
    return {"Authorization": f"Bearer {token}"}


def neighbourhood(engine: Engine, count: int, radius_m: float = 600) -> list[list[float]]:
    """Crossings of walkable and drivable roads within ``radius_m`` of the volunteers'
    centre, in a fixed order."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "WITH centre AS (SELECT ST_Centroid(ST_Collect(geom)) AS g FROM rc.volunteer_position) "
            "SELECT ST_X(v.geom), ST_Y(v.geom) FROM rc.road_vertex v, centre "
            "WHERE ST_DWithin(v.geom::geography, centre.g::geography, :r) AND EXISTS ("
            " SELECT 1 FROM rc.road_edge e WHERE e.source = v.id AND NOT e.island_walk "
            " AND NOT e.island_drive AND e.cost_drive_s >= 0 AND e.cost_walk_s >= 0) "
            "ORDER BY v.id LIMIT :n"), {"r": radius_m, "n": count}).all()
    assert len(rows) == count
    return [[float(x), float(y)] for x, y in rows]


def close_all(base_url: str, dispatcher: dict[str, str]) -> None:
    for incident in requests.get(f"{base_url}/api/incidents", headers=dispatcher).json():
        closed = requests.post(f"{base_url}/api/incidents/{incident['id']}/close",
                               headers=dispatcher, json={"outcome": "false_alarm"})
        assert closed.status_code == 200, closed.text


def dispatch(base_url: str, dispatcher: dict[str, str], point: list[float], **extra) -> dict:
    response = requests.post(f"{base_url}/api/dispatch", headers=dispatcher,
                             json={"point": point, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def events(base_url: str, dispatcher: dict[str, str], incident_id: int) -> list[dict]:
    response = requests.get(f"{base_url}/api/incidents/{incident_id}/events?f=json",
                            headers=dispatcher)
    assert response.status_code == 200, response.text
    return response.json()


def sent_units(plan: dict) -> list[tuple[str, int]]:
    units = [("volunteer", v["volunteer_id"]) for v in plan["volunteers"]]
    if plan["aed_runner"]:
        units += [("volunteer", plan["aed_runner"]["volunteer_id"]),
                  ("aed", plan["aed_runner"]["aed_id"])]
    if plan["ambulance"]:
        units.append(("ambulance", plan["ambulance"]["ambulance_id"]))
    return units


def test_fifty_parallel_dispatches_in_one_neighbourhood_never_share_a_unit(
        engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    points = neighbourhood(engine, 50)
    with engine.connect() as conn:
        free = conn.execute(text(
            "SELECT count(*) FROM rc.ambulance WHERE status = 'available'")).scalar_one()
    with ThreadPoolExecutor(max_workers=50) as pool:
        plans = list(pool.map(lambda p: dispatch(base_url, dispatcher, p), points))
    units = Counter(unit for plan in plans for unit in sent_units(plan))
    assert units and max(units.values()) == 1, units.most_common(3)
    assert len({plan["incident_id"] for plan in plans}) == 50
    # The neighbourhood's volunteers and the city's ambulances ran out along the way.
    assert sum(bool(plan["volunteers"]) for plan in plans) >= 5
    assert sum(plan["ambulance"] is not None for plan in plans) == free
    assert any("none of the 16 ambulances is available" in plan["reasons"].get("ambulance", "")
               for plan in plans)
    with engine.connect() as conn:
        alerted = conn.execute(text(
            "SELECT volunteer_id, count(*) FROM rc.alert WHERE status = 'pending' "
            "GROUP BY 1 HAVING count(*) > 1")).all()
    assert alerted == []
    close_all(base_url, dispatcher)
    with engine.connect() as conn:
        assert conn.execute(text(
            "SELECT count(*) FROM rc.assignment WHERE released_at IS NULL")).scalar() == 0
        overlapping = conn.execute(text(
            "SELECT a.unit_kind, a.unit_id FROM rc.assignment a JOIN rc.assignment b "
            "ON a.unit_kind = b.unit_kind AND a.unit_id = b.unit_id AND a.id < b.id "
            "AND tstzrange(a.claimed_at, a.released_at) && tstzrange(b.claimed_at, b.released_at)"
        )).all()
        assert overlapping == []
        assert conn.execute(text(
            "SELECT count(*) FROM rc.ambulance WHERE status = 'available'")).scalar() == free


def test_a_decline_alerts_the_next_volunteer_at_once_and_keeps_the_others(
        engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    plan = dispatch(base_url, dispatcher, neighbourhood(engine, 1)[0])
    direct = [v["volunteer_id"] for v in plan["volunteers"]]
    assert len(direct) >= 2
    leaving, staying = direct[0], direct[1:]
    me = volunteer_token(engine, leaving)
    mine = requests.get(f"{base_url}/api/responder/alerts", headers=me).json()["alerts"]
    assert [a["incident_id"] for a in mine] == [plan["incident_id"]]
    started = time.monotonic()
    declined = requests.post(f"{base_url}/api/responder/alerts/{mine[0]['id']}/decline",
                             headers=me)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    found = events(base_url, dispatcher, plan["incident_id"])
    elapsed_s = time.monotonic() - started
    decline = next(e for e in found if e["kind"] == "declined")
    after = [e for e in found if e["seq"] > decline["seq"]]
    newly = [e["unit_id"] for e in after if e["kind"] == "alerted"]
    assert newly and leaving not in newly and not set(newly) & set(staying)
    assert elapsed_s < 1.0
    assert not [e for e in after if e["kind"] == "withdrawn"]      # the others stay
    now = requests.get(f"{base_url}/api/incidents/{plan['incident_id']}",
                       headers=dispatcher).json()
    status = {a["volunteer_id"]: a["status"] for a in now["alerts"]}
    assert status[leaving] == "declined" and all(status[v] == "pending" for v in staying)
    assert requests.get(f"{base_url}/api/responder/alerts", headers=me).json()["alerts"] == []
    again = requests.post(f"{base_url}/api/responder/alerts/{mine[0]['id']}/accept", headers=me)
    assert again.status_code == 409 and "declined" in again.json()["description"]


def test_a_time_out_alerts_the_next_volunteer_within_a_second_and_keeps_the_accepted(
        engine, impatient_url, dispatcher):
    base_url = impatient_url
    close_all(base_url, dispatcher)
    plan = dispatch(base_url, dispatcher, neighbourhood(engine, 2)[1])
    direct = [v["volunteer_id"] for v in plan["volunteers"]]
    silent, answering = direct[0], direct[1:]
    if plan["aed_runner"]:
        answering.append(plan["aed_runner"]["volunteer_id"])
    for volunteer_id in answering:
        headers = volunteer_token(engine, volunteer_id)
        alert = requests.get(f"{base_url}/api/responder/alerts", headers=headers).json()
        accepted = requests.post(
            f"{base_url}/api/responder/alerts/{alert['alerts'][0]['id']}/accept",
            headers=headers)
        assert accepted.status_code == 200, accepted.text
    time.sleep(TIMEOUT_S + 1.5)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT volunteer_id, status, alerted_at, deadline_at FROM rc.alert "
            "WHERE incident_id = :i ORDER BY id"), {"i": plan["incident_id"]}).all()
    by_volunteer = {r.volunteer_id: r for r in rows}
    assert by_volunteer[silent].status == "timed_out"
    assert all(by_volunteer[v].status == "accepted" for v in answering)
    successors = [r for r in rows if r.volunteer_id not in direct + answering]
    assert successors, "nobody was alerted in the silent volunteer's place"
    delay_s = (successors[0].alerted_at - by_volunteer[silent].deadline_at).total_seconds()
    assert 0 <= delay_s < 1.0


def read_stream(base_url: str, headers: dict[str, str], incident_id: int, *, count: int,
                last_event_id: int | None = None) -> list[dict]:
    """``count`` events from the live stream, then hang up."""
    headers = {**headers, **({"Last-Event-ID": str(last_event_id)} if last_event_id else {})}
    found: list[dict] = []
    with requests.get(f"{base_url}/api/incidents/{incident_id}/events", headers=headers,
                      stream=True, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        seq = None
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("data: "):
                event = json.loads(line[6:])
                assert event["seq"] == seq
                found.append(event)
                if len(found) == count:
                    break
    return found


def test_the_event_stream_resumes_with_last_event_id_and_misses_nothing(
        engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    plan = dispatch(base_url, dispatcher, neighbourhood(engine, 3)[2])
    first = read_stream(base_url, dispatcher, plan["incident_id"], count=3)
    volunteer_id = plan["volunteers"][0]["volunteer_id"]
    me = volunteer_token(engine, volunteer_id)
    mine = requests.get(f"{base_url}/api/responder/alerts", headers=me).json()["alerts"]
    alert_id = mine[0]["id"]
    assert requests.post(f"{base_url}/api/responder/alerts/{alert_id}/accept",
                         headers=me).status_code == 200
    lon, lat = plan["volunteers"][0]["routes"][0]["geometry"]["coordinates"][0]
    moved = requests.post(f"{base_url}/api/responder/position", headers=me,
                          json={"lon": lon, "lat": lat})
    assert moved.status_code == 201 and moved.json()["eta_s"][str(alert_id)] > 0
    total = events(base_url, dispatcher, plan["incident_id"])
    rest = read_stream(base_url, dispatcher, plan["incident_id"],
                       count=len(total) - len(first), last_event_id=first[-1]["seq"])
    seen = [e["seq"] for e in first + rest]
    assert seen == list(range(1, len(total) + 1))
    assert [e["kind"] for e in first + rest] == [e["kind"] for e in total]
    kinds = [e["kind"] for e in total]
    assert kinds[:3] == ["call_received", "plan_sent", "alerted"]
    assert "accepted" in kinds and "position" in kinds
    position = next(e for e in total if e["kind"] == "position")
    assert position["unit_id"] == volunteer_id and position["data"]["eta_s"] > 0
    # After the incident closes the stream sends what is left and ends by itself.
    close_all(base_url, dispatcher)
    tail = read_stream(base_url, dispatcher, plan["incident_id"], count=100,
                       last_event_id=total[-1]["seq"])
    assert tail[-1]["kind"] == "closed"


def test_a_volunteer_sees_only_their_own_alerts(engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    plan = dispatch(base_url, dispatcher, neighbourhood(engine, 4)[3])
    alerted = plan["volunteers"][0]["volunteer_id"]
    with engine.connect() as conn:
        other = conn.execute(text(
            "SELECT id FROM rc.volunteer WHERE id <> ALL(:ids) LIMIT 1"),
            {"ids": [u for k, u in sent_units(plan) if k == "volunteer"]}).scalar_one()
    theirs = requests.get(f"{base_url}/api/responder/alerts",
                          headers=volunteer_token(engine, alerted)).json()["alerts"]
    mine = requests.get(f"{base_url}/api/responder/alerts",
                        headers=volunteer_token(engine, other)).json()["alerts"]
    assert theirs and mine == []
    stolen = requests.post(f"{base_url}/api/responder/alerts/{theirs[0]['id']}/accept",
                           headers=volunteer_token(engine, other))
    assert stolen.status_code == 404
    unbound = {"Authorization": f"Bearer {create_token(engine, role='volunteer')}"}
    refused = requests.get(f"{base_url}/api/responder/alerts", headers=unbound)
    assert refused.status_code == 403 and "--volunteer ID" in refused.json()["description"]
    for headers in (dispatcher, {}):
        assert requests.get(f"{base_url}/api/responder/alerts",
                            headers=headers).status_code in (401, 403)
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    assert requests.get(f"{base_url}/api/incidents/{plan['incident_id']}/events?f=json",
                        headers=analyst).status_code == 403


def test_graded_dispatch_sends_only_an_ambulance_for_a_stroke(engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    point = neighbourhood(engine, 5)[4]
    stroke = dispatch(base_url, dispatcher, point, category="stroke")
    assert stroke["ambulance"] and stroke["volunteers"] == [] and stroke["aed_runner"] is None
    assert "graded dispatch: stroke" in stroke["reasons"]["volunteers"]
    assert not [e for e in events(base_url, dispatcher, stroke["incident_id"])
                if e["kind"] == "alerted"]
    arrest = dispatch(base_url, dispatcher, point, category="cardiac_arrest")
    assert arrest["volunteers"] and arrest["category"] == "cardiac_arrest"
    unknown = requests.post(f"{base_url}/api/dispatch", headers=dispatcher,
                            json={"point": point, "category": "hiccups"})
    assert unknown.status_code == 400
    assert "hiccups" in unknown.json()["description"] and "stroke" in unknown.json()["description"]


def test_the_patients_floor_adds_its_climb_to_every_arrival(engine, base_url, dispatcher):
    point = neighbourhood(engine, 6)[5]
    plans = []
    for floor in (0, 10):
        close_all(base_url, dispatcher)
        plans.append(dispatch(base_url, dispatcher, point, floor=floor))
    ground, high = plans
    climb_s = 10 * app_settings(engine).floor_s
    assert high["floor_delay_s"] == pytest.approx(climb_s)
    assert high["ambulance"]["eta_s"] == pytest.approx(ground["ambulance"]["eta_s"] + climb_s,
                                                       abs=0.2)
    assert high["volunteers"][0]["eta_s"] == pytest.approx(
        ground["volunteers"][0]["eta_s"] + climb_s, abs=0.2)
    bad = requests.post(f"{base_url}/api/dispatch", headers=dispatcher,
                        json={"point": point, "floor": 500})
    assert bad.status_code == 400 and "floor" in bad.json()["description"]


def test_an_ambulance_goes_through_its_mission_and_is_free_after_hand_over(
        engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    point = neighbourhood(engine, 7)[6]
    plan = dispatch(base_url, dispatcher, point)
    ambulance = plan["ambulance"]
    assert ambulance["call_sign"] and ambulance["ambulance_id"]
    url = f"{base_url}/api/ambulances/{ambulance['ambulance_id']}"
    for status in ("en_route", "on_scene", "transporting", "at_hospital", "available"):
        changed = requests.put(f"{url}/status", headers=dispatcher, json={"status": status})
        assert changed.status_code == 200, changed.text
        if status == "en_route":      # halfway along its route: a position with a shorter ETA
            line = ambulance["routes"][0]["geometry"]["coordinates"]
            lon, lat = line[len(line) // 2]
            moved = requests.put(f"{url}/position", headers=dispatcher,
                                 json={"lon": lon, "lat": lat})
            assert moved.status_code == 201, moved.text
    found = [e for e in events(base_url, dispatcher, plan["incident_id"])
             if e["unit_kind"] == "ambulance"]
    assert [e["kind"] for e in found] == [
        "dispatched", "en_route", "position", "on_scene", "transporting", "at_hospital",
        "handed_over"]
    assert 0 < found[2]["data"]["eta_s"] < ambulance["eta_s"]
    again = dispatch(base_url, dispatcher, point)
    assert again["ambulance"]["ambulance_id"] == ambulance["ambulance_id"]


def test_closing_an_incident_stands_everyone_down_and_frees_them(engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    plan = dispatch(base_url, dispatcher, neighbourhood(engine, 8)[7])
    incident = plan["incident_id"]
    bad = requests.post(f"{base_url}/api/incidents/{incident}/close", headers=dispatcher,
                        json={"outcome": "fine"})
    assert bad.status_code == 400 and "outcome" in bad.json()["description"]
    closed = requests.post(f"{base_url}/api/incidents/{incident}/close", headers=dispatcher,
                           json={"outcome": "transported", "rosc": True})
    assert closed.status_code == 200
    body = closed.json()
    assert body["status"] == "closed" and body["rosc"] is True and body["units"] == []
    assert {a["status"] for a in body["alerts"]} == {"stood_down"}
    assert requests.post(f"{base_url}/api/incidents/{incident}/close", headers=dispatcher,
                         json={"outcome": "transported"}).status_code == 409
    replan = requests.post(f"{base_url}/api/dispatch/{plan['id']}/replan", headers=dispatcher,
                           json={})
    assert replan.status_code == 409


def test_a_volunteer_whose_certificate_expired_is_not_alerted(engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    point = neighbourhood(engine, 9)[8]
    first = dispatch(base_url, dispatcher, point)
    expired = first["volunteers"][0]["volunteer_id"]
    close_all(base_url, dispatcher)
    with engine.begin() as conn:
        conn.execute(text("UPDATE rc.volunteer SET certified_until = current_date - 1 "
                          "WHERE id = :id"), {"id": expired})
    try:
        again = dispatch(base_url, dispatcher, point)
        assert expired not in [u for _, u in sent_units(again)]
        assert expired not in [b["volunteer_id"] for b in again["backups"]]
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE rc.volunteer SET certified_until = NULL WHERE id = :id"),
                         {"id": expired})


def test_a_replan_never_alerts_again_or_stands_down_a_volunteer_at_the_patient(
        engine, base_url, dispatcher):
    close_all(base_url, dispatcher)
    plan = dispatch(base_url, dispatcher, neighbourhood(engine, 10)[9])
    first, second = (v["volunteer_id"] for v in plan["volunteers"][:2])
    tokens = {v: volunteer_token(engine, v) for v in (first, second)}
    alert = {v: requests.get(f"{base_url}/api/responder/alerts",
                             headers=tokens[v]).json()["alerts"][0]["id"] for v in tokens}
    for step in ("accept", "arrived"):
        done = requests.post(f"{base_url}/api/responder/alerts/{alert[first]}/{step}",
                             headers=tokens[first])
        assert done.status_code == 200, done.text
    declined = requests.post(f"{base_url}/api/responder/alerts/{alert[second]}/decline",
                             headers=tokens[second])
    assert declined.status_code == 200
    with engine.connect() as conn:
        mine = conn.execute(text(
            "SELECT status FROM rc.alert WHERE incident_id = :i AND volunteer_id = :v"),
            {"i": plan["incident_id"], "v": first}).scalars().all()
    assert mine == ["arrived"]
    arrived = [e for e in events(base_url, dispatcher, plan["incident_id"])
               if e["unit_id"] == first and e["unit_kind"] == "volunteer"]
    assert [e["kind"] for e in arrived] == ["alerted", "accepted", "on_scene"]
