"""Hospitals as destinations on Futian with the shared hospital POIs: every cardiac-arrest plan
names an emergency department with its drive time, never a hospital without one, prefers one
able to treat the call, and the destination gets an arrival pre-notice when the ambulance
starts transporting (again when its arrival moves).

The POI list says only "hospital": which have an emergency department is written into the
file the test imports, as a deployment's registry would say it. It is test data, not a
statement about the real hospitals: specialised and outpatient places (psychiatric, dental,
eye, cosmetic, clinics, the 120 dispatch centres...) and four named ones in the extract get no
emergency department, the others one; one is made a chest pain centre.
"""

import csv
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, text

from gis.osm_import import import_osm
from gis.record_import import import_file
from gis.tokens import create_token
from tests.conftest import served

pytestmark = pytest.mark.realdata

NO_EMERGENCY = ("精神", "口腔", "牙", "眼", "肛肠", "泌尿", "整形", "美容", "男科", "门诊",
                "诊所", "校医院", "急救中心", "急救医疗中心", "卫生", "康复", "体检")
WITHOUT = ("深圳仁爱医院", "深圳岭南医院", "香蜜湖医院", "深圳市香蜜湖医院")
CHEST_PAIN_CENTRE = "深圳北京大学医院"
# Near the two hospitals without one, near the chest pain centre, west, north-east.
TARGETS = [(114.0330, 22.5240), (114.0150, 22.5390), (114.0350, 22.5330), (114.0050, 22.5250),
           (114.0330, 22.5480)]


def registry_file(shared_data: Path, folder: Path) -> Path:
    """The POIs with an emergency column and one chest pain centre."""
    source = shared_data / "shenzhen" / "hospital_like_pois.csv"
    target = folder / "hospitals.csv"
    with source.open(encoding="utf-8") as f, target.open("w", encoding="utf-8", newline="") as g:
        rows = list(csv.DictReader(f))
        writer = csv.DictWriter(g, ["ref", "name", "lon", "lat", "emergency", "capabilities"])
        writer.writeheader()
        for row in rows:
            general = (not any(word in row["name"] for word in NO_EMERGENCY)
                       and row["name"] not in WITHOUT)
            writer.writerow({"ref": row["weibo_poiindex"], "name": row["name"],
                             "lon": row["lon"], "lat": row["lat"],
                             "emergency": "yes" if general else "no",
                             "capabilities": "chest_pain" if row["name"] == CHEST_PAIN_CENTRE
                             else ""})
    return target


@pytest.fixture(scope="module")
def engine(make_database, shared_data, tmp_path_factory) -> Engine:
    engine = make_database("destinations")
    import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    report = import_file(engine, registry_file(shared_data, tmp_path_factory.mktemp("h")),
                         "hospitals")
    assert not report.rejected
    with engine.begin() as conn:
        conn.execute(text(
            "WITH s AS (INSERT INTO rc.station (name, geom) VALUES ('Futian 1', "
            "ST_SetSRID(ST_MakePoint(114.0250, 22.5350), 4326)) RETURNING id) "
            "INSERT INTO rc.ambulance (station_id, call_sign) SELECT id, 'FT-1' FROM s"))
    return engine


@pytest.fixture(scope="module")
def patients(engine) -> list[tuple[float, float]]:
    """The road crossing nearest each target."""
    with engine.connect() as conn:
        return [tuple(conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.road_vertex "
            "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 1"),
            {"lon": lon, "lat": lat}).one()) for lon, lat in TARGETS]


@pytest.fixture(scope="module")
def base_url(engine):
    with served(engine) as url:
        yield url


@pytest.fixture(scope="module")
def dispatcher(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}


def emergency(engine: Engine) -> dict[int, bool]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, emergency FROM rc.hospital")).all())


def close(base_url: str, dispatcher: dict[str, str], incident_id: int) -> None:
    closed = requests.post(f"{base_url}/api/incidents/{incident_id}/close", headers=dispatcher,
                           json={"outcome": "transported"})
    assert closed.status_code == 200, closed.text


def test_every_cardiac_arrest_plan_names_an_emergency_department(engine, base_url, dispatcher,
                                                                patients):
    has_ed = emergency(engine)
    passed_over = 0
    for lon, lat in patients:
        plan = requests.post(f"{base_url}/api/dispatch", headers=dispatcher, json={
            "point": [lon, lat], "category": "cardiac_arrest"}).json()
        destination = plan["destination"]
        assert destination is not None, plan["reasons"]
        assert has_ed[destination["hospital_id"]] is True and destination["eta_s"] > 0
        assert destination["capability"] == "chest_pain"
        for other in plan["destination_alternatives"]:
            assert has_ed[other["hospital_id"]] is True
            assert other["capable"] or other["eta_s"] <= destination["eta_s"]
        with engine.connect() as conn:
            nearer = conn.execute(text(
                "SELECT count(*) FROM rc.hospital h, rc.hospital d WHERE d.id = :d "
                "AND h.emergency IS FALSE AND ST_Distance(h.geom::geography, "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) < "
                "ST_Distance(d.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), "
                "4326)::geography)"), {"d": destination["hospital_id"], "lon": lon,
                                       "lat": lat}).scalar_one()
        passed_over += nearer
        close(base_url, dispatcher, plan["incident_id"])
    assert passed_over > 0          # somewhere a nearer hospital without one was passed over


def test_the_chest_pain_centre_is_preferred_and_the_nearest_department_offered(
        engine, base_url, dispatcher, patients):
    plan = requests.post(f"{base_url}/api/dispatch", headers=dispatcher, json={
        "point": list(patients[1]), "category": "cardiac_arrest"}).json()
    with engine.connect() as conn:
        centres = set(conn.execute(text(
            "SELECT id FROM rc.hospital WHERE 'chest_pain' = ANY(capabilities)")).scalars())
    assert plan["destination"]["hospital_id"] in centres and plan["destination"]["capable"]
    alternatives = plan["destination_alternatives"]
    assert alternatives and min(a["eta_s"] for a in alternatives) < plan["destination"]["eta_s"]
    close(base_url, dispatcher, plan["incident_id"])
    untriaged = requests.post(f"{base_url}/api/dispatch", headers=dispatcher, json={
        "point": list(patients[1])}).json()
    assert untriaged["destination"]["eta_s"] == min(a["eta_s"] for a in alternatives)
    close(base_url, dispatcher, untriaged["incident_id"])


def test_transporting_queues_a_prenotice_and_a_new_one_when_the_arrival_moves(
        engine, base_url, dispatcher, patients):
    lon, lat = patients[0]
    plan = requests.post(f"{base_url}/api/dispatch", headers=dispatcher, json={
        "point": [lon, lat], "category": "cardiac_arrest"}).json()
    ambulance = f"{base_url}/api/ambulances/{plan['ambulance']['ambulance_id']}"
    for status in ("en_route", "on_scene"):
        assert requests.put(f"{ambulance}/status", headers=dispatcher,
                            json={"status": status}).status_code == 200
    requests.put(f"{ambulance}/position", headers=dispatcher, json={"lon": lon, "lat": lat})
    assert requests.put(f"{ambulance}/status", headers=dispatcher,
                        json={"status": "transporting"}).status_code == 200
    with engine.connect() as conn:
        notices = conn.execute(text(
            "SELECT hospital_id, recipient, payload FROM rc.notification_outbox "
            "WHERE topic = 'arrival_prenotice' ORDER BY id")).all()
    assert len(notices) == 1
    notice = notices[0]
    assert notice.hospital_id == plan["destination"]["hospital_id"]
    assert notice.payload["category"] == "cardiac_arrest" and notice.payload["eta_s"] > 0
    assert notice.payload["ambulance"] == "FT-1" and notice.payload["expected_at"]
    # Halfway there nothing moved: no new notice. Driven back to the far edge: a new one.
    requests.put(f"{ambulance}/position", headers=dispatcher, json={"lon": lon, "lat": lat})
    requests.put(f"{ambulance}/position", headers=dispatcher,
                 json={"lon": patients[3][0], "lat": patients[3][1]})
    with engine.connect() as conn:
        later = conn.execute(text(
            "SELECT payload FROM rc.notification_outbox WHERE topic = 'arrival_prenotice' "
            "ORDER BY id")).scalars().all()
    assert len(later) == 2 and later[1]["update"] is True
    assert later[1]["eta_s"] != notice.payload["eta_s"]
    kinds = [e["kind"] for e in requests.get(
        f"{base_url}/api/incidents/{plan['incident_id']}/events?f=json",
        headers=dispatcher).json() if e["unit_kind"] == "ambulance"]
    assert kinds[-3:] == ["transporting", "position", "position"]
    for status in ("at_hospital", "available"):
        requests.put(f"{ambulance}/status", headers=dispatcher, json={"status": status})
    close(base_url, dispatcher, plan["incident_id"])


def test_without_emergency_departments_the_plan_says_what_to_load(make_database, shared_data):
    engine = make_database("destinations_unknown")
    import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    import_file(engine, shared_data / "shenzhen" / "hospital_like_pois.csv", "hospitals")
    with served(engine) as url:
        headers = {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}
        plan = requests.post(f"{url}/api/dispatch", headers=headers, json={
            "point": [114.0330, 22.5240], "category": "cardiac_arrest"}).json()
    assert plan["destination"] is None
    assert "rescuecircle import hospitals FILE" in plan["reasons"]["destination"]
