"""Where the network is decides local time: its zone and country come from the OSM import.

Issue #14: with RC_TIMEZONE defaulting to Asia/Shanghai, an AED open "Sa 08:00-20:00" in
Imperial County, California counted as closed on a Saturday afternoon. Now RC_TIMEZONE is
optional and, unset, local time is the loaded network's zone. Saturday 2026-12-05 14:00 in
California is 22:00 UTC and 06:00 Sunday in Shanghai, and 07:30 there is 15:30 UTC: read in
the wrong zone, the AED below is closed at 14:00 or open at 07:30.
"""

from importlib import resources

import pytest
from sqlalchemy import Engine, text
from timezonefinder import TimezoneFinder

from cli.main import main
from formats.place_locale import Locale, locale_of, zone_countries
from gis.aed_registry import sync_opening_hours
from gis.osm_import import ImportSummary, import_osm
from rescuecircle.errors import InvalidInput
from rescuecircle.paths import PROJECT_ROOT
from tests.conftest import app_settings

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


@pytest.mark.realdata
def test_imperial_is_in_los_angeles_time_and_the_us(imperial):
    engine, summary, _ = imperial
    assert summary.locale == Locale("America/Los_Angeles", "US")
    assert "time zone America/Los_Angeles, country US" in str(summary)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT timezone, country FROM rc.network")).one()
    assert tuple(row) == ("America/Los_Angeles", "US")


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


# -- Futian, Shenzhen -----------------------------------------------------------------------

@pytest.mark.realdata
def test_futian_is_in_china(make_database, shared_data):
    engine = make_database("locale_futian")
    summary = import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    assert summary.locale == Locale("Asia/Shanghai", "CN")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT timezone, country FROM rc.network")).one()
    assert tuple(row) == ("Asia/Shanghai", "CN")


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
