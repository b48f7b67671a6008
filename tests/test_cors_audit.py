"""CORS from the settings' allow-list, the audit log of personal-data reads, public rate limits."""

import logging

import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from gis.tokens import create_token
from tests.conftest import app_settings

MAP = "https://map.example.org"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    return make_database("reliab_cors_audit")


def client(engine: Engine, origins: list[str]):
    settings = app_settings(engine).model_copy(update={"cors_origins": origins})
    return create_app(settings, engine=engine).test_client()


def test_no_cors_headers_by_default(engine):
    response = client(engine, []).get("/health", headers={"Origin": MAP})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_allowed_origin_gets_headers_and_a_preflight(engine):
    app = client(engine, [MAP])
    response = app.get("/health", headers={"Origin": MAP})
    assert response.headers["Access-Control-Allow-Origin"] == MAP
    assert "Origin" in response.headers["Vary"]
    preflight = app.options("/routes", headers={
        "Origin": MAP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_other_origin_gets_no_headers(engine):
    response = client(engine, [MAP]).get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_wildcard(engine):
    response = client(engine, ["*"]).get("/health", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_reads_of_personal_data_are_logged_with_who_read(engine, caplog):
    with engine.begin() as conn:
        volunteer = conn.execute(text("INSERT INTO rc.volunteer (name) VALUES ('audited') "
                                      "RETURNING id")).scalar_one()
    token = create_token(engine, role="dispatcher", label="console 7")
    app = client(engine, [])
    with caplog.at_level(logging.INFO, logger="rescuecircle.audit"):
        assert app.get(f"/api/volunteers/{volunteer}",
                       headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert app.get(f"/api/volunteers/{volunteer}").status_code == 401
        assert app.get("/health").status_code == 200
    records = [r.getMessage() for r in caplog.records if r.name == "rescuecircle.audit"]
    assert len(records) == 2
    assert "role=dispatcher" in records[0] and "'console 7'" in records[0]
    assert f"/api/volunteers/{volunteer} -> 200" in records[0]
    assert "role=public" in records[1] and "-> 401" in records[1]


def test_public_computations_are_rate_limited_and_tokens_are_not(engine):
    settings = app_settings(engine).model_copy(update={"public_compute_per_min": 3})
    app = create_app(settings, engine=engine).test_client()
    token = {"Authorization": f"Bearer {create_token(engine, role='dispatcher')}"}
    nearest = "/api/aeds/nearest?lon=0&lat=0"
    me = {"REMOTE_ADDR": "10.0.0.7"}   # counts are in the database: an address of this test
    statuses = [app.get(nearest, environ_base=me).status_code for _ in range(4)]
    assert 429 not in statuses[:3] and statuses[3] == 429
    refused = app.get(nearest, environ_base=me)
    assert "computations" in refused.json["description"]
    # A second server process shares the count.
    other_worker = create_app(settings, engine=engine).test_client()
    assert other_worker.get(nearest, environ_base=me).status_code == 429
    assert app.get(nearest, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code != 429
    assert all(app.get(nearest, headers=token, environ_base=me).status_code != 429
               for _ in range(5))
    assert all(app.get("/ogc/collections/aeds/items?f=json", environ_base=me).status_code == 200
               for _ in range(5))


def test_authentication_comes_before_the_rate_limit(engine):
    """A request the endpoint refuses anyway is a 401, even from an address over its limit,
    and does not count: an analyst-only export or process without a token."""
    settings = app_settings(engine).model_copy(update={"public_compute_per_min": 1})
    app = create_app(settings, engine=engine).test_client()
    me = {"REMOTE_ADDR": "10.0.0.11"}
    refused = ["/api/exports/travel_time.tif?lon=0&lat=0", "/api/exports/station_coverage.csv"]
    coverage = ("/ogc/processes/coverage/execution", {"inputs": {"layer": "stations"}})
    for _ in range(3):
        assert all(app.get(path, environ_base=me).status_code == 401 for path in refused)
        assert app.post(coverage[0], json=coverage[1], environ_base=me).status_code == 401
    nearest = "/api/aeds/nearest?lon=0&lat=0"
    assert app.get(nearest, environ_base=me).status_code != 429  # nothing was counted
    assert app.get(nearest, environ_base=me).status_code == 429
    assert all(app.get(path, environ_base=me).status_code == 401 for path in refused)


def test_behind_a_trusted_proxy_clients_are_counted_apart_and_spoofing_fails(engine):
    limited = {"public_compute_per_min": 2}
    nearest = "/api/aeds/nearest?lon=0&lat=0"
    proxy = {"REMOTE_ADDR": "10.0.0.8"}
    behind = create_app(app_settings(engine).model_copy(
        update={**limited, "trusted_proxies": 1}), engine=engine).test_client()
    for client in ("203.0.113.1", "203.0.113.2"):
        forwarded = {"X-Forwarded-For": client}
        statuses = [behind.get(nearest, headers=forwarded, environ_base=proxy).status_code
                    for _ in range(3)]
        assert 429 not in statuses[:2] and statuses[2] == 429, client
    direct = create_app(app_settings(engine).model_copy(update=limited),
                        engine=engine).test_client()
    spoofer = {"REMOTE_ADDR": "10.0.0.9"}
    statuses = [direct.get(nearest, headers={"X-Forwarded-For": f"198.51.100.{i}"},
                           environ_base=spoofer).status_code for i in range(3)]
    assert statuses[2] == 429   # without a trusted proxy the header is ignored
