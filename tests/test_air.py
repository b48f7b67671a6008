"""Air rescue on the demo city: the Hangzhou helipad indicators per district, helicopter reach
from one base (none within 20 minutes from a base 60 km away, everyone within 30), and a
helicopter proposed in a plan only when the ambulance would be late."""

import pytest
from sqlalchemy import Engine, text

from gis.demo_load import load_demo_city
from gis.tokens import create_token
from tests.conftest import client_for

DEGREE_M = 111_320.0


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    """The demo city without its own helipads and air base: each test places its own."""
    engine = make_database("air")
    load_demo_city(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.helipad"))
        conn.execute(text("UPDATE rc.hospital SET grade = NULL, helipad = NULL"))
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def analyst(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}


def centre(engine: Engine) -> tuple[float, float]:
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c "
            "FROM rc.district) d")).one()
    return float(lon), float(lat)


def put_site(engine: Engine, name: str, kind: str, lon: float, lat: float,
             helicopters: int = 0) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rc.helipad (name, kind, helicopters, geom) VALUES (:n, :k, :h, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
            {"n": name, "k": kind, "h": helicopters, "lon": lon, "lat": lat})


def test_a_far_base_reaches_nobody_in_20_minutes_and_everyone_in_30(engine, client, analyst):
    lon, lat = centre(engine)
    # 60 km east: 300 s spin-up + 180 s landing + 60 km at 220 km/h (982 s) = 24.4 minutes.
    put_site(engine, "Far Base", "air_base", lon + 60_000 / (DEGREE_M * 0.93), lat, 1)
    response = client.get("/api/planning/kpi/air", headers=analyst)
    assert response.status_code == 200, response.json
    rows = response.json["districts"]
    with engine.connect() as conn:
        assert len(rows) == conn.execute(text("SELECT count(*) FROM rc.district")).scalar()
    peopled = [r for r in rows if r["population"] > 0]
    assert peopled and all(r["helicopter_share_20min"] == 0 for r in peopled)
    assert all(r["helicopter_share_30min"] == pytest.approx(1.0) for r in peopled)
    assert all(r["air_bases"] == 1 and r["landing_sites"] == 0 for r in rows)


def test_landing_sites_and_tertiary_hospital_helipads_are_counted_per_district(
        engine, client, analyst):
    with engine.begin() as conn:
        hospital = conn.execute(text(
            "UPDATE rc.hospital SET grade = '3a' WHERE id = (SELECT min(id) FROM rc.hospital) "
            "RETURNING ST_X(geom), ST_Y(geom), (SELECT d.name FROM rc.district d "
            "WHERE ST_Contains(d.geom, rc.hospital.geom) LIMIT 1)")).one()
        conn.execute(text("UPDATE rc.hospital SET grade = '2' WHERE grade IS NULL"))
    lon, lat, district = hospital
    rows = {r["name"]: r for r in client.get("/api/planning/kpi/air",
                                            headers=analyst).json["districts"]}
    assert rows[district]["tertiary_hospitals"] == 1
    assert rows[district]["tertiary_with_helipad"] == 0
    put_site(engine, "Hospital pad", "helipad", lon + 0.001, lat)        # about 100 m away
    csv_text = client.get("/api/planning/kpi/air?format=csv", headers=analyst).get_data(
        as_text=True)
    assert csv_text.splitlines()[0].startswith("name,kind,population,landing_sites")
    rows = {r["name"]: r for r in client.get("/api/planning/kpi/air",
                                            headers=analyst).json["districts"]}
    assert rows[district]["tertiary_with_helipad"] == 1
    assert rows[district]["landing_sites"] == 1
    assert sum(r["landing_sites"] for r in rows.values()) == 1
    collection = client.get("/ogc/collections/helipads/items?f=json").json
    assert {f["properties"]["name"] for f in collection["features"]} >= {"Hospital pad",
                                                                         "Far Base"}


def test_a_helicopter_is_proposed_only_when_the_ambulance_would_be_late(engine):
    client = client_for(engine)
    dispatcher = {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}
    lon, lat = centre(engine)
    put_site(engine, "Near Base", "air_base", lon + 0.02, lat, 1)
    with engine.connect() as conn:
        point = list(conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.road_vertex "
            "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 1"),
            {"lon": lon, "lat": lat}).one())
    on_time = client.post("/api/dispatch", headers=dispatcher, json={"point": point}).json
    assert on_time["ambulance"]["within_target"] and on_time["helicopter"] is None
    client.post(f"/api/incidents/{on_time['incident_id']}/close", headers=dispatcher,
                json={"outcome": "false_alarm"})
    with engine.begin() as conn:
        conn.execute(text("UPDATE rc.ambulance SET status = 'out_of_service'"))
    try:
        late = client.post("/api/dispatch", headers=dispatcher, json={"point": point}).json
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE rc.ambulance SET status = 'available'"))
    assert late["ambulance"] is None
    assert late["helicopter"]["eta_s"] > 480           # spin-up and landing alone take 480 s
    with engine.connect() as conn:
        near = conn.execute(text("SELECT id FROM rc.helipad WHERE name = 'Near Base'")).scalar()
    assert late["helicopter"]["base_id"] == near


def test_the_kpi_table_shows_the_helipad_indicators(client, analyst):
    table = client.get("/api/planning/kpi", headers=analyst).json
    row = table["districts"][0]
    for column in ("landing_sites", "helicopter_share_20min", "helicopter_share_30min",
                   "tertiary_hospitals", "tertiary_with_helipad", "air_bases"):
        assert column in row, column
    assert all(r["air_bases"] >= 1 for r in table["districts"])
    header = client.get("/api/planning/kpi?format=csv", headers=analyst).get_data(
        as_text=True).splitlines()[0]
    assert header.startswith("name,kind,standard,population,") and header.endswith(",air_bases")
