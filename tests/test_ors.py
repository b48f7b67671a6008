"""The openrouteservice-compatible API under /ors/v2 (issue #17, item 4), driven by the real
``openrouteservice`` and ``routingpy`` clients pointed at a served app on the demo city: their
areas, times and distances must be the OGC answers for the same inputs."""

import openrouteservice
import pytest
import routingpy
from routingpy.exceptions import RouterApiError
from sqlalchemy import Engine, text

from services.ors_directions import encode_polyline
from tests.conftest import served
from tests.test_reach import demo_city, unlimited, unlimited_client

ISOCHRONE = "/ogc/processes/isochrone/execution"
MATRIX = "/ogc/processes/matrix/execution"
ROUTE = "/ogc/processes/route/execution"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return demo_city(make_database)


@pytest.fixture(scope="module")
def base(engine):
    with served(engine, unlimited(engine)) as url:
        yield f"{url}/ors"


@pytest.fixture(scope="module")
def ogc(engine):
    return unlimited_client(engine)


@pytest.fixture(scope="module")
def places(engine) -> list[list[float]]:
    """The stations and hospitals of the demo city, as [lon, lat]."""
    with engine.connect() as conn:
        return [[round(x, 6), round(y, 6)] for x, y in conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.station UNION ALL "
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.hospital"))]


def ogc_bands(ogc, point, mode, minutes, direction="from") -> dict[float, dict]:
    response = ogc.post(ISOCHRONE, json={"inputs": {
        "point": point, "mode": mode, "minutes": minutes, "direction": direction}})
    assert response.status_code == 200, response.json
    return {f["properties"]["minutes"]: f["properties"] for f in response.json["features"]}


@pytest.mark.parametrize(("profile", "mode"), [("driving-car", "drive"),
                                               ("foot-walking", "walk")])
def test_openrouteservice_isochrones_are_ours(base, ogc, places, profile, mode):
    client = openrouteservice.Client(base_url=base, retry_over_query_limit=False)
    answer = client.isochrones(locations=places[:2], profile=profile, range=[180, 300],
                               attributes=["area", "total_pop"])
    assert [(f["properties"]["group_index"], f["properties"]["value"])
            for f in answer["features"]] == [(0, 180), (0, 300), (1, 180), (1, 300)]
    assert answer["metadata"]["service"] == "isochrones"
    for feature in answer["features"]:
        group, value = feature["properties"]["group_index"], feature["properties"]["value"]
        ours = ogc_bands(ogc, places[group], mode, [3, 5])[value / 60]
        assert feature["properties"]["area"] / 1e6 == pytest.approx(ours["area_km2"], abs=1e-9)
        assert feature["properties"]["total_pop"] == ours["population"]
        assert feature["properties"]["center"] == places[group]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_routingpy_destination_isochrones_are_ours_to_the_point(base, ogc, places):
    router = routingpy.ORS(base_url=base)
    found = router.isochrones(locations=places[0], profile="driving-car", intervals=[240],
                              location_type="destination", attributes=["area"])
    assert len(found) == 1 and found[0].interval == 240 and found[0].center == places[0]
    ours = ogc_bands(ogc, places[0], "drive", [4], direction="to")[4]
    area = found.raw["features"][0]["properties"]["area"]
    assert area / 1e6 == pytest.approx(ours["area_km2"], abs=1e-9)
    assert area != pytest.approx(  # destination is not start on the demo city's one-ways
        ogc_bands(ogc, places[0], "drive", [4])[4]["area_km2"] * 1e6, abs=1)


def test_matrix_from_both_clients_is_ours(base, ogc, places):
    ours = ogc.post(MATRIX, json={"inputs": {
        "sources": places[:3], "targets": places[3:], "mode": "drive"}}).json
    client = openrouteservice.Client(base_url=base, retry_over_query_limit=False)
    answer = client.distance_matrix(
        locations=places, profile="driving-car", sources=[0, 1, 2],
        destinations=list(range(3, len(places))), metrics=["duration", "distance"], units="km")
    router = routingpy.ORS(base_url=base)
    routed = router.matrix(locations=places, profile="driving-car", sources=[0, 1, 2],
                           destinations=list(range(3, len(places))),
                           metrics=["duration", "distance"])
    for i in range(3):
        for j in range(len(places) - 3):
            assert answer["durations"][i][j] == pytest.approx(ours["durations_s"][i][j], abs=0.051)
            assert answer["distances"][i][j] * 1000 == pytest.approx(
                ours["distances_m"][i][j], abs=5.1)
            assert routed.durations[i][j] == answer["durations"][i][j]
            assert routed.distances[i][j] == pytest.approx(ours["distances_m"][i][j], abs=0.051)
    assert len(answer["sources"]) == 3 and "snapped_distance" in answer["sources"][0]


def test_directions_json_and_geojson_are_our_routes(base, ogc, places):
    via = places[:3]
    legs = [ogc.post(ROUTE, json={"inputs": {"origin": a, "destination": b, "mode": "drive"}})
            .json["properties"] for a, b in zip(via, via[1:], strict=False)]
    client = openrouteservice.Client(base_url=base, retry_over_query_limit=False)
    as_json = client.directions(via, profile="driving-car")
    route = as_json["routes"][0]
    assert [s["duration"] for s in route["segments"]] == [leg["duration_s"] for leg in legs]
    assert [s["distance"] for s in route["segments"]] == [leg["length_m"] for leg in legs]
    decoded = openrouteservice.convert.decode_polyline(route["geometry"])["coordinates"]
    as_geojson = client.directions(via, profile="driving-car", format="geojson")
    line = as_geojson["features"][0]["geometry"]["coordinates"]
    assert len(decoded) == len(line)
    assert all(abs(a - b) < 1e-5 for p, q in zip(decoded, line, strict=True)
               for a, b in zip(p, q, strict=True))
    assert as_geojson["features"][0]["properties"]["way_points"] == route["way_points"]
    assert route["way_points"][0] == 0 and route["way_points"][-1] == len(line) - 1
    router = routingpy.ORS(base_url=base)
    for form in ("json", "geojson"):
        found = router.directions(locations=via, profile="driving-car", format=form)
        assert found.duration == int(sum(leg["duration_s"] for leg in legs))
        assert found.distance == int(sum(leg["length_m"] for leg in legs))
    walked = routingpy.ORS(base_url=base).directions(
        locations=via[:2], profile="foot-walking", format="geojson")
    walk_leg = ogc.post(ROUTE, json={"inputs": {
        "origin": via[0], "destination": via[1], "mode": "walk"}}).json["properties"]
    assert walked.duration == int(walk_leg["duration_s"])


def test_get_directions_and_refusals(engine, base, places):
    client = unlimited_client(engine)
    start, end = (",".join(map(str, p)) for p in places[:2])
    response = client.get(f"/ors/v2/directions/cycling-regular?start={start}&end={end}")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert response.json["features"][0]["properties"]["summary"]["duration"] > 0
    assert client.get("/ors/v2/directions/driving-car?start=1,2").status_code == 400
    with pytest.raises(RouterApiError, match="driving-hgv"):
        routingpy.ORS(base_url=base).directions(locations=places[:2], profile="driving-hgv")
    refused = [client.post("/ors/v2/isochrones/driving-car", json=body).json["description"]
               for body in ({"locations": [places[0]], "range": [300], "range_type": "distance"},
                            {"locations": [places[0]], "range": [300],
                             "attributes": ["reachfactor"]},
                            {"locations": [places[0]], "range": [30]})]
    assert "range_type 'distance'" in refused[0] and "attributes" in refused[1]
    assert "range = 30" in refused[2]
    shortest = client.post("/ors/v2/directions/driving-car", json={
        "coordinates": places[:2], "preference": "shortest"})
    assert shortest.status_code == 400 and "preference 'shortest'" in shortest.json["description"]


def test_interval_cuts_one_range_into_bands(engine, places):
    answer = unlimited_client(engine).post("/ors/v2/isochrones/driving-car/geojson", json={
        "locations": [places[0]], "range": [300], "interval": 120}).json
    assert [f["properties"]["value"] for f in answer["features"]] == [120, 240, 300]


def test_encoded_polyline_is_googles():
    # Google's documented example: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453)
    assert encode_polyline([[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]]) == \
        "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
