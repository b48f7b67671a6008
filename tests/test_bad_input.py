"""The bad-request corpus (``tests/bad_requests.json``): each one a 4xx that names the problem.

Every entry is sent to the app, with a token of its ``role`` when it names one: the answer must
be a 4xx (the entry's ``status`` when given), a JSON error whose ``description`` contains the
entry's ``word``, and the stored data (every row of every ``rc`` table) must be what it was.

Entry fields: ``name``, ``method``, ``path`` (``{aed}``, ``{volunteer}``, ``{dispatch}`` and
``{site}`` stand for seeded rows), ``query``, ``json`` or ``data`` (a raw body, for NaN and
text that is not JSON), ``headers``, ``role``, ``status``, ``word``, and ``expand``
(``{"at": [keys], "item": x, "count": n}``: the value at ``at`` becomes ``n`` copies of ``x``,
joined when ``x`` is a string), which keeps huge payloads out of the file. An entry with
``xfail`` (the reason) is a known defect: it must still fail, so its fix is noticed. Each request
comes from its own client address, so the public endpoints' rate limits do not answer for it.
"""

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from gis.osm_import import import_osm
from gis.tokens import create_token
from tests.conftest import client_for

CORPUS = json.loads((Path(__file__).parent / "bad_requests.json").read_text())
TOY_CITY = Path(__file__).parent / "data" / "toy_city.osm"
AT = datetime.fromisoformat("2026-11-29T20:00:00+08:00")


@pytest.fixture(scope="module")
def seeded(make_database) -> tuple[Engine, dict[str, int]]:
    """The toy city with an AED, a volunteer and their position, a site, a district."""
    engine = make_database("reliab_bad_input")
    import_osm(engine, TOY_CITY)
    with engine.begin() as conn:
        def scalar(sql: str, **params: object) -> int:
            return int(conn.execute(text(sql), params).scalar_one())

        ids = {
            "aed": scalar("INSERT INTO rc.aed (name, status, pads_expire_on, battery_expires_on, "
                          "access, opening_hours, geom) VALUES ('bad-input AED', 'ready', "
                          "'2030-01-01', '2030-01-01', 'yes', '24/7', "
                          "ST_SetSRID(ST_MakePoint(0.0025, 0), 4326)) RETURNING id"),
            "volunteer": scalar("INSERT INTO rc.volunteer (name, availability, level, status) "
                                "VALUES ('bad-input volunteer', 'available', 'senior', 'active') "
                                "RETURNING id"),
            "site": scalar("INSERT INTO rc.training_site (name, geom) VALUES ('site', "
                           "ST_SetSRID(ST_MakePoint(0.002, 0.001), 4326)) RETURNING id"),
        }
        conn.execute(text("INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
                          "VALUES (:v, :at, ST_SetSRID(ST_MakePoint(0.0005, 0), 4326))"),
                     {"v": ids["volunteer"], "at": AT})
        conn.execute(text("INSERT INTO rc.ambulance (station_id, call_sign) "
                          "SELECT id, 'TOY-1' FROM rc.station LIMIT 1"))
        conn.execute(text("INSERT INTO rc.district (code, name, geom) VALUES ('T', 'Toy Town', "
                          "ST_Multi(ST_MakeEnvelope(-0.001, -0.002, 0.004, 0.002, 4326)))"))
    return engine, ids


@pytest.fixture(scope="module")
def client(seeded) -> FlaskClient:
    return client_for(seeded[0])


@pytest.fixture(scope="module")
def tokens(seeded) -> dict[str, str]:
    engine, ids = seeded
    tokens = {role: create_token(engine, role=role)
              for role in ("public", "dispatcher", "analyst", "admin")}
    tokens["volunteer"] = create_token(engine, role="volunteer", volunteer_id=ids["volunteer"])
    return tokens


@pytest.fixture(scope="module")
def dispatch_id(client, tokens) -> int:
    """A real stored dispatch, for the replan entries."""
    response = client.post("/api/dispatch", json={"point": [0.0015, 0.0], "at": AT.isoformat()},
                           headers={"Authorization": f"Bearer {tokens['dispatcher']}"})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def checksum(engine: Engine) -> dict[str, str]:
    """Every ``rc`` table's row count and an md5 of all its rows, sorted; but the rate-limit
    counters, which count refused requests too, by design."""
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'rc' "
            "AND table_type = 'BASE TABLE' AND table_name <> 'rate_hit' ORDER BY 1")).scalars()
        return {table: conn.execute(text(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), "
            f"'') FROM rc.{table} t")).scalar_one() for table in tables}


def expanded(entry: dict[str, Any]) -> Any:
    """The entry's JSON body with its ``expand`` applied."""
    body = copy.deepcopy(entry["json"])
    spec = entry.get("expand")
    if spec:
        *parents, key = spec["at"]
        target = body
        for name in parents:
            target = target[name]
        item = spec["item"]
        target[key] = item * spec["count"] if isinstance(item, str) else [item] * spec["count"]
    return body


def test_corpus_is_large_and_well_formed():
    assert len(CORPUS) >= 100
    assert len({entry["name"] for entry in CORPUS}) == len(CORPUS)
    for entry in CORPUS:
        assert entry["word"], f"{entry['name']}: say which word the message must contain"
        assert not ("json" in entry and "data" in entry), entry["name"]


def cases() -> list[Any]:
    """The corpus as pytest parameters; known defects marked as strict expected failures."""
    return [pytest.param(entry, id=entry["name"], marks=[pytest.mark.xfail(
                reason=entry["xfail"], strict=True)] if "xfail" in entry else [])
            for entry in CORPUS]


@pytest.mark.parametrize("entry", cases())
def test_bad_request(client, seeded, tokens, dispatch_id, entry):
    engine, ids = seeded
    path = entry["path"].format(**ids, dispatch=dispatch_id)
    headers = dict(entry.get("headers", {}))
    if entry.get("role"):
        headers["Authorization"] = f"Bearer {tokens[entry['role']]}"
    number = CORPUS.index(entry)
    address = f"10.9.{number // 250}.{number % 250}"
    kwargs: dict[str, Any] = {"headers": headers, "query_string": entry.get("query"),
                              "environ_base": {"REMOTE_ADDR": address}}
    if "json" in entry:
        kwargs["json"] = expanded(entry)
    elif "data" in entry:
        kwargs.update(data=entry["data"], content_type="application/json")
    before = checksum(engine)
    response = client.open(path, method=entry["method"], **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    if "status" in entry:
        assert response.status_code == entry["status"], response.json
    assert response.is_json, response.get_data()[:300]
    description = response.json.get("description", "")
    assert entry["word"].lower() in description.lower(), description
    assert checksum(engine) == before
