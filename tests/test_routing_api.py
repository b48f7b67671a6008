"""Isochrone and route over HTTP (OGC API Processes and Routes) on the hand-made toy city, and
isochrones at the edge of a small real extract (Futian).

Toy city (tests/data/toy_city.osm, on the equator): Main Street runs 1 (0,0) - 2 (0.001,0) -
3 (0.002,0) - 7 (0.003,0); North Street 4 (0,0.001) -> 5 -> 6 (0.002,0.001) is one way east;
East Lane 6-3 is closed (access=no); Lonely Road 10-16-11 (lon 0.005-0.007) is an island.
0.001 degree of longitude on the equator is 111.32 m.
"""

import json

import pytest
import shapely.geometry
from shapely import MultiPolygon, Polygon, box
from sqlalchemy import Engine, text

from gis.osm_import import import_osm
from rescuecircle.paths import PROJECT_ROOT
from services.routing import multipolygons_geojson
from tests.conftest import client_for

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
ROUTE = "/ogc/processes/route/execution"
ISOCHRONE = "/ogc/processes/isochrone/execution"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("routing_api")
    import_osm(engine, TOY_CITY)
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


def route(client, origin, destination, mode="drive"):
    return client.post(ROUTE, json={"inputs": {
        "origin": origin, "destination": destination, "mode": mode}})


def test_route_along_main_street(client):
    response = route(client, [0.0, 0.0], [0.002, 0.0])
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/geo+json"
    feature = response.json
    assert feature["properties"]["length_m"] == pytest.approx(222.64, abs=0.5)
    coordinates = feature["geometry"]["coordinates"]
    assert coordinates[0] == pytest.approx([0.0, 0.0], abs=1e-7)
    assert coordinates[-1] == pytest.approx([0.002, 0.0], abs=1e-7)
    assert all(abs(lat) < 1e-7 for _, lat in coordinates)  # stays on Main Street


def test_one_way_street_blocks_driving_back_but_not_walking(client):
    # From 6 the only ways out by car are North Street (one way towards 6) and East Lane
    # (closed): no drive route to 4. On foot, North Street is walked backwards: 222.64 m.
    assert route(client, [0.002, 0.001], [0.0, 0.001]).status_code == 422
    walked = route(client, [0.002, 0.001], [0.0, 0.001], mode="walk")
    assert walked.status_code == 200
    assert walked.json["properties"]["length_m"] == pytest.approx(222.64, abs=0.5)


def test_isochrone_bands_in_order_with_area(client):
    response = client.post(ISOCHRONE, json={"inputs": {
        "point": [0.001, 0.0], "mode": "walk", "minutes": [1, 2]}})
    assert response.status_code == 200, response.json
    features = response.json["features"]
    assert [f["properties"]["minutes"] for f in features] == [2, 1]
    two, one = (f["properties"]["area_km2"] for f in features)
    assert 0 < one < two < 0.5
    assert features[0]["properties"]["population"] is None  # no population loaded


def test_isochrone_as_geotiff(client):
    response = client.post(ISOCHRONE, json={"inputs": {
        "point": [0.001, 0.0], "mode": "walk", "minutes": [2], "format": "geotiff"}})
    assert response.status_code == 200
    assert response.data[:4] in (b"II*\x00", b"MM\x00*")


@pytest.mark.parametrize(("inputs", "names"), [
    ({"point": [0.001, 91], "mode": "walk"}, "latitude"),
    ({"point": [0.001, 0.0], "minutes": [0]}, "minutes"),
    ({"point": [0.001, 0.0], "minutes": [500]}, "minutes"),
    ({"point": [0.001, 0.0], "minutes": []}, "minutes"),
    ({"point": [0.001, 0.0], "mode": "teleport"}, "mode"),
    ({"point": [0.05, 0.0], "mode": "drive"}, "500 m"),
    ({"point": "here"}, "point"),
    ({"point": [0.001, 0.0], "crs": "mars"}, "crs"),
    ({"point": [0.001, 0.0], "depart_at": "yesterday"}, "depart_at"),
])
def test_bad_isochrone_input_is_400_naming_the_problem(client, inputs, names):
    response = client.post(ISOCHRONE, json={"inputs": inputs})
    assert response.status_code == 400
    assert names in response.json["description"]


def test_island_is_422(client):
    response = client.post(ISOCHRONE, json={"inputs": {"point": [0.006, 0.0], "mode": "drive"}})
    assert response.status_code == 422
    assert "island" in response.json["description"]


@pytest.mark.parametrize(("origin", "destination", "which"), [
    ([0.006, 0.0], [0.0, 0.0], "the origin"), ([0.0, 0.0], [0.006, 0.0], "the destination")])
def test_no_route_to_or_from_an_island_says_so(client, origin, destination, which):
    response = route(client, origin, destination)
    assert response.status_code == 422
    assert (f"{which} lies on a part of the drive network cut off from the rest (an island)"
            in response.json["description"])


def test_malformed_body_and_unknown_process(client):
    assert client.post(ISOCHRONE, data="{not json", content_type="application/json"
                       ).status_code == 400
    assert client.post(ISOCHRONE, json={"point": [0, 0]}).status_code == 400
    assert client.post("/ogc/processes/teleport/execution", json={"inputs": {}}
                       ).status_code == 404


@pytest.mark.parametrize(("process", "inputs", "named"), [
    ("isochrone", {}, "point is required"),
    ("isochrone", {"mode": "walk", "minutes": [5]}, "point is required"),
    ("route", {"origin": [0, 0]}, "destination must be [longitude, latitude]"),
])
def test_a_missing_input_is_named(client, process, inputs, named):
    response = client.post(f"/ogc/processes/{process}/execution", json={"inputs": inputs})
    assert response.status_code == 400
    assert response.json["description"].startswith(named)


def test_inputs_wrapped_twice_say_so(client):
    """OWSLib wraps the inputs it is given in {"inputs": ...}: given the README's whole body,
    it sends them wrapped twice."""
    body = {"inputs": {"inputs": {"point": [0.001, 0.0]}}}
    response = client.post(ISOCHRONE, json=body)
    assert response.status_code == 400
    assert "OWSLib" in response.json["description"]


def test_processes_are_described(client):
    listed = client.get("/ogc/processes").json["processes"]
    assert {p["id"] for p in listed} >= {"isochrone", "route"}
    described = client.get("/ogc/processes/isochrone").json
    assert described["inputs"]["minutes"]["schema"]["items"]["maximum"] == 60


def test_ogc_routes_post(client):
    body = {"waypoints": {"type": "MultiPoint", "coordinates": [[0.0, 0.0], [0.002, 0.0]]}}
    response = client.post("/routes", json=body)
    assert response.status_code == 200
    overview = response.json["features"][0]
    assert overview["properties"]["featureType"] == "overview"
    assert overview["properties"]["length_m"] == pytest.approx(222.64, abs=0.5)


@pytest.mark.parametrize("coordinates", [[[0, 0]], [[0, 0], [1, 1], [2, 2]], "x"])
def test_ogc_routes_needs_two_waypoints(client, coordinates):
    body = {"waypoints": {"type": "MultiPoint", "coordinates": coordinates}}
    assert client.post("/routes", json=body).status_code == 400


def test_ogc_routes_no_route_is_422(client):
    body = {"waypoints": {"type": "MultiPoint", "coordinates": [[0.002, 0.001], [0.0, 0.001]]}}
    assert client.post("/routes", json=body).status_code == 422


def test_multipolygons_geojson_equals_shapely_mapping():
    ring = box(0, 0, 10, 10)
    with_hole = Polygon(ring.exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    geometries = [MultiPolygon([with_hole, box(20, 0, 25, 5)]), MultiPolygon(),
                  MultiPolygon([box(1, 1, 2, 2)])]
    expected = [json.loads(json.dumps(shapely.geometry.mapping(g))) for g in geometries]
    assert json.loads(json.dumps(multipolygons_geojson(geometries))) == expected


# -- bands at the edge of the loaded network (Futian, a 4.4 x 3.8 km extract) -----------------

FUTIAN_CENTRE = [114.01847, 22.53359]
# A living street 1.1 km inside the extract's outline ending in a cul-de-sac, and a point on it
# 40 m short of the end.
CUL_DE_SAC = [114.011407, 22.540398]
BEFORE_CUL_DE_SAC = [114.011027, 22.540319]


@pytest.fixture(scope="module")
def futian(make_database, shared_data) -> Engine:
    engine = make_database("routing_api_futian")
    import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    return engine


def isochrone(client, point, mode, minutes):
    response = client.post(ISOCHRONE, json={"inputs": {
        "point": point, "mode": mode, "minutes": minutes}})
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.realdata
def test_a_band_filling_a_small_extract_says_it_is_cut_short(futian):
    body = isochrone(client_for(futian), FUTIAN_CENTRE, "drive", [2, 12])
    twelve, two = body["features"]
    assert twelve["properties"]["truncated"] and not two["properties"]["truncated"]
    assert twelve["properties"]["area_km2"] > 10  # of the 13.4 km2 the extract's roads span
    [note] = body["notes"]
    assert note.startswith("the 12-minute band reaches the edge of the loaded road network at (")
    assert note.endswith("travel beyond it is not known; load a larger extract")


@pytest.mark.realdata
def test_a_band_inside_the_extract_is_not_cut_short(futian):
    client = client_for(futian)
    body = isochrone(client, FUTIAN_CENTRE, "walk", [2])
    assert [f["properties"]["truncated"] for f in body["features"]] == [False]
    assert body["notes"] == []
    # A band over a cul-de-sac inside the city: a dead end, but not the edge of the extract.
    with futian.connect() as conn:
        neighbours = conn.execute(text(
            "WITH v AS (SELECT id FROM rc.road_vertex ORDER BY geom <-> "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 1) "
            "SELECT count(DISTINCT CASE WHEN e.source = v.id THEN e.target ELSE e.source END) "
            "FROM rc.road_edge e, v WHERE v.id IN (e.source, e.target)"),
            {"lon": CUL_DE_SAC[0], "lat": CUL_DE_SAC[1]}).scalar_one()
    assert neighbours == 1
    body = isochrone(client, BEFORE_CUL_DE_SAC, "walk", [3])
    [band] = body["features"]
    assert shapely.geometry.shape(band["geometry"]).contains(shapely.Point(CUL_DE_SAC))
    assert not band["properties"]["truncated"] and body["notes"] == []
