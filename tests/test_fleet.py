"""The ambulance fleet and volunteers from files, on the toy city (issue #14, items 1, 4, 9).

From an empty registry, a dispatch names why each part is empty and which command loads it;
then stations, ambulances and volunteers come from files (bad rows rejected with reasons,
strict loads nothing), the plan sends the ambulance from its live position when it reported
one in the last two minutes and from its station otherwise, and dispatchers change a status
and see its history. The toy city's one station sits at (0.0005, 0) on Main Street.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cli.main import main
from gis.osm_import import import_osm
from gis.record_import import import_file
from gis.tokens import create_token
from rescuecircle.errors import InvalidInput
from rescuecircle.paths import PROJECT_ROOT
from tests.conftest import app_settings, client_for

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
PATIENT = [0.0015, 0.0]


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("fleet")
    import_osm(engine, TOY_CITY)
    with engine.begin() as conn:  # only the file's own registry: the OSM station goes
        conn.execute(text("DELETE FROM rc.station"))
        conn.execute(text("DELETE FROM rc.aed"))
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def dispatcher(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='dispatcher', label='fleet')}"}


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def now_iso(minutes_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM rc.{table}")).scalar_one())


def test_an_empty_city_names_what_is_missing_and_the_command_that_loads_it(client, dispatcher):
    plan = client.post("/api/dispatch", json={"point": PATIENT}, headers=dispatcher).json
    assert plan["ambulance"] is None and plan["volunteers"] == [] and plan["aed_runner"] is None
    reasons = plan["reasons"]
    assert reasons["ambulance"] == (
        "no ambulance is loaded: run `rescuecircle import ambulances FILE`")
    assert "rescuecircle import volunteers FILE" in reasons["volunteers"]
    assert "rescuecircle import aeds FILE" in reasons["aed_runner"]
    assert "rescuecircle import drone-pads FILE" in reasons["drone"]


def test_ambulances_need_a_loaded_station_and_strict_loads_nothing(engine, tmp_path):
    import_file(engine, write(tmp_path / "stations.csv",
                              "name,ref,lon,lat\nToy Station,S1,0.0005,0.0\n"), "stations")
    mixed = write(tmp_path / "fleet.csv", (
        "call_sign,station,kind,equipment,status\n"
        "TOY-1,S1,negative_pressure,mechanical CPR; ventilator,available\n"
        "TOY-2,Nowhere,basic,,available\n"
        "TOY-3,Toy Station,hovercraft,,available\n"
        ",S1,basic,,available\n"))
    with pytest.raises(InvalidInput, match="nothing loaded"):
        import_file(engine, mixed, "ambulances", strict=True)
    assert count(engine, "ambulance") == 0
    report = import_file(engine, mixed, "ambulances")
    reasons = {r.label: r.reason for r in report.rejected}
    assert reasons == {
        "row 3": "no loaded station has the ref or name 'Nowhere': run "
                 "`rescuecircle import stations FILE` first",
        "row 4": "unknown kind 'hovercraft' (allowed: basic, advanced, critical_care, "
                 "negative_pressure, neonatal, bariatric)",
        "row 5": "missing call_sign"}
    assert report.inserted == 1
    with engine.connect() as conn:
        row = conn.execute(text("SELECT a.kind, equipment, status, s.ref FROM rc.ambulance a "
                                "JOIN rc.station s ON s.id = a.station_id")).one()
    assert tuple(row) == ("negative_pressure", ["mechanical_cpr", "ventilator"], "available",
                          "S1")


def test_volunteers_bring_positions_and_certificate_dates(engine, tmp_path):
    report = import_file(engine, write(tmp_path / "volunteers.csv", (
        "name,phone,level,availability,certificate_no,certified_on,certified_until,lon,lat,"
        "observed_at\n"
        f"West,+100,senior,available,C1,2025-01-10,2027-01-10,0.0005,0.0,{now_iso(1)}\n"
        f"North,+101,senior,available,C2,2025-02-01,2027-02-01,0.002,0.001,{now_iso(2)}\n"
        "Nowhere,+102,junior,available,C3,,,0.001,,\n"
        "Naive,+103,junior,available,C4,,,0.001,0.0,2026-11-25T08:00:00\n"
        "Home,+104,junior,off_duty,C5,,,,,\n")), "volunteers")
    assert report.inserted == 3 and report.positions == 2
    assert {r.reason for r in report.rejected} == {
        "a position needs both longitude and latitude",
        "observed_at '2026-11-25T08:00:00' needs a UTC offset, e.g. 2026-11-25T08:00:00+08:00"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT certified_on::text FROM rc.volunteer "
                                 "WHERE certificate_no = 'C1'")).scalar_one() == "2025-01-10"
    assert count(engine, "volunteer_position") == 2


def test_a_gateway_batch_is_stored_whole_or_not_at_all(engine, client, dispatcher):
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT certificate_no, id FROM rc.volunteer")).all())
    before = count(engine, "volunteer_position")
    bad = client.post("/api/volunteers/positions", headers=dispatcher, json={"positions": [
        {"volunteer_id": ids["C1"], "lon": 0.0005, "lat": 0.0},
        {"volunteer_id": 999_999, "lon": 0.0005, "lat": 0.0}]})
    assert bad.status_code == 404 and "999999" in bad.json["description"]
    wrong = client.post("/api/volunteers/positions", headers=dispatcher, json={"positions": [
        {"volunteer_id": ids["C1"], "lon": 200, "lat": 0.0}]})
    assert wrong.status_code == 400 and "positions[0].lon" in wrong.json["description"]
    assert count(engine, "volunteer_position") == before
    good = client.post("/api/volunteers/positions", headers=dispatcher, json={"positions": [
        {"volunteer_id": ids["C1"], "lon": 0.0005, "lat": 0.0, "observed_at": now_iso()},
        {"volunteer_id": ids["C5"], "lon": 0.001, "lat": 0.001, "availability": "available"}]})
    assert good.status_code == 201 and good.json == {"stored": 2}
    assert count(engine, "volunteer_position") == before + 2
    assert client.post("/api/volunteers/positions", json={"positions": []}).status_code == 401


def dispatched(client, dispatcher: dict[str, str]) -> dict:
    """A plan for the patient, its incident closed at once: the one ambulance is free again."""
    plan = client.post("/api/dispatch", json={"point": PATIENT}, headers=dispatcher).json
    closed = client.post(f"/api/incidents/{plan['incident_id']}/close", headers=dispatcher,
                         json={"outcome": "false_alarm"})
    assert closed.status_code == 200, closed.json
    return plan


def test_the_ambulance_starts_from_its_live_position_when_fresh(engine, client, dispatcher):
    ambulance_id = client.get("/api/ambulances", headers=dispatcher).json["ambulances"][0]["id"]
    at_station = dispatched(client, dispatcher)
    assert at_station["ambulance"]["call_sign"] == "TOY-1"
    assert at_station["ambulance"]["starts_from"] == "station"
    assert at_station["ambulance"]["kind"] == "negative_pressure"
    assert "ambulance" not in at_station["reasons"]
    stale = client.put(f"/api/ambulances/{ambulance_id}/position", headers=dispatcher,
                       json={"lon": 0.003, "lat": 0.0, "observed_at": now_iso(10)})
    assert stale.status_code == 201
    plan = dispatched(client, dispatcher)
    assert plan["ambulance"]["starts_from"] == "station"  # ten minutes old: not live
    client.put(f"/api/ambulances/{ambulance_id}/position", headers=dispatcher,
               json={"lon": 0.002, "lat": 0.0})
    live = dispatched(client, dispatcher)
    assert live["ambulance"]["starts_from"] == "live_position"
    route = live["ambulance"]["routes"][0]["geometry"]["coordinates"]
    assert route[0][0] == pytest.approx(0.002, abs=1e-4)
    track = client.get(f"/api/ambulances/{ambulance_id}/positions", headers=dispatcher).json
    assert len(track["positions"]) == 2
    listed = client.get("/api/ambulances", headers=dispatcher).json["ambulances"][0]
    assert listed["lon"] == pytest.approx(0.002) and listed["station_ref"] == "S1"


def test_status_changes_keep_their_history_and_a_busy_fleet_is_named(engine, client,
                                                                      dispatcher):
    ambulance_id = client.get("/api/ambulances", headers=dispatcher).json["ambulances"][0]["id"]
    bad = client.put(f"/api/ambulances/{ambulance_id}/status", headers=dispatcher,
                     json={"status": "asleep"})
    assert bad.status_code == 400 and "asleep" in bad.json["description"]
    changed = client.put(f"/api/ambulances/{ambulance_id}/status", headers=dispatcher,
                         json={"status": "busy", "reason": "on a call"})
    history = changed.json["history"]
    assert [(h["old_status"], h["new_status"]) for h in history][:3] == [
        ("available", "busy"), ("dispatched", "available"), ("available", "dispatched")]
    assert history[-1]["old_status"] is None
    assert history[0]["reason"] == "on a call" and history[0]["changed_by"] == "dispatcher:fleet"
    plan = client.post("/api/dispatch", json={"point": PATIENT}, headers=dispatcher).json
    assert plan["ambulance"] is None
    assert plan["reasons"]["ambulance"] == "none of the 1 ambulances is available within 30 km"
    assert client.put("/api/ambulances/999999/status", headers=dispatcher,
                      json={"status": "busy"}).status_code == 404
    client.put(f"/api/ambulances/{ambulance_id}/status", headers=dispatcher,
               json={"status": "available"})


def test_the_fleet_is_for_dispatchers(engine, client):
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    assert client.get("/api/ambulances").status_code == 401
    assert client.get("/api/ambulances", headers=analyst).status_code == 403
    assert client.put("/api/ambulances/1/position", headers=analyst,
                      json={"lon": 0, "lat": 0}).status_code == 403


def test_cli_imports_ambulances(engine, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    main(["import", "ambulances", str(write(tmp_path / "more.geojson", (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": {"type": "Point", "coordinates": [0.001, 0.0]}, '
        '"properties": {"call_sign": "TOY-9", "station": "S1", "kind": "advanced"}}]}')))])
    out = capsys.readouterr().out
    assert "1 new ambulances" in out and "1 positions" in out and "0 rejected" in out


def test_planning_says_which_input_is_missing_and_how_to_load_it(engine, client):
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    coverage = client.get("/api/planning/coverage/stations?minutes=5", headers=analyst).json
    assert [f["properties"]["population"] for f in coverage["features"]] == [None]
    assert coverage["notes"][0] == (
        "no population is loaded, so the people covered are unknown: run "
        "`rescuecircle import population FILE`")
    assert "reaches the edge of the loaded road network" in coverage["notes"][1]  # toy city
    kpi = client.get("/api/planning/kpi", headers=analyst)
    assert kpi.status_code == 400
    assert "run `rescuecircle import districts FILE`" in kpi.json["description"]
    site = client.get("/api/planning/sites/stations?add=1", headers=analyst)
    assert site.status_code == 400
    assert "no population is loaded: run `rescuecircle import population FILE`" in \
        site.json["description"]


def test_status_reports_what_each_feature_lacks(engine, client, monkeypatch, capsys):
    admin = {"Authorization": f"Bearer {create_token(engine, role='admin')}"}
    dispatcher = {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}
    assert client.get("/api/status", headers=dispatcher).status_code == 403
    report = client.get("/api/status", headers=admin).json
    assert report["edges"]["walk"] > 0 and report["stations"] == 1
    assert report["ambulances"]["available"] >= 1 and report["volunteers"] == 3
    features = report["features"]
    assert features["dispatch"]["ready"] and not features["kpis"]["ready"]
    assert {"what": "districts", "command": "rescuecircle import districts FILE",
            "blocking": True} in features["kpis"]["lacks"]
    assert not features["finder"]["ready"]  # no AED is loaded
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    main(["status"])
    out = capsys.readouterr().out
    assert "dispatch: ready" in out and "kpis: NOT READY" in out
    assert "  needs population: rescuecircle import population FILE" in out


def test_a_patient_on_an_island_is_named_as_the_reason(client, dispatcher):
    """Lonely Road (0.005-0.007, 0) joins nothing: nobody is sent, and the plan says why."""
    plan = client.post("/api/dispatch", json={"point": [0.006, 0.0]}, headers=dispatcher).json
    assert plan["ambulance"] is None and plan["volunteers"] == []
    island = "the patient lies on a part of the {} network cut off from the rest (an island)"
    assert plan["reasons"]["ambulance"].startswith(island.format("drive"))
    assert plan["reasons"]["volunteers"].startswith(island.format("walk"))


def test_the_finder_says_why_it_lists_nothing(engine, client):
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rc.aed (name, status, opening_hours, geom) VALUES "
            "('Main Street', 'ready', '24/7', ST_SetSRID(ST_MakePoint(0.0015, 0.0), 4326))"))
    island = client.get("/api/aeds/nearest?lon=0.006&lat=0&max_walk_min=10").json
    assert island["features"] == []
    assert island["notes"] == [
        "this point lies on a part of the walk network cut off from the rest (an island): the "
        "AEDs nearby cannot be walked to by the mapped ways; look around you"]
    near = client.get("/api/aeds/nearest?lon=0.001&lat=0&max_walk_min=10").json
    assert len(near["features"]) == 1 and near["notes"] == []
    nothing = client.get("/api/aeds/nearest?lon=0.0&lat=0&max_walk_min=1").json
    assert nothing["notes"] == ["no AED is registered within 0.12 km"]
