"""AED registry: status history, telemetry and inspection rules, owner notifications, uses,
public reports, expiry alerts, and who may do what over HTTP."""

import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import text

from api.rate_limit import RateLimiter
from gis import aed_registry
from gis.aed_registry import Check, Use
from gis.notify import DeliveryError, LogAdapter, WebhookAdapter, deliver_pending
from gis.tokens import create_token
from rescuecircle.errors import InvalidInput, NotFound, TooManyRequests
from tests.conftest import client_for, zoned

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # Wednesday, 12:00 in Shenzhen
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def engine(make_database):
    """The AEDs are in Futian and no network is loaded: RC_TIMEZONE names the zone."""
    engine = zoned(make_database("aed_registry"), "Asia/Shanghai")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def tokens(engine):
    with engine.begin() as conn:
        volunteer_id = conn.execute(text(
            "INSERT INTO rc.volunteer (name) VALUES ('Inspector Li') RETURNING id")).scalar_one()
    made = {role: create_token(engine, role=role, label=f"test {role}")
            for role in ("dispatcher", "admin", "analyst")}
    made["volunteer"] = create_token(engine, role="volunteer", label="li",
                                     volunteer_id=volunteer_id)
    return {role: {"Authorization": f"Bearer {token}"} for role, token in made.items()}


@pytest.fixture
def aed_id(engine):
    """A ready, public, always-open AED with an owner, valid until 2027."""
    with engine.begin() as conn:
        new_id = conn.execute(text(
            "INSERT INTO rc.aed (name, serial, owner, contact, opening_hours, access, "
            "battery_expires_on, pads_expire_on, geom) VALUES ('Civic Center', 'SN-1', "
            "'Futian Civic Center', 'facilities@example.org', '24/7', 'yes', '2027-06-01', "
            "'2027-03-01', ST_SetSRID(ST_MakePoint(114.059, 22.543), 4326)) RETURNING id"))
        new_id = new_id.scalar_one()
        aed_registry.sync_opening_hours(conn)
    yield new_id
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.aed WHERE id = :id"), {"id": new_id})
        conn.execute(text("DELETE FROM rc.notification_outbox WHERE aed_id IS NULL"))


def outbox(engine, aed_id: int) -> list:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT topic, recipient, payload, delivered_at, attempts, failed_at, last_error "
            "FROM rc.notification_outbox WHERE aed_id = :id ORDER BY id"), {"id": aed_id}).all()


def available(engine, aed_id: int, at: datetime = NOW) -> bool:
    return aed_registry.unavailable_reason(engine, aed_id, at, "Asia/Shanghai") is None


def test_expired_pad_telemetry_makes_the_aed_unavailable_and_notifies_once(engine, aed_id):
    assert available(engine, aed_id)
    expired = Check("self_test", NOW, battery_level_pct=87, pads_expire_on=date(2026, 11, 1))
    result = aed_registry.record_check(engine, aed_id, expired, actor="gateway",
                                       low_battery_pct=10)
    assert result["outcome"] == "fault"
    assert result["problems"] == ["pads expired on 2026-11-01"]
    assert result["status"] == "fault"
    assert not available(engine, aed_id)
    with engine.connect() as conn:
        dispatchable = conn.execute(text("SELECT aed_id FROM rc.aeds_available_at(:at)"),
                                    {"at": NOW}).scalars().all()
    assert aed_id not in dispatchable
    # the next daily self-test reports the same fault: no second notification
    aed_registry.record_check(engine, aed_id, expired, actor="gateway", low_battery_pct=10)
    queued = outbox(engine, aed_id)
    assert len(queued) == 1
    topic, recipient, payload, delivered_at, *_ = queued[0]
    assert (topic, recipient, delivered_at) == ("aed_fault", "facilities@example.org", None)
    assert payload["owner"] == "Futian Civic Center"
    assert payload["reason"] == "self_test found pads expired on 2026-11-01"


def test_status_history_records_every_change_with_reason_and_actor(engine, aed_id):
    assert aed_registry.set_status(engine, aed_id, "missing", reason="not in its cabinet",
                                   actor="dispatcher:console") is not None
    assert aed_registry.set_status(engine, aed_id, "missing", reason="again",
                                   actor="x") is None
    with engine.begin() as conn:  # plain SQL is recorded too
        conn.execute(text("UPDATE rc.aed SET status = 'ready' WHERE id = :id"), {"id": aed_id})
    changes = [(h["old_status"], h["new_status"], h["reason"], h["changed_by"])
               for h in reversed(aed_registry.history(engine, aed_id))]
    assert changes[0][:2] == (None, "ready")
    assert changes[1] == ("ready", "missing", "not in its cabinet", "dispatcher:console")
    assert changes[2][:3] == ("missing", "ready", None)
    assert [row.topic for row in outbox(engine, aed_id)] == ["aed_missing"]
    with pytest.raises(InvalidInput, match="status 'broken' is unknown"):
        aed_registry.set_status(engine, aed_id, "broken", reason=None, actor="x")
    with pytest.raises(NotFound):
        aed_registry.set_status(engine, 999_999, "ready", reason=None, actor="x")


def test_a_use_takes_the_aed_out_of_service_until_an_inspection_passes(engine, aed_id):
    with engine.begin() as conn:
        incident_id = conn.execute(text(
            "INSERT INTO rc.incident (category, geom) VALUES ('cardiac_arrest', "
            "ST_SetSRID(ST_MakePoint(114.06, 22.54), 4326)) RETURNING id")).scalar_one()
    use = Use(used_at=NOW, outcome="shock_delivered", incident_id=incident_id,
              lon=114.0601, lat=22.5402)
    use_id = aed_registry.record_use(engine, aed_id, use, actor="dispatcher:console")
    assert not available(engine, aed_id)
    clean = Check("self_test", NOW + timedelta(hours=1), battery_level_pct=90)
    assert aed_registry.record_check(engine, aed_id, clean, actor="gateway",
                                     low_battery_pct=10)["status"] == "out_of_service"
    passed = Check("inspection", NOW + timedelta(hours=2), pads_expire_on=date(2028, 1, 1))
    assert aed_registry.record_check(engine, aed_id, passed, actor="volunteer:li",
                                     low_battery_pct=10)["status"] == "ready"
    assert available(engine, aed_id)
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT incident_id, outcome, ST_X(geom), recorded_by FROM rc.aed_use "
            "WHERE id = :id"), {"id": use_id}).one()
    assert tuple(stored) == (incident_id, "shock_delivered", 114.0601, "dispatcher:console")
    assert outbox(engine, aed_id) == []  # out of service after a use is no fault
    with pytest.raises(InvalidInput, match="incident_id 999999: no such incident"):
        aed_registry.record_use(engine, aed_id, Use(NOW, "not_used", incident_id=999_999),
                                actor="x")


def test_low_battery_and_error_codes_are_faults(engine, aed_id):
    result = aed_registry.record_check(
        engine, aed_id, Check("self_test", NOW, battery_level_pct=7, error_codes=("E12",)),
        actor="gateway", low_battery_pct=10)
    assert result["problems"] == ["error codes E12", "battery at 7%"]
    assert len(outbox(engine, aed_id)) == 1


def test_expiry_alerts_list_parts_expiring_within_n_days(engine, aed_id):
    with engine.begin() as conn:
        conn.execute(text("UPDATE rc.aed SET pads_expire_on = '2026-12-10', "
                          "battery_expires_on = '2026-11-20' WHERE id = :id"), {"id": aed_id})
    mine = [(r["part"], r["days_left"]) for r in aed_registry.expiring(engine, 30, TODAY)
            if r["aed_id"] == aed_id]
    assert mine == [("battery", -5), ("pads", 15)]
    assert [r["part"] for r in aed_registry.expiring(engine, 7, TODAY)
            if r["aed_id"] == aed_id] == ["battery"]


def test_outbox_delivery_retries_with_backoff_then_gives_up(engine, aed_id):
    aed_registry.set_status(engine, aed_id, "fault", reason="cabinet smashed", actor="x")

    class Failing:
        def deliver(self, notification):
            raise DeliveryError("gateway down")

    start = datetime(2030, 1, 1, tzinfo=UTC)  # every row is due
    first = deliver_pending(engine, Failing(), max_attempts=3, backoff_s=60, now=start)
    assert first.retrying >= 1
    row = outbox(engine, aed_id)[0]
    assert (row.attempts, row.last_error, row.failed_at) == (1, "gateway down", None)
    assert deliver_pending(engine, Failing(), max_attempts=3, backoff_s=60,
                           now=start + timedelta(seconds=30)).retrying == 0  # not due yet
    deliver_pending(engine, Failing(), max_attempts=3, backoff_s=60,
                    now=start + timedelta(seconds=60))
    deliver_pending(engine, Failing(), max_attempts=3, backoff_s=60,
                    now=start + timedelta(seconds=180))
    assert outbox(engine, aed_id)[0].failed_at is not None
    aed_registry.set_status(engine, aed_id, "ready", reason="repaired", actor="x")
    aed_registry.set_status(engine, aed_id, "fault", reason="again", actor="x")
    log = LogAdapter()
    deliver_pending(engine, log, max_attempts=3, backoff_s=60, now=start)
    assert [n.payload["reason"] for n in log.sent if n.payload["aed_id"] == aed_id] == ["again"]
    assert deliver_pending(engine, log, max_attempts=3, backoff_s=60, now=start).delivered == 0


def test_webhook_adapter_posts_json_and_reports_failures():
    received: list[dict] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(body)
            self.send_response(503 if body["payload"].get("fail") else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        from gis.notify import Notification
        adapter = WebhookAdapter(f"http://127.0.0.1:{server.server_port}/hook", timeout_s=5)
        adapter.deliver(Notification(7, "aed_fault", "owner@example.org", {"aed_id": 1}))
        assert received[0] == {"id": 7, "topic": "aed_fault", "recipient": "owner@example.org",
                               "payload": {"aed_id": 1}}
        with pytest.raises(DeliveryError, match="answered 503"):
            adapter.deliver(Notification(8, "aed_fault", None, {"fail": True}))
    finally:
        server.shutdown()
        server.server_close()


def test_rate_limiter_slides_and_is_shared_by_processes(engine):
    clock = [7_200_000.0]   # the start of a window
    limiter = RateLimiter(engine, "test", 2, window_s=3600, clock=lambda: clock[0])
    other_process = RateLimiter(engine, "test", 2, window_s=3600, clock=lambda: clock[0])
    limiter.hit("a")
    other_process.hit("a")
    limiter.hit("b")
    with pytest.raises(TooManyRequests, match="at most 2 reports per 1 h"):
        limiter.hit("a")
    other_bucket = RateLimiter(engine, "other", 2, window_s=3600, clock=lambda: clock[0])
    other_bucket.hit("a")   # counts of different limits never mix
    # Half a window later, half of the three hits above still count: 1.5 + 1 = 2.5 > 2.
    clock[0] += 5400
    with pytest.raises(TooManyRequests):
        limiter.hit("a")
    clock[0] += 7200        # two windows on: all forgotten
    limiter.hit("a")
    limiter.hit("a")


def test_http_roles_and_rules(client, tokens, aed_id):
    url = f"/api/aeds/{aed_id}"
    assert client.get(f"{url}/history").status_code == 401
    assert client.get(f"{url}/history", headers=tokens["volunteer"]).status_code == 403
    assert client.get(f"{url}/history", headers=tokens["analyst"]).status_code == 200
    self_test = {"kind": "self_test", "pads_expire_on": "2026-01-01",
                 "checked_at": NOW.isoformat()}
    assert client.post(f"{url}/telemetry", json=self_test,
                       headers=tokens["volunteer"]).status_code == 403
    response = client.post(f"{url}/telemetry", json=self_test, headers=tokens["dispatcher"])
    assert response.status_code == 201
    assert response.json["status"] == "fault"
    reason = client.get(f"{url}/availability?at={NOW.isoformat().replace('+', '%2B')}").json
    assert reason == {"aed_id": aed_id, "at": NOW.isoformat(), "available": False,
                      "reason": "status is fault"}
    inspection = {"kind": "inspection", "pads_expire_on": "2028-01-01",
                  "checked_at": NOW.isoformat()}
    response = client.post(f"{url}/telemetry", json=inspection, headers=tokens["volunteer"])
    assert response.json["status"] == "ready"
    bad = client.post(f"{url}/telemetry", json={"kind": "inspection",
                                                "battery_level_pct": 140},
                      headers=tokens["volunteer"])
    assert bad.status_code == 400
    assert "battery_level_pct" in bad.json["description"]
    assert client.post(f"{url}/status", json={"status": "in_use"},
                       headers=tokens["analyst"]).status_code == 403
    assert client.post(f"{url}/status", json={"status": "in_use", "reason": "fetched"},
                       headers=tokens["dispatcher"]).status_code == 200
    assert client.get("/api/aeds/expiring?days=400", headers=tokens["analyst"]).status_code \
        == 200
    assert client.get("/api/aeds/expiring?days=-1",
                      headers=tokens["analyst"]).status_code == 400


def test_public_reports_queue_for_inspection_and_are_rate_limited(client, tokens, aed_id):
    url = f"/api/aeds/{aed_id}/reports"
    first = client.post(url, json={"problem": "damaged", "description": "cabinet glass broken"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert first.status_code == 201
    assert client.post(url, json={"problem": "melted"},
                       environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 400
    queue = client.get("/api/inspections?crs=gcj02", headers=tokens["volunteer"]).json
    mine = next(item for item in queue if item["id"] == aed_id)
    assert mine["properties"]["reports"][0]["problem"] == "damaged"
    assert mine["geometry"]["coordinates"][0] > 114.059  # shifted into GCJ-02
    assert client.get("/api/inspections").status_code == 401
    for _ in range(3):
        client.post(url, json={"problem": "other"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    limited = client.post(url, json={"problem": "other"},
                          environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert limited.status_code == 429
    assert client.post(url, json={"problem": "other"},
                       environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 201
    assert client.post("/api/aeds/999999/reports", json={"problem": "other"},
                       environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 404


def test_available_list_in_gcj02_and_admin_update(client, tokens, aed_id):
    at = NOW.isoformat().replace("+", "%2B")
    wgs = client.get(f"/api/aeds/available?at={at}").json
    gcj = client.get(f"/api/aeds/available?at={at}&crs=gcj02").json
    point = next(f for f in wgs["features"] if f["id"] == aed_id)["geometry"]["coordinates"]
    shifted = next(f for f in gcj["features"] if f["id"] == aed_id)["geometry"]["coordinates"]
    assert point == pytest.approx([114.059, 22.543])
    assert shifted[0] - point[0] == pytest.approx(0.0052, abs=0.0005)
    patch = {"opening_hours": "Mo-Fr 08:00-10:00", "point": shifted, "crs": "gcj02"}
    assert client.patch(f"/api/aeds/{aed_id}", json=patch,
                        headers=tokens["dispatcher"]).status_code == 403
    assert client.patch(f"/api/aeds/{aed_id}", json=patch,
                        headers=tokens["admin"]).status_code == 204
    closed = client.get(f"/api/aeds/{aed_id}/availability?at={at}").json
    assert closed["reason"] == "closed at that time (Mo-Fr 08:00-10:00)"
    moved = next(f for f in client.get("/api/aeds/available?at=2026-11-25T09:00:00%2B08:00")
                 .json["features"] if f["id"] == aed_id)["geometry"]["coordinates"]
    assert moved == pytest.approx([114.059, 22.543], abs=1e-7)  # GCJ-02 in, WGS84 stored
    assert client.patch(f"/api/aeds/{aed_id}", json={"status": "ready"},
                        headers=tokens["admin"]).status_code == 400
