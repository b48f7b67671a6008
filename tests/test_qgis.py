"""A real QGIS (Debian's python3-qgis, 3.22) against a real server over the demo city.

The app is served by waitress on a free loopback port in a thread; ``tests/qgis_check.py`` runs
under /usr/bin/python3 with QT_QPA_PLATFORM=offscreen and reports what QGIS loads: every OGC
API - Features collection through the OAPIF provider, vector tiles as XYZ vector tile layers
(decoded ids and counts, and a rendered PNG), and GeoPackage exports through OGR. GDAL's
ogr2ogr (gdal-bin) copies a collection from OAPIF into a GeoPackage. Counts must be exact.
``scripts/install-deps.sh --test`` installs QGIS; without it this test skips, except in CI
(CI=true), where it fails.
"""

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
from sqlalchemy import Engine, text

from api.ogc import LAYERS
from gis.demo_load import load_demo_city
from gis.tokens import create_token
from tests.conftest import served

SYSTEM_PYTHON = "/usr/bin/python3"
CHECK = Path(__file__).with_name("qgis_check.py")
CITY_BBOX = [114.12, 22.58, 114.28, 22.72]
SMALL_BBOX = [114.18, 22.62, 114.22, 22.66]


def qgis_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True,
                           env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=False)
    return probe.returncode == 0 and shutil.which("ogr2ogr") is not None


pytestmark = pytest.mark.skipif(
    not qgis_available() and os.environ.get("CI") != "true",
    reason="QGIS (python3-qgis, qgis-providers) and gdal-bin are not installed; "
           "run scripts/install-deps.sh --test")


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("qgis")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def base_url(engine) -> Iterator[str]:
    """The app under waitress on a free loopback port; its links name that port."""
    with served(engine) as url:
        yield url


def db_ids(engine: Engine, table: str) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(text(f"SELECT id FROM rc.{table}")).scalars())


def download(url: str, path: Path, headers: dict[str, str] | None = None) -> str:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        path.write_bytes(response.read())
    return str(path)


@pytest.fixture(scope="module")
def report(engine, base_url, tmp_path_factory) -> dict:
    """Run the QGIS check once for the module."""
    tmp = tmp_path_factory.mktemp("qgis")
    token = create_token(engine, role="analyst", label="qgis test")
    coverage = download(f"{base_url}/api/exports/station_coverage.gpkg?minutes=8",
                        tmp / "coverage.gpkg", {"Authorization": f"Bearer {token}"})
    aeds = download(f"{base_url}/api/exports/aeds.gpkg", tmp / "aeds.gpkg")
    job = {
        "base_url": base_url, "bbox": CITY_BBOX, "png": str(tmp / "map.png"),
        "collections": [layer.collection for layer in LAYERS],
        "bbox_collections": {"road_edges": SMALL_BBOX},
        "tiles": [["aeds", 12, ["aeds"]], ["aeds", 10, ["aeds"]],
                  ["road_edges", 14, ["road_edges"]], ["stations", 11, ["stations"]],
                  ["districts", 11, ["districts"]], ["basemap", 13, ["districts", "roads"]]],
        "files": [coverage, aeds],
    }
    result = subprocess.run(
        [SYSTEM_PYTHON, str(CHECK)], input=json.dumps(job), capture_output=True, text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp)},
        timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return {**json.loads(result.stdout), "coverage": coverage, "aeds": aeds}


def test_every_collection_loads_in_qgis_with_exact_counts(report, engine):
    for layer in LAYERS:
        loaded = report["oapif"][layer.collection]
        assert loaded["valid"], layer.collection
        assert loaded["count"] == len(db_ids(engine, layer.table)), layer.collection
        if loaded["count"] == 0:  # no helipads in the demo city: QGIS 3.22 says no CRS then
            continue
        assert loaded["crs"] == "EPSG:4326"
        assert "id" in loaded["fields"]
    assert report["oapif"]["aeds"]["geometry"] == "Point"
    assert report["oapif"]["road_edges"]["geometry"] == "LineString"
    assert report["oapif"]["districts"]["geometry"] == "MultiPolygon"
    assert {"status", "opening_hours"} <= set(report["oapif"]["aeds"]["fields"])


def test_qgis_layer_extents_are_the_data_bounds(report, engine):
    """QGIS "Zoom to layer" goes to the data, not to the whole world."""
    for layer in LAYERS:
        with engine.connect() as conn:
            data = conn.execute(text(
                f"SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), "
                f"max(ST_YMax(geom)) FROM rc.{layer.table}")).one()
        extent = report["oapif"][layer.collection]["extent"]
        if data[0] is None:  # no rows (the demo city has no helipads): nothing to zoom to
            assert extent[0] > extent[2], layer.collection  # QGIS's empty rectangle
            continue
        assert extent == pytest.approx(list(data), abs=1e-7), layer.collection


def test_large_layer_restricted_to_the_request_bbox(report, engine):
    with engine.connect() as conn:
        inside = conn.execute(text(
            "SELECT count(*) FROM rc.road_edge "
            "WHERE ST_Intersects(geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))"),
            dict(zip(("x0", "y0", "x1", "y1"), SMALL_BBOX, strict=True))).scalar_one()
    loaded = report["oapif_bbox"]["road_edges"]
    assert loaded["valid"] and 0 < loaded["count"] == inside < len(db_ids(engine, "road_edge"))


def test_vector_tiles_decode_in_qgis_with_every_feature(report, engine):
    tiles = report["tiles"]
    for key, loaded in tiles.items():
        assert loaded["valid"] and loaded["crs"] == "EPSG:3857" and not loaded["errors"], key
        assert loaded["zooms"] == [int(key.split("@")[1])], key
    assert tiles["aeds@12"]["ids"] == db_ids(engine, "aed")
    assert tiles["aeds@10"]["point_count"] == len(db_ids(engine, "aed"))  # counted cells
    assert tiles["road_edges@14"]["ids"] == db_ids(engine, "road_edge")
    assert tiles["stations@11"]["ids"] == db_ids(engine, "station")
    assert tiles["districts@11"]["ids"] == db_ids(engine, "district")
    assert tiles["basemap@13"]["layers"] == ["districts", "roads"]


def test_rendered_map_is_not_blank(report):
    png = report["png"]
    assert not png["errors"]
    assert Path(png["path"]).stat().st_size > 10_000
    assert png["painted"] > 0.3 * png["sampled"]


def test_geopackage_exports_open_in_qgis(report, engine):
    coverage = report["files"][report["coverage"]]
    assert coverage["valid"] and coverage["crs"] == "EPSG:4326"
    assert coverage["count"] == len(db_ids(engine, "station")) == 8
    assert coverage["geometry"] == "MultiPolygon"
    assert {"station_id", "minutes", "area_km2", "population"} <= set(coverage["fields"])
    aeds = report["files"][report["aeds"]]
    assert aeds["valid"] and aeds["crs"] == "EPSG:4326"
    assert aeds["count"] == len(db_ids(engine, "aed")) and aeds["geometry"] == "Point"


def test_ogr2ogr_copies_a_collection_from_oapif(base_url, engine, tmp_path):
    target = tmp_path / "aeds.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{base_url}/ogc", "aeds"],
                   check=True, capture_output=True, timeout=300)
    info = pyogrio.read_info(target, layer="aeds")
    assert info["features"] == len(db_ids(engine, "aed"))
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Point"
