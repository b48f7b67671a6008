"""Where the network is decides local time: its zone and country come from the OSM import.

Issue #14: with RC_TIMEZONE defaulting to Asia/Shanghai, an AED open "Sa 08:00-20:00" in
Imperial County, California counted as closed on a Saturday afternoon. Now RC_TIMEZONE is
optional and, unset, local time is the loaded network's zone. Saturday 2026-12-05 14:00 in
California is 22:00 UTC and 06:00 Sunday in Shanghai, and 07:30 there is 15:30 UTC: read in
the wrong zone, the AED below is closed at 14:00 or open at 07:30.
"""

from datetime import date
from importlib import resources

import pytest
from sqlalchemy import Engine, text
from timezonefinder import TimezoneFinder

from cli.main import main
from formats.place_locale import Locale, locale_of, zone_countries
from gis.aed_registry import sync_opening_hours
from gis.db import make_engine
from gis.migrate import migrate
from gis.network_locale import LocalZone, local_zone
from gis.osm_import import ImportSummary, import_osm
from gis.tokens import create_token
from rescuecircle.errors import InvalidInput
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings
from tests.conftest import app_settings, client_for

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
EL_CENTRO = (-115.5631, 32.7920)      # downtown El Centro, Imperial County, CA
MEXICALI = (-115.4545, 32.6245)       # across the border: America/Tijuana
SATURDAY_2PM = "2026-12-05T14:00:00-08:00"
SATURDAY_9PM = "2026-12-05T21:00:00-08:00"
SATURDAY_7_30AM = "2026-12-05T07:30:00-08:00"
HOURS = "Sa 08:00-20:00"


# -- where a place is (no database) ---------------------------------------------------------

def test_zone_and_country_of_places():
    assert locale_of([EL_CENTRO[0]], [EL_CENTRO[1]]) == Locale("America/Los_Angeles", "US")
    assert locale_of([MEXICALI[0]], [MEXICALI[1]]) == Locale("America/Tijuana", "MX")
    assert locale_of([114.05], [22.54]) == Locale("Asia/Shanghai", "CN")
    assert locale_of([8.68], [47.70]) == Locale("Europe/Busingen", "DE")  # the enclave in CH
    assert locale_of([-150.0], [0.0]) == Locale("Etc/GMT+10", None)  # at sea: no country
    assert locale_of([], []) == Locale(None, None)


def roads(us: int, mexico: int) -> tuple[list[float], list[float]]:
    """Road nodes: ``us`` in El Centro, ``mexico`` in Mexicali."""
    return ([EL_CENTRO[0]] * us + [MEXICALI[0]] * mexico,
            [EL_CENTRO[1]] * us + [MEXICALI[1]] * mexico)


def test_most_roads_decide_a_network_over_a_border():
    assert locale_of(*roads(3, 2)) == Locale("America/Los_Angeles", "US")
    assert locale_of(*roads(2, 3)) == Locale("America/Tijuana", "MX")


def test_every_zone_a_place_can_be_in_names_one_country():
    """What lets the country follow from the zone: zone.tab lists each zone once, and every
    zone of the boundary polygons is in it, bar the Etc/ zones at sea."""
    rows = [line.split("\t")[2] for line in _zone_tab().splitlines()
            if line and not line.startswith("#")]
    assert len(rows) == len(set(rows)) == len(zone_countries())
    names = set(TimezoneFinder().timezone_names)
    assert {n for n in names if n not in zone_countries()} == {
        n for n in names if n.startswith("Etc/")}


def _zone_tab() -> str:
    return resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")


# -- no network, or one imported before its locale was kept ---------------------------------

def test_without_a_network_local_time_is_utc_and_says_why(make_database):
    engine = make_database("locale_empty")
    assert local_zone(engine).zone == "UTC"
    health = client_for(engine).get("/health").json
    assert health["timezone"] == {"zone": "UTC", "from": "UTC: no network loaded"}
    assert health["network_source"] is None


def test_migrate_gives_an_older_network_its_locale(make_database):
    engine = make_database("locale_backfill")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rc.network (source, bbox) VALUES ('before-0017.osm.pbf', "
            "ST_MakeEnvelope(-115.6, 32.7, -115.5, 32.9, 4326))"))
    assert local_zone(engine).zone_from == "UTC: the loaded network has no time zone"
    migrate(engine)
    assert local_zone(engine) == LocalZone("America/Los_Angeles", "network", "US")


# -- Imperial County, California ------------------------------------------------------------

@pytest.fixture(scope="module")
def imperial(make_database, shared_data) -> tuple[Engine, ImportSummary, int]:
    """Imperial with its fire stations as ambulance posts, and a Saturday-only AED on a
    downtown El Centro street; returns the engine, the import summary and the AED's id."""
    engine = make_database("locale_imperial")
    summary = import_osm(engine, shared_data / "us-imperial" / "imperial.osm.pbf",
                         stations_from=("ambulance", "fire"))
    with engine.begin() as conn:
        aed_id = conn.execute(text(
            "INSERT INTO rc.aed (name, opening_hours, battery_expires_on, pads_expire_on, geom) "
            "SELECT 'Saturday AED', :hours, '2030-01-01', '2030-01-01', v.geom "
            "FROM rc.road_vertex v JOIN rc.road_edge e ON v.id = e.source "
            "WHERE e.cost_walk_s >= 0 AND NOT e.island_walk "
            "ORDER BY v.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 1 "
            "RETURNING id"), {"hours": HOURS, "lon": EL_CENTRO[0], "lat": EL_CENTRO[1]}
        ).scalar_one()
        sync_opening_hours(conn)
    return engine, summary, aed_id


def aed_point(engine: Engine, aed_id: int) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.aed WHERE id = :id"), {"id": aed_id}).one())


@pytest.mark.realdata
def test_imperial_is_in_los_angeles_time_and_the_us(imperial):
    engine, summary, _ = imperial
    assert summary.locale == Locale("America/Los_Angeles", "US")
    assert "time zone America/Los_Angeles, country US" in str(summary)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT timezone, country FROM rc.network")).one()
    assert tuple(row) == ("America/Los_Angeles", "US")
    health = client_for(engine).get("/health").json
    assert health["timezone"] == {"zone": "America/Los_Angeles", "from": "network"}
    assert (health["network_source"]["timezone"], health["network_source"]["country"]) == (
        "America/Los_Angeles", "US")


@pytest.mark.realdata
def test_fire_stations_are_loaded_as_ambulance_posts_when_asked(imperial):
    engine, summary, _ = imperial
    with engine.connect() as conn:
        kinds = dict(conn.execute(text(
            "SELECT kind, count(*) FROM rc.station WHERE source = 'osm' GROUP BY kind")).all())
    assert summary.stations["fire"] >= 10  # 11 fire stations in the 2024 extract
    assert kinds == {"fire": summary.stations["fire"]} and summary.stations["ambulance"] == 0
    assert summary.pois["station"] == summary.stations["fire"]
    assert f"stations: ambulance 0, fire {summary.stations['fire']}" in str(summary)


@pytest.mark.realdata
def test_a_saturday_aed_is_open_on_a_california_saturday_afternoon(imperial):
    engine, _, aed_id = imperial
    client = client_for(engine)

    def available_ids(at: str) -> set[int]:
        response = client.get("/api/aeds/available", query_string={"at": at})
        assert response.status_code == 200, response.json
        return {feature["id"] for feature in response.json["features"]}

    assert aed_id in available_ids(SATURDAY_2PM)
    assert aed_id not in available_ids(SATURDAY_9PM)
    assert aed_id not in available_ids(SATURDAY_7_30AM)
    reason = client.get(f"/api/aeds/{aed_id}/availability",
                        query_string={"at": SATURDAY_9PM}).json["reason"]
    assert reason == f"closed at that time ({HOURS})"


@pytest.mark.realdata
def test_the_finder_offers_it_then_and_greys_it_out_at_night(imperial):
    engine, _, aed_id = imperial
    client = client_for(engine)
    lon, lat = aed_point(engine, aed_id)

    def nearest(at: str) -> dict:
        response = client.get("/api/aeds/nearest", query_string={
            "lon": lon + 0.001, "lat": lat, "at": at})
        assert response.status_code == 200, response.json
        return response.json

    afternoon, night = nearest(SATURDAY_2PM), nearest(SATURDAY_9PM)
    assert aed_id in {feature["id"] for feature in afternoon["features"]}
    assert aed_id not in {feature["id"] for feature in night["features"]}
    greyed = {f["id"]: f["properties"]["reason"] for f in night["unavailable"]}
    assert greyed[aed_id] == f"closed at that time ({HOURS})"


@pytest.mark.realdata
def test_dispatch_sends_a_runner_for_it_only_while_it_is_open(imperial):
    engine, _, aed_id = imperial
    lon, lat = aed_point(engine, aed_id)
    with engine.begin() as conn:
        for name, dlon, dlat in (("east", 0.002, 0.0), ("north", 0.0, 0.002)):
            conn.execute(text(
                "WITH v AS (INSERT INTO rc.volunteer (name, availability, level, status) "
                "VALUES (:n, 'available', 'senior', 'active') RETURNING id) "
                "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
                "SELECT id, t, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) FROM v, "
                "unnest(ARRAY[CAST(:a AS timestamptz), CAST(:b AS timestamptz)]) t"),
                {"n": name, "lon": lon + dlon, "lat": lat + dlat,
                 "a": "2026-12-05T13:59:00-08:00", "b": "2026-12-05T20:59:00-08:00"})
    client = client_for(engine)
    dispatcher = {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}

    def runner_aed(at: str) -> int | None:
        response = client.post("/api/dispatch", headers=dispatcher, json={
            "point": [lon - 0.001, lat], "at": at})
        assert response.status_code == 201, response.json
        return (response.json["aed_runner"] or {}).get("aed_id")

    assert runner_aed(SATURDAY_2PM) == aed_id
    assert runner_aed(SATURDAY_9PM) is None


@pytest.mark.realdata
def test_a_route_departs_in_the_citys_rush_hour_whatever_offset_it_names(imperial):
    engine, _, aed_id = imperial
    lon, lat = aed_point(engine, aed_id)
    client = client_for(engine)

    def drive_s(depart_at: str) -> float:
        response = client.post("/routes", json={
            "waypoints": {"type": "MultiPoint", "coordinates": [[lon, lat],
                                                                [lon + 0.02, lat + 0.01]]},
            "mode": "drive", "depart_at": depart_at})
        assert response.status_code == 200, response.json
        return response.json["features"][0]["properties"]["duration_s"]

    rush = drive_s("2026-12-07T08:00:00-08:00")
    assert drive_s("2026-12-07T16:00:00Z") == rush
    assert drive_s("2026-12-07T08:00:00") == rush  # no offset: already local
    assert drive_s("2026-12-07T02:00:00-08:00") < rush


@pytest.mark.realdata
def test_rc_timezone_set_explicitly_wins(imperial):
    engine, _, aed_id = imperial
    url = app_settings(engine).database_url
    shanghai = make_engine(Settings(database_url=url, timezone="Asia/Shanghai"))
    try:
        client = client_for(shanghai)
        assert client.get("/health").json["timezone"] == {
            "zone": "Asia/Shanghai", "from": "RC_TIMEZONE"}
        ids = {f["id"] for f in client.get("/api/aeds/available", query_string={
            "at": SATURDAY_2PM}).json["features"]}
        assert aed_id not in ids  # 06:00 on Sunday in Shanghai
        ids = {f["id"] for f in client.get("/api/aeds/available", query_string={
            "at": "2026-12-05T14:00:00+08:00"}).json["features"]}
        assert aed_id in ids
    finally:
        shanghai.dispose()


@pytest.mark.realdata
def test_holidays_load_takes_the_networks_country(imperial, monkeypatch, capsys):
    engine, _, _ = imperial
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    monkeypatch.delenv("RC_TIMEZONE", raising=False)
    try:
        main(["holidays", "load", "--years", "2026"])
        assert "public holidays of US in 2026" in capsys.readouterr().out
        with engine.connect() as conn:
            names = conn.execute(text("SELECT name FROM rc.public_holiday WHERE day = :day"),
                                 {"day": date(2026, 7, 4)}).scalars().all()
        assert names == ["Independence Day"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rc.public_holiday"))


# -- Futian, Shenzhen -----------------------------------------------------------------------

@pytest.mark.realdata
def test_futian_is_in_china(make_database, shared_data):
    engine = make_database("locale_futian")
    summary = import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    assert summary.locale == Locale("Asia/Shanghai", "CN")
    assert (local_zone(engine).zone, local_zone(engine).country) == ("Asia/Shanghai", "CN")


# -- the option -----------------------------------------------------------------------------

def test_an_unknown_station_kind_is_refused_before_anything_loads(make_database, monkeypatch,
                                                                   capsys):
    engine = make_database("locale_empty")
    with pytest.raises(InvalidInput, match="'police': unknown kind; use ambulance or fire"):
        import_osm(engine, TOY_CITY, stations_from=("ambulance", "police"))
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    with pytest.raises(SystemExit) as exit_:
        main(["import", "osm", str(TOY_CITY), "--quiet", "--stations-from", "fire,police"])
    assert exit_.value.code == 2 and "'police': unknown kind" in capsys.readouterr().err
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rc.network")).scalar_one() == 0
