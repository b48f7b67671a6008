"""The training network on the demo city: the nearest training sites by walking and driving
time with their courses and free places, enrolment up to a session's capacity (never
beyond, never twice), attendance becoming a volunteer's training record, and who may read the
enrolments."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from gis.demo_load import load_demo_city
from gis.tokens import create_token
from services.context import Context
from services.planning import coverage
from tests.conftest import app_settings, client_for


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("training")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def admin(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='admin')}"}


def new_session(engine: Engine, site_id: int, *, capacity: int, days: float = 2) -> int:
    start = datetime.now(UTC) + timedelta(days=days)
    with engine.begin() as conn:
        return int(conn.execute(text(
            "INSERT INTO rc.training_session (training_site_id, course, starts_at, ends_at, "
            "capacity) VALUES (:s, 'CPR and AED', :a, :b, :c) RETURNING id"),
            {"s": site_id, "a": start, "b": start + timedelta(hours=4), "c": capacity}
        ).scalar_one())


def a_point(engine: Engine) -> tuple[float, float]:
    """A road crossing nearest the middle of the training sites."""
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(v.geom), ST_Y(v.geom) FROM rc.road_vertex v, (SELECT ST_Centroid("
            "ST_Collect(geom)) AS c FROM rc.training_site) t ORDER BY v.geom <-> t.c LIMIT 1"
        )).one()
    return float(lon), float(lat)


def test_the_nearest_sites_come_by_travel_time_with_their_free_places(engine, client):
    lon, lat = a_point(engine)
    walk = client.get(f"/api/training-sites/nearest?lon={lon}&lat={lat}&count=3").json
    times = [site["travel_s"] for site in walk["sites"]]
    assert len(times) == 3 and times == sorted(times) and times[0] > 0
    drive = client.get(f"/api/training-sites/nearest?lon={lon}&lat={lat}&mode=drive&count=3"
                       ).json["sites"]
    assert drive[0]["travel_s"] < walk["sites"][0]["travel_s"]
    site = walk["sites"][0]["id"]
    session = new_session(engine, site, capacity=3)
    again = client.get(f"/api/training-sites/nearest?lon={lon}&lat={lat}&count=1").json
    offered = {s["id"]: s for s in again["sites"][0]["sessions"]}
    assert offered[session]["free_places"] == 3
    bad = client.get(f"/api/training-sites/nearest?lon={lon}&lat={lat}&mode=swim")
    assert bad.status_code == 400 and "swim" in bad.json["description"]


def test_enrolment_fills_the_places_and_refuses_beyond_them(engine, client, admin):
    with engine.connect() as conn:
        site = conn.execute(text("SELECT min(id) FROM rc.training_site")).scalar_one()
    session = new_session(engine, site, capacity=2)
    url = f"/api/training-sessions/{session}/enrolments"
    first = client.post(url, json={"name": "Li Na", "phone": "+86 138 0000 0001"})
    assert first.status_code == 201
    twice = client.post(url, json={"name": "Li Na", "phone": "+86 138 0000 0001"})
    assert twice.status_code == 409 and "already enrolled" in twice.json["description"]
    assert client.post(url, json={"name": "Wang Wei", "phone": "13800000002"}).status_code == 201
    full = client.post(url, json={"name": "Zhang San", "phone": "13800000003"})
    assert full.status_code == 409 and "full" in full.json["description"]
    assert client.post(url, json={"name": "", "phone": "1"}).status_code == 400
    listed = client.get(url, headers=admin).json
    assert [e["name"] for e in listed] == ["Li Na", "Wang Wei"]
    assert client.get(url).status_code == 401
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    assert client.get(url, headers=analyst).status_code == 403
    started = new_session(engine, site, capacity=5, days=-0.01)
    late = client.post(f"/api/training-sessions/{started}/enrolments",
                       json={"name": "Late", "phone": "13800000009"})
    assert late.status_code == 409 and "started" in late.json["description"]


def test_attendance_becomes_the_volunteers_training_record(engine, client, admin):
    with engine.begin() as conn:
        site = conn.execute(text("SELECT min(id) FROM rc.training_site")).scalar_one()
        volunteer = conn.execute(text(
            "UPDATE rc.volunteer SET phone = '13911112222' WHERE id = (SELECT min(id) FROM "
            "rc.volunteer) RETURNING id")).scalar_one()
    session = new_session(engine, site, capacity=5)
    enrolled = client.post(f"/api/training-sessions/{session}/enrolments",
                           json={"name": "Volunteer", "phone": "13911112222"}).json
    expires = (date.today() + timedelta(days=730)).isoformat()
    recorded = client.post(f"/api/enrolments/{enrolled['id']}/attendance", headers=admin,
                           json={"attended": True, "level": "junior",
                                 "certificate_no": "TR-1", "expires_on": expires})
    assert recorded.status_code == 200, recorded.json
    assert recorded.json["volunteer_id"] == volunteer and recorded.json["training_record_id"]
    with engine.connect() as conn:
        until = conn.execute(text("SELECT certified_until FROM rc.volunteer WHERE id = :v"),
                             {"v": volunteer}).scalar_one()
    assert until.isoformat() == expires
    assert client.post(f"/api/enrolments/{enrolled['id']}/attendance",
                       json={"attended": True}).status_code == 401


def test_the_kpi_table_shows_training_indicators_per_district(engine, client):
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    table = client.get("/api/planning/kpi", headers=analyst).json
    rows = table["districts"]
    with engine.connect() as conn:
        sites = conn.execute(text("SELECT count(*) FROM rc.training_site")).scalar_one()
    assert sum(r["training_sites"] for r in rows) == sites
    peopled = [r for r in rows if r["population"] > 0]
    assert all(0 <= r["training_share_30min_drive"] <= 1 for r in peopled)
    assert any(r["training_share_30min_drive"] > 0 for r in peopled)
    with_sites = [r for r in peopled if r["training_sites"]]
    assert all(r["training_sites_per_100k"] == pytest.approx(
        r["training_sites"] / r["population"] * 100_000) for r in with_sites)
    assert any(f"{sites} training sites city-wide: short of Shenzhen's target of at least 74"
               in note for note in table["notes"])


def test_a_coverage_layer_of_training_sites_within_30_minutes_drive(engine):
    context = Context.from_settings(app_settings(engine), engine=engine)
    found = coverage(context, "training-sites", at=context.now(), hour=None)
    assert [band.minutes for band in found.layer.bands] == [30.0]
    assert found.layer.facilities_used == 5 and found.layer.bands[0].area_km2 > 0
