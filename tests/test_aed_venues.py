"""AED duty venues (issue 16, item 5): which places must have an AED (OSM tags, floor area, or
a list), and which have no public, usable AED within a 1-minute walk on the network."""

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from sqlalchemy import text

from cli.main import main
from formats.venue_tags import floor_area_m2, may_be_large, venue_kind, way_venue
from gis.network_loader import load_network_arrays
from gis.osm_import import import_osm
from gis.planning import load_inputs
from gis.record_import import import_file
from gis.tokens import create_token
from planning.inputs import Points, Venue
from planning.kpi import kpi_table
from planning.venues import DUTY_WALK_S, check_venues
from routing.network import Network
from services.context import Context
from services.planning import aed_venues, read_districts_file
from tests.conftest import app_settings, client_for
from tests.test_coverage import lattice

AT = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
WALK_MPS = 5 / 3.6   # the fastest a walker goes, on the road and off it


def test_venue_tags():
    assert venue_kind({"railway": "station", "name": "Futian"}) == "railway_station"
    assert venue_kind({"railway": "subway_entrance"}) == "subway_entrance"
    assert venue_kind({"amenity": "school"}) == "school"
    assert venue_kind({"shop": "mall;supermarket"}) == "mall"
    assert venue_kind({"aeroway": "aerodrome", "iata": "IPL"}) == "airport"
    assert venue_kind({"aeroway": "aerodrome"}) is None            # a farm strip
    assert venue_kind({"aeroway": "aerodrome", "iata": "NJK", "military": "airfield"}) is None
    assert venue_kind({"amenity": "cafe"}) is None
    assert may_be_large({"building": "retail"}) and not may_be_large({"building": "warehouse"})
    assert floor_area_m2({"building": "yes", "building:levels": "12"}, 4000) == 48_000
    assert floor_area_m2({"building": "yes", "building:levels": "many"}, 4000) == 4000
    # A 250 m x 250 m box near the equator: about 62,000 m² on one level.
    box = [(0, 0), (0.002246, 0), (0.002246, 0.002261), (0, 0.002261), (0, 0)]
    centre, fields = way_venue({"building": "yes"}, box, closed=True) or (None, {})
    assert fields["kind"] == "large_building" and 60_000 < fields["floor_area_m2"] < 64_000
    assert centre is not None and centre.x == pytest.approx(0.001123)
    assert way_venue({"building": "house"}, box, closed=True) is None
    small = [(x / 4, y / 4) for x, y in box]
    assert way_venue({"building": "yes"}, small, closed=True) is None
    assert way_venue({"building": "yes", "building:levels": "20"}, small,
                     closed=True) is not None


def test_walk_on_the_lattice_by_hand():
    # 10 s a block, walking; an AED on the corner (1, 1).
    network = lattice()
    aeds = Points(np.array([0.001]), np.array([0.001]))
    venues = [Venue(1, "four blocks", "school", 0.005, 0.001),
              Venue(2, "seven blocks", "school", 0.008, 0.001),
              Venue(3, "along its street", "mall", 0.0014, 0.001),
              Venue(4, "with one inside", "stadium", 0.012, 0.012,
                    shapely.box(0.0115, 0.0115, 0.0125, 0.0125))]
    inside = Points(np.array([0.001, 0.012]), np.array([0.001, 0.012]))
    checks = check_venues(network, venues, aeds)
    assert [c.walk_s for c in checks[:3]] == [pytest.approx(40), None, pytest.approx(4)]
    assert not checks[3].covered
    assert check_venues(network, venues, inside)[3].walk_s == 0
    assert [c.covered for c in check_venues(network, venues, aeds, limit_s=75)] == [
        True, True, True, False]
    none = Points(np.zeros(0), np.zeros(0))
    assert not any(c.covered for c in check_venues(network, venues, none))
    # Off the same street: at the venue's door 0 s; across the street the crossing (44 m at
    # 5 km/h); 33 m along it at the same depth, never faster than walking it (the lattice's
    # streets are walked at 40 km/h, 3 s).
    door = Venue(5, "set back 22 m", "school", 0.0016, 0.0012)
    metres = 111_320.0 * 0.0002

    def walk(lon: float, lat: float) -> float | None:
        return check_venues(network, [door], Points(np.array([lon]), np.array([lat])))[0].walk_s

    assert walk(0.0016, 0.0012) == pytest.approx(0, abs=0.01)
    assert walk(0.0016, 0.0008) == pytest.approx(2 * metres / WALK_MPS, rel=0.01)
    assert walk(0.0013, 0.0012) == pytest.approx(1.5 * metres / WALK_MPS, rel=0.01)


@pytest.fixture(scope="module")
def imperial(make_database, shared_data):
    """Imperial County's roads, and the venues that come with them."""
    engine = make_database("venues_imperial")
    summary = import_osm(engine, shared_data / "us-imperial" / "imperial.osm.pbf")
    return engine, summary


@pytest.mark.realdata
def test_imperial_venues_come_with_the_roads(imperial):
    engine, summary = imperial
    assert summary.pois["venue"] > 100
    with engine.connect() as conn:
        kinds = dict(conn.execute(text(
            "SELECT kind, count(*) FROM rc.aed_venue GROUP BY kind")).all())
        named = conn.execute(text(
            "SELECT count(*) FROM rc.aed_venue WHERE name = 'Imperial Valley Mall' "
            "AND outline IS NOT NULL")).scalar_one()
    assert {"school", "mall", "airport"} <= set(kinds) and kinds["school"] > 100
    assert named == 1
    checks = aed_venues(Context.from_settings(app_settings(engine), engine=engine), at=AT)
    assert len(checks) == sum(kinds.values())
    assert any(not c.covered for c in checks)


@pytest.mark.realdata
def test_uncovered_venues_listed_on_the_command_line_and_over_http(imperial, tmp_path,
                                                                   monkeypatch, capsys):
    engine, _ = imperial
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    main(["aed-venues", "--at", AT.isoformat(), "--uncovered", "-o",
          str(tmp_path / "uncovered.geojson")])
    printed = capsys.readouterr().out
    layer = json.loads((tmp_path / "uncovered.geojson").read_text())
    assert layer["features"] and all(not f["properties"]["covered"]
                                     for f in layer["features"])
    assert f"{layer['uncovered']} without" in printed
    listed = [line for line in printed.splitlines() if line.startswith("  ")]
    assert len(listed) == len(layer["features"])
    client = client_for(engine)
    url = "/api/planning/aed-venues?uncovered=true"
    assert client.get(url).status_code == 401
    auth = {"Authorization": f"Bearer {create_token(engine, role='analyst', label='venues')}"}
    assert client.get(url + "&format=xlsx", headers=auth).status_code == 400
    assert client.get("/api/planning/aed-venues?uncovered=maybe",
                      headers=auth).status_code == 400
    body = client.get(url, headers=auth).get_json()
    assert len(body["features"]) == len(layer["features"])
    table = client.get(url + "&format=csv", headers=auth)
    assert table.status_code == 200 and table.mimetype == "text/csv"
    assert len(list(csv.DictReader(table.data.decode().splitlines()))) == len(body["features"])


@pytest.fixture(scope="module")
def futian(make_database, shared_data, tmp_path_factory):
    """Futian's roads (the extract has no POIs) with Shenzhen's public AEDs, and its
    hospitals imported as a list of duty venues."""
    folder = shared_data / "shenzhen"
    engine = make_database("venues_futian")
    summary = import_osm(engine, folder / "futian.osm.pbf")
    assert summary.pois["venue"] == 0
    for path in sorted((folder / "aed_tencent_gcj02").glob("data*.json")):
        import_file(engine, path, "aeds", crs="gcj02")
    with (folder / "hospital_like_pois.csv").open(encoding="utf-8") as f:
        pois = [p for p in csv.DictReader(f)
                if 114.0 < float(p["lon"]) < 114.04 and 22.517 < float(p["lat"]) < 22.55]
    path = tmp_path_factory.mktemp("venues") / "venues.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "lon", "lat"])
        writer.writerows([p["name"], p["lon"], p["lat"]] for p in pois)
    report = import_file(engine, path, "aed-venues")
    assert report.inserted >= 5, report
    return engine


@pytest.mark.realdata
def test_futian_venues_are_checked_by_walking_not_by_straight_line(futian):
    engine = futian
    context = Context.from_settings(app_settings(engine), engine=engine)
    checks = aed_venues(context, at=AT)
    with engine.connect() as conn:
        usable = conn.execute(text(
            "SELECT lon, lat FROM rc.planning_aeds(:at) WHERE usable"), {"at": AT}).all()
    geod = pyproj.Geod(ellps="WGS84")
    assert {c.venue.kind for c in checks} == {"listed"}
    for check in checks:
        nearest_m = min(geod.inv(check.venue.lon, check.venue.lat, lon, lat)[2]
                        for lon, lat in usable)
        if check.covered:   # a walk within a minute is never longer than 83 m in a line
            assert nearest_m <= DUTY_WALK_S * WALK_MPS + 1, check
    uncovered = [c for c in checks if not c.covered]
    assert uncovered and len(uncovered) == len(aed_venues(context, at=AT,
                                                          uncovered_only=True))
    # An AED at the venue covers it only while it is usable: ready, in date, public.
    venue = uncovered[0].venue
    with engine.begin() as conn:
        aed_id = conn.execute(text(
            "INSERT INTO rc.aed (name, status, access, geom) VALUES ('test', 'fault', 'yes', "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"),
            {"lon": venue.lon, "lat": venue.lat}).scalar_one()

    def walk_s() -> float | None:
        return next(c for c in aed_venues(context, at=AT) if c.venue.id == venue.id).walk_s

    assert walk_s() is None
    for change, covered in [("status = 'ready'", True), ("access = 'private'", False),
                            ("access = 'yes', pads_expire_on = '2026-01-01'", False),
                            ("pads_expire_on = NULL", True)]:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE rc.aed SET {change} WHERE id = :id"), {"id": aed_id})
        assert (walk_s() is not None) == covered, change
    assert walk_s() == pytest.approx(0, abs=1)   # at the venue: no walk


@pytest.mark.realdata
def test_the_kpi_table_counts_each_districts_uncovered_venues(futian, shared_data):
    engine = futian
    districts = read_districts_file(
        shared_data / "shenzhen" / "boundaries" / "districts_wgs84.json", name_field="qh")
    table, _ = kpi_table(Network(load_network_arrays(engine)), districts,
                         load_inputs(engine, at=AT))
    checks = aed_venues(Context.from_settings(app_settings(engine), engine=engine), at=AT)
    for row, district in zip(table.rows, districts, strict=True):
        mine = [c for c in checks
                if shapely.contains_xy(district.geometry, c.venue.lon, c.venue.lat)]
        assert (row.aed_venues, row.aed_venues_uncovered) == (
            len(mine), sum(not c.covered for c in mine)), row.name
    futian_row = next(row for row in table.rows if row.name == "福田")
    assert 0 < futian_row.aed_venues_uncovered < futian_row.aed_venues


def test_a_list_of_venues_is_checked(tmp_path: Path, make_database):
    engine = make_database("venues_list")
    path = tmp_path / "venues.csv"
    path.write_text("name,kind,daily_visitors,lon,lat\nStation,railway_station,12000,1,2\n"
                    "Fair,funfair,4000,1,2.1\nHall,,,1,2.2\n", encoding="utf-8")
    report = import_file(engine, path, "aed-venues")
    assert report.inserted == 2 and "funfair" in report.rejected[0].reason
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT name, kind, daily_visitors FROM rc.aed_venue ORDER BY name")).all()
    assert [tuple(r) for r in rows] == [("Hall", "listed", None),
                                        ("Station", "railway_station", 12000.0)]
