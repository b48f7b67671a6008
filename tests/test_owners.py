"""AED owners: an owner token registers and keeps up its organisation's AEDs, and can change
no other organisation's: every write route that names an AED is tried on a foreign one."""

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text

from gis.osm_import import import_osm
from gis.tokens import create_token, organisation_named
from rescuecircle.paths import PROJECT_ROOT
from tests.conftest import client_for

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
PUBLIC_WRITES = {"aeds.report"}       # a fault report: anyone may send one
BODIES = {
    "aeds.set_status": {"status": "out_of_service", "reason": "owner walk"},
    "aeds.update": {"location_text": "moved by the walk"},
    "aeds.telemetry": {"kind": "inspection", "note": "owner walk"},
    "aeds.uses": {"outcome": "not_used"},
    "aeds.transfer": {"organisation_id": None},
}


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("owners")
    import_osm(engine, TOY_CITY)
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def owners(engine) -> dict[str, dict[str, str]]:
    return {name: {"Authorization": "Bearer " + create_token(
        engine, role="owner", organisation_id=organisation_named(engine, name))}
        for name in ("Metro Line 1", "City Library")}


def register(client, headers: dict[str, str], name: str) -> int:
    response = client.post("/api/aeds", headers=headers, json={
        "name": name, "point": [0.0015, 0.0], "location_text": "by the ticket gates",
        "level": "-1", "opening_hours": "24/7", "access": "yes",
        "battery_expires_on": (date.today() + timedelta(days=10)).isoformat(),
        "pads_expire_on": "2030-01-01"})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def test_an_owner_registers_its_aed_live_at_once_and_sees_what_needs_doing(
        client, owners, engine):
    metro = owners["Metro Line 1"]
    aed_id = register(client, metro, "Station A AED")
    listed = client.get("/api/owner/aeds", headers=metro).json
    assert [a["id"] for a in listed] == [aed_id]
    assert any("battery expire" in todo for todo in listed[0]["todo"])
    assert client.get("/api/owner/aeds", headers=owners["City Library"]).json == []
    available = client.get("/api/aeds/available").json
    assert aed_id in [f["id"] for f in available["features"]]
    with engine.connect() as conn:
        source = conn.execute(text("SELECT source FROM rc.aed WHERE id = :id"),
                              {"id": aed_id}).scalar_one()
    assert source.startswith("owner:")
    other = client.post("/api/aeds", headers=metro, json={
        "name": "x", "point": [0.0015, 0.0], "organisation_id": 999})
    assert other.status_code == 403


def aed_state(engine: Engine, aed_id: int) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT a.status, a.location_text, a.updated_at, a.organisation_id, "
            "(SELECT count(*) FROM rc.aed_check c WHERE c.aed_id = a.id), "
            "(SELECT count(*) FROM rc.aed_use u WHERE u.aed_id = a.id) "
            "FROM rc.aed a WHERE a.id = :id"), {"id": aed_id}).one())


def write_rules(client) -> list:
    """Every rule that writes to one AED, by its aed_id."""
    return [rule for rule in client.application.url_map.iter_rules()
            if "aed_id" in rule.arguments
            and (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}]


def test_an_owner_changes_no_other_organisations_aed_on_any_write_route(
        client, owners, engine):
    theirs = register(client, owners["City Library"], "Library AED")
    mine = register(client, owners["Metro Line 1"], "Station B AED")
    metro = owners["Metro Line 1"]
    rules = write_rules(client)
    assert {r.endpoint for r in rules} >= set(BODIES)
    before = aed_state(engine, theirs)
    for rule in rules:
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            url = rule.build({"aed_id": theirs})[1]
            response = client.open(url, method=method, headers=metro,
                                   json=BODIES.get(rule.endpoint, {}))
            if rule.endpoint in PUBLIC_WRITES:
                continue
            assert response.status_code == 403, (method, url, response.status_code)
    assert aed_state(engine, theirs) == before
    for endpoint, body in BODIES.items():
        rule = next(r for r in rules if r.endpoint == endpoint)
        method = next(iter((rule.methods or set()) & {"POST", "PUT", "PATCH"}))
        response = client.open(rule.build({"aed_id": mine})[1], method=method, headers=metro,
                               json=body)
        expected = 403 if endpoint == "aeds.transfer" else None     # admins transfer
        assert (response.status_code == expected if expected
                else response.status_code < 300), (endpoint, response.status_code)
    status, location, _, _, checks, uses = aed_state(engine, mine)
    assert location == "moved by the walk" and checks == 1 and uses == 1


def test_an_admin_transfers_an_aed_to_another_owner(client, owners, engine):
    aed_id = register(client, owners["Metro Line 1"], "Handed over AED")
    admin = {"Authorization": f"Bearer {create_token(engine, role='admin')}"}
    library = organisation_named(engine, "City Library")
    moved = client.put(f"/api/aeds/{aed_id}/organisation", headers=admin,
                       json={"organisation_id": library})
    assert moved.status_code == 204
    assert client.patch(f"/api/aeds/{aed_id}", headers=owners["Metro Line 1"],
                        json={"name": "mine again"}).status_code == 403
    assert client.patch(f"/api/aeds/{aed_id}", headers=owners["City Library"],
                        json={"name": "ours now"}).status_code == 204
    bad = client.put(f"/api/aeds/{aed_id}/organisation", headers=admin,
                     json={"organisation_id": 99999})
    assert bad.status_code == 400
    with pytest.raises(Exception, match="organisation"):
        create_token(engine, role="owner")
