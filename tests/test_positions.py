"""PUT /api/volunteers/{id}/position: who may write a position, and what is refused."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from gis.tokens import create_token
from tests.conftest import client_for


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("positions")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.volunteer (id, name) VALUES (1, 'A'), (2, 'B')"))
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


def bearer(engine: Engine, role: str, volunteer_id: int | None = None) -> dict[str, str]:
    token = create_token(engine, role=role, volunteer_id=volunteer_id)
    return {"Authorization": f"Bearer {token}"}


def positions(engine: Engine, volunteer_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM rc.volunteer_position WHERE volunteer_id = :v"),
            {"v": volunteer_id}).scalar_one())


def test_a_volunteer_reports_their_own_position_and_availability(client, engine):
    before = positions(engine, 1)
    response = client.put("/api/volunteers/1/position", headers=bearer(engine, "volunteer", 1),
                          json={"lon": 114.05, "lat": 22.54, "accuracy_m": 12,
                                "availability": "available"})
    assert response.status_code == 201
    assert positions(engine, 1) == before + 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT availability FROM rc.volunteer WHERE id = 1")
                            ).scalar() == "available"


def test_gcj02_input_is_stored_in_wgs84(client, engine):
    client.put("/api/volunteers/2/position", headers=bearer(engine, "dispatcher"),
               json={"lon": 114.0553, "lat": 22.5373, "crs": "gcj02"})
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.volunteer_position WHERE volunteer_id = 2 "
            "ORDER BY id DESC LIMIT 1")).one()
    shift_m = ((114.0553 - lon) * 102_800) ** 2 + ((22.5373 - lat) * 110_700) ** 2
    assert 400 < shift_m**0.5 < 700  # GCJ-02 is 400-700 m off WGS84 in Shenzhen


@pytest.mark.parametrize(("role", "volunteer_id", "status"), [
    (None, None, 401), ("public", None, 403), ("analyst", None, 403),
    ("volunteer", 2, 403),   # another volunteer's token
])
def test_others_may_not_write_a_position(client, engine, role, volunteer_id, status):
    headers = bearer(engine, role, volunteer_id) if role else {}
    before = positions(engine, 1)
    response = client.put("/api/volunteers/1/position", headers=headers,
                          json={"lon": 114.05, "lat": 22.54})
    assert response.status_code == status
    assert positions(engine, 1) == before


@pytest.mark.parametrize(("body", "names_it"), [
    ({"lon": 114.05, "lat": 200}, "lat"),
    ({"lon": "east", "lat": 22.5}, "lon"),
    ({"lon": 114.05, "lat": 22.54, "accuracy_m": -1}, "accuracy_m"),
    ({"lon": 114.05, "lat": 22.54, "availability": "asleep"}, "availability"),
    ({"lon": 114.05, "lat": 22.54, "crs": "mars"}, "crs"),
    ({"lon": 114.05, "lat": 22.54,
      "observed_at": (datetime.now(UTC) - timedelta(days=3)).isoformat()}, "observed_at"),
])
def test_bad_positions_are_400_and_store_nothing(client, engine, body, names_it):
    before = positions(engine, 1)
    response = client.put("/api/volunteers/1/position", headers=bearer(engine, "dispatcher"),
                          json=body)
    assert response.status_code == 400
    assert names_it in response.json["description"]
    assert positions(engine, 1) == before


def test_unknown_volunteer_is_404(client, engine):
    response = client.put("/api/volunteers/999/position", headers=bearer(engine, "dispatcher"),
                          json={"lon": 114.05, "lat": 22.54})
    assert response.status_code == 404
