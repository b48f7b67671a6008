"""Hospital catchments: the drive to the nearest emergency department able to treat a
condition, as coverage layers (bands with people, a GeoTIFF surface) and as KPI shares, on the
demo city (its main hospital treats chest pain and stroke) and on Futian (two capabilities set
in the hospital registry the test imports)."""

import csv
import json
import subprocess

import pytest
from sqlalchemy import Engine

from cli.main import main
from gis.demo_load import load_demo_city
from gis.osm_import import import_osm
from gis.record_import import import_file
from services.context import Context
from services.planning import coverage, kpis
from tests.conftest import app_settings


@pytest.fixture(scope="module")
def demo(make_database) -> Engine:
    engine = make_database("catchments_demo")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def futian(make_database, shared_data, tmp_path_factory) -> Engine:
    engine = make_database("catchments_futian")
    import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    registry = tmp_path_factory.mktemp("h") / "hospitals.csv"
    with (shared_data / "shenzhen" / "hospital_like_pois.csv").open(encoding="utf-8") as f, \
            registry.open("w", encoding="utf-8", newline="") as g:
        writer = csv.DictWriter(g, ["ref", "name", "lon", "lat", "emergency", "capabilities"])
        writer.writeheader()
        for row in csv.DictReader(f):   # test data: which treat what is said here, not known
            capabilities = {"深圳北京大学医院": "chest_pain", "福田人民医院香蜜湖分院": "stroke"}
            writer.writerow({"ref": row["weibo_poiindex"], "name": row["name"],
                             "lon": row["lon"], "lat": row["lat"], "emergency": "yes",
                             "capabilities": capabilities.get(row["name"], "")})
    assert not import_file(engine, registry, "hospitals").rejected
    return engine


def layer_checks(engine: Engine, name: str) -> list[float]:
    """The layer's bands (30 and 60 min) with their people shares; checks they nest."""
    context = Context.from_settings(app_settings(engine), engine=engine)
    found = coverage(context, name, at=context.now(), hour=8)
    minutes = [band.minutes for band in found.layer.bands]
    assert minutes == [30.0, 60.0]
    areas = [band.area_km2 for band in found.layer.bands]
    assert 0 < areas[0] <= areas[1]
    return [band.people or 0 for band in found.layer.bands]


@pytest.mark.parametrize("capability", ["chest_pain", "stroke"])
def test_catchment_layers_on_the_demo_city(demo, capability):
    people = layer_checks(demo, f"hospitals:{capability}")
    assert 0 < people[0] <= people[1]


@pytest.mark.realdata
@pytest.mark.parametrize("capability", ["chest_pain", "stroke"])
def test_catchment_layers_on_futian(futian, capability):
    layer_checks(futian, f"hospitals:{capability}")


def test_the_catchment_surface_as_a_geotiff_and_a_layer_without_hospitals_says_why(
        demo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(demo).database_url)
    raster = tmp_path / "stroke.tif"
    main(["coverage", "hospitals:stroke", "--raster", str(raster), "--hour", "8"])
    info = json.loads(subprocess.run(["gdalinfo", "-json", "-stats", str(raster)],
                                     capture_output=True, text=True, check=True).stdout)
    band = info["bands"][0]
    assert float(band["minimum"]) >= 0 and float(band["maximum"]) <= 3600
    with pytest.raises(SystemExit):
        main(["coverage", "hospitals:burns"])
    assert "no emergency department with that capability" in capsys.readouterr().err


def test_kpi_catchment_shares_lie_in_zero_one_and_nest(demo):
    context = Context.from_settings(app_settings(demo), engine=demo)
    found = kpis(context, at=context.now(), hour=8)
    records = found.table.records()
    for capability in ("chest_pain", "stroke"):
        half, hour = f"{capability}_share_30min", f"{capability}_share_60min"
        values = [(r[half], r[hour]) for r in records if r["population"] > 0]
        assert values and all(0 <= a <= b <= 1 for a, b in values), capability
        assert any(a > 0 for a, _ in values)
