"""The Flask app: landing page, /health, error mapping, bearer tokens and roles.

Runs against a fresh migrated database; the app's Settings point at it too, because pygeoapi's
provider connects by itself.
"""

import logging
import socket
from collections.abc import Callable
from typing import NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from api import errors
from api.app import create_app
from api.auth import require_roles
from gis.tokens import create_token, revoke_token
from rescuecircle.errors import Forbidden, InvalidInput, NoRoute, NotFound, Unavailable
from rescuecircle.settings import Settings
from tests.conftest import app_settings, client_for

SECRET_SQL = "SELECT secret FROM rc.api_token"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return make_database("api")


@pytest.fixture(scope="module")
def client(engine) -> FlaskClient:
    return client_for(engine)


@pytest.fixture(scope="module")
def down_client() -> FlaskClient:
    """An app whose database URL points at a closed port (the shared cluster keeps running)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return create_app(Settings(database_url=f"postgresql://nobody:x@127.0.0.1:{port}/none")
                      ).test_client()


def test_landing_page_links_the_main_urls(client):
    response = client.get("/")
    assert response.status_code == 200
    hrefs = {link["href"] for link in response.json["links"]}
    assert {"http://127.0.0.1:8000/health", "http://127.0.0.1:8000/ogc",
            "http://127.0.0.1:8000/ogc/collections/aeds/items"} <= hrefs


def test_health_reports_versions_and_network_per_mode(client, engine):
    with engine.begin() as conn:  # one footway: walkable both ways, closed to cars and bikes
        conn.execute(text(
            "INSERT INTO rc.road_vertex (id, geom) VALUES "
            "(1, ST_SetSRID(ST_MakePoint(114.0, 22.5), 4326)), "
            "(2, ST_SetSRID(ST_MakePoint(114.001, 22.5), 4326))"))
        conn.execute(text(
            "INSERT INTO rc.road_edge (id, source, target, road_class, length_m, speed_drive_kmh, "
            "speed_walk_kmh, speed_bike_kmh, cost_drive_s, reverse_cost_drive_s, cost_walk_s, "
            "reverse_cost_walk_s, cost_bike_s, reverse_cost_bike_s, geom) VALUES "
            "(1, 1, 2, 'footway', 103, 0, 5, 0, -1, -1, 74, 74, -1, -1, "
            "ST_SetSRID(ST_MakeLine(ST_MakePoint(114.0, 22.5), ST_MakePoint(114.001, 22.5)), "
            "4326))"))
    try:
        response = client.get("/health")
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rc.road_edge; DELETE FROM rc.road_vertex"))
    assert response.status_code == 200
    body = response.json
    assert body["database"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["pgrouting"].startswith("3.")
    assert body["schema_version"] >= 6
    assert body["version"]
    assert body["network"]["walk"] == {"edges": 1, "length_km": 0.1}
    assert body["network"]["drive"]["edges"] == 0


def test_database_down_is_503_in_json(down_client):
    health = down_client.get("/health")
    assert health.status_code == 503
    assert health.json["database"] == "unreachable"
    for response in (
        down_client.get("/api/whoami", headers={"Authorization": "Bearer some-token"}),
        down_client.get("/ogc/collections/aeds/items?f=json"),
        down_client.get("/ogc/collections/aeds/items/1?f=json"),
        down_client.get("/ogc/openapi?f=json"),
    ):
        assert response.status_code == 503, response.request.path
        assert response.is_json
        assert "unavailable" in response.json["description"]
        assert "SELECT" not in response.get_data(as_text=True)


def test_collections_are_listed_while_the_database_is_down(down_client):
    assert down_client.get("/ogc/collections?f=json").status_code == 200


def test_unknown_url_and_wrong_method_answer_json(client):
    missing = client.get("/no/such/page")
    assert (missing.status_code, missing.json["code"]) == (404, "NotFound")
    wrong = client.delete("/health")
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["Allow"]
    assert wrong.json["code"] == "MethodNotAllowed"


def test_whoami_without_token_is_public(client):
    assert client.get("/api/whoami").json == {"role": "public", "label": None,
                                              "volunteer_id": None}


def test_whoami_with_token_names_its_role(client, engine):
    token = create_token(engine, role="analyst", label="planning office")
    response = client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["role"] == "analyst"
    assert response.json["label"] == "planning office"


@pytest.mark.parametrize("header", [
    "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer two tokens", "Token abc", "bearer-abc",
    "Bearer not-a-real-token",
])
def test_malformed_or_unknown_credentials_are_401(client, header):
    response = client.get("/api/whoami", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["code"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401_everywhere(client, engine):
    token = create_token(engine, role="dispatcher")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/whoami", headers=headers).status_code == 200
    revoke_token(engine, token)
    assert client.get("/api/whoami", headers=headers).status_code == 401
    assert client.get("/ogc/collections?f=json", headers=headers).status_code == 401


def test_require_roles_admits_only_the_named_roles(engine):
    app = create_app(app_settings(engine), engine=engine)
    app.add_url_rule("/test/dispatch-only", "dispatch_only",
                     require_roles("dispatcher", "admin")(lambda: {"ok": True}))
    client = app.test_client()

    def status(role: str | None) -> int:
        headers = {"Authorization": f"Bearer {create_token(engine, role=role)}"} if role else {}
        return client.get("/test/dispatch-only", headers=headers).status_code

    assert status(None) == 401
    assert status("public") == 403
    assert status("volunteer") == 403
    assert status("analyst") == 403
    assert status("dispatcher") == 200
    assert status("admin") == 200


def raiser(exc: Exception) -> Callable[[], NoReturn]:
    def view() -> NoReturn:
        raise exc

    return view


@pytest.fixture
def error_client(engine) -> FlaskClient:
    """A bare app whose routes raise, to check the one exception-to-response map."""
    app = Flask(__name__)
    errors.register(app)
    raising = {
        "invalid": InvalidInput("snap_max_m: 9000 is above 5000"),
        "notfound": NotFound("station 7: no such station"),
        "noroute": NoRoute("no route from the incident to any AED"),
        "forbidden": Forbidden("role analyst may not do this"),
        "unavailable": Unavailable("routing graph is loading"),
        "bug": RuntimeError(f"failed: {SECRET_SQL}"),
    }
    for name, exc in raising.items():
        app.add_url_rule(f"/{name}", name, raiser(exc))

    def run(sql: str) -> str:
        with engine.connect() as conn:
            conn.execute(text(sql))
        return "unreachable: the SQL fails"

    app.add_url_rule("/sql-22023", "sql_22023", lambda: run(
        "DO $$ BEGIN RAISE EXCEPTION 'max_s: -3 is below 0' USING ERRCODE = '22023'; END $$"))
    app.add_url_rule("/sql-division", "sql_division", lambda: run("SELECT 1 / 0"))
    app.add_url_rule("/sql-syntax", "sql_syntax", lambda: run(SECRET_SQL + " WHERE"))
    return app.test_client()


@pytest.mark.parametrize(("path", "status", "code", "description"), [
    ("/invalid", 400, "InvalidInput", "snap_max_m: 9000 is above 5000"),
    ("/notfound", 404, "NotFound", "station 7: no such station"),
    ("/noroute", 422, "NoRoute", "no route from the incident to any AED"),
    ("/forbidden", 403, "Forbidden", "role analyst may not do this"),
    ("/unavailable", 503, "Unavailable", "routing graph is loading"),
    ("/bug", 500, "InternalServerError", "internal server error"),
    ("/sql-22023", 400, "InvalidInput", "max_s: -3 is below 0"),
    ("/sql-division", 400, "InvalidInput", errors.BAD_VALUE),
    ("/sql-syntax", 500, "InternalServerError", "internal server error"),
])
def test_errors_map_to_status_and_json(error_client, path, status, code, description):
    response = error_client.get(path)
    assert response.status_code == status
    assert response.json == {"code": code, "description": description}
    assert "secret" not in response.get_data(as_text=True)


def test_tracebacks_are_logged_for_server_errors_only(error_client, caplog):
    with caplog.at_level(logging.INFO, logger="api.errors"):
        error_client.get("/invalid")
        error_client.get("/bug")
    client_error, server_error = caplog.records
    assert client_error.exc_info is None
    assert server_error.exc_info is not None and server_error.levelno == logging.ERROR


def test_health_says_an_outdated_schema_needs_migrate(make_database):
    """A database last migrated by an older release: 503 naming the command, not a 500 from
    a query for a column that is not there yet."""
    engine = make_database("api_outdated")
    with engine.begin() as conn:  # as the release before the newest migration left it
        conn.execute(text("DELETE FROM rc.migration WHERE version = "
                          "(SELECT max(version) FROM rc.migration)"))
    health = client_for(engine).get("/health")
    assert health.status_code == 503
    assert health.json["database"] == "outdated"
    assert health.json["error"].endswith("run `rescuecircle db migrate`")
