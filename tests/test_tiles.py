"""Vector tiles over the demo city: contents per layer and zoom, ETag/304, cache invalidation,
TileJSON and OGC API - Tiles metadata, and the layer table (rc.tile_layer, rc.tile_vector_layer)
that rc.tile and the metadata both come from. Tiles are decoded with GDAL's MVT driver
(pyogrio)."""

import math
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError, IntegrityError

from api.errors import to_response
from api.tiles import EXTENSION_KEY
from gis.demo_load import load_demo_city
from gis.tiles import TileService
from gis.tokens import create_token
from tests.conftest import app_settings

MVT = "application/vnd.mapbox-vector-tile"
DTYPE_KINDS = {"Number": "iuf", "String": "O", "Boolean": "b"}  # TileJSON type -> numpy kinds


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("tiles")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def app(engine):
    from api.app import create_app

    return create_app(app_settings(engine), engine=engine)


@pytest.fixture(scope="module")
def client(app) -> FlaskClient:
    return app.test_client()


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding lon/lat at zoom z."""
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def city_tiles(engine: Engine, z: int) -> list[tuple[int, int]]:
    """Every tile at zoom z that the demo city's network bbox touches."""
    with engine.connect() as conn:
        x0, y0, x1, y1 = conn.execute(text(
            "SELECT ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox) "
            "FROM rc.network ORDER BY id DESC LIMIT 1")).one()
    west, north = tile_xy(x0, y1, z)
    east, south = tile_xy(x1, y0, z)
    return [(x, y) for x in range(west, east + 1) for y in range(north, south + 1)]


def decode(data: bytes, z: int, x: int, y: int, layer: str, tmp_path: Path) -> dict:
    """One MVT layer of a tile as {field: array} plus ``geometry`` (WKB) and ``count``."""
    if not data:  # an empty tile: GDAL opens no file of 0 bytes
        return {"count": 0}
    path = tmp_path / f"{layer}-{z}-{x}-{y}.mvt"
    path.write_bytes(data)
    meta, _, geometry, values = pyogrio.raw.read(path, layer=layer, X=x, Y=y, Z=z)
    assert meta["crs"] == "EPSG:3857"
    return {"count": len(geometry), "geometry": geometry,
            **dict(zip(meta["fields"], values, strict=True))}


def layers_in(data: bytes, z: int, x: int, y: int, tmp_path: Path) -> set[str]:
    path = tmp_path / f"layers-{z}-{x}-{y}.mvt"
    path.write_bytes(data)
    return {name for name, _ in pyogrio.list_layers(path)}


def get_tile(client: FlaskClient, layer: str, z: int, x: int, y: int, **headers) -> bytes:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == MVT
    return response.get_data()


def test_z14_road_tile_holds_every_edge_crossing_it(client, engine, tmp_path):
    x, y = tile_xy(114.2, 22.65, 14)
    data = get_tile(client, "road_edges", 14, x, y)
    roads = decode(data, 14, x, y, "road_edges", tmp_path)
    with engine.connect() as conn:
        inside = set(conn.execute(text(
            "SELECT id FROM rc.road_edge "
            "WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope(14, :x, :y), 4326))"),
            {"x": x, "y": y}).scalars())
        classes = dict(conn.execute(text("SELECT id, road_class FROM rc.road_edge")).all())
    ids = set(roads["id"].astype(np.int64).tolist())
    assert len(inside) > 100
    assert inside <= ids  # plus the edges in the 64-unit buffer around the tile
    assert {classes[i] for i in ids} >= {"residential", "primary"}
    assert set(roads) >= {"road_class", "cost_drive_s", "reverse_cost_walk_s", "island_bike"}


def test_low_zoom_road_tiles_keep_major_classes_only(client, tmp_path):
    x, y = tile_xy(114.2, 22.65, 10)
    roads = decode(get_tile(client, "road_edges", 10, x, y), 10, x, y, "road_edges", tmp_path)
    assert roads["count"] > 0
    assert set(roads["road_class"]) <= {"motorway", "motorway_link", "primary", "secondary"}
    x, y = tile_xy(114.2, 22.65, 4)
    assert get_tile(client, "road_edges", 4, x, y) == b""  # no trunk roads in the demo city


def test_aeds_are_single_points_from_z12_and_counted_cells_below(client, engine, tmp_path):
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM rc.aed")).scalar_one()
        ready = conn.execute(text("SELECT count(*) FROM rc.aed WHERE status = 'ready'")).scalar()
    seen: set[int] = set()
    for x, y in city_tiles(engine, 12):
        aeds = decode(get_tile(client, "aeds", 12, x, y), 12, x, y, "aeds", tmp_path)
        if aeds["count"]:
            assert set(aeds["point_count"]) == {1}
            seen.update(aeds["id"].astype(np.int64).tolist())
    assert len(seen) == total == 150
    counted = ready_counted = 0
    for x, y in city_tiles(engine, 10):
        cells = decode(get_tile(client, "aeds", 10, x, y), 10, x, y, "aeds", tmp_path)
        if cells["count"]:
            assert "name" not in cells
            counted += int(cells["point_count"].sum())
            ready_counted += int(cells["ready_count"].sum())
    assert (counted, ready_counted) == (total, ready)  # each AED in exactly one cell


@pytest.mark.parametrize("layer", ["stations", "hospitals", "drone_pads", "training_sites",
                                   "districts"])
def test_small_layers_hold_all_their_rows(app, client, engine, layer, tmp_path):
    table = app.extensions[EXTENSION_KEY].catalogue().layers[layer].sources[0]
    with engine.connect() as conn:
        ids = set(conn.execute(text(f"SELECT id FROM rc.{table}")).scalars())
    seen: set[int] = set()
    for x, y in city_tiles(engine, 11):
        decoded = decode(get_tile(client, layer, 11, x, y), 11, x, y, layer, tmp_path)
        if decoded["count"]:
            seen.update(decoded["id"].astype(np.int64).tolist())
            assert "name" in decoded
    assert ids and seen == ids


def test_basemap_has_districts_and_roads_by_kind(client, engine, tmp_path):
    x, y = tile_xy(114.2, 22.65, 14)
    data = get_tile(client, "basemap", 14, x, y)
    assert layers_in(data, 14, x, y, tmp_path) == {"districts", "roads"}
    roads = decode(data, 14, x, y, "roads", tmp_path)
    assert set(roads["kind"]) >= {"major", "minor"}
    kinds: set[str] = set()
    for x, y in city_tiles(engine, 9):
        roads = decode(get_tile(client, "basemap", 9, x, y), 9, x, y, "roads", tmp_path)
        kinds.update(roads.get("kind", []))
    assert kinds == {"highway", "major"}


def test_private_tables_are_never_tile_layers(client):
    for name in ("volunteers", "volunteer", "volunteer_positions", "incidents", "dispatches",
                 "dispatch", "api_token", "population"):
        assert client.get(f"/tiles/{name}/14/0/0.mvt").status_code == 404
        assert client.get(f"/tiles/{name}.json").status_code == 404
        assert client.get(f"/ogc/collections/{name}/tiles/WebMercatorQuad").status_code == 404


@pytest.mark.parametrize("path", ["/tiles/aeds/3/8/0.mvt", "/tiles/aeds/3/0/8.mvt",
                                  "/tiles/aeds/23/0/0.mvt", "/tiles/aeds/-1/0/0.mvt",
                                  "/tiles/aeds/a/0/0.mvt", "/tiles/WebMercatorQuad/2/0/4",
                                  "/ogc/collections/aeds/tiles/WebMercatorQuad/2/4/0",
                                  "/ogc/collections/basemap/tiles/WebMercatorQuad/2/0/0",
                                  "/tileMatrixSets/WorldCRS84Quad"])
def test_tiles_outside_the_matrix_set_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["code"] == "NotFound"


def test_sql_names_the_bad_parameter(engine):
    with engine.connect() as conn, pytest.raises(DataError) as raised:
        conn.execute(text("SELECT rc.tile('aeds', 3, 8, 0)"))
    assert raised.value.orig.sqlstate == "22023"
    assert "x = 8 is outside the allowed range 0 to 7" in str(raised.value.orig)


def test_etag_304_and_cache_control(client):
    x, y = tile_xy(114.2, 22.65, 14)
    first = client.get(f"/tiles/aeds/14/{x}/{y}.mvt")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "public, max-age=30"
    again = client.get(f"/tiles/aeds/14/{x}/{y}.mvt", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    roads = client.get(f"/tiles/road_edges/14/{x}/{y}.mvt")
    assert roads.headers["Cache-Control"] == "public, max-age=3600"
    assert roads.headers["ETag"] != etag
    other = client.get(f"/tiles/aeds/14/{x}/{y}.mvt", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200 and other.get_data() == first.get_data()


def test_a_write_changes_the_tags_of_its_layers_only(client, engine, tmp_path):
    x, y = tile_xy(114.2, 22.65, 12)
    aed_url, road_url = f"/tiles/aeds/12/{x}/{y}.mvt", f"/tiles/road_edges/12/{x}/{y}.mvt"
    before = client.get(aed_url)
    road_tag = client.get(road_url).headers["ETag"]
    aeds = decode(before.get_data(), 12, x, y, "aeds", tmp_path)
    target = int(aeds["id"][0])
    with engine.begin() as conn:
        conn.execute(text("UPDATE rc.aed SET status = 'fault' WHERE id = :id"), {"id": target})
    try:
        after = client.get(aed_url, headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200
        assert after.headers["ETag"] != before.headers["ETag"]
        changed = decode(after.get_data(), 12, x, y, "aeds", tmp_path)
        status = dict(zip(changed["id"].astype(np.int64).tolist(), changed["status"],
                          strict=True))
        assert status[target] == "fault"
        assert client.get(road_url, headers={"If-None-Match": road_tag}).status_code == 304
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE rc.aed SET status = 'ready' WHERE id = :id"),
                         {"id": target})


def test_cached_tiles_are_served_until_their_data_changes(app, client, engine):
    x, y = tile_xy(114.2, 22.65, 13)
    url = f"/tiles/stations/13/{x}/{y}.mvt"
    tag = client.get(url).headers["ETag"].removeprefix('W/"').removesuffix('"')
    cache = app.extensions[EXTENSION_KEY].cache
    cache.put(("stations", 13, x, y), tag, b"sentinel")  # what the cache holds is served
    assert client.get(url).get_data() == b"sentinel"
    with engine.begin() as conn:  # a statement changing nothing still bumps the version
        conn.execute(text("UPDATE rc.station SET name = name WHERE false"))
    assert client.get(url).get_data() != b"sentinel"


def test_ogc_tile_paths_serve_the_same_tiles(client):
    x, y = tile_xy(114.2, 22.65, 13)
    for xyz, ogc in ((f"/tiles/basemap/13/{x}/{y}.mvt", f"/tiles/WebMercatorQuad/13/{y}/{x}"),
                     (f"/tiles/aeds/13/{x}/{y}.mvt",
                      f"/ogc/collections/aeds/tiles/WebMercatorQuad/13/{y}/{x}")):
        by_xyz, by_ogc = client.get(xyz), client.get(ogc)  # tileMatrix/tileRow/tileCol
        assert by_ogc.status_code == 200 and by_ogc.content_type == MVT
        assert by_ogc.get_data() == by_xyz.get_data() and len(by_ogc.get_data()) > 100
        assert by_ogc.headers["ETag"] == by_xyz.headers["ETag"]


def test_tilejson(client, engine):
    for url in ("/tiles/aeds.json", "/tiles/aeds/tilejson.json"):
        body = client.get(url).json
        assert body["tilejson"] == "3.0.0"
        assert body["tiles"] == ["http://127.0.0.1:8000/tiles/aeds/{z}/{x}/{y}.mvt"]
        assert [v["id"] for v in body["vector_layers"]] == ["aeds"]
        assert body["vector_layers"][0]["fields"]["status"] == "String"
    basemap = client.get("/tiles/basemap.json").json
    assert [v["id"] for v in basemap["vector_layers"]] == ["districts", "roads"]
    west, south, east, north = basemap["bounds"]
    assert 114.0 < west < east < 114.4 and 22.5 < south < north < 22.8


def test_ogc_tiles_metadata(client):
    landing = {link["rel"]: link["href"] for link in client.get("/").json["links"]}
    assert landing["http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"].endswith("/tiles")
    assert landing["conformance"].endswith("/conformance")
    dataset = client.get("/tiles").json
    assert [t["title"] for t in dataset["tilesets"]] == ["Basemap"]
    linked = {link["href"] for link in dataset["links"]}
    assert "http://127.0.0.1:8000/ogc/collections/road_edges/tiles" in linked
    basemap = client.get("/tiles/WebMercatorQuad").json
    assert [layer["id"] for layer in basemap["layers"]] == ["districts", "roads"]
    listed = client.get("/ogc/collections/road_edges/tiles").json["tilesets"]
    assert [t["tileMatrixSetURI"] for t in listed] == [
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"]
    tileset = client.get("/ogc/collections/road_edges/tiles/WebMercatorQuad").json
    assert tileset["dataType"] == "vector"
    assert tileset["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["href"] == ("http://127.0.0.1:8000/ogc/collections/road_edges/tiles/"
                            "WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    assert tileset["layers"][0]["propertiesSchema"]["properties"]["length_m"] == {
        "type": "number"}
    west, south, east, north = (*tileset["boundingBox"]["lowerLeft"],
                                *tileset["boundingBox"]["upperRight"])
    assert 114.0 < west < east < 114.4 and 22.5 < south < north < 22.8
    tms = client.get("/tileMatrixSets/WebMercatorQuad").json
    assert [m["id"] for m in tms["tileMatrices"]] == [str(z) for z in range(23)]
    assert tms["tileMatrices"][0]["scaleDenominator"] == pytest.approx(559082264.0287178)
    assert tms["tileMatrices"][14]["matrixWidth"] == 16384
    assert client.get("/tileMatrixSets").json["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    conformance = client.get("/conformance").json["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets" in conformance
    assert not any("geodata-tilesets" in c for c in conformance)


def test_population_tiles_are_for_analysts_and_hold_the_people(client, engine, tmp_path):
    x, y = tile_xy(114.2, 22.65, 12)
    url = f"/api/planning/population/12/{x}/{y}.mvt"
    assert client.get(url).status_code == 401
    dispatcher = create_token(engine, role="dispatcher", label="tiles")
    assert client.get(url, headers={"Authorization": f"Bearer {dispatcher}"}).status_code == 403
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst', label='tiles')}"}
    response = client.get(url, headers=analyst)
    assert response.status_code == 200 and response.cache_control.private
    cells = decode(response.data, 12, x, y, "population", tmp_path)
    assert cells["count"] > 100 and (cells["people"] > 0).all()
    with engine.connect() as conn:
        densest = conn.execute(text(
            "SELECT max(population / (ST_Area(geom::geography) / 1e6)) FROM rc.population"
        )).scalar_one()
    assert 0 < cells["people_per_km2"].max() <= densest + 1
    again = client.get(url, headers={**analyst, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    low = client.get(f"/api/planning/population/9/{x // 8}/{y // 8}.mvt", headers=analyst)
    assert low.status_code == 200 and low.data == b""   # from zoom 10 only


def test_unknown_layers_are_404_over_http_and_22023_in_sql(app, client, engine):
    for url in ("/tiles/nosuch/14/0/0.mvt", "/tiles/nosuch.json",
                "/ogc/collections/nosuch/tiles/WebMercatorQuad/0/0/0"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "nosuch" in response.json["description"]
    with engine.connect() as conn, pytest.raises(DataError) as raised:
        conn.execute(text("SELECT rc.tile('nosuch', 14, 0, 0)"))
    assert raised.value.orig.sqlstate == "22023"
    with app.test_request_context():
        response = to_response(raised.value)  # what the API answers if SQL is asked anyway
    assert response.status_code == 400
    assert response.json["description"] == "tile layer 'nosuch' does not exist"


def test_the_layers_are_the_rows_of_the_table(app, engine):
    catalogue = app.extensions[EXTENSION_KEY].catalogue()
    with engine.connect() as conn:
        layers = conn.execute(text(
            "SELECT name, public FROM rc.tile_layer ORDER BY position")).all()
        rows = conn.execute(text(
            "SELECT tile_layer, name, minzoom, properties || cell_properties AS properties "
            "FROM rc.tile_vector_layer ORDER BY tile_layer, position")).all()
    assert list(catalogue.layers) == [name for name, _ in layers]
    assert list(catalogue.public) == [name for name, public in layers if public]
    assert "population" not in catalogue.public and not catalogue.layers["population"].public
    for tile_layer, name, minzoom, properties in rows:
        vector = {v.id: v for v in catalogue.layers[tile_layer].vector_layers}[name]
        assert list(vector.fields) == list(dict.fromkeys(properties)), (tile_layer, name)
        assert vector.minzoom == minzoom
    assert catalogue.layers["aeds"].sources == ("aed",)  # through the view rc.aed_tile
    assert catalogue.layers["basemap"].sources == ("district", "road_edge")


@pytest.mark.parametrize(("layer", "z"), [
    ("aeds", 10), ("aeds", 14), ("stations", 12), ("hospitals", 12), ("drone_pads", 12),
    ("training_sites", 12), ("districts", 12), ("road_edges", 14), ("basemap", 13),
    ("population", 13)])
def test_tile_properties_are_the_table_columns_with_their_types(app, engine, layer, z,
                                                                  tmp_path):
    service: TileService = app.extensions[EXTENSION_KEY]
    found = service.catalogue().layer(layer)
    with engine.connect() as conn:
        rows = {name: (list(properties), list(cells), cells_below) for name, properties, cells,
                cells_below in conn.execute(text(
                    "SELECT name, properties, cell_properties, cells_below "
                    "FROM rc.tile_vector_layer WHERE tile_layer = :layer"), {"layer": layer})}
    seen: dict[str, dict[str, str]] = {name: {} for name in rows}
    for x, y in city_tiles(engine, z)[:40]:
        data = service.fetch(found, z, x, y).data
        assert data is not None
        if not data:
            continue
        for name in layers_in(data, z, x, y, tmp_path):
            path = tmp_path / f"{name}-{z}-{x}-{y}.mvt"
            path.write_bytes(data)
            meta = pyogrio.raw.read(path, layer=name, X=x, Y=y, Z=z)[0]
            seen[name].update(zip(meta["fields"], [np.dtype(d).kind for d in meta["dtypes"]],
                                  strict=True))
    for vector in found.vector_layers:
        properties, cells, cells_below = rows[vector.id]
        expected = cells if cells_below is not None and z < cells_below else properties
        decoded = {name: kind for name, kind in seen[vector.id].items() if name != "mvt_id"}
        assert list(decoded) and set(decoded) <= set(expected) <= set(vector.fields)
        for name, kind in decoded.items():
            assert kind in DTYPE_KINDS[vector.fields[name]], (vector.id, name, kind)


def test_rc_tile_is_written_from_the_rows(engine, tmp_path):
    z = 11
    with engine.connect() as conn:
        def fields() -> set[str]:
            names: set[str] = set()
            for x, y in city_tiles(engine, z):
                data = bytes(conn.execute(text("SELECT rc.tile('stations', :z, :x, :y)"),
                                          {"z": z, "x": x, "y": y}).scalar_one())
                names.update(decode(data, z, x, y, "stations", tmp_path))
            return names - {"count", "geometry", "mvt_id"}

        assert fields() == {"id", "name", "ref"}  # the demo's stations have no address
        conn.execute(text("UPDATE rc.tile_vector_layer SET properties = '{id, name}' "
                          "WHERE tile_layer = 'stations'"))
        conn.execute(text("SELECT rc._tile_generate()"))
        assert fields() == {"id", "name"}
        conn.rollback()
        assert fields() == {"id", "name", "ref"}


def test_personal_data_and_population_are_kept_out_of_public_tiles(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM rc.tile_layer_problems()")).all() == []
        conn.execute(text(
            "INSERT INTO rc.tile_layer (name, position, title, description, public, max_age_s) "
            "VALUES ('helpers', 99, 'Helpers', 'volunteers nearby', false, 30)"))
        conn.execute(text(
            "INSERT INTO rc.tile_vector_layer (tile_layer, name, position, description, source, "
            "properties) VALUES ('helpers', 'helpers', 1, 'positions', 'volunteer_position', "
            "'{volunteer_id}')"))
        conn.execute(text("UPDATE rc.tile_layer SET public = true WHERE name = 'population'"))
        problems = conn.execute(text("SELECT * FROM rc.tile_layer_problems()")).scalars().all()
        assert problems == [
            "helpers.helpers: rc.volunteer_position holds personal data and is never tiled",
            "population.population: population is never public"]
        with pytest.raises(IntegrityError, match="never tiled"):
            conn.execute(text("SELECT rc._tile_generate()"))
        conn.rollback()
