"""The web pages in a real browser: Debian's chromium driven by playwright-core (npm).

The app is served by waitress on a free loopback port over a migrated database with the demo
city; each flow is a Node script in ``tests/web/`` whose exit status is the verdict, and which
also asserts that the page made zero requests outside 127.0.0.1 (anything else is blocked and
reported). Screenshots go to ``artifacts/web/``. Needs ``chromium`` (``scripts/install-deps.sh
--test``), Node and ``npm ci`` (playwright-core, and maplibre-gl copied into ``web/vendor``);
without them the browser tests skip, except in CI (CI=true), where they fail.
"""

import re
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from gis.aed_registry import set_status
from gis.demo_load import load_demo_city
from gis.tokens import create_token
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings
from routing.network import Network
from tests.browser import run_flow
from tests.conftest import app_settings, served

# a Wednesday evening in the demo city: weekday-only AEDs are closed
AT = "2026-11-25T20:00:00+08:00"
NOON = "2026-11-25T12:00:00+08:00"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("web")
    load_demo_city(engine)
    return engine


@pytest.fixture(scope="module")
def web_settings(engine) -> Settings:
    """No alert times out during a flow: a time-out replans, and the console, which follows
    its incident live, would show that plan under the flow's feet."""
    return app_settings(engine).model_copy(update={"alert_timeout_s": 600})


@pytest.fixture(scope="module")
def app(engine, web_settings):
    return create_app(web_settings, engine=engine)


@pytest.fixture(scope="module")
def base_url(engine, web_settings) -> Iterator[str]:
    """The app under waitress on a free loopback port; its links name that port."""
    with served(engine, web_settings, threads=8) as url:
        yield url


@pytest.fixture(scope="module")
def finder_case(engine, app) -> dict:
    """A person standing at an AED that is closed at AT, whose nearest usable AED is then
    made faulty: the finder must offer the next one first and neither of those two."""
    with engine.connect() as conn:
        closed = conn.execute(text(
            "SELECT a.id, ST_X(a.geom), ST_Y(a.geom) FROM rc.aed a "
            "WHERE rc.aed_unavailable_reason(a.id, :at) LIKE 'closed%' "
            "AND rc.aed_available_at(a.id, :noon) "
            "ORDER BY ST_Distance(a.geom, ST_SetSRID(ST_MakePoint(114.2, 22.65), 4326)) "
            "LIMIT 1"), {"at": AT, "noon": NOON}).one()
    closed_id, lon, lat = closed
    client = app.test_client()
    before = client.get("/api/aeds/nearest", query_string={
        "lon": lon, "lat": lat, "at": AT, "limit": 5}).get_json()
    ids = [f["id"] for f in before["features"]]
    assert closed_id not in ids and len(ids) >= 3, before
    faulty = ids[0]
    set_status(engine, faulty, "fault", reason="web test", actor="test")
    with engine.connect() as conn:
        street = conn.execute(text(  # the street nearest the case: AEDs are near it too
            "SELECT name FROM rc.street ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), "
            "4326) LIMIT 1"), {"lon": lon, "lat": lat}).scalar_one()
    return {"lon": lon, "lat": lat, "at": AT, "closed": closed_id, "faulty": faulty,
            "first_id": ids[1], "skipped": [closed_id, faulty], "street": street}


def test_nearest_endpoint_ranks_usable_aeds_by_walking_time(app, finder_case):
    """The API behind the finder, checked against routes computed one by one."""
    case = finder_case
    network: Network = app.extensions["rescuecircle"].networks.current()
    body = app.test_client().get("/api/aeds/nearest", query_string={
        "lon": case["lon"], "lat": case["lat"], "limit": 10, "at": case["at"]}).get_json()
    features = body["features"]
    assert features[0]["id"] == case["first_id"]
    assert all(f["properties"]["available"] for f in features)
    assert {case["closed"], case["faulty"]} <= {f["id"] for f in body["unavailable"]}
    walks = [f["properties"]["walk_s"] for f in features]
    assert walks == sorted(walks)
    origin = network.snap(case["lon"], case["lat"], "walk")
    for feature in features[:3]:
        lon, lat = feature["geometry"]["coordinates"]
        alone = network.route(origin, network.snap(lon, lat, "walk"), "walk")
        assert feature["properties"]["walk_s"] == pytest.approx(alone.time_s, abs=0.2)
        line = np.array(feature["route"]["geometry"]["coordinates"])
        assert len(line) >= 2 and np.allclose(line[-1], [lon, lat], atol=0.005)


def test_nearest_endpoint_rejects_bad_input(app):
    client = app.test_client()
    assert client.get("/api/aeds/nearest?lon=200&lat=22.6").status_code == 400
    assert client.get("/api/aeds/nearest?lon=114.2").status_code == 400
    assert client.get("/api/aeds/nearest?lon=114.2&lat=22.65&limit=99").status_code == 400


def test_pages_and_assets_are_served_locally(app):
    client = app.test_client()
    for path in ("/finder", "/console", "/planner", "/responder", "/web/common.js",
                 "/web/finder.js", "/web/console.js", "/web/console-live.js",
                 "/web/event-stream.js", "/web/loop-strings.js", "/web/responder.js",
                 "/web/planner.js", "/web/style.css", "/finder-sw.js"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            body = response.get_data()
        assert b"https://" not in body and b"http://" not in body, path
        if path in ("/finder", "/console", "/planner", "/responder"):
            assert b"/web/vendor/maplibre-gl.js" in body
    with client.get("/finder-sw.js") as response:
        assert response.headers["Service-Worker-Allowed"] == "/"
    with client.get("/web/../api/app.py") as response:
        assert response.status_code == 404
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.get_data().startswith(b"<svg")


def test_the_readmes_example_tile_holds_the_demo_citys_aeds(app):
    """The README's curl example asks for a tile of the demo city that `make run` loads."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    tile = re.search(r"localhost:8000(/tiles/aeds/\d+/\d+/\d+\.mvt)", readme)
    assert tile is not None
    with app.test_client().get(tile.group(1)) as response:
        assert response.status_code == 200 and len(response.get_data()) > 100


def test_finder_in_the_browser(browser, base_url, finder_case, engine):
    output = run_flow("finder", base_url, finder_case)
    assert "zero requests outside" in output
    with engine.connect() as conn:
        reported = conn.execute(text(
            "SELECT problem FROM rc.aed_report WHERE aed_id = :id AND description = "
            "'browser test: casing cracked'"), {"id": finder_case["first_id"]}).scalars().all()
    assert reported == ["damaged"]


def test_the_finder_shows_usable_aeds_before_any_position(browser, base_url):
    run_flow("finder_overview", base_url, {"at": NOON})


def test_available_aeds_in_a_box_come_nearest_its_centre_first(app):
    client = app.test_client()
    everything = client.get("/api/aeds/available", query_string={"at": NOON}).get_json()
    box = client.get("/api/aeds/available", query_string={
        "at": NOON, "bbox": "114.18,22.63,114.22,22.67", "limit": 5}).get_json()
    assert 0 < len(box["features"]) <= 5 < len(everything["features"])
    for feature in box["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 114.18 <= lon <= 114.22 and 22.63 <= lat <= 22.67
    bad = client.get("/api/aeds/available", query_string={"bbox": "114.3,22.6,114.2,22.7"})
    assert bad.status_code == 400 and "west must be below east" in bad.get_json()["description"]


@pytest.fixture(scope="module")
def dispatch_case(engine, app) -> dict:
    """A dispatcher token and an incident in the core whose plan is full."""
    token = create_token(engine, role="dispatcher", label="web test")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for lon, lat in ((114.19, 22.655), (114.21, 22.645), (114.2, 22.66), (114.18, 22.64)):
        plan = client.post("/api/dispatch", headers=headers,
                           json={"point": [lon, lat], "at": datetime.now().astimezone()
                                 .isoformat()}).get_json()
        if plan.get("ambulance") and len(plan.get("volunteers", [])) >= 2 and plan.get(
                "aed_runner"):
            return {"token": token, "lon": lon, "lat": lat}
    raise AssertionError("no incident in the demo city's core gets a full plan")


def test_console_in_the_browser(browser, base_url, dispatch_case):
    run_flow("console", base_url, dispatch_case)


def test_planner_in_the_browser(browser, base_url, engine):
    with engine.connect() as conn:
        districts = conn.execute(text("SELECT count(*) FROM rc.district")).scalar_one()
    token = create_token(engine, role="analyst", label="web test")
    run_flow("planner", base_url, {"districts": districts, "token": token})
