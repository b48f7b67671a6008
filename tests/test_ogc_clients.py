"""Real OGC clients against a real server over the demo city: OWSLib (Features, Processes)
and GDAL's OGCAPI driver (vector tiles of a collection).

GDAL is pyogrio's own build (GDAL 3.12, with the OGCAPI and MVT drivers): Debian's GDAL 3.6.2
(python3-gdal) is built without the OGCAPI driver's vector-tile path (its library has no
``vectorType`` handling), so it cannot open vector tiles from any server. GDAL places a
collection's tiles by the collection's bbox read in the tile matrix set's units, so the area
is given in EPSG:3857 (open options MINX...MAXY). GDAL runs in a child process, against the
server in another (``rescuecircle serve``).
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from owslib.ogcapi.features import Features
from owslib.ogcapi.processes import Processes
from pyproj import Transformer
from sqlalchemy import Engine, text

from api.ogc import LAYERS
from gis.demo_load import load_demo_city
from gis.tiles import MAX_ZOOM
from tests.conftest import app_settings, served

README_INPUTS = {"point": [114.20, 22.65], "mode": "drive", "minutes": [5, 8, 12]}


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("ogc_clients")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def base_url(engine) -> Iterator[str]:
    unlimited = app_settings(engine).model_copy(update={"public_compute_per_min": 100_000})
    with served(engine, unlimited) as url:
        yield url


def bounds(engine: Engine, table: str) -> list[float]:
    """The table's exact bbox, computed apart from the server's ST_Extent."""
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), "
                                f"max(ST_XMax(geom)), max(ST_YMax(geom)) FROM rc.{table}")).one()
    return list(row)


def test_owslib_features_collections_have_the_data_extents(base_url, engine):
    features = Features(f"{base_url}/ogc")
    assert set(features.feature_collections()) == {layer.collection for layer in LAYERS}
    for layer in LAYERS:
        described, data = features.collection(layer.collection), bounds(engine, layer.table)
        if data[0] is None:  # no rows (the demo city has no helipads): no extent
            assert "extent" not in described, layer.collection
            continue
        assert described["extent"]["spatial"]["bbox"] == [pytest.approx(data, abs=1e-9)]
    with engine.connect() as conn:
        first, last = conn.execute(text("SELECT min(updated_at), max(updated_at) FROM rc.aed")
                                   ).one()
    interval = features.collection("aeds")["extent"]["temporal"]["interval"]
    assert interval == [[first.isoformat(), last.isoformat()]]
    found = features.collection_items("aeds", bbox=bounds(engine, "aed"), limit=1000)
    with engine.connect() as conn:
        assert len(found["features"]) == conn.execute(text("SELECT count(*) FROM rc.aed")
                                                      ).scalar_one()


def test_owslib_processes_list_describe_and_execute_the_isochrone(base_url):
    processes = Processes(f"{base_url}/ogc")
    assert {"isochrone", "route", "dispatch", "coverage"} <= {
        p["id"] for p in processes.processes()}
    described = processes.process("isochrone")
    assert described["inputs"]["point"]["schema"]["minItems"] == 2
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core" in \
        processes.conformance()["conformsTo"]
    bands = processes.execute("isochrone", inputs=README_INPUTS)
    assert bands["type"] == "FeatureCollection"
    assert sorted(f["properties"]["minutes"] for f in bands["features"]) == [5, 8, 12]
    areas = {f["properties"]["minutes"]: f["properties"]["area_km2"] for f in bands["features"]}
    assert 0 < areas[5] < areas[8] < areas[12]


@pytest.fixture(scope="module")
def own_process_url(engine) -> Iterator[str]:
    """The app served by ``rescuecircle serve`` in its own process: GDAL's many parallel tile
    requests to a server in this process leave connections that warn in later modules."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "RC_DATABASE_URL": app_settings(engine).database_url or "",
           "RC_PORT": str(port), "RC_PUBLIC_COMPUTE_PER_MIN": "100000"}
    server = subprocess.Popen([str(Path(sys.executable).with_name("rescuecircle")), "serve"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{url}/ogc/conformance", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gdal_ogcapi_driver_opens_a_collection_s_vector_tiles(own_process_url, engine):
    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    x0, y0, x1, y1 = bounds(engine, "aed")
    (minx, maxx), (miny, maxy) = to_mercator.transform([x0, x1], [y0, y1])
    report = gdal_reads(f"OGCAPI:{own_process_url}/ogc/collections/aeds", "Zoom level 12",
                        {"API": "TILES", "MINX": minx, "MINY": miny, "MAXX": maxx, "MAXY": maxy})
    assert report["layers"] == [f"Zoom level {z}" for z in range(MAX_ZOOM + 1)]
    assert report["driver"] == "OGCAPI" and report["crs"] == "EPSG:3857"
    with engine.connect() as conn:
        assert sorted(report["ids"]) == sorted(conn.execute(text("SELECT id FROM rc.aed")
                                                            ).scalars())
    assert {"status", "opening_hours"} <= set(report["fields"])


GDAL_READ = """
import json, sys
import pyogrio, pyogrio.raw
url, layer, options = json.loads(sys.argv[1])
info = pyogrio.read_info(url, layer=layer, **options)
meta, _, _, fields = pyogrio.raw.read(url, layer=layer, **options)
names = list(meta["fields"])
print(json.dumps({"layers": [name for name, _ in pyogrio.list_layers(url)],
                  "driver": info["driver"], "crs": info["crs"], "fields": names,
                  "ids": [int(i) for i in fields[names.index("id")]]}))
"""


def gdal_reads(url: str, layer: str, options: dict[str, object]) -> dict[str, Any]:
    """What GDAL reads of ``layer`` at ``url``, in a child process: pyogrio holds the GIL
    while GDAL waits for the server, which runs in this process."""
    done = subprocess.run([sys.executable, "-c", GDAL_READ, json.dumps([url, layer, options])],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report
