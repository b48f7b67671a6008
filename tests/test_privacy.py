"""No personal data reaches the public, owner, gateway or analyst roles, on any route of the app.

The database holds a volunteer with a distinctive name, phone and position, an incident and a
dispatch (one stored by the real dispatch endpoint, one with marker strings). Every rule of the
app's URL map is requested with sample path values (every OGC collection, tile layer, export
file and process, plus the private tables' names guessed as collections, layers and files), with
no token and with a public, an AED owner's, a gateway's and an analyst token; no response body
may contain any marker: not as text, not inside a zip, not as a packed double (GeoPackage,
GeoTIFF). A dispatcher reading the same volunteer does see the markers, which shows the search
would find a leak.
"""

import io
import itertools
import struct
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.routing import Rule

from api.ogc import LAYERS as OGC_LAYERS
from api.processes import PROCESSES
from api.tiles import EXTENSION_KEY as TILES
from gis.export import FORMATS, LAYER_TABLES
from gis.osm_import import import_osm
from gis.tokens import create_token, organisation_named
from rescuecircle.paths import PROJECT_ROOT
from services.ors import PROFILES
from tests.conftest import app_settings

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
AT = datetime.fromisoformat("2026-11-29T20:00:00+08:00")
NAME = "PRIVATE-NAME-7f3a"
PHONE = "+86-139-7311-4096"
INCIDENT = "PRIVATE-INCIDENT-c41d"
PLAN = "PRIVATE-PLAN-e92b"
POSITION = (0.00123401, 0.00045671)  # lon, lat: no road node, AED or grid point lies here
TEXT_MARKERS = (NAME, PHONE, INCIDENT, PLAN, "0.0012340", "0.0004567")
PRIVATE_GUESSES = ("volunteers", "volunteer", "volunteer_position", "volunteer_position_latest",
                   "positions", "incidents", "incident", "dispatch", "dispatches", "api_token")
ROLES_WITHOUT_ACCESS = (None, "public", "owner", "gateway", "analyst")
ENDINGS = [fmt.suffix.lstrip(".") for fmt in FORMATS.values()]
TILE = {"z": 16, "x": 32768, "y": 32767, "col": 32768, "row": 32767}  # holds the whole toy city
QUERIES = {
    "finder.nearest": {"lon": "0.0015", "lat": "0"},
    "training.nearest": {"lon": "0.0015", "lat": "0"},
    "aeds.available": {"at": AT.isoformat()},
    "planning.kpi": {"at": AT.isoformat()},  # aggregates over the volunteer's position
    "exports.travel_time_file": {"lon": "0.0015", "lat": "0", "minutes": "5"},
    "ogc.items": {"limit": "10000", "f": "json"},
    "ogc.item": {"f": "json"},
    "ors.directions_get": {"start": "0.0005,0", "end": "0.0025,0"},
}
BODIES = {
    "routes.compute_route": {"waypoints": {"type": "MultiPoint",
                                           "coordinates": [[0.0005, 0.0], [0.0025, 0.0]]},
                             "mode": "walk"},
    "processes.execute_process": {"inputs": {"point": [0.0015, 0.0], "mode": "walk",
                                             "minutes": [5], "origin": [0.0005, 0.0],
                                             "destination": [0.0025, 0.0],
                                             "sources": [[0.0005, 0.0]],
                                             "targets": [[0.0025, 0.0]]}},
    "travel.isochrones": {"points": [[0.0015, 0.0], [0.0025, 0.0]], "mode": "walk",
                          "minutes": [5]},
    "travel.travel_matrix": {"sources": [[0.0005, 0.0]], "targets": [[0.0025, 0.0]]},
    "ors.isochrones": {"locations": [[0.0015, 0.0]], "range": [300],
                       "attributes": ["area", "total_pop"]},
    "ors.matrix": {"locations": [[0.0005, 0.0], [0.0025, 0.0]],
                   "metrics": ["duration", "distance"]},
    "ors.directions_json": {"coordinates": [[0.0005, 0.0], [0.0025, 0.0]]},
    "ors.directions_geojson": {"coordinates": [[0.0005, 0.0], [0.0025, 0.0]]},
    "aeds.report": {"problem": "missing", "description": "privacy walk"},
    "dispatch.create_dispatch": {"point": [0.0015, 0.0], "at": AT.isoformat()},
}


@pytest.fixture(scope="module")
def seeded(make_database) -> tuple[Engine, dict[str, int]]:
    """The toy city with one volunteer (the markers), an AED, a site, incidents, dispatches."""
    engine = make_database("reliab_privacy")
    import_osm(engine, TOY_CITY)
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        def scalar(sql: str, **params: object) -> int:
            return int(conn.execute(text(sql), params).scalar_one())

        ids["volunteer"] = scalar(
            "INSERT INTO rc.volunteer (name, phone, availability, level, status) "
            "VALUES (:n, :p, 'available', 'senior', 'active') RETURNING id", n=NAME, p=PHONE)
        scalar("INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) VALUES "
               "(:v, :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id",
               v=ids["volunteer"], at=AT - timedelta(minutes=1), lon=POSITION[0], lat=POSITION[1])
        ids["aed"] = scalar(
            "INSERT INTO rc.aed (name, status, pads_expire_on, battery_expires_on, access, "
            "opening_hours, geom) VALUES ('walk AED', 'ready', '2030-01-01', '2030-01-01', "
            "'yes', '24/7', ST_SetSRID(ST_MakePoint(0.0025, 0), 4326)) RETURNING id")
        ids["site"] = scalar("INSERT INTO rc.training_site (name, geom) VALUES "
                             "('walk site', ST_SetSRID(ST_MakePoint(0.002, 0.001), 4326)) "
                             "RETURNING id")
        ids["session"] = scalar(
            "INSERT INTO rc.training_session (training_site_id, course, starts_at, ends_at, "
            "capacity) VALUES (:s, 'CPR', now() + interval '1 day', "
            "now() + interval '1 day 3 hours', 10) RETURNING id", s=ids["site"])
        ids["enrolment"] = scalar(
            "INSERT INTO rc.enrolment (session_id, name, phone) VALUES (:s, :n, :p) "
            "RETURNING id", s=ids["session"], n=NAME, p=PHONE)
        conn.execute(text("INSERT INTO rc.ambulance (station_id, call_sign) "
                          "SELECT id, 'TOY-1' FROM rc.station LIMIT 1"))
        conn.execute(text("INSERT INTO rc.district (code, name, geom) VALUES ('T', 'Toy Town', "
                          "ST_Multi(ST_MakeEnvelope(-0.001, -0.002, 0.004, 0.002, 4326)))"))
        ids["incident"] = scalar(
            "INSERT INTO rc.incident (category, geom) VALUES "
            "(:c, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id",
            c=INCIDENT, lon=POSITION[0], lat=POSITION[1])
        ids["dispatch"] = scalar(
            "INSERT INTO rc.dispatch (incident_id, plan) VALUES (:i, "
            "jsonb_build_object('note', CAST(:p AS text), 'volunteer', CAST(:n AS text))) "
            "RETURNING id", i=ids["incident"], p=PLAN, n=NAME)
    return engine, ids


@pytest.fixture(scope="module")
def app(seeded) -> Flask:
    from api.app import create_app

    engine, _ = seeded
    unlimited = {"public_compute_per_min": 100_000}  # every request must reach its handler
    return create_app(app_settings(engine).model_copy(update=unlimited), engine=engine)


@pytest.fixture(scope="module")
def headers(seeded) -> dict[str | None, dict[str, str]]:
    engine, _ = seeded
    tokens = {role: create_token(engine, role=role, label=f"privacy {role}")
              for role in ("public", "gateway", "analyst", "dispatcher")}
    tokens["owner"] = create_token(engine, role="owner", label="privacy owner",
                                   organisation_id=organisation_named(engine, "Privacy Org"))
    return {None: {}, **{role: {"Authorization": f"Bearer {tok}"} for role, tok in tokens.items()}}


@pytest.fixture(scope="module")
def stored_dispatch(app, seeded, headers) -> int:
    """A dispatch made through the API, so its stored plan is the real shape."""
    response = app.test_client().post("/api/dispatch", headers=headers["dispatcher"],
                                      json=BODIES["dispatch.create_dispatch"])
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def tile_layers(app: Flask) -> list[str]:
    """The public tile layers (rows of rc.tile_layer) the app serves."""
    return list(app.extensions[TILES].catalogue().public)


def path_values(seeded_ids: dict[str, int], dispatch_ids: list[int],
                tile_layer_names: list[str]) -> dict[str, list[object]]:
    """Sample values of every path parameter the app's rules use."""
    collections = [layer.collection for layer in OGC_LAYERS] + list(PRIVATE_GUESSES)
    return {
        "aed_id": [seeded_ids["aed"]],
        "volunteer_id": [seeded_ids["volunteer"]],
        "ambulance_id": [1],
        "dispatch_id": dispatch_ids,
        "incident_id": [seeded_ids["incident"], 1, 2],
        "alert_id": [1, 2],
        "session_id": [seeded_ids["session"]],
        "proposal_id": [1],
        "photo_id": [1],
        "decision": ["accept", "reject"],
        "enrolment_id": [seeded_ids["enrolment"]],
        "action": ["accept", "decline", "aed-collected", "arrived"],
        "site_id": [seeded_ids["site"]],
        "collection": collections,
        "item": sorted({1, *seeded_ids.values(), *dispatch_ids}),
        "item_id": sorted({1, *seeded_ids.values()}),
        "layer": tile_layer_names + list(PRIVATE_GUESSES),
        "kind": ["stations", "aeds", "drone-pads"],
        "process_id": list(PROCESSES) + ["dispatch"],
        "profile": list(PROFILES),
        "job_id": ["00000000-0000-4000-8000-000000000000", "not-a-uuid"],
        "filename": [f"{name}.{ending}" for name in [*LAYER_TABLES, *PRIVATE_GUESSES]
                     for ending in ENDINGS],
        "ending": ENDINGS,
        "tms_id": ["WebMercatorQuad"],
        "name": [path.name for path in (PROJECT_ROOT / "web").iterdir() if path.is_file()],
        **{key: [value] for key, value in TILE.items()},
    }


def urls(rule: Rule, values: dict[str, list[object]]) -> Iterator[str]:
    """Every URL of ``rule`` over the sample values of its parameters."""
    names = sorted(rule.arguments)
    if rule.endpoint == "ogc.static":
        yield "/ogc/static/css/default.css"
        return
    missing = [name for name in names if name not in values]
    assert not missing, f"{rule.rule}: no sample value for {missing}; add one to path_values"
    built = 0
    for combination in itertools.product(*(values[name] for name in names)):
        try:
            url = rule.build(dict(zip(names, combination, strict=True)), append_unknown=False)
        except ValueError:  # a value the rule's converter refuses (any(...)): not its URL
            continue
        built += 1
        yield url[1]
    assert built, f"{rule.rule}: no sample value fits; add one to path_values"


def bodies(data: bytes) -> Iterator[bytes]:
    """The response body, and each member when it is a zip (zipped Shapefiles)."""
    yield data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield archive.read(member)


def leaks(data: bytes) -> list[str]:
    """The markers found in ``data``."""
    found = []
    for body in bodies(data):
        found += [m for m in TEXT_MARKERS if m.encode() in body]
        for fmt in ("<d", ">d", "<f", ">f"):
            packed = [struct.pack(fmt, value) for value in POSITION]
            if all(p in body for p in packed):
                found.append(f"position as packed {fmt}")
    return found


def walk(app: Flask, client: FlaskClient, headers: dict[str, str],
         values: dict[str, list[object]]) -> Iterator[tuple[str, str, int, list[str]]]:
    """Request every rule with every method; yield (method, url, status, markers found)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for url in urls(rule, values):
                response = client.open(url, method=method, headers=headers,
                                       query_string=QUERIES.get(rule.endpoint),
                                       json=BODIES.get(rule.endpoint, {})
                                       if method != "GET" else None)
                data = response.get_data()
                response.close()  # static files are streamed from an open file
                yield method, url, response.status_code, leaks(data)


@pytest.mark.parametrize("role", ROLES_WITHOUT_ACCESS, ids=lambda r: r or "no-token")
def test_no_personal_data_reaches_public_or_analyst(app, seeded, headers, stored_dispatch,
                                                    role):
    _, ids = seeded
    values = path_values(ids, [ids["dispatch"], stored_dispatch], tile_layers(app))
    client = app.test_client()
    visited, found, server_errors = 0, [], []
    for method, url, status, markers in walk(app, client, headers[role], values):
        visited += 1
        if markers:
            found.append(f"{method} {url} -> {status}: {markers}")
        if status >= 500:
            server_errors.append(f"{method} {url} -> {status}")
    assert visited > len(list(app.url_map.iter_rules()))
    assert not found, f"personal data reached role {role or 'no token'}:\n" + "\n".join(found)
    assert not server_errors, "\n".join(server_errors)


def test_no_private_collection_layer_or_export(app, headers):
    client = app.test_client()
    for role in ROLES_WITHOUT_ACCESS:
        names = {c["id"] for c in client.get("/ogc/collections?f=json",
                                             headers=headers[role]).json["collections"]}
        assert not names & set(PRIVATE_GUESSES), role
    assert not set(tile_layers(app)) & set(PRIVATE_GUESSES)
    assert not set(LAYER_TABLES) & set(PRIVATE_GUESSES)
    # one list of public tables: the OGC collections are exactly the exported layers
    assert {layer.collection for layer in OGC_LAYERS} == set(LAYER_TABLES)


def test_the_search_finds_what_a_dispatcher_may_read(app, seeded, headers, stored_dispatch):
    _, ids = seeded
    client = app.test_client()
    volunteer = client.get(f"/api/volunteers/{ids['volunteer']}", headers=headers["dispatcher"])
    assert volunteer.status_code == 200
    assert NAME in leaks(volunteer.get_data())
    dispatch = client.get(f"/api/dispatch/{ids['dispatch']}", headers=headers["dispatcher"])
    assert dispatch.status_code == 200
    assert PLAN in leaks(dispatch.get_data())
