"""Volunteer registry: approval with an electronic certificate, training and service records,
promotion thresholds, personal data behind roles; training sessions in public."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError

from gis import volunteers
from gis.tokens import create_token
from gis.volunteers import PromotionRules, Registration, Service, Training
from rescuecircle.errors import InvalidInput, NotFound
from tests.conftest import client_for

RULES = PromotionRules(junior_rescues=2, junior_service_h=3, senior_rescues=4,
                       senior_service_h=10)
START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine(make_database):
    return make_database("volunteers")


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


def register(engine, name: str, certificate: str | None = None, level: str = "junior") -> int:
    return volunteers.register(engine, Registration(name, "13800000000", level, certificate,
                                                    date(2028, 1, 1)))


def test_approval_issues_a_certificate_that_survives_suspension(engine):
    volunteer_id = register(engine, "Chen", "RC-2026-001")
    assert volunteers.get(engine, volunteer_id)["status"] == "pending"
    approved = volunteers.set_status(engine, volunteer_id, "active", reason="checked",
                                     actor="admin:centre")
    assert approved["ecert_id"] is not None
    suspended = volunteers.set_status(engine, volunteer_id, "suspended",
                                      reason="certificate lapsed", actor="admin:centre")
    reinstated = volunteers.set_status(engine, volunteer_id, "active", reason="renewed",
                                       actor="admin:centre")
    assert approved["ecert_id"] == suspended["ecert_id"] == reinstated["ecert_id"]
    record = volunteers.get(engine, volunteer_id)
    assert (record["status_reason"], record["status_changed_by"]) == ("renewed",
                                                                      "admin:centre")
    with pytest.raises(DataError, match="active volunteers can become suspended"):
        volunteers.set_status(engine, volunteer_id, "pending", reason=None, actor="x")
    with pytest.raises(InvalidInput, match="certificate_no RC-2026-001: already registered"):
        register(engine, "Chen again", "RC-2026-001")
    with pytest.raises(InvalidInput, match="level 'expert' is unknown"):
        register(engine, "Sun", level="expert")
    with pytest.raises(NotFound):
        volunteers.set_status(engine, 999_999, "active", reason=None, actor="x")


def test_promotion_counts_rescues_and_service_hours(engine):
    volunteer_id = register(engine, "Zhou", level="emergency_responder")
    volunteers.set_status(engine, volunteer_id, "active", reason=None, actor="admin")
    pending_id = register(engine, "Wu", level="emergency_responder")

    def serve(kind: str, minutes: int, who: int = volunteer_id) -> None:
        volunteers.add_service(engine, who, Service(kind, START, minutes))

    def due_for(who: int) -> list[str]:
        with engine.connect() as conn:
            return [d["to_level"] for d in volunteers.promotions_due(conn, RULES)
                    if d["volunteer_id"] == who]

    serve("rescue", 60)
    serve("duty", 90)
    assert due_for(volunteer_id) == []  # 1 rescue, 2.5 h
    serve("rescue", 30)
    assert due_for(volunteer_id) == ["junior"]  # 2 rescues, 3 h
    for _ in range(2):
        serve("rescue", 240)
    assert due_for(volunteer_id) == ["senior"]  # 4 rescues, 11 h
    for _ in range(4):
        serve("rescue", 240, pending_id)
    assert due_for(pending_id) == []  # only active volunteers are promoted
    applied = volunteers.promote(engine, RULES)
    assert [(p["volunteer_id"], p["from_level"], p["to_level"]) for p in applied
            if p["volunteer_id"] == volunteer_id] == [(volunteer_id, "emergency_responder",
                                                       "senior")]
    record = volunteers.get(engine, volunteer_id)
    assert (record["level"], record["rescues"], record["service_h"]) == ("senior", 4, 11.0)
    assert due_for(volunteer_id) == []
    with pytest.raises(InvalidInput, match="kind 'party' is unknown"):
        serve("party", 10)


def test_training_records(engine):
    volunteer_id = register(engine, "Lin")
    with engine.begin() as conn:
        site_id = conn.execute(text(
            "INSERT INTO rc.training_site (name, geom) VALUES ('Red Cross Futian', "
            "ST_SetSRID(ST_MakePoint(114.05, 22.54), 4326)) RETURNING id")).scalar_one()
    volunteers.add_training(engine, volunteer_id, Training(
        "AED and CPR", date(2026, 10, 1), level="junior", expires_on=date(2028, 10, 1),
        certificate_no="RX-77", training_site_id=site_id))
    training = volunteers.get(engine, volunteer_id)["training"]
    assert [(t["course"], t["certificate_no"], t["training_site_id"]) for t in training] == [
        ("AED and CPR", "RX-77", site_id)]
    with pytest.raises(InvalidInput, match="training_site_id 999999: no such site"):
        volunteers.add_training(engine, volunteer_id, Training(
            "x", date(2026, 1, 1), training_site_id=999_999))


def test_volunteer_data_needs_a_role(engine, client):
    headers = {role: {"Authorization": "Bearer " + create_token(engine, role=role)}
               for role in ("dispatcher", "admin", "analyst", "public")}
    created = client.post("/api/volunteers", json={
        "name": "Guo", "phone": "13912345678", "level": "junior",
        "certificate_no": "RC-HTTP-1", "certified_until": "2028-06-30"},
        headers=headers["dispatcher"])
    assert created.status_code == 201
    volunteer_id = created.json["id"]
    own = {"Authorization": "Bearer " + create_token(engine, role="volunteer",
                                                     volunteer_id=volunteer_id)}
    for path in ("/api/volunteers", f"/api/volunteers/{volunteer_id}",
                 "/api/volunteers/promotions"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=headers["public"]).status_code == 403, path
        assert client.get(path, headers=headers["analyst"]).status_code == 403, path
    assert client.post("/api/volunteers", json={"name": "x"}).status_code == 401
    assert client.get(f"/api/volunteers/{volunteer_id}", headers=own).json["name"] == "Guo"
    other = register(engine, "Somebody else")
    assert client.get(f"/api/volunteers/{other}", headers=own).status_code == 403
    pending = client.get("/api/volunteers?status=pending", headers=headers["admin"]).json
    assert volunteer_id in [v["id"] for v in pending]
    approved = client.post(f"/api/volunteers/{volunteer_id}/status",
                           json={"status": "active", "reason": "certificate checked"},
                           headers=headers["dispatcher"])
    assert approved.status_code == 200
    assert len(approved.json["ecert_id"]) == 36
    wrong = client.post(f"/api/volunteers/{volunteer_id}/status", json={"status": "pending"},
                        headers=headers["dispatcher"])
    assert wrong.status_code == 400
    assert wrong.json["description"] == "status pending: active volunteers can become suspended"
    service = client.post(f"/api/volunteers/{volunteer_id}/service", json={
        "kind": "rescue", "started_at": "2026-11-20T21:05:00+08:00", "duration_min": 40},
        headers=headers["dispatcher"])
    assert service.status_code == 201
    training = client.post(f"/api/volunteers/{volunteer_id}/training", json={
        "course": "First aid", "completed_on": "2026-09-01"}, headers=headers["admin"])
    assert training.status_code == 201
    assert client.post("/api/volunteers/promotions",
                       headers=headers["dispatcher"]).status_code == 403
    assert client.post("/api/volunteers/promotions", headers=headers["admin"]).status_code \
        == 200


def test_training_sessions_are_public(engine, client):
    admin = {"Authorization": "Bearer " + create_token(engine, role="admin")}
    with engine.begin() as conn:
        site_id = conn.execute(text(
            "INSERT INTO rc.training_site (name, geom) VALUES ('Community centre', "
            "ST_SetSRID(ST_MakePoint(114.06, 22.55), 4326)) RETURNING id")).scalar_one()
    starts = datetime.now(UTC) + timedelta(days=7)
    session = {"course": "CPR + AED, 4 h", "starts_at": starts.isoformat(),
               "ends_at": (starts + timedelta(hours=4)).isoformat(), "capacity": 30}
    url = f"/api/training-sites/{site_id}/sessions"
    assert client.post(url, json=session).status_code == 401
    assert client.post(url, json=session, headers=admin).status_code == 201
    backwards = {**session, "ends_at": session["starts_at"]}
    assert client.post(url, json=backwards, headers=admin).status_code == 400
    listed = client.get(url).json
    assert [(s["course"], s["capacity"]) for s in listed] == [("CPR + AED, 4 h", 30)]
    assert client.get("/api/training-sites/999999/sessions").status_code == 404
