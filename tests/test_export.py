"""Exports of the demo city: every public layer in every format with exact counts and CRS,
station coverage and travel-time surfaces for analysts only, and the same from the CLI."""

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import rasterio
from flask.testing import FlaskClient
from rasterio.transform import from_origin
from sqlalchemy import Engine, text

from cli.main import main
from gis import catalogue
from gis.demo_load import load_demo_city
from gis.export import LAYER_TABLES, kind_of, layer_from_records, read_layer, to_cog, write_layer
from gis.tokens import create_token
from routing.isochrone import TimeGrid
from tests.conftest import app_settings, client_for

ENDINGS = {"gpkg": "gpkg", "geojson": "geojson", "shp.zip": "shp", "csv": "csv"}
# The field type (as pyogrio reads it back) each kind of column is written as.
DTYPES = {"integer": "int64", "boolean": "bool", "real": "float64",
          "datetime": "datetime64[ms]", "date": "datetime64[D]", "text": "object", "list": "object"}


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("export")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def client(engine) -> FlaskClient:
    return client_for(engine)


@pytest.fixture(scope="module")
def analyst(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='analyst', label='export')}"}


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM rc.{table}")).scalar_one())


def read_back(data: bytes, ending: str, tmp_path: Path) -> tuple[dict, list]:
    """pyogrio's metadata and field values of an exported file."""
    path = tmp_path / f"export.{ending}"
    path.write_bytes(data)
    meta, _, geometry, values = pyogrio.raw.read(path, datetime_as_string=True)
    rows = len(values[0]) if geometry is None else len(geometry)  # CSV: no geometry read
    return {**meta, "count": rows}, values


@pytest.mark.parametrize("layer", sorted(LAYER_TABLES))
@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_every_public_layer_in_every_format(client, engine, layer, ending, tmp_path):
    response = client.get(f"/api/exports/{layer}.{ending}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert f'filename="{layer}.{ending}"' in response.headers["Content-Disposition"]
    meta, _ = read_back(response.get_data(), ending, tmp_path)
    table = catalogue.table(engine, LAYER_TABLES[layer])
    assert meta["count"] == count(engine, table.name) > 0
    fields = set(meta["fields"])
    if ending == "csv":  # CSV holds no CRS: X/Y are longitude/latitude, or WKT
        assert meta["crs"] is None
        assert {"X", "Y"} <= fields if table.geometry.geometry_type == "POINT" else \
            "WKT" in fields
    else:
        assert meta["crs"] == "EPSG:4326"
    if ending != "shp.zip":
        assert {c.name for c in table.columns if c.name != "geom"} <= fields


@pytest.mark.parametrize("layer", sorted(LAYER_TABLES))
def test_a_geopackage_has_the_catalogue_columns_in_order_with_their_types(client, engine,
                                                                          layer, tmp_path):
    meta, _ = read_back(client.get(f"/api/exports/{layer}.gpkg").get_data(), "gpkg", tmp_path)
    columns = catalogue.table(engine, LAYER_TABLES[layer]).attributes
    data = read_layer(engine, layer)
    # An integer or boolean column null in every row has nothing to type it by: text.
    expected = [(c.name, DTYPES[kind_of(c)] if kind_of(c) not in ("integer", "boolean")
                 or any(v is not None for v in data.columns[c.name]) else "object")
                for c in columns]
    assert list(zip(meta["fields"], meta["dtypes"], strict=True)) == expected


@pytest.mark.parametrize("layer", sorted(LAYER_TABLES))
def test_an_export_has_the_properties_of_its_ogc_collection_in_order(client, layer):
    item = client.get(f"/ogc/collections/{layer}/items?limit=1&f=json").json["features"][0]
    exported = json.loads(client.get(f"/api/exports/{layer}.geojson").get_data())
    assert list(exported["features"][0]["properties"]) == list(item["properties"])


def test_geojson_is_rfc7946_with_typed_properties(client, engine):
    body = json.loads(client.get("/api/exports/aeds.geojson").get_data())
    assert body["type"] == "FeatureCollection" and "crs" not in body
    assert len(body["features"]) == count(engine, "aed")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, status, indoor, ST_X(geom), ST_Y(geom) "
                                "FROM rc.aed ORDER BY id LIMIT 1")).one()
    first = body["features"][0]
    assert first["properties"]["id"] == row[0]
    assert first["properties"]["status"] == row[1]
    assert first["properties"]["indoor"] == row[2]
    assert first["geometry"]["coordinates"] == pytest.approx([row[3], row[4]], abs=1e-7)


def test_shapefile_zip_has_its_parts_and_short_unique_names(client, tmp_path):
    data = client.get("/api/exports/road_edges.shp.zip").get_data()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {Path(n).suffix for n in names} >= {".shp", ".shx", ".dbf", ".prj"}
    meta, _ = read_back(data, "shp.zip", tmp_path)
    fields = list(meta["fields"])
    assert len(fields) == len(set(fields)) and max(map(len, fields)) <= 10
    assert "road_class" in fields and "cost_drive" in fields


def test_nulls_stay_null(client, engine, tmp_path):
    with engine.begin() as conn:
        aed_id = conn.execute(text(
            "INSERT INTO rc.aed (name, geom) VALUES ('no details', "
            "ST_SetSRID(ST_MakePoint(114.2, 22.65), 4326)) RETURNING id")).scalar_one()
    try:
        meta, values = read_back(client.get("/api/exports/aeds.gpkg").get_data(), "gpkg",
                                 tmp_path)
        row = {name: column for name, column in zip(meta["fields"], values, strict=True)}
        at = list(row["id"]).index(aed_id)
        # pyogrio reads a null integer or boolean as NaN (a 0 or false would read as such)
        assert math.isnan(row["indoor"][at]) and math.isnan(row["osm_id"][at])
        assert row["brand"][at] is None and row["name"][at] == "no details"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rc.aed WHERE id = :id"), {"id": aed_id})


@pytest.mark.parametrize("path", ["/api/exports/volunteers.gpkg", "/api/exports/incident.csv",
                                  "/api/exports/dispatches.geojson", "/api/exports/api_token.csv",
                                  "/api/exports/aeds.xlsx", "/api/exports/aeds.shp"])
def test_private_layers_and_unknown_formats_are_404(client, path):
    assert client.get(path).status_code == 404


def test_catalogue_lists_public_layers_only(client):
    body = client.get("/api/exports").json
    assert [layer["id"] for layer in body["layers"]] == list(LAYER_TABLES)
    assert {c["id"] for c in body["computed"]} == {"station_coverage", "travel_time"}


def test_station_coverage_needs_a_role(client, engine):
    assert client.get("/api/exports/station_coverage.gpkg").status_code == 401
    public = create_token(engine, role="public", label="export test")
    response = client.get("/api/exports/station_coverage.gpkg",
                          headers={"Authorization": f"Bearer {public}"})
    assert response.status_code == 403


def test_station_coverage_8_minutes_to_geopackage(client, engine, analyst, tmp_path):
    response = client.get("/api/exports/station_coverage.gpkg?minutes=8", headers=analyst)
    assert response.status_code == 200, response.get_data(as_text=True)
    meta, values = read_back(response.get_data(), "gpkg", tmp_path)
    assert meta["count"] == count(engine, "station") == 8
    assert meta["crs"] == "EPSG:4326" and meta["geometry_type"] == "MultiPolygon"
    row = dict(zip(meta["fields"], values, strict=True))
    assert set(row["minutes"]) == {8.0} and all(row["area_km2"] > 1)
    assert set(row["truncated"]) <= {True, False}  # each area, reaching the city's edge or not
    assert client.get("/api/exports/station_coverage.gpkg?minutes=99",
                      headers=analyst).status_code == 400


def test_travel_time_is_a_cloud_optimized_geotiff(client, analyst, tmp_path):
    response = client.get("/api/exports/travel_time.tif?lon=114.2&lat=22.65&mode=walk"
                          "&minutes=10", headers=analyst)
    assert response.status_code == 200, response.get_data(as_text=True)
    path = tmp_path / "travel_time.tif"
    path.write_bytes(response.get_data())
    with rasterio.open(path) as surface:
        assert surface.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert surface.profile["tiled"] and surface.profile["blockxsize"] == 256
        assert max(surface.shape) <= 256 or surface.overviews(1)
        assert surface.nodata == -1
        band = surface.read(1)
        assert band[band >= 0].min() >= 0 and band.max() <= 600
    for query in ("lon=500&lat=22.65", "lat=22.65", "lon=114.2&lat=22.65&mode=fly"):
        assert client.get(f"/api/exports/travel_time.tif?{query}",
                          headers=analyst).status_code == 400
    assert client.get("/api/exports/travel_time.tif?lon=114.2&lat=22.65").status_code == 401


def test_cog_of_a_large_surface_has_overviews(tmp_path):
    grid = TimeGrid(np.arange(1000 * 1200, dtype=float).reshape(1000, 1200) % 900,
                    from_origin(500000, 2500000, 30, 30), 30.0)
    path = tmp_path / "large.tif"
    path.write_bytes(to_cog(grid.to_geotiff("EPSG:32650")))
    with rasterio.open(path) as surface:
        assert surface.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert surface.overviews(1) == [2, 4, 8]  # down to one 256-pixel block
        assert surface.crs.to_epsg() == 32650 and surface.shape == (1000, 1200)


def test_cli_export(engine, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    main(["export", "districts", "-o", str(tmp_path / "districts.gpkg")])
    assert pyogrio.read_info(tmp_path / "districts.gpkg")["features"] == count(engine, "district")
    main(["export", "aeds", "--format", "csv", "-o", str(tmp_path / "aeds.txt")])
    assert (tmp_path / "aeds.csv").read_text().count("\n") == count(engine, "aed") + 1
    main(["export", "station_coverage", "--minutes", "8", "-o", str(tmp_path / "cov.shp")])
    assert pyogrio.read_info(tmp_path / "cov.shp.zip")["features"] == 8
    main(["export", "travel_time", "--point", "114.2,22.65", "--mode", "walk",
          "-o", str(tmp_path / "tt.tif")])
    with rasterio.open(tmp_path / "tt.tif") as surface:
        assert surface.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert "wrote" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["export", "volunteers", "-o", str(tmp_path / "v.gpkg")])
    assert exited.value.code == 2


def test_cli_kpi_as_a_geopackage_and_csv(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    at = "2026-11-25T11:00:00+08:00"
    main(["kpi", "--at", at, "--hour", "8", "-o", str(tmp_path / "kpi.gpkg")])
    main(["kpi", "--at", at, "--hour", "8", "-o", str(tmp_path / "kpi.csv")])
    layers = dict(pyogrio.list_layers(tmp_path / "kpi.gpkg"))
    assert layers == {"district_kpi": "MultiPolygon", "coverage_gaps": "MultiPolygon"}
    info = pyogrio.read_info(tmp_path / "kpi.gpkg", layer="district_kpi")
    assert info["features"] == count(engine, "district")
    assert {"usable_aeds_per_100k", "station_share_8min",
            "circle_share_5min"} <= set(info["fields"])
    assert (tmp_path / "kpi.csv").read_text().count("\n") == count(engine, "district") + 1


def test_cli_sites_drone_pads(engine, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    out = tmp_path / "pads.geojson"
    main(["site", "drone-pads", "--add", "2", "--cruise-kmh", "54", "--range-km", "6",
          "--at", "2026-11-25T11:00:00+08:00", "-o", str(out)])
    chosen = json.loads(out.read_text())["features"]
    assert len(chosen) == 2 and [f["properties"]["rank"] for f in chosen] == [1, 2]
    assert "mclp by population: 2 new drone-pads within 5 min" in capsys.readouterr().out


@pytest.mark.parametrize("format_name", ["gpkg", "geojson", "shp", "csv"])
def test_an_empty_layer_is_a_valid_empty_file(format_name, tmp_path):
    empty = layer_from_records("hospitals", "Point", [], [])
    path = write_layer(empty, format_name, tmp_path / "hospitals")
    assert pyogrio.read_info(path)["features"] == 0
