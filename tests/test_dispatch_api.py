"""POST /api/dispatch on the toy city, where every answer can be checked by hand.

The patient lies on Main Street at (0.0015, 0). AEDs around them: one faulty and one with
expired pads right beside the patient, one private, the Town Hall AED (from the OSM file, open
Mo-Fr 08:00-18:00: closed on the Sunday evening of the test), and one ready, in date, public
and open 24/7 further east at (0.0025, 0): the only one a runner may fetch. Volunteers: two
fresh and available, one whose position is two hours old (stale), one busy, one registered
but not yet approved.
"""

from datetime import datetime, timedelta

import pytest
import shapely
import shapely.geometry
from sqlalchemy import Engine, text

from gis.osm_import import import_osm
from gis.tokens import create_token
from rescuecircle.paths import PROJECT_ROOT
from tests.conftest import client_for

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
SUNDAY_EVENING = datetime.fromisoformat("2026-11-29T20:00:00+08:00")
PATIENT = [0.0015, 0.0]

AEDS = [  # name, status, pads expire, access, opening hours, lon, lat
    ("faulty", "fault", "2030-01-01", "yes", "24/7", 0.0016, 0.0),
    ("expired pads", "ready", "2026-01-01", "yes", "24/7", 0.0014, 0.0),
    ("private", "ready", "2030-01-01", "private", "24/7", 0.0013, 0.0),
    ("good", "ready", "2030-01-01", "yes", "24/7", 0.0025, 0.0),
]
VOLUNTEERS = [  # name, availability, minutes since the position, lon, lat
    ("west", "available", 2, 0.0005, 0.0),
    ("north", "available", 1, 0.002, 0.001),
    ("stale", "available", 120, 0.0015, 0.0001),
    ("busy", "busy", 1, 0.0016, 0.0001),
    ("pending", "available", 1, 0.0015, -0.0001),   # registered, not yet approved
]


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("dispatch_api")
    import_osm(engine, TOY_CITY)
    with engine.begin() as conn:
        for name, status, pads, access, hours, lon, lat in AEDS:
            conn.execute(text(
                "INSERT INTO rc.aed (name, status, pads_expire_on, battery_expires_on, access, "
                "opening_hours, geom) VALUES (:n, :s, :p, '2030-01-01', :a, :h, "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
                {"n": name, "s": status, "p": pads, "a": access, "h": hours,
                 "lon": lon, "lat": lat})
        for name, availability, minutes, lon, lat in VOLUNTEERS:
            conn.execute(text(
                "WITH v AS (INSERT INTO rc.volunteer (name, availability, level, status) "
                "VALUES (:n, :a, 'senior', CASE WHEN :n = 'pending' THEN 'pending' "
                "ELSE 'active' END) RETURNING id) "
                "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
                "SELECT id, :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) FROM v"),
                {"n": name, "a": availability, "lon": lon, "lat": lat,
                 "at": SUNDAY_EVENING - timedelta(minutes=minutes)})
        conn.execute(text(
            "INSERT INTO rc.ambulance (station_id, call_sign) "
            "SELECT id, 'TOY-1' FROM rc.station LIMIT 1"))
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def dispatcher(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}


def names(engine: Engine, table: str, ids: list[int]) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(f"SELECT name FROM rc.{table} WHERE id = ANY(:ids)"),
                                {"ids": ids}).scalars())


@pytest.fixture(scope="module")
def plan(client, dispatcher) -> dict:
    response = client.post("/api/dispatch", headers=dispatcher, json={
        "point": PATIENT, "at": SUNDAY_EVENING.isoformat()})
    assert response.status_code == 201, response.json
    return response.json


def test_runner_fetches_only_a_ready_in_date_open_public_aed(plan, engine):
    assert names(engine, "aed", [plan["aed_runner"]["aed_id"]]) == {"good"}


def test_stale_busy_and_unapproved_volunteers_are_not_sent(plan, engine):
    sent = [v["volunteer_id"] for v in plan["volunteers"]] + [plan["aed_runner"]["volunteer_id"]]
    sent += [b["volunteer_id"] for b in plan["backups"]]
    assert names(engine, "volunteer", sent) == {"west", "north"}


def test_plan_has_an_ambulance_routes_and_the_circle_verdict(plan):
    assert plan["ambulance"]["eta_s"] > 0
    assert plan["ambulance"]["routes"][0]["geometry"]["type"] == "LineString"
    assert plan["ambulance"]["target_s"] == 480
    assert isinstance(plan["circle_holds"], bool)
    assert plan["timings_ms"]["plan"] >= 0


def test_plan_is_stored_with_its_audit_and_can_be_read_back(client, dispatcher, plan):
    stored = client.get(f"/api/dispatch/{plan['id']}", headers=dispatcher).json
    assert stored["inputs"]["point"] == PATIENT
    assert set(stored["candidates"]) >= {"volunteers", "aeds", "ambulances", "pads"}
    assert stored["plan"]["aed_runner"]["aed_id"] == plan["aed_runner"]["aed_id"]


def test_replan_after_a_decline_drops_that_volunteer(client, dispatcher, plan, engine):
    declined = plan["aed_runner"]["volunteer_id"]
    again = client.post(f"/api/dispatch/{plan['id']}/replan", headers=dispatcher,
                        json={"declined": [declined]})
    assert again.status_code == 201
    body = again.json
    assert body["incident_id"] == plan["incident_id"]
    sent = [v["volunteer_id"] for v in body["volunteers"]]
    if body["aed_runner"]:
        sent.append(body["aed_runner"]["volunteer_id"])
    assert declined not in sent


def fresh_plan(client, dispatcher: dict[str, str]) -> dict:
    """Close every open incident (freeing its volunteers) and plan for the patient anew."""
    for open_one in client.get("/api/incidents", headers=dispatcher).json:
        closed = client.post(f"/api/incidents/{open_one['id']}/close", headers=dispatcher,
                             json={"outcome": "false_alarm"})
        assert closed.status_code == 200, closed.json
    response = client.post("/api/dispatch", headers=dispatcher, json={
        "point": PATIENT, "at": SUNDAY_EVENING.isoformat()})
    assert response.status_code == 201, response.json
    return response.json


def test_replan_for_a_blocked_road_keeps_everyone_and_routes_round_it(
        client, dispatcher, engine):
    plan = fresh_plan(client, dispatcher)
    # Block Middle Avenue (node 2 - node 5) halfway: north's way down to Main Street.
    middle_avenue = [0.001, 0.0005]
    again = client.post(f"/api/dispatch/{plan['id']}/replan", headers=dispatcher,
                        json={"blocked": [middle_avenue]})
    assert again.status_code == 201, again.json
    body = again.json
    # Nobody declined: the same people go, only their routes change.
    assert [v["volunteer_id"] for v in body["volunteers"]] == \
        [v["volunteer_id"] for v in plan["volunteers"]]
    assert body["aed_runner"]["volunteer_id"] == plan["aed_runner"]["volunteer_id"]
    assert body["aed_runner"]["aed_id"] == plan["aed_runner"]["aed_id"]
    legs = [*body["volunteers"], body["aed_runner"]]
    for leg in legs:
        for route in leg["routes"]:
            line = shapely.geometry.shape(route["geometry"])
            assert line.distance(shapely.Point(middle_avenue)) > 0.0001, leg
    before = {v["volunteer_id"]: v["eta_s"] for v in [*plan["volunteers"], plan["aed_runner"]]}
    assert all(leg["eta_s"] >= before[leg["volunteer_id"]] - 0.1 for leg in legs)
    assert any(leg["eta_s"] > before[leg["volunteer_id"]] + 10 for leg in legs)  # a detour
    stored = client.get(f"/api/dispatch/{body['id']}", headers=dispatcher).json
    assert stored["inputs"]["blocked"] == [middle_avenue]
    assert stored["replan_of"] == plan["id"]


@pytest.mark.parametrize(("blocked", "names_it"), [
    ([[0.0015, 0.0]], "patient's own street"),
    ([[0.05, 0.0]], "500 m"),
    ([[0.002, 95]], "blocked[0] latitude"),
    ("East Lane", "blocked must be a list"),
])
def test_replan_with_a_bad_blocked_road_is_400_and_stores_nothing(
        client, dispatcher, plan, engine, blocked, names_it):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM rc.dispatch")).scalar()
    response = client.post(f"/api/dispatch/{plan['id']}/replan", headers=dispatcher,
                           json={"blocked": blocked})
    assert response.status_code == 400
    assert names_it in response.json["description"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rc.dispatch")).scalar() == before


def test_public_and_analyst_may_not_dispatch(client, engine):
    assert client.post("/api/dispatch", json={"point": PATIENT}).status_code == 401
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    assert client.post("/api/dispatch", headers=analyst, json={"point": PATIENT}
                       ).status_code == 403


@pytest.mark.parametrize(("body", "names_it"), [
    ({"point": [0.05, 0.0]}, "500 m"),
    ({"point": PATIENT, "k": 0}, "k = 0"),
    ({"point": PATIENT, "k": 10}, "k = 10"),
    ({"point": PATIENT, "crs": "mars"}, "crs"),
    ({"point": [0.0015, 95]}, "latitude"),
    ({"point": PATIENT, "at": "soon"}, "at 'soon'"),
])
def test_bad_input_is_400_and_stores_nothing(client, dispatcher, engine, body, names_it):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM rc.dispatch")).scalar()
    response = client.post("/api/dispatch", headers=dispatcher, json=body)
    assert response.status_code == 400
    assert names_it in response.json["description"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rc.dispatch")).scalar() == before


def test_malformed_json_is_400(client, dispatcher):
    response = client.post("/api/dispatch", headers=dispatcher, data="{oops",
                           content_type="application/json")
    assert response.status_code == 400


# -- a patient beside an island, on real data --------------------------------------------------

# In the Futian extract a service road that no other road joins (an island for walkers and cars)
# runs 23 m from this point, and a connected tertiary street 26 m from it: found by walking a
# 23 m ring round every island edge and measuring the connected network from the ring.
BESIDE_ISLAND = [114.00631165, 22.53518505]
NEARBY_VOLUNTEERS = [  # road vertices 5 to 6 minutes' walk from the patient
    (114.003157, 22.532946), (114.009667, 22.534009), (114.008546, 22.536476),
    (114.003039, 22.536164)]
NEARBY_STATION = (114.0137571, 22.5375324)  # about 4 minutes' drive


@pytest.fixture(scope="module")
def futian(make_database, shared_data) -> Engine:
    engine = make_database("dispatch_futian")
    import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    with engine.begin() as conn:
        for k, (lon, lat) in enumerate(NEARBY_VOLUNTEERS):
            conn.execute(text(
                "WITH v AS (INSERT INTO rc.volunteer (name, availability, level, status) "
                "VALUES (:n, 'available', 'senior', 'active') RETURNING id) "
                "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
                "SELECT id, :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) FROM v"),
                {"n": f"volunteer {k}", "lon": lon, "lat": lat,
                 "at": SUNDAY_EVENING - timedelta(minutes=1)})
        conn.execute(text(
            "WITH s AS (INSERT INTO rc.station (name, geom) VALUES ('Bay Station', "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id) "
            "INSERT INTO rc.ambulance (station_id, call_sign) SELECT id, 'BAY-1' FROM s"),
            {"lon": NEARBY_STATION[0], "lat": NEARBY_STATION[1]})
    return engine


def metres_to_roads(engine: Engine, point: list[float], mode: str) -> tuple[float, float]:
    """Metres from a point to the nearest island edge and to the nearest connected edge."""
    assert mode in ("walk", "drive")
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT min(d) FILTER (WHERE island) AS island, "
            "min(d) FILTER (WHERE NOT island) AS connected "
            f"FROM (SELECT island_{mode} AS island, ST_Distance(geom::geography, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS d FROM rc.road_edge "
            f"WHERE cost_{mode}_s >= 0 OR reverse_cost_{mode}_s >= 0) AS edges"),
            {"lon": point[0], "lat": point[1]}).one()
    return float(row.island), float(row.connected)


@pytest.mark.realdata
def test_a_patient_beside_an_island_is_reached_over_the_connected_network(futian):
    for mode in ("walk", "drive"):
        island_m, connected_m = metres_to_roads(futian, BESIDE_ISLAND, mode)
        assert island_m == pytest.approx(23, abs=0.5) and connected_m == pytest.approx(26, abs=0.5)
    dispatcher = {"Authorization": f"Bearer {create_token(futian, role='dispatcher')}"}
    response = client_for(futian).post("/api/dispatch", headers=dispatcher, json={
        "point": BESIDE_ISLAND, "at": SUNDAY_EVENING.isoformat()})
    assert response.status_code == 201, response.json
    plan = response.json
    assert len(plan["volunteers"]) == 3
    legs = [*plan["volunteers"], plan["ambulance"]]
    for leg in legs:
        [route] = leg["routes"]
        *_, on_road, patient = route["geometry"]["coordinates"]
        assert patient == pytest.approx(BESIDE_ISLAND, abs=1e-7)
        # The route meets the patient from the connected street, 26 m away, not the island.
        island_m, connected_m = metres_to_roads(futian, on_road, "walk")
        assert connected_m < 0.5 < island_m
        assert metres_to_roads(futian, on_road, "drive")[0] > 0.5
    assert plan["ambulance"]["eta_s"] < plan["ambulance"]["target_s"]
