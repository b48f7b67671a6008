"""One question, one answer: the CLI and the API call the same use cases (issue #13).

On one database, with a speed-factor file and a snap limit set, ``kpi``, ``coverage stations``
and ``site stations`` at 08:00 give identical numbers through the command line and over HTTP;
and the factors do change them, so the comparison could fail.
"""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.app import create_app
from cli.main import main
from gis.demo_load import load_demo_city
from gis.tokens import create_token
from tests.conftest import app_settings

AT = "2026-11-25T08:00:00+08:00"
HOUR = "8"
RUSH = 2.5  # at 08:00 every drive takes 2.5 times as long as at free flow


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("one_way_in")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def factors_file(tmp_path_factory) -> Path:
    classes = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
               "residential", "living_street", "service", "road")
    hourly = [1.0] * 24
    hourly[8] = RUSH
    path = tmp_path_factory.mktemp("factors") / "factors.json"
    path.write_text(json.dumps({road_class: hourly for road_class in classes}))
    return path


@pytest.fixture
def configured(engine, factors_file, monkeypatch):
    """The CLI's environment and an API client, both with the same non-default settings."""
    url = app_settings(engine).database_url
    monkeypatch.setenv("RC_DATABASE_URL", url)
    monkeypatch.setenv("RC_SPEED_FACTORS_FILE", str(factors_file))
    monkeypatch.setenv("RC_SNAP_MAX_M", "300")
    settings = app_settings(engine).model_copy(
        update={"speed_factors_file": factors_file, "snap_max_m": 300.0})
    client = create_app(settings, engine=engine).test_client()
    token = create_token(engine, role="analyst", label="one way in")
    return client, {"Authorization": f"Bearer {token}"}


def test_kpi_through_the_cli_and_the_api_are_identical(configured, tmp_path):
    client, analyst = configured
    main(["kpi", "--at", AT, "--hour", HOUR, "-o", str(tmp_path / "kpi.csv")])
    answer = client.get(f"/api/planning/kpi?format=csv&hour={HOUR}&at={AT.replace('+', '%2B')}",
                        headers=analyst)
    assert answer.status_code == 200
    assert (tmp_path / "kpi.csv").read_text(encoding="utf-8") == answer.get_data(as_text=True)


def _bands(collection: dict) -> list[tuple[float, float, float, bool]]:
    return [(f["properties"]["minutes"], f["properties"]["area_km2"],
             f["properties"]["population"], f["properties"]["truncated"])
            for f in collection["features"]]


def test_station_coverage_through_the_cli_and_the_api_are_identical(configured, tmp_path):
    client, analyst = configured
    main(["coverage", "stations", "--at", AT, "--hour", HOUR,
          "--bands", str(tmp_path / "bands.geojson")])
    by_cli = json.loads((tmp_path / "bands.geojson").read_text())
    query = f"hour={HOUR}&at={AT.replace('+', '%2B')}"
    by_api = client.get(f"/api/planning/coverage/stations?{query}", headers=analyst).get_json()
    assert _bands(by_cli) == _bands(by_api)
    free_flow = client.get("/api/planning/coverage/stations", headers=analyst).get_json()
    rush, free = _bands(by_api)[-1][1], _bands(free_flow)[-1][1]  # the 5-minute bands
    assert rush < 0.8 * free  # the factors were applied, or both answers would be free flow


def test_siting_through_the_cli_and_the_api_are_identical(configured, tmp_path):
    client, analyst = configured
    main(["site", "stations", "--add", "2", "--at", AT, "--hour", HOUR,
          "-o", str(tmp_path / "sites.geojson")])
    by_cli = json.loads((tmp_path / "sites.geojson").read_text())
    query = f"add=2&hour={HOUR}&at={AT.replace('+', '%2B')}"
    by_api = client.get(f"/api/planning/sites/stations?{query}", headers=analyst).get_json()
    assert by_cli == by_api
    assert by_api["model"] == "mclp" and len(by_api["features"]) == 2
    assert by_api["total_people"] > 0


@pytest.mark.parametrize(("query", "message"), [
    ("", "give one of add"),
    ("add=2&cover_all=true", "give one of add"),
    ("add=2&relocate=1", "give one of add"),
    ("relocate=1&demand=calls", "demand 'calls' is not population, incidents or mix:A"),
    ("relocate=1&from=2026-02-01&to=2026-01-01", "from 2026-02-01 is after to"),
    ("add=0", "add = '0' is outside"),
    ("cover_all=maybe", "cover_all must be true or false"),
])
def test_siting_bad_input_is_a_named_400(configured, query, message):
    client, analyst = configured
    answer = client.get(f"/api/planning/sites/stations?{query}", headers=analyst)
    assert answer.status_code == 400 and message in answer.get_json()["description"]


def test_siting_is_for_analysts(configured):
    client, _ = configured
    assert client.get("/api/planning/sites/stations?add=1").status_code == 401
