"""pygeoapi under /ogc: public collections only, GeoJSON items by bbox, 4xx for bad queries."""

import json
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from pygeoapi.config import validate_config
from sqlalchemy import Engine, text

from api.ogc import BLANK_TILE, LAYERS, pygeoapi_config
from gis.feature_edit import EDITABLE
from gis.tiles import load_catalogue
from rescuecircle.settings import Settings
from tests.conftest import client_for

PRIVATE = {"volunteers", "volunteer", "volunteer_positions", "volunteer_position", "incidents",
           "incident", "dispatches", "dispatch", "api_token"}
# Two AEDs in Futian (Shenzhen), one in Shanghai; the bbox below holds only the first two.
FUTIAN_BBOX = "114.0,22.5,114.1,22.6"
AEDS = [
    ("Civic Center lobby", "ready", "24/7", 114.059, 22.543),
    ("Metro exit B", "fault", "Mo-Fr 08:00-20:00", 114.055, 22.534),
    ("People's Square", "ready", "24/7", 121.475, 31.232),
]


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return make_database("api")


@pytest.fixture(scope="module")
def client(engine) -> FlaskClient:
    return client_for(engine)


@pytest.fixture(scope="module")
def aed_ids(engine) -> Iterator[list[int]]:
    """Insert AEDS, yield their ids in order, delete them afterwards."""
    with engine.begin() as conn:
        ids = [conn.execute(text(
            "INSERT INTO rc.aed (name, status, opening_hours, geom) "
            "VALUES (:n, :s, :h, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"),
            {"n": name, "s": status, "h": hours, "x": x, "y": y}).scalar_one()
            for name, status, hours, x, y in AEDS]
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.aed WHERE id = ANY(:ids)"), {"ids": ids})


def test_config_is_valid_for_pygeoapi():
    assert validate_config(pygeoapi_config(Settings()))


def test_landing_page_conformance_and_openapi(client):
    landing = client.get("/ogc?f=json")
    assert landing.status_code == 200
    assert any(link["href"] == "http://127.0.0.1:8000/ogc/collections"
               for link in landing.json["links"])
    conformance = client.get("/ogc/conformance?f=json").json["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    openapi = client.get("/ogc/openapi?f=json")
    assert openapi.status_code == 200
    assert "/collections/aeds/items" in openapi.json["paths"]
    assert openapi.json["servers"][0]["url"] == "http://127.0.0.1:8000/ogc"
    assert client.get("/ogc/openapi?f=html").mimetype == "text/html"


def test_collections_are_the_public_layers_only(client):
    ids = {c["id"] for c in client.get("/ogc/collections?f=json").json["collections"]}
    assert ids == {layer.collection for layer in LAYERS}
    assert {"stations", "aeds", "hospitals", "drone_pads", "helipads", "training_sites",
            "districts", "road_edges"} == ids
    assert not ids & PRIVATE
    openapi_paths = " ".join(client.get("/ogc/openapi?f=json").json["paths"])
    assert not any(f"/collections/{name}" in openapi_paths for name in PRIVATE)
    for name in ("volunteers", "incidents", "dispatches"):
        assert client.get(f"/ogc/collections/{name}/items?f=json").status_code == 404


def test_items_in_bbox_are_geojson(client, aed_ids):
    response = client.get(f"/ogc/collections/aeds/items?f=json&bbox={FUTIAN_BBOX}")
    assert response.status_code == 200
    collection = response.json
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == set(aed_ids[:2])  # not the one in Shanghai
    civic = features[aed_ids[0]]
    assert civic["geometry"] == {"type": "Point", "coordinates": [114.059, 22.543]}
    assert civic["properties"]["status"] == "ready"
    assert civic["properties"]["opening_hours"] == "24/7"
    assert civic["properties"]["name"] == "Civic Center lobby"


def test_items_filter_by_property_and_cql2(client, aed_ids):
    by_status = client.get(f"/ogc/collections/aeds/items?f=json&bbox={FUTIAN_BBOX}&status=fault")
    assert [f["id"] for f in by_status.json["features"]] == [aed_ids[1]]
    cql = client.get("/ogc/collections/aeds/items?f=json&filter=status='ready'")
    assert {f["id"] for f in cql.json["features"]} == {aed_ids[0], aed_ids[2]}
    since = client.get("/ogc/collections/aeds/items?f=json&datetime=2000-01-01T00:00:00Z/..")
    assert {f["id"] for f in since.json["features"]} == set(aed_ids)


def test_single_item_and_unknown_item(client, aed_ids):
    item = client.get(f"/ogc/collections/aeds/items/{aed_ids[2]}?f=json")
    assert item.status_code == 200
    assert item.json["properties"]["name"] == "People's Square"
    for missing in ("999999", "abc", "1'"):
        assert client.get(f"/ogc/collections/aeds/items/{missing}?f=json").status_code == 404


def test_unknown_collection_is_404(client):
    for path in ("/ogc/collections/nope", "/ogc/collections/nope/items",
                 "/ogc/collections/nope/items/1", "/ogc/collections/nope/queryables"):
        response = client.get(path + "?f=json")
        assert response.status_code == 404, path
        assert response.json["code"] == "NotFound"


@pytest.mark.parametrize("query", [
    "bbox=abc", "bbox=1,2,3", "bbox=1,2,3,4,5", "bbox=0,1,1,0", "bbox=nan,0,1,1",
    "bbox=0,0,inf,1", "bbox=a,b,c,d", "limit=abc", "limit=0", "offset=-1", "sortby=nosuch",
    "properties=nosuch", "crs=EPSG:nosuch", "filter=((", "filter=nosuch=1", "filter=status=1",
    "filter=id='abc'", "filter=id=1/0", "filter=S_INTERSECTS(geom,POLYGON((0 0,1 1)))",
    "id=abc", "datetime=garbage", "f=xyz",
])
def test_bad_queries_are_400(client, query):
    response = client.get(f"/ogc/collections/aeds/items?{query}")
    assert response.status_code == 400
    assert response.is_json
    body = response.get_data(as_text=True)
    assert "SELECT" not in body and "Traceback" not in body


def test_datetime_on_a_layer_without_time_is_400(client):
    response = client.get("/ogc/collections/stations/items?f=json&datetime=2024-01-01T00:00:00Z")
    assert response.status_code == 400
    assert "datetime" in response.json["description"]


def test_three_dimensional_bbox_drops_heights(client, aed_ids):
    response = client.get("/ogc/collections/aeds/items?f=json&bbox=114.0,22.5,0,114.1,22.6,100")
    assert response.status_code == 200
    assert {f["id"] for f in response.json["features"]} == set(aed_ids[:2])


def test_every_collection_answers_items(client):
    for layer in LAYERS:
        response = client.get(f"/ogc/collections/{layer.collection}/items?f=json&limit=1")
        assert response.status_code == 200, layer.collection
        queryables = client.get(f"/ogc/collections/{layer.collection}/queryables?f=json")
        assert queryables.status_code == 200, layer.collection


def test_html_map_uses_no_external_basemap(client, aed_ids):
    page = client.get(f"/ogc/collections/aeds/items?f=html&bbox={FUTIAN_BBOX}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert BLANK_TILE in html
    assert "tile.openstreetmap.org" not in html


def test_database_credentials_never_reach_a_client(client, engine):
    password = engine.url.password
    assert password
    for path in ("/ogc", "/ogc/collections", "/ogc/collections/aeds", "/ogc/openapi",
                 "/ogc/collections/aeds/items"):
        for fmt in ("json", "html", "jsonld"):
            body = client.get(f"{path}?f={fmt}").get_data(as_text=True)
            assert password not in body, f"{path}?f={fmt}"


def test_items_are_geojson(client, aed_ids):
    assert client.get("/ogc/collections/aeds/items?f=json").mimetype == "application/geo+json"
    item = client.get(f"/ogc/collections/aeds/items/{aed_ids[0]}?f=json")
    assert item.mimetype == "application/geo+json"
    assert client.get("/ogc/collections/aeds/items?f=html").mimetype == "text/html"


def test_conformance_declares_what_is_served(client):
    classes = set(client.get("/ogc/conformance?f=json").json["conformsTo"])
    processes = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
    assert {processes + c for c in ("core", "json", "ogc-process-description", "job-list",
                                    "oas30")} <= classes
    assert processes + "dismiss" not in classes  # DELETE /ogc/jobs/{id} is not served
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets" in classes
    assert not any("ogcapi-routes" in c for c in classes)  # /routes is the root API's
    assert "http://www.opengis.net/spec/ogcapi-routes-1/1.0.0-draft.1/conf/core" in \
        client.get("/conformance").json["conformsTo"]


def test_landing_page_links_work(client):
    links = client.get("/ogc?f=json").json["links"]
    by_rel = {link["rel"]: link["href"] for link in links if link["type"] == "application/json"}
    base = "http://127.0.0.1:8000"
    for rel, expected in (("http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                           "/ogc/tileMatrixSets"),
                          ("http://www.opengis.net/def/rel/ogc/1.0/processes", "/ogc/processes"),
                          ("conformance", "/ogc/conformance")):
        assert by_rel[rel].startswith(base + expected), rel
        assert client.get(by_rel[rel].removeprefix(base)).status_code == 200, rel
    schemes = client.get("/ogc/tileMatrixSets").json["tileMatrixSets"]
    assert [s["id"] for s in schemes] == ["WebMercatorQuad"]


def test_each_collection_with_vector_tiles_links_them(client, engine):
    with engine.connect() as conn:
        tiled = set(load_catalogue(conn).public)
    assert {"aeds", "stations", "road_edges"} <= tiled and "helipads" not in tiled
    for layer in LAYERS:
        links = client.get(f"/ogc/collections/{layer.collection}?f=json").json["links"]
        tilesets = [link["href"] for link in links
                    if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"]
        if layer.collection not in tiled:
            assert tilesets == [], layer.collection
            continue
        assert tilesets == [f"http://127.0.0.1:8000/ogc/collections/{layer.collection}/tiles"]
        listed = client.get(tilesets[0].removeprefix("http://127.0.0.1:8000")).json
        assert listed["tilesets"][0]["dataType"] == "vector"


def test_openapi_documents_what_is_served_offline(client):
    document = client.get("/ogc/openapi?f=json").json
    validate(document)
    text_ = json.dumps(document)
    assert "schemas.opengis.net" not in text_ and "githubusercontent" not in text_
    assert all(ref.startswith("#/") for ref in re.findall(r'"\$ref": "([^"]*)"', text_))
    paths = document["paths"]
    assert {"/processes", "/processes/{processId}", "/processes/{processId}/execution",
            "/jobs", "/jobs/{jobId}", "/jobs/{jobId}/results", "/tileMatrixSets",
            "/collections/{collectionId}/tiles"} <= set(paths)
    for layer in LAYERS:  # writes only where they are served, each behind a token
        items, item = (paths[f"/collections/{layer.collection}/items"],
                       paths[f"/collections/{layer.collection}/items/{{featureId}}"])
        writes = {"post"} & set(items) | {"put", "delete"} & set(item)
        editable = layer.collection in EDITABLE
        assert writes == ({"post", "put", "delete"} if editable else set()), layer.collection
        for operation in [items.get("post"), item.get("put"), item.get("delete")]:
            if operation:
                assert {"401", "403"} <= set(operation["responses"])
                assert "CQL" not in operation["summary"]
    execution = paths["/processes/{processId}/execution"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "404", "422", "429", "503"} <= set(execution)


def test_allow_lists_only_the_methods_served(client):
    for path in ("/ogc/collections/aeds/items", "/ogc/collections/aeds/items/1",
                 "/ogc/processes", "/ogc/collections"):
        allowed = set(client.options(path).headers["Allow"].split(", "))
        assert allowed == {"GET", "HEAD", "OPTIONS"}, path
    allowed = client.options("/ogc/collections/stations/items").headers["Allow"]
    assert set(allowed.split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


@pytest.fixture(scope="module")
def empty_engine(make_database) -> Engine:
    return make_database("ogc_extents")


def test_extents_are_the_data_and_follow_its_changes(empty_engine):
    """An empty collection has no extent; one row makes it that row's point; a write is
    seen at once (extents are kept per table version); AEDs have a time span."""
    client = client_for(empty_engine)
    collections = client.get("/ogc/collections?f=json").json["collections"]
    assert all("extent" not in c for c in collections)
    assert "extent" not in client.get("/ogc/collections/aeds?f=json").json
    with empty_engine.begin() as conn:
        for x, y in ((114.05, 22.53), (114.07, 22.56)):
            conn.execute(text("INSERT INTO rc.aed (name, geom, updated_at) VALUES ('a', "
                              "ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
                              "'2026-01-02T03:04:05Z'::timestamptz + (:x - 114) * interval "
                              "'100 days')"), {"x": x, "y": y})
    aeds = client.get("/ogc/collections/aeds?f=json").json["extent"]
    assert aeds["spatial"]["bbox"] == [[114.05, 22.53, 114.07, 22.56]]
    assert aeds["spatial"]["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert aeds["temporal"]["interval"] == [["2026-01-07T03:04:05+00:00",
                                             "2026-01-09T03:04:05+00:00"]]
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE rc.aed SET geom = ST_SetSRID(ST_MakePoint(114.1, 22.6), "
                          "4326) WHERE ST_X(geom) = 114.07"))
    moved = client.get("/ogc/collections?f=json").json["collections"]
    extents = {c["id"]: c.get("extent") for c in moved}
    assert extents["aeds"]["spatial"]["bbox"] == [[114.05, 22.53, 114.1, 22.6]]
    assert extents["stations"] is None  # still empty
    # pygeoapi checks a datetime against the configured span, which stays open: a datetime
    # after every AED finds none, it is not refused.
    later = client.get("/ogc/collections/aeds/items?f=json&datetime=2030-01-01T00:00:00Z/..")
    assert later.status_code == 200 and later.json["features"] == []
