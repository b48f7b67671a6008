"""Quality control from the system's own events equals QC from their CSV export.

Six incidents are stored with events at chosen times in Los Angeles (PST, UTC-8, no change of
daylight-saving time in the period): three months over two years, two districts and one point
outside both, cardiac arrests and not, one without an answer time, one whose call crosses
midnight, one replanned onto a second ambulance, one still open; a seventh falls after the
period asked for. Times below are seconds after the call was received.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from cli.main import main
from gis import incident_store as store
from gis.incident_store import Unit
from gis.osm_import import import_osm
from gis.tokens import create_token
from planning.call_log import COLUMNS
from planning.qc import CARDIAC_GROUP, QcResult
from rescuecircle.paths import PROJECT_ROOT
from services import fleet, responder
from services.context import Context
from services.dispatch import plan_dispatch
from services.incidents import close_incident
from services.quality import Period, call_quality, events_quality, incident_log_csv
from tests.conftest import app_settings, client_for, zoned

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"
ZONE = "America/Los_Angeles"
NORTH, SOUTH, OUTSIDE = (-122.4, 37.8), (-122.4, 37.7), (-122.0, 37.7)
PERIOD = Period.parse("2025-12-01", "2026-02-28")


@dataclass(frozen=True)
class Case:
    """One incident: local call time, category, point, and times after the call (s)."""

    received: str
    category: str | None
    point: tuple[float, float]
    answer: float | None
    dispatch: tuple[tuple[str, float, float | None], ...]   # (call sign, dispatched, arrived)
    volunteer: float | None = None
    aed: float | None = None
    outcome: str | None = None
    rosc: bool | None = None


CASES = (
    Case("2025-12-10T10:00:00", "cardiac_arrest", NORTH, 6, (("A1", 40, 540),), 200, 280,
         "transported", True),
    # received 23:59:30: answered 23:59:42, dispatched 00:00:40, volunteer 00:03:40
    Case("2025-12-20T23:59:30", "cardiac_arrest", SOUTH, 12, (("A2", 70, 420),), 250, 360,
         "dead_on_scene", False),
    Case("2026-01-05T14:00:00", "chest_pain", NORTH, None, (("A1", 50.5, 600),),
         outcome="treated_on_scene"),
    # replanned: A1 released before arriving, A2 sent at 90 s; ROSC not recorded
    Case("2026-01-15T08:00:00", "cardiac_arrest", SOUTH, 4, (("A1", 30, None), ("A2", 90, 500)),
         310, None, "transported", None),
    Case("2026-02-03T19:30:00", None, OUTSIDE, 8, (("A1", 45, 700),), 150, 240),  # open
    Case("2026-02-14T12:00:00", "cardiac_arrest", NORTH, 9, (("A2", 55, 90),), 100, 200,
         "transported", True),
    Case("2026-03-02T09:00:00", "trauma", NORTH, 5, (("A1", 20, 300),), outcome="transported"),
)


def store_case(engine: Engine, case: Case, ambulances: dict[str, int]) -> int:
    """The incident and its events, each at its chosen time."""
    received = datetime.fromisoformat(case.received).replace(tzinfo=ZoneInfo(ZONE))

    def at(seconds: float) -> datetime:
        return received + timedelta(seconds=seconds)

    with engine.begin() as conn:
        incident = conn.execute(text(
            "INSERT INTO rc.incident (reported_at, answered_at, category, geom) VALUES "
            "(:received, :answered, :category, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
            "RETURNING id"),
            {"received": received, "category": case.category, "lon": case.point[0],
             "lat": case.point[1],
             "answered": None if case.answer is None else at(case.answer)}).scalar_one()
        store.add_event(conn, incident, "call_received", at=received)
        if case.answer is not None:
            store.add_event(conn, incident, "call_answered", at=at(case.answer))
        for sign, dispatched, arrived in case.dispatch:
            unit = Unit("ambulance", ambulances[sign])
            store.add_event(conn, incident, "dispatched", unit=unit, at=at(dispatched))
            if arrived is not None:
                store.add_event(conn, incident, "on_scene", unit=unit, at=at(arrived))
            else:
                store.add_event(conn, incident, "released", unit=unit, at=at(dispatched + 50))
        if case.volunteer is not None:
            store.add_event(conn, incident, "alerted", unit=Unit("volunteer", 7), at=at(20))
            store.add_event(conn, incident, "on_scene", unit=Unit("volunteer", 7),
                            at=at(case.volunteer))
            store.add_event(conn, incident, "on_scene", unit=Unit("volunteer", 8),
                            at=at(case.volunteer + 30))   # a later volunteer does not count
        if case.aed is not None:
            store.add_event(conn, incident, "aed_at_patient", unit=Unit("aed", 3),
                            at=at(case.aed))
    if case.outcome is not None:
        store.close(engine, incident, outcome=case.outcome, rosc=case.rosc, at=at(1800),
                    actor="test")
    return int(incident)


@pytest.fixture(scope="module")
def engine(make_database) -> Iterator[Engine]:
    engine = zoned(make_database("qc_events"), ZONE)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rc.district (code, name, geom) VALUES "
            "('N', 'North', ST_Multi(ST_MakeEnvelope(-122.5, 37.75, -122.3, 37.85, 4326))), "
            "('S', 'South', ST_Multi(ST_MakeEnvelope(-122.5, 37.65, -122.3, 37.75, 4326)))"))
        station = conn.execute(text(
            "INSERT INTO rc.station (name, geom) VALUES "
            "('base', ST_SetSRID(ST_MakePoint(-122.4, 37.75), 4326)) RETURNING id")).scalar_one()
        ambulances = {sign: conn.execute(text(
            "INSERT INTO rc.ambulance (station_id, call_sign) VALUES (:s, :c) RETURNING id"),
            {"s": station, "c": sign}).scalar_one() for sign in ("A1", "A2")}
    for case in CASES:
        store_case(engine, case, ambulances)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def context(engine: Engine) -> Context:
    return Context.from_settings(app_settings(engine).model_copy(update={"timezone": ZONE}),
                                 engine=engine)


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url or "")
    monkeypatch.setenv("RC_TIMEZONE", ZONE)


def rows(result: QcResult, group: str, period: str = "all") -> dict[str, object]:
    """The whole-period (or one period's) indicators of a group, as a dict."""
    found = [r for r in result.overall + result.by_year + result.by_month + result.by_district
             if r.group == group and r.period == period]
    assert len(found) == 1, (group, period)
    return vars(found[0])


def test_qc_from_events_equals_qc_from_their_csv_export(context, cli_env, tmp_path: Path):
    export = tmp_path / "incidents.csv"
    main(["export", "incidents", "-o", str(export), "--from", "2025-12-01", "--to",
          "2026-02-28"])
    from_events = events_quality(context, PERIOD)
    from_csv = call_quality(export)
    assert from_events == from_csv
    # the period and the groups are those stored: 2025 and 2026, three months, two districts
    assert [r.period for r in from_events.by_year if r.group == "all"] == ["2025", "2026"]
    assert [r.period for r in from_events.by_month if r.group == "all"] == [
        "2025-12", "2026-01", "2026-02"]
    assert {r.group for r in from_events.by_district} == {
        f"{g} / {d}" for g in ("all", CARDIAC_GROUP) for d in ("North", "South")} | {
        "other / North"}
    assert rows(from_events, "all")["incidents"] == 6

    # the CLI's two reports: the same tables under different titles
    by_calls, by_events = tmp_path / "calls.html", tmp_path / "events.html"
    main(["qc", "--calls", str(export), "-o", str(by_calls)])
    main(["qc", "--events", "--from", "2025-12-01", "--to", "2026-02-28", "-o", str(by_events)])
    calls_page = by_calls.read_text(encoding="utf-8")
    events_page = by_events.read_text(encoding="utf-8")
    assert calls_page.split("</h1>", 1)[1] == events_page.split("</h1>", 1)[1]
    assert "<td class=na>not in log" not in events_page   # the loop's columns are all kept
    assert "<td class=na>no case" in events_page          # e.g. ROSC of the other calls


def test_the_export_is_a_call_log_without_people(context):
    lines = incident_log_csv(context, PERIOD).splitlines()
    assert lines[0].split(",") == list(COLUMNS)
    assert len(lines) == 1 + 7                     # one row per ambulance; the replan has two
    by_incident = {line.split(",")[0]: line for line in lines[1:]}
    # received 23:59:30 on the 20th, the rest after midnight, as seconds of their own day
    assert by_incident["2"] == ("2,2025-12-20,cardiac_arrest,South,A2,86370,86382,40,390,220,"
                                "330,dead_on_scene,no")
    # outside every district, untriaged, still open: no outcome, no ROSC
    assert by_incident["5"] == "5,2026-02-03,untriaged,,A1,70200,70208,70245,70900,70350,70440,,"


def test_loop_indicators_by_hand(context):
    result = events_quality(context, PERIOD)
    arrests = rows(result, CARDIAC_GROUP)
    # cardiac arrests 1, 2, 4, 6: volunteers at 200, 250, 310, 100 s; AEDs at 280, 360, -, 200
    assert arrests["incidents"] == 4
    assert arrests["volunteer_median_s"] == pytest.approx(225)
    assert arrests["volunteer_p90_s"] == pytest.approx(250 + 0.7 * 60)
    assert arrests["aed_median_s"] == pytest.approx(280)
    assert arrests["aed_p90_s"] == pytest.approx(280 + 0.8 * 80)
    # ambulances first at 540, 420, 500 (the second one sent), 90: volunteer first in 3 of 4
    assert arrests["volunteer_before_ambulance"] == pytest.approx(3 / 4)
    # a volunteer and an AED within 300 s: incidents 1 and 6
    assert arrests["circle_within_5min"] == pytest.approx(2 / 4)
    # closed with ROSC recorded: 1 (yes), 2 (no), 6 (yes); 4 closed without it
    assert (arrests["rosc_cases"], arrests["rosc_rate"]) == (3, pytest.approx(2 / 3))

    everyone = rows(result, "all")
    assert everyone["volunteer_before_ambulance"] == pytest.approx(4 / 6)  # 3: none came
    assert everyone["circle_within_5min"] == pytest.approx(3 / 6)          # 5 as well
    assert everyone["rosc_rate"] == pytest.approx(2 / 3)                   # arrests only
    other = rows(result, "other")
    assert (other["rosc_cases"], other["rosc_rate"]) == (0, None)


def test_call_indicators_by_hand(context):
    everyone = rows(events_quality(context, PERIOD), "all")
    assert everyone["calls"] == 7                     # units: incident 4 sent two
    # answers in 6, 12, 4, 4, 8, 9 s (incident 3 has none): 5 of 6 within 10 s
    assert everyone["answered_within_10s"] == pytest.approx(5 / 6)
    # dispatched 34, 58 (across midnight), 50.5, 26, 86, 37, 46 s after the answer (or call)
    assert everyone["dispatched_within_60s"] == pytest.approx(6 / 7)
    # responses 500, 350, 549.5, 410, 655, 35 s: the released ambulance never arrived
    assert everyone["responses"] == 6
    assert everyone["response_median_s"] == pytest.approx(455)
    december = rows(events_quality(context, PERIOD), "all", "2025-12")
    assert december["calls"] == 2 and december["response_median_s"] == pytest.approx(425)


def test_the_period_selects_calls_by_local_date(context):
    march = events_quality(context, Period.parse("2026-03-01", None))
    assert rows(march, "all")["incidents"] == 1
    everything = events_quality(context, Period())
    assert rows(everything, "all")["incidents"] == 7
    # 23:59:30 on 20 December in Los Angeles is 07:59:30 on the 21st in UTC
    day = events_quality(context, Period.parse("2025-12-20", "2025-12-20"))
    assert rows(day, "all")["incidents"] == 1


def test_a_log_without_the_loop_says_not_in_log(tmp_path: Path):
    log = tmp_path / "calls.csv"
    log.write_text("incident_date,call_type,dispatch_time_in_seconds,arrive_time_in_seconds\n"
                   "2026-01-03,9E1,100,400\n", encoding="utf-8")
    result = call_quality(log)
    assert {"volunteer_median_s", "aed_median_s", "volunteer_before_ambulance",
            "circle_within_5min", "rosc_rate", "answered_within_10s"} <= set(result.not_in_log)
    assert rows(result, "all")["volunteer_before_ambulance"] is None
    # kept, but no case: no cardiac arrest was closed with ROSC recorded
    log.write_text("incident_date,call_type,dispatch_time_in_seconds,arrive_time_in_seconds,"
                   "outcome,rosc\n2026-01-03,26A1,100,400,transported,\n", encoding="utf-8")
    result = call_quality(log)
    assert rows(result, "all")["rosc_rate"] is None and "rosc_rate" not in result.not_in_log
    assert "volunteer_median_s" in result.not_in_log


def test_http_qc_and_export_for_analysts_only(engine, context):
    client = client_for(engine)
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst')}"}
    public = {"Authorization": f"Bearer {create_token(engine, role='public')}"}
    query = {"from": "2025-12-01", "to": "2026-02-28"}
    assert client.get("/api/planning/qc", query_string=query).status_code == 401
    assert client.get("/api/exports/incidents.csv", headers=public).status_code == 403
    answer = client.get("/api/planning/qc", query_string=query, headers=analyst)
    assert answer.status_code == 200
    overall = {r["group"]: r for r in answer.json["overall"]}
    assert overall[CARDIAC_GROUP]["circle_within_5min"] == pytest.approx(0.5)
    page = client.get("/api/planning/qc", query_string={**query, "format": "html"},
                      headers=analyst)
    assert page.mimetype == "text/html" and "Circle" in page.get_data(as_text=True)
    exported = client.get("/api/exports/incidents.csv", query_string=query, headers=analyst)
    assert exported.get_data(as_text=True) == incident_log_csv(context, PERIOD)
    bad = client.get("/api/planning/qc", query_string={"from": "2026-03-01", "to": "2026-01-01"},
                     headers=analyst)
    assert bad.status_code == 400 and "after" in bad.json["description"]


@pytest.fixture(scope="module")
def toy_city(make_database) -> Iterator[Context]:
    """The toy city with an ambulance, an AED and two volunteers near the patient, positioned
    just now (the loop's events are stamped with the real clock)."""
    engine = make_database("qc_loop")
    import_osm(engine, TOY_CITY)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.ambulance (station_id, call_sign) "
                          "SELECT id, 'TOY-1' FROM rc.station LIMIT 1"))
        conn.execute(text(
            "INSERT INTO rc.aed (name, status, pads_expire_on, battery_expires_on, access, "
            "opening_hours, geom) VALUES ('walk AED', 'ready', '2030-01-01', '2030-01-01', "
            "'yes', '24/7', ST_SetSRID(ST_MakePoint(0.0025, 0), 4326))"))
        for lon in (0.0012, 0.002):
            volunteer = conn.execute(text(
                "INSERT INTO rc.volunteer (name, availability, level, status) "
                "VALUES ('v', 'available', 'senior', 'active') RETURNING id")).scalar_one()
            conn.execute(text(
                "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) VALUES "
                "(:v, now() - interval '1 minute', ST_SetSRID(ST_MakePoint(:lon, 0.0004), 4326))"),
                {"v": volunteer, "lon": lon})
    yield Context.from_settings(app_settings(engine), engine=engine)
    engine.dispose()


def test_the_loops_own_events_give_the_report(toy_city: Context, tmp_path: Path):
    """A cardiac arrest through the real use cases: dispatch, volunteers accept, fetch the AED
    and arrive, the ambulance reaches the scene, the incident closes with ROSC."""
    now = toy_city.now()
    plan = plan_dispatch(toy_city, {
        "point": [0.0015, 0.0], "category": "cardiac_arrest",
        "received_at": (now - timedelta(seconds=30)).isoformat(),
        "answered_at": (now - timedelta(seconds=25)).isoformat()}, created_by="test")
    volunteers = [v["volunteer_id"] for v in plan["volunteers"]]
    if plan["aed_runner"]:
        volunteers.append(plan["aed_runner"]["volunteer_id"])
    assert len(volunteers) == 2 and plan["aed_runner"], plan["reasons"]
    for volunteer in volunteers:
        for alert in responder.alerts(toy_city, volunteer)["alerts"]:
            responder.answer(toy_city, volunteer, alert["id"], "accept")
            if alert["task"] == "fetch_aed":
                responder.answer(toy_city, volunteer, alert["id"], "aed_collected")
            responder.answer(toy_city, volunteer, alert["id"], "arrived")
    fleet.change_status(toy_city, plan["ambulance"]["ambulance_id"], {"status": "on_scene"},
                        actor="test")
    close_incident(toy_city, plan["incident_id"], {"outcome": "transported", "rosc": True},
                   actor="test")

    result = events_quality(toy_city, Period())
    arrest = rows(result, CARDIAC_GROUP)
    assert arrest["incidents"] == 1 and arrest["calls"] == 1
    assert (arrest["answered_within_10s"], arrest["dispatched_within_60s"]) == (1.0, 1.0)
    assert arrest["response_within_8min"] == 1.0
    assert 30 <= arrest["volunteer_median_s"] <= arrest["aed_median_s"] < 90
    assert arrest["volunteer_before_ambulance"] == 1.0
    assert arrest["circle_within_5min"] == 1.0
    assert (arrest["rosc_cases"], arrest["rosc_rate"]) == (1, 1.0)
    export = tmp_path / "incidents.csv"
    export.write_text(incident_log_csv(toy_city, Period()), encoding="utf-8")
    assert call_quality(export) == result
