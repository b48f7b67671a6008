"""GET /api/places: streets and named facilities found by what someone types.

The toy city (names known by hand), Futian (Chinese street names) and Imperial County (the same
street name in several towns: the nearest to the map comes first), all imported for real.
"""

import pytest
from sqlalchemy import Engine, text

from gis.osm_import import import_osm
from tests.conftest import client_for
from tests.test_dispatch_api import TOY_CITY


@pytest.fixture(scope="module")
def toy(make_database) -> Engine:
    engine = make_database("places_toy")
    import_osm(engine, TOY_CITY)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rc.aed (name, access, geom) VALUES "
            "('Staff room AED', 'private', ST_SetSRID(ST_MakePoint(0.001, 0.001), 4326)), "
            "('Lobby AED 100%', 'yes', ST_SetSRID(ST_MakePoint(0.002, 0.0), 4326))"))
    return engine


@pytest.fixture(scope="module")
def client(toy):
    return client_for(toy)


def found(client, **query) -> list[dict]:
    response = client.get("/api/places", query_string=query)
    assert response.status_code == 200, response.json
    return response.json["features"]


def test_a_street_is_found_by_part_of_its_name_at_a_point_on_it(client):
    first = found(client, q="main")[0]
    assert first["properties"] == {"kind": "street", "name": "Main Street", "detail": None}
    lon, lat = first["geometry"]["coordinates"]
    assert lat == pytest.approx(0.0, abs=1e-9) and 0.0 <= lon <= 0.002   # on Main Street


def test_a_typo_still_finds_the_street(client):
    assert found(client, q="Mian Stret")[0]["properties"]["name"] == "Main Street"


def test_facilities_are_places_but_private_aeds_are_not(client):
    assert found(client, q="general hosp")[0]["properties"] == {
        "kind": "hospital", "name": "Toy General Hospital", "detail": None}
    assert found(client, q="staff room") == []
    assert [f["properties"]["name"] for f in found(client, q="lobby")] == ["Lobby AED 100%"]


def test_wildcards_in_the_query_are_plain_characters(client):
    assert [f["properties"]["name"] for f in found(client, q="0%")] == ["Lobby AED 100%"]
    assert found(client, q="__") == []


def test_streets_follow_each_import(toy, client):
    with toy.connect() as conn:
        streets = conn.execute(text("SELECT count(*) FROM rc.street")).scalar()
        names = conn.execute(text(
            "SELECT count(DISTINCT name) FROM rc.road_edge WHERE name IS NOT NULL")).scalar()
    assert streets == names   # one town: one place per name
    import_osm(toy, TOY_CITY)
    with toy.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rc.street")).scalar() == streets


@pytest.mark.parametrize(("query", "names_it"), [
    ({}, "q must be 2 to 100"),
    ({"q": "m"}, "q must be 2 to 100"),
    ({"q": "m" * 101}, "q must be 2 to 100"),
    ({"q": "main", "limit": 99}, "limit"),
    ({"q": "main", "lon": 114.0}, "lat"),
    ({"q": "main", "lon": 114.0, "lat": 91}, "lat"),
    ({"q": "main", "crs": "mars"}, "crs"),
])
def test_bad_queries_are_400_naming_the_parameter(client, query, names_it):
    response = client.get("/api/places", query_string=query)
    assert response.status_code == 400
    assert names_it in response.json["description"]


@pytest.fixture(scope="module")
def futian(make_database, shared_data) -> Engine:
    engine = make_database("places_futian")
    import_osm(engine, shared_data / "shenzhen" / "futian.osm.pbf")
    return engine


def test_chinese_street_names_are_found(futian):
    features = found(client_for(futian), q="景田")
    names = [f["properties"]["name"] for f in features]
    assert names and all("景田" in name for name in names)
    assert names[0].startswith("景田")


def test_coordinates_come_back_in_the_crs_asked_for(futian):
    client = client_for(futian)
    wgs84 = found(client, q="景田路")[0]["geometry"]["coordinates"]
    gcj02 = found(client, q="景田路", crs="gcj02")[0]["geometry"]["coordinates"]
    shift_m = ((gcj02[0] - wgs84[0]) * 103_000, (gcj02[1] - wgs84[1]) * 111_000)
    assert 300 < (shift_m[0] ** 2 + shift_m[1] ** 2) ** 0.5 < 800   # China's offset


@pytest.fixture(scope="module")
def imperial(make_database, shared_data) -> Engine:
    engine = make_database("places_imperial")
    import_osm(engine, shared_data / "us-imperial" / "imperial.osm.pbf")
    return engine


@pytest.mark.parametrize(("town", "lon", "lat"), [
    ("Seeley", -115.69, 32.79), ("Imperial", -115.57, 32.85)])
def test_the_same_street_name_in_several_towns_comes_nearest_first(imperial, town, lon, lat):
    features = found(client_for(imperial), q="Main Street", lon=lon, lat=lat)
    streets = [f for f in features if f["properties"]["name"] == "Main Street"]
    assert len(streets) >= 3, f"Main Street should be in several towns: {features}"
    distances = [abs(f["geometry"]["coordinates"][0] - lon) + abs(
        f["geometry"]["coordinates"][1] - lat) for f in streets]
    assert distances[0] == min(distances), town
    assert distances[0] < 0.2
