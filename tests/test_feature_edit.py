"""OGC API - Features - Part 4 for admins: create, replace, delete facilities; reads follow."""

import pytest
from sqlalchemy import Engine, text

from gis.tokens import create_token
from tests.conftest import client_for

PAD = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.05, 22.54]},
       "properties": {"name": "Rooftop pad 7", "range_km": 6, "cruise_speed_kmh": 54.0}}


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return make_database("feature_edit")


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def headers(engine) -> dict[str, dict[str, str]]:
    return {role: {"Authorization": f"Bearer {create_token(engine, role=role, label='edit')}"}
            for role in ("admin", "analyst", "dispatcher")}


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM rc.{table}")).scalar_one()


def test_an_admin_creates_replaces_and_deletes_a_drone_pad(client, headers, engine):
    created = client.post("/ogc/collections/drone_pads/items", json=PAD, headers=headers["admin"])
    assert created.status_code == 201, created.json
    pad_id = created.json["id"]
    assert created.headers["Location"].endswith(f"/ogc/collections/drone_pads/items/{pad_id}")
    read = client.get(f"/ogc/collections/drone_pads/items/{pad_id}?f=json").json
    assert read["properties"]["name"] == "Rooftop pad 7"
    assert read["properties"]["status"] == "ready"          # the column's default
    assert read["properties"]["range_km"] == pytest.approx(6)
    assert read["geometry"]["coordinates"] == pytest.approx([114.05, 22.54])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT source FROM rc.drone_pad WHERE id = :id"),
                            {"id": pad_id}).scalar_one() == "api"
    moved = {**PAD, "geometry": {"type": "Point", "coordinates": [114.06, 22.55]},
             "properties": {"name": "Rooftop pad 7b", "status": "out_of_service"}}
    replaced = client.put(f"/ogc/collections/drone_pads/items/{pad_id}", json=moved,
                          headers=headers["admin"])
    assert replaced.status_code == 204
    read = client.get(f"/ogc/collections/drone_pads/items/{pad_id}?f=json").json
    assert read["properties"]["name"] == "Rooftop pad 7b"
    assert read["properties"]["status"] == "out_of_service"
    assert read["properties"]["range_km"] == pytest.approx(8)   # left out: back to default
    assert read["geometry"]["coordinates"] == pytest.approx([114.06, 22.55])
    assert client.delete(f"/ogc/collections/drone_pads/items/{pad_id}",
                         headers=headers["admin"]).status_code == 204
    assert client.get(f"/ogc/collections/drone_pads/items/{pad_id}?f=json").status_code == 404
    assert client.delete(f"/ogc/collections/drone_pads/items/{pad_id}",
                         headers=headers["admin"]).status_code == 404


def test_only_admins_edit(client, headers, engine):
    before = count(engine, "station")
    station = {**PAD, "properties": {"name": "Station 9"}}
    assert client.post("/ogc/collections/stations/items", json=station).status_code == 401
    for role in ("analyst", "dispatcher"):
        assert client.post("/ogc/collections/stations/items", json=station,
                           headers=headers[role]).status_code == 403
    assert count(engine, "station") == before


def test_only_editable_collections_allow_writes(client, headers):
    """AEDs are edited through their registry (/api/aeds), districts not at all: a 405, and
    Allow and OPTIONS name only the methods served."""
    for collection in ("aeds", "districts"):
        items = f"/ogc/collections/{collection}/items"
        item = f"{items}/1"
        response = client.post(items, json=PAD, headers=headers["admin"])
        assert response.status_code == 405 and response.json["code"] == "MethodNotAllowed"
        for path in (items, item):
            allowed = set(client.options(path).headers["Allow"].split(", "))
            assert allowed == {"GET", "HEAD", "OPTIONS"}, path
        assert client.put(item, json=PAD, headers=headers["admin"]).status_code == 405
    allowed = set(client.options("/ogc/collections/stations/items/1").headers["Allow"].split(", "))
    assert allowed == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


@pytest.mark.parametrize(("body", "names_it"), [
    ({"type": "FeatureCollection", "features": []}, "GeoJSON Feature"),
    ({**PAD, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}, "Point"),
    ({**PAD, "geometry": {"type": "Point", "coordinates": [200, 0]}}, "outside"),
    ({**PAD, "geometry": {"type": "Point", "coordinates": ["a", 0]}}, "coordinates"),
    ({**PAD, "properties": {"name": "x", "owner": "me"}}, "no writable properties owner"),
    ({**PAD, "properties": {"range_km": 5}}, "property name is required"),
    ({**PAD, "properties": {"name": "x", "range_km": "far"}}, "property range_km must be float"),
    ({**PAD, "properties": {"name": "x", "status": "flying"}}, "drone_pad_status_check"),
    ({**PAD, "properties": {"name": "x", "range_km": -1}}, "drone_pad_range_km_check"),
    ({**PAD, "properties": {"name": "x" * 501}}, "longer than 500"),
    ({**PAD, "properties": {"name": "x", "id": 5}}, "no writable properties id"),
])
def test_bad_features_are_400_and_store_nothing(client, headers, engine, body, names_it):
    before = count(engine, "drone_pad")
    response = client.post("/ogc/collections/drone_pads/items", json=body,
                           headers=headers["admin"])
    assert response.status_code == 400, response.json
    assert names_it in response.json["description"]
    assert count(engine, "drone_pad") == before


def test_replacing_an_unknown_item_is_404(client, headers):
    response = client.put("/ogc/collections/training_sites/items/99999",
                          json={**PAD, "properties": {"name": "Hall"}}, headers=headers["admin"])
    assert response.status_code == 404 and "99999" in response.json["description"]
