"""Registry imports: Shenzhen's GCJ-02 AEDs, Cologne's AEDs, bad rows, duplicates, atomicity."""

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import prcoords
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import text

from cli.main import main
from formats import china_crs
from formats.records import read_records
from gis import record_import as load
from gis.record_import import import_file
from rescuecircle.errors import InvalidInput

GEOD = Geod(ellps="WGS84")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def shenzhen_engine(make_database):
    return make_database("import_shenzhen")


@pytest.fixture
def engine(make_database):
    """A database emptied of registry rows before each test."""
    engine = make_database("import")
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE rc.aed, rc.station, rc.hospital, rc.drone_pad, "
                          "rc.training_site, rc.volunteer CASCADE"))
    return engine


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM rc.{table}")).scalar_one()


@pytest.mark.realdata
def test_shenzhen_gcj02_import_lands_in_the_named_districts(shenzhen_engine, shared_data):
    folder = shared_data / "shenzhen" / "aed_tencent_gcj02"
    district_names = {int(code): name.removesuffix("区") for name, code in json.loads(
        (folder / "shenzhen-adcode.json").read_text()).items()}
    boundaries = json.loads(
        (shared_data / "shenzhen" / "boundaries" / "districts_wgs84.json").read_text())
    districts = {f["properties"]["qh"]: shapely.geometry.shape(f["geometry"])
                 for f in boundaries["features"]}
    raw, adcode, loaded_id = [], [], []
    for path in sorted(folder.glob("data*.json")):
        report = import_file(shenzhen_engine, path, "aeds", crs="gcj02")
        assert report.rejected == []
        for record in read_records(path)[1]:
            raw.append((record.lon, record.lat))
            adcode.append(record.fields["adcode"])
            loaded_id.append(report.ids[record.label])
    assert len(raw) == 301
    with shenzhen_engine.connect() as conn:
        stored = dict((row.id, (row.x, row.y)) for row in conn.execute(text(
            "SELECT id, ST_X(geom) AS x, ST_Y(geom) AS y FROM rc.aed")))
    loaded = np.array([stored[i] for i in loaded_id])
    raw_xy = np.array(raw)

    def inside(points: np.ndarray) -> int:
        return sum(districts[district_names[code]].contains(shapely.Point(*xy))
                   for code, xy in zip(adcode, points, strict=True))

    converted, unconverted = inside(loaded), inside(raw_xy)
    print(f"in the district their adcode names: {converted} of 301 converted, "
          f"{unconverted} unconverted")
    assert converted >= 295
    assert unconverted == 283
    # every point against an independent implementation, and the size of the shift
    theirs = np.array([prcoords.gcj_wgs_bored((lat, lon), False) for lon, lat in raw])[:, ::-1]
    _, _, gap_m = GEOD.inv(loaded[:, 0], loaded[:, 1], theirs[:, 0], theirs[:, 1])
    _, _, shift_m = GEOD.inv(loaded[:, 0], loaded[:, 1], raw_xy[:, 0], raw_xy[:, 1])
    # merged duplicates keep the first record's point (within 10 m of their own)
    first = [i for i, aed in enumerate(loaded_id) if loaded_id.index(aed) == i]
    assert gap_m[first].max() < 0.5
    ours = np.column_stack(china_crs.gcj02_to_wgs84(raw_xy[:, 0], raw_xy[:, 1]))
    assert GEOD.inv(ours[:, 0], ours[:, 1], theirs[:, 0], theirs[:, 1])[2].max() < 0.5
    assert shift_m.min() > 400
    assert shift_m.max() < 700
    assert len(set(loaded_id)) == 299  # two places listed twice under a generic name


@pytest.mark.realdata
def test_cologne_keeps_hours_and_access_notes_and_answers_available_at(engine, shared_data):
    report = import_file(engine, shared_data / "cologne" / "aed.geojson", "aeds")
    assert (report.inserted, report.rejected) == (121, [])
    with engine.connect() as conn:
        museum = conn.execute(text(
            "SELECT id, opening_hours, hours_state, access, location_text, osm_id FROM rc.aed "
            "WHERE opening_hours LIKE 'Di-So 10:00 - 17:00, 1.Do%'")).one()
        bank = conn.execute(text(
            "SELECT id, opening_hours, location_text FROM rc.aed "
            "WHERE opening_hours = 'Mo,Mi,Fr 7:30 - 12:00, Di 9:30 - 18:00, Do 7:30 - 16:00' "
            "ORDER BY id LIMIT 1")).one()
        sparkasse = conn.execute(text(
            "SELECT id, access, location_text FROM rc.aed WHERE location_text LIKE "
            "'Vorraum bei den Geldautomaten%'")).one()
        states = dict(conn.execute(text(
            "SELECT hours_state, count(*) FROM rc.aed GROUP BY 1")).all())
    assert museum.hours_state == "schedule"
    assert museum.opening_hours == "Di-So 10:00 - 17:00, 1.Do im Monat 10:00 - 22:00"
    assert sparkasse.access is None  # the file states no access: not restricted
    assert sparkasse.location_text.endswith("Zugang mit EC-Karte/Kundenkarte")
    assert states == {"none": 104, "schedule": 15, "malformed": 2}

    def available(aed_id: int, at: datetime) -> bool:
        with engine.connect() as conn:
            return conn.execute(text("SELECT rc.aed_available_at(:id, :at, 'Europe/Berlin')"),
                                {"id": aed_id, "at": at}).scalar_one()

    wednesday_evening = datetime(2026, 11, 25, 19, 30, tzinfo=BERLIN)
    sunday_noon = datetime(2026, 11, 29, 12, 0, tzinfo=BERLIN)
    wednesday_morning = datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    assert not available(bank.id, wednesday_evening)
    assert not available(bank.id, sunday_noon)
    assert available(bank.id, wednesday_morning)
    assert not available(museum.id, wednesday_evening)
    assert available(museum.id, sunday_noon)
    assert available(sparkasse.id, sunday_noon)  # no hours given
    with engine.connect() as conn:
        open_on_sunday = conn.execute(text(
            "SELECT count(*) FROM rc.aeds_available_at(:at, 'Europe/Berlin')"),
            {"at": sunday_noon}).scalar_one()
    assert open_on_sunday == 104 + 6  # no hours given; five museums and one place open daily


@pytest.mark.realdata
def test_cologne_csv_reports_rows_without_coordinates_and_merges_with_the_geojson(
        engine, shared_data):
    csv_report = import_file(engine, shared_data / "cologne" / "aed.csv", "aeds")
    assert csv_report.inserted == 121
    assert len(csv_report.rejected) == 24
    assert {r.reason for r in csv_report.rejected} == {"missing coordinates"}
    again = import_file(engine, shared_data / "cologne" / "aed.geojson", "aeds")
    assert (again.inserted, again.updated) == (0, 121)
    assert count(engine, "aed") == 121


def test_bad_rows_are_reported_and_good_rows_load(engine, tmp_path):
    path = write(tmp_path / "aeds.csv", (
        "name,serial,status,lon,lat,pads_expire_on,opening_hours\n"
        "Library,SN-1,ready,114.05,22.54,2027-01-01,Mo-Fr 09:00-18:00\n"
        "No place,SN-2,ready,,,,\n"
        "Far north,SN-3,ready,114.06,200,,\n"
        "Odd status,SN-4,broken,114.07,22.55,,\n"
        "Library again,SN-1,ready,114.08,22.56,,\n"
        "Bad date,SN-5,ready,114.09,22.57,soon,\n"
        "Station,SN-6,fault,114.10,22.58,,\n"))
    report = import_file(engine, path, "aeds")
    assert [(r.label, r.reason) for r in report.rejected] == [
        ("row 3", "missing coordinates"),
        ("row 4", "latitude '200' is outside -90 to 90"),
        ("row 5", "unknown status 'broken' (allowed: ready, fault, in_use, out_of_service, "
                  "missing)"),
        ("row 7", "pads_expire_on 'soon' is not a date (YYYY-MM-DD)"),
        ("row 6", "duplicate serial SN-1 (as row 2)"),
    ]
    assert report.inserted == 2
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT serial, status, hours_state, source FROM rc.aed "
                                 "ORDER BY serial")).all()
        history = conn.execute(text("SELECT new_status, reason, changed_by FROM "
                                    "rc.aed_status_history ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("SN-1", "ready", "schedule", "import:aeds.csv"),
                                        ("SN-6", "fault", "none", "import:aeds.csv")]
    assert tuple(history[1]) == ("fault", "imported from aeds.csv", "import")


def test_strict_import_loads_nothing_and_a_failure_leaves_previous_data(engine, tmp_path,
                                                                       monkeypatch):
    good = write(tmp_path / "first.csv", "name,lon,lat\nOld,114.0,22.5\n")
    import_file(engine, good, "aeds")
    mixed = write(tmp_path / "mixed.csv", "name,lon,lat\nNew,114.1,22.6\nBad,,\n")
    with pytest.raises(InvalidInput, match="1 records rejected, nothing loaded"):
        import_file(engine, mixed, "aeds", strict=True)
    assert count(engine, "aed") == 1
    calls = []
    real_insert = load._insert

    def failing_insert(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(load, "_insert", failing_insert)
    three = write(tmp_path / "three.csv",
                  "name,lon,lat\nA,114.2,22.6\nB,114.3,22.6\nC,114.4,22.6\n")
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(engine, three, "aeds")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT array_agg(name) FROM rc.aed")).scalar_one() == ["Old"]


def test_same_place_merges_unless_names_or_serials_differ(engine, tmp_path):
    path = write(tmp_path / "places.geojson", json.dumps({"type": "FeatureCollection",
                                                          "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.0, 22.5]},
         "properties": {"name": "Gym", "brand": "Philips"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.00003, 22.5]},
         "properties": {"name": "AED", "model": "HS1", "access": "customers"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.00004, 22.5]},
         "properties": {"name": "Stadium"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.0002, 22.5]},
         "properties": {"name": "Gym"}},
        {"type": "Feature", "geometry": None, "properties": {"name": "Nowhere"}},
    ]}))
    report = import_file(engine, path, "aeds")
    assert (report.inserted, report.merged_in_file) == (3, 1)
    assert report.rejected[0].reason == "missing coordinates"
    with engine.connect() as conn:
        gym = conn.execute(text("SELECT brand, model, access FROM rc.aed WHERE name = 'Gym' "
                                "ORDER BY id LIMIT 1")).one()
    assert tuple(gym) == ("Philips", "HS1", "customers")  # 3 m apart, generic name: merged
    assert count(engine, "aed") == 3  # the stadium next door and the gym 20 m away stay


def test_osm_file_maps_defibrillator_tags(engine, tmp_path):
    path = write(tmp_path / "aeds.osm", """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="101" lat="22.54" lon="114.05" version="1">
    <tag k="emergency" v="defibrillator"/><tag k="opening_hours" v="Mo-Fr 08:00-20:00"/>
    <tag k="access" v="private"/><tag k="defibrillator:location" v="next to the lift"/>
    <tag k="operator" v="Metro"/><tag k="indoor" v="yes"/>
  </node>
  <node id="102" lat="22.55" lon="114.06" version="1"><tag k="amenity" v="hospital"/></node>
</osm>
""")
    report = import_file(engine, path, "aeds")
    assert report.format == "osm"
    with engine.connect() as conn:
        row = conn.execute(text("SELECT osm_type, osm_id, access, location_text, owner, "
                                "indoor, hours_state, source FROM rc.aed")).one()
    assert tuple(row) == ("n", 101, "private", "next to the lift", "Metro", True, "schedule",
                          "osm")
    assert import_file(engine, path, "hospitals").inserted == 1
    with pytest.raises(InvalidInput, match="OpenStreetMap data is always WGS84"):
        import_file(engine, path, "aeds", crs="gcj02")
    with pytest.raises(InvalidInput, match="OSM files hold AEDs, stations and hospitals only"):
        import_file(engine, path, "drone-pads")


@pytest.mark.realdata
def test_hospitals_stations_pads_sites_and_volunteers(engine, tmp_path, shared_data):
    hospitals = import_file(engine, shared_data / "shenzhen" / "hospital_like_pois.csv",
                            "hospitals")
    assert hospitals.inserted + hospitals.merged_in_file == 274
    pads = write(tmp_path / "pads.csv", "name,status,range_km,lon,lat\n"
                 "Pad A,ready,10,114.0,22.5\nPad B,flying,10,114.1,22.5\n"
                 ",ready,5,114.2,22.5\nPad D,ready,-3,114.3,22.5\n")
    report = import_file(engine, pads, "drone-pads", crs="bd09")
    assert report.inserted == 1
    assert [r.reason for r in report.rejected] == [
        "unknown status 'flying' (allowed: ready, busy, out_of_service)", "missing name",
        "range_km '-3' must be above 0"]
    with engine.connect() as conn:
        x = conn.execute(text("SELECT ST_X(geom) FROM rc.drone_pad")).scalar_one()
    assert 113.98 < x < 113.995  # BD-09 converted: about 1.1 km west
    sites = write(tmp_path / "sites.csv", "name,address,lon,lat\nRed Cross,Futian,114.05,22.54\n")
    assert import_file(engine, sites, "training-sites").inserted == 1
    stations = write(tmp_path / "stations.csv", "name,ref,lon,lat\nStation 1,S1,114.0,22.5\n")
    assert import_file(engine, stations, "stations").inserted == 1
    people = write(tmp_path / "volunteers.csv", "name,phone,level,certificate_no\n"
                   "Wang,138000,junior,C-1\nZhao,139000,expert,C-2\nLi,137000,senior,C-1\n"
                   ",136000,junior,C-3\n")
    report = import_file(engine, people, "volunteers")
    assert report.inserted == 1
    assert [r.reason for r in report.rejected] == [
        "unknown level 'expert' (allowed: emergency_responder, junior, senior)",
        "missing name", "duplicate certificate no C-1 (as row 2)"]


def test_cli_imports_each_file_and_reports(engine, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    good = write(tmp_path / "good.csv", "name,lon,lat\nA,114.0,22.5\n")
    bad = write(tmp_path / "bad.json", "[1, 2]")
    with pytest.raises(SystemExit) as exit_info:
        main(["import", "aeds", str(good), str(bad), "--crs", "gcj02"])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert "good.csv (csv): 1 records, 1 new aeds" in out
    assert "bad.json: expected JSON objects, found list" in err
    assert count(engine, "aed") == 1
