"""pygeoapi under /ogc: public collections only, GeoJSON items by bbox, 4xx for bad queries."""

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from pygeoapi.config import validate_config
from sqlalchemy import Engine, text

from api.ogc import BLANK_TILE, LAYERS, pygeoapi_config
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
