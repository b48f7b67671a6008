"""GET /api/planning/volunteer-density: where volunteers are, without pointing at anyone.

Hand-placed volunteers: six active ones within 30 m of A, one more whose only position at A is
40 days old, one suspended at A, one who was at A but is now alone at C, and two at B, 3 km
away. Cells of fewer than min_count volunteers must not appear at all.
"""

from datetime import UTC, datetime, timedelta

import pyogrio
import pytest
import shapely
from sqlalchemy import Engine, text

from gis.tokens import create_token
from tests.conftest import client_for

A, B, C = (114.050, 22.540), (114.080, 22.540), (114.050, 22.580)
NOW = datetime.now(UTC)


def add_volunteer(conn, status: str, *positions: tuple[tuple[float, float], timedelta]) -> None:
    volunteer = conn.execute(text(
        "INSERT INTO rc.volunteer (name, status) VALUES ('v', :s) RETURNING id"),
        {"s": status}).scalar_one()
    for (lon, lat), age in positions:
        conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
            "VALUES (:v, :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
            {"v": volunteer, "at": NOW - age, "lon": lon, "lat": lat})


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("volunteer_density")
    recent = timedelta(hours=2)
    with engine.begin() as conn:
        for i in range(6):
            add_volunteer(conn, "active", ((A[0] + i * 0.00005, A[1]), recent))
        add_volunteer(conn, "active", (A, timedelta(days=40)))
        add_volunteer(conn, "suspended", (A, recent))
        add_volunteer(conn, "active", (A, timedelta(days=3)), (C, recent))
        add_volunteer(conn, "active", (B, recent))
        add_volunteer(conn, "active", ((B[0] + 0.0001, B[1]), recent))
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def analyst(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='analyst', label='density')}"}


def cells(client, analyst, **query) -> list[dict]:
    response = client.get("/api/planning/volunteer-density", headers=analyst,
                          query_string={"min_count": 3, **query})
    assert response.status_code == 200, response.json
    return response.json["features"]


def test_volunteers_are_counted_where_they_are_now(client, analyst):
    found = cells(client, analyst)
    assert [f["properties"]["volunteers"] for f in found] == [6]   # B (2) and C (1) left out
    hexagon = shapely.geometry.shape(found[0]["geometry"])
    assert hexagon.contains(shapely.Point(A)) and len(hexagon.exterior.coords) == 7
    across_m = (hexagon.bounds[2] - hexagon.bounds[0]) * 111_320 * 0.9235   # cos(22.54°)
    assert 450 < across_m < 650     # about cell_m (500 m) across


def test_older_positions_count_when_the_window_is_longer(client, analyst):
    assert [f["properties"]["volunteers"] for f in cells(client, analyst, days=60)] == [7]


def test_no_cell_holds_fewer_than_min_count(client, analyst):
    assert [f["properties"]["volunteers"] for f in cells(client, analyst, min_count=7)] == []
    coarse = cells(client, analyst, cell_m=5000)
    assert coarse and all(f["properties"]["volunteers"] >= 3 for f in coarse)


def test_as_a_geopackage(client, analyst, tmp_path):
    response = client.get("/api/planning/volunteer-density?min_count=3&format=gpkg",
                          headers=analyst)
    assert response.status_code == 200
    path = tmp_path / "density.gpkg"
    path.write_bytes(response.data)
    info = pyogrio.read_info(path)
    assert info["features"] == 1 and info["geometry_type"] == "Polygon"


def test_only_analysts_and_admins_see_it(client, engine):
    url = "/api/planning/volunteer-density"
    assert client.get(url).status_code == 401
    for role in ("volunteer", "dispatcher"):
        token = {"Authorization": f"Bearer {create_token(engine, role=role, label='d')}"}
        assert client.get(url, headers=token).status_code == 403


@pytest.mark.parametrize(("query", "names_it"), [
    ({"min_count": 1}, "min_count"), ({"cell_m": 10}, "cell_m"), ({"days": 0}, "days"),
    ({"format": "xlsx"}, "format"),
])
def test_bad_parameters_are_400(client, analyst, query, names_it):
    response = client.get("/api/planning/volunteer-density", headers=analyst,
                          query_string=query)
    assert response.status_code == 400
    assert names_it in response.json["description"]
