"""District KPI table on the real Shenzhen data: Futian's roads, the TAZ population, the
districts and the imported (GCJ-02) AEDs; checked for internal consistency."""

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyogrio
import pytest
import rasterio
import shapely

from formats.areas import FieldNames
from gis.network_loader import load_network_arrays
from gis.osm_import import import_osm
from gis.planning import load_inputs
from gis.record_import import import_file
from gis.tokens import create_token
from planning.kpi import kpi_table
from rescuecircle.errors import InvalidInput
from routing.network import Network
from services.areas import import_districts, import_population
from services.context import Context
from services.planning import read_districts_file
from tests.conftest import app_settings, client_for

SHARES = ("station_share_5min", "station_share_8min", "station_share_12min",
          "station_share_standard", "aed_share_5min_walk", "circle_share_5min",
          "station_share_radius")


def station_file(folder: Path, out: Path) -> Path:
    """Stand-in ambulance stations: Shenzhen's emergency centres and the hospitals inside the
    extract's roads (west Futian) from hospital_like_pois.csv (coordinates taken as WGS84)."""
    with (folder / "hospital_like_pois.csv").open(encoding="utf-8") as f:
        pois = list(csv.DictReader(f))
    centres = [p for p in pois if p["kind"] == "emergency_center"]
    futian = [p for p in pois if p["kind"] == "hospital"
              and 114.0 < float(p["lon"]) < 114.04 and 22.517 < float(p["lat"]) < 22.55]
    path = out / "stations.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "lon", "lat"])
        writer.writerows([p["name"], p["lon"], p["lat"]] for p in centres + futian)
    return path


@pytest.fixture(scope="module")
def shenzhen(make_database, shared_data, tmp_path_factory):
    """The database with Futian's network, Shenzhen's AEDs and TAZ population loaded."""
    folder = shared_data / "shenzhen"
    engine = make_database("kpi_shenzhen")
    import_osm(engine, folder / "futian.osm.pbf")
    for path in sorted((folder / "aed_tencent_gcj02").glob("data*.json")):
        import_file(engine, path, "aeds", crs="gcj02")
    import_file(engine, station_file(folder, tmp_path_factory.mktemp("stations")), "stations")
    report = import_population(
        Context.from_settings(app_settings(engine), engine=engine),
        folder / "taz_polygons_wgs84.geojson", table=folder / "taz_attributes.csv",
        key="name=小区编号", count_field="人口（人）")
    assert report.people is not None
    return engine, report.people


@pytest.mark.realdata
def test_shenzhen_kpi_table_is_consistent(shenzhen, shared_data):
    engine, total = shenzhen
    districts = read_districts_file(
        shared_data / "shenzhen" / "boundaries" / "districts_wgs84.json", name_field="qh")
    inputs = load_inputs(engine, at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    table, _ = kpi_table(Network(load_network_arrays(engine)), districts, inputs, hour=11)
    assert total > 1_000_000
    assert sum(inputs.people.values["people"]) == pytest.approx(total, rel=1e-3)
    in_districts = sum(row.population for row in table.rows)
    assert in_districts + table.population_outside == pytest.approx(table.population_total)
    assert in_districts == pytest.approx(total, rel=0.01)
    for row in table.rows:
        for name in SHARES:
            value = getattr(row, name)
            assert value is None or 0.0 <= value <= 1.0, (row.name, name, value)
        assert row.station_share_5min <= row.station_share_8min <= row.station_share_12min
        assert row.circle_share_5min >= row.aed_share_5min_walk
    futian = next(row for row in table.rows if row.name == "福田")
    assert futian.stations >= 9 and 0 < futian.station_share_8min <= 1
    assert futian.stations_per_80k == pytest.approx(futian.stations / futian.population * 8e4)
    assert futian.aeds > 0 and futian.aed_share_5min_walk > 0
    assert 0 < futian.usable_aeds <= futian.aeds
    assert futian.usable_aeds_per_100k == pytest.approx(
        futian.usable_aeds / futian.population * 1e5)
    # Beyond Futian's roads no one is reached: the gaps hold people outside Futian.
    assert table.gaps and table.gaps[0].people > 0


@pytest.mark.realdata
def test_kpi_endpoint_is_for_analysts(shenzhen, shared_data):
    engine, _ = shenzhen
    path = shared_data / "shenzhen" / "boundaries" / "districts_wgs84.json"
    districts = read_districts_file(path, name_field="qh")
    import_districts(Context.from_settings(app_settings(engine), engine=engine), path,
                     FieldNames("qh"))
    client = client_for(engine)
    url = "/api/planning/kpi?at=2026-11-25T11:00:00%2B08:00&hour=8"
    assert client.get(url).status_code == 401
    dispatcher = create_token(engine, role="dispatcher", label="kpi test")
    assert client.get(url, headers={"Authorization": f"Bearer {dispatcher}"}).status_code == 403
    analyst = create_token(engine, role="analyst", label="kpi test")
    auth = {"Authorization": f"Bearer {analyst}"}
    assert client.get(url.replace("hour=8", "hour=25"), headers=auth).status_code == 400
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {row["name"] for row in body["districts"]} == {d.name for d in districts}
    futian = next(row for row in body["districts"] if row["name"] == "福田")
    assert 0 < futian["aed_share_5min_walk"] <= 1
    gap = body["gaps"]["features"][0]
    assert gap["properties"]["people"] > 0
    lon, lat = gap["geometry"]["coordinates"][0][0][0]
    assert 113.7 < lon < 114.7 and 22.4 < lat < 22.9  # WGS84, in Shenzhen


@pytest.mark.realdata
def test_kpi_as_a_geopackage_and_csv_for_gis_and_spreadsheets(shenzhen, tmp_path):
    engine, _ = shenzhen   # districts stored by the test above
    client = client_for(engine)
    auth = {"Authorization": f"Bearer {create_token(engine, role='analyst', label='gpkg')}"}
    url = "/api/planning/kpi?at=2026-11-25T11:00:00%2B08:00&hour=8"
    body = client.get(url, headers=auth).get_json()
    response = client.get(url + "&format=gpkg", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "kpi.gpkg"
    path.write_bytes(response.data)
    assert [name for name, _ in pyogrio.list_layers(path)] == ["district_kpi", "coverage_gaps"]
    meta, _, wkb, values = pyogrio.raw.read(path, layer="district_kpi")
    assert meta["crs"] == "EPSG:4326" and meta["geometry_type"] == "MultiPolygon"
    districts = [dict(zip(meta["fields"], row, strict=True)) for row in zip(*values, strict=True)]
    assert sorted(d["name"] for d in districts) == sorted(r["name"] for r in body["districts"])
    futian = next(d for d in districts if d["name"] == "福田")
    expected = next(row for row in body["districts"] if row["name"] == "福田")
    assert futian["aeds"] == expected["aeds"] and futian["stations"] == expected["stations"]
    assert futian["aed_share_5min_walk"] == pytest.approx(expected["aed_share_5min_walk"])
    outline = shapely.from_wkb(wkb[[d["name"] for d in districts].index("福田")])
    assert outline.contains(shapely.Point(114.05, 22.54))   # Futian's centre
    gap_meta, _, _, gap_values = pyogrio.raw.read(path, layer="coverage_gaps")
    people = gap_values[gap_meta["fields"].tolist().index("people")]
    assert len(people) == len(body["gaps"]["features"]) and people[0] > 0
    table = client.get(url + "&format=csv", headers=auth)
    assert table.status_code == 200 and table.mimetype == "text/csv"
    rows = list(csv.DictReader(table.data.decode().splitlines()))
    assert {row["name"] for row in rows} == {d["name"] for d in districts}
    bad = client.get(url + "&format=xlsx", headers=auth)
    assert bad.status_code == 400 and "format" in bad.get_json()["description"]


@pytest.mark.realdata
def test_coverage_layers_over_http(shenzhen):
    engine, _ = shenzhen
    client = client_for(engine)
    auth = {"Authorization": f"Bearer {create_token(engine, role='analyst', label='cov')}"}
    url = "/api/planning/coverage/aeds?at=2026-11-25T11:00:00%2B08:00&minutes=3,5"
    assert client.get(url).status_code == 401
    assert client.get(url.replace("3,5", "3,90"), headers=auth).status_code == 400
    assert client.get("/api/planning/coverage/ponies", headers=auth).status_code == 400
    body = client.get(url, headers=auth).get_json()
    five, three = body["features"]  # largest first
    assert (five["properties"]["minutes"], three["properties"]["minutes"]) == (5, 3)
    assert 0 < three["properties"]["population"] < five["properties"]["population"]
    assert three["properties"]["area_km2"] < five["properties"]["area_km2"]
    cut = [f["properties"]["minutes"] for f in body["features"] if f["properties"]["truncated"]]
    assert len(body["notes"]) == (1 if cut else 0)
    tiff = client.get(url + "&format=geotiff", headers=auth)
    assert tiff.status_code == 200 and tiff.data[:4] in (b"II*\x00", b"MM\x00*")
    with rasterio.MemoryFile(tiff.data) as memory, memory.open() as raster:
        seconds = raster.read(1, masked=True)
        assert seconds.min() >= 0 and seconds.max() <= 300
    # Futian's roads span 4.4 x 3.8 km: 12 minutes' drive from its hospitals runs off them.
    stations = client.get("/api/planning/coverage/stations?minutes=12", headers=auth).get_json()
    assert [f["properties"]["truncated"] for f in stations["features"]] == [True]
    [note] = stations["notes"]
    assert note.startswith("the 12-minute band reaches the edge of the loaded road network")


def test_district_files_are_checked(tmp_path: Path):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}

    def write(properties: dict, crs: str | None = None) -> Path:
        document = {"type": "FeatureCollection",
                    "features": [{"type": "Feature", "properties": properties,
                                  "geometry": square}]}
        if crs:
            document["crs"] = {"type": "name", "properties": {"name": crs}}
        path = tmp_path / "districts.geojson"
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    [district] = read_districts_file(write({"qh": "A", "kind": "rural"}), name_field="qh")
    assert (district.name, district.kind, district.geometry.area) == ("A", "rural", 1.0)
    with pytest.raises(InvalidInput, match="no field 'name'"):
        read_districts_file(write({"qh": "A"}), name_field="name")
    with pytest.raises(InvalidInput, match="kind 'suburban'"):
        read_districts_file(write({"qh": "A", "kind": "suburban"}), name_field="qh")
    [metres] = read_districts_file(write({"qh": "A"}, "urn:ogc:def:crs:EPSG::3857"),
                                   name_field="qh")  # any CRS: reprojected to WGS84
    assert metres.geometry.bounds == pytest.approx((0, 0, 1 / 111_319.5, 1 / 110_574), rel=0.01)
