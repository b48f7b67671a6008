"""The live-loop simulator (services.simulation) on the demo city, on its own clock: no real
minutes are slept. The story, played once for the module:

1. The demo city is loaded (positions 0-10 minutes old). 45 minutes later, with nobody
   reporting, a dispatch finds no volunteer, and the reason says every position is stale and
   what keeps them fresh.
2. The simulator plays those 45 minutes in 10-second ticks; dispatches in four neighbourhoods
   then each get 2-3 volunteers.
3. The alerted volunteers answer (accept, decline, or never: the alert clock times them out,
   here after 1 s); those who accept walk their routes and arrive; the ambulances drive
   through their statuses to a hospital and hand over; the simulator closes the incidents.
4. Two hours after the load, dispatches still get 2-3 volunteers.
"""

import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gis.demo_load import load_demo_city
from services import fleet, incidents, responder
from services.context import Context, utc_now
from services.dispatch import plan_dispatch
from services.simulation import Behaviour, Simulator, answer_of
from tests.conftest import app_settings

NEIGHBOURHOODS = [(114.2, 22.65), (114.21, 22.65), (114.19, 22.66), (114.22, 22.64)]
TICK = timedelta(seconds=10)
QUICK = Behaviour(on_scene_s=60.0, at_hospital_s=60.0)    # shorter stays: a shorter story


class Clock:
    """The simulated time: what the context and the simulator both read."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Story:
    """What happened, for the tests to check."""

    stale: dict[str, Any] = field(default_factory=dict)
    after_45_min: list[dict[str, Any]] = field(default_factory=list)
    after_2_h: list[dict[str, Any]] = field(default_factory=list)
    events: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    ambulance_events: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    context: Context | None = None


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("simulation")
    load_demo_city(engine)
    return engine


def dispatch_everywhere(context: Context, at: datetime) -> list[dict[str, Any]]:
    return [plan_dispatch(context, {"point": list(point), "at": at.isoformat()},
                          created_by="test") for point in NEIGHBOURHOODS]


def play(simulator: Simulator, clock: Clock, until: datetime) -> None:
    while clock.now < until:
        clock.now += TICK
        simulator.advance(clock.now)


@pytest.fixture(scope="module")
def story(engine) -> Story:
    clock = Clock(utc_now())
    loaded_at = clock.now
    settings = app_settings(engine).model_copy(update={"alert_timeout_s": 1.0})
    context = Context.from_settings(settings, engine=engine, clock=clock)
    told = Story()
    told.stale = plan_dispatch(context, {"point": list(NEIGHBOURHOODS[0]), "at": (
        loaded_at + timedelta(minutes=45)).isoformat()}, created_by="test")
    incidents.close_incident(context, told.stale["incident_id"], {"outcome": "false_alarm"},
                             actor="test")

    simulator = Simulator(context, seed=3, behaviour=QUICK)
    play(simulator, clock, loaded_at + timedelta(minutes=45))
    told.after_45_min = dispatch_everywhere(context, clock.now)
    play(simulator, clock, clock.now + timedelta(seconds=60))    # every answer is given
    time.sleep(settings.alert_timeout_s + 0.2)          # the unanswered alerts' deadline
    responder.expire_due(context)                       # what the server's alert clock does
    play(simulator, clock, clock.now + timedelta(minutes=60))
    first = told.after_45_min[0]["incident_id"]
    with engine.connect() as conn:
        told.events = Counter((r.kind, r.unit_kind) for r in conn.execute(text(
            "SELECT kind, unit_kind FROM rc.incident_event")))
        told.ambulance_events = list(conn.execute(text(
            "SELECT kind FROM rc.incident_event WHERE incident_id = :i "
            "AND unit_kind = 'ambulance' AND kind <> 'position' ORDER BY seq"),
            {"i": first}).scalars())
        told.closed = list(conn.execute(text(
            "SELECT outcome FROM rc.incident WHERE id = ANY(:ids)"),
            {"ids": [p["incident_id"] for p in told.after_45_min]}).scalars())
    play(simulator, clock, loaded_at + timedelta(hours=2))
    told.after_2_h = dispatch_everywhere(context, clock.now)
    told.context = context
    return told


def test_with_every_position_stale_the_reason_says_so_and_what_keeps_them_fresh(story):
    assert story.stale["volunteers"] == []
    reason = story.stale["reasons"]["volunteers"]
    assert reason.startswith("every volunteer position is stale: the newest is ")
    assert "rescuecircle simulate" in reason and "/api/responder/position" in reason


def test_45_minutes_after_the_load_dispatches_get_2_to_3_volunteers(story):
    assert [2 <= len(p["volunteers"]) <= 3 for p in story.after_45_min] == [True] * 4


def test_alerted_volunteers_accept_decline_or_time_out_and_walk_to_the_patient(story):
    for kind in ("accepted", "declined", "timed_out", "on_scene", "position"):
        assert story.events[(kind, "volunteer")] > 0, kind
    assert story.events[("aed_collected", "aed")] > 0
    assert story.events[("position", "ambulance")] > 0       # AVL on the way: new ETAs


def test_an_ambulance_drives_through_its_statuses_and_the_incidents_close(story):
    assert story.ambulance_events == ["dispatched", "en_route", "on_scene", "transporting",
                                      "at_hospital", "handed_over"]
    assert story.closed == ["transported"] * 4


def test_two_hours_after_the_load_dispatches_still_get_2_to_3_volunteers(story):
    assert [2 <= len(p["volunteers"]) <= 3 for p in story.after_2_h] == [True] * 4


def test_a_crew_whose_incident_closes_under_it_reports_back_available(story):
    context = story.context
    assert context is not None
    clock = context.clock
    assert isinstance(clock, Clock)
    simulator = Simulator(context, seed=5, behaviour=QUICK)
    plan = story.after_2_h[0]
    ambulance_id = plan["ambulance"]["ambulance_id"]

    def status() -> str:
        return next(a["status"] for a in fleet.ambulances(context) if a["id"] == ambulance_id)

    for _ in range(360):                      # at most an hour of driving
        if status() == "on_scene":
            break
        play(simulator, clock, clock.now + TICK)
    assert status() == "on_scene"
    incidents.close_incident(context, plan["incident_id"], {"outcome": "treated_on_scene"},
                             actor="test")
    assert status() == "on_scene"            # closing leaves a crew at the scene as it is
    play(simulator, clock, clock.now + TICK)
    assert status() == "available"


def test_answers_are_seeded_and_follow_the_set_probabilities():
    behaviour = Behaviour(accept=0.6, decline=0.25)
    answers = [answer_of(7, alert_id, behaviour) for alert_id in range(2000)]
    assert answers == [answer_of(7, alert_id, behaviour) for alert_id in range(2000)]
    shares = Counter(action for action, _ in answers)
    assert shares["accept"] / 2000 == pytest.approx(0.6, abs=0.04)
    assert shares["decline"] / 2000 == pytest.approx(0.25, abs=0.04)
    assert shares[None] / 2000 == pytest.approx(0.15, abs=0.04)
    assert all(5.0 <= delay_s <= 20.0 for _, delay_s in answers)
    assert answers != [answer_of(8, alert_id, behaviour) for alert_id in range(2000)]


def test_the_command_keeps_the_demo_city_reporting(make_database):
    engine = make_database("simulation_cli")
    load_demo_city(engine)
    env = {**os.environ, "RC_DATABASE_URL": app_settings(engine).database_url or ""}
    with engine.connect() as conn:
        started = conn.execute(text("SELECT now()")).scalar_one()
    done = subprocess.run([sys.executable, "-m", "cli.main", "simulate", "--seed", "1",
                           "--stop-after", "4"], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.startswith("simulating 175 available volunteers and 16 ambulances")
    with engine.connect() as conn:
        fresh = conn.execute(text(
            "SELECT (SELECT count(DISTINCT volunteer_id) FROM rc.volunteer_position "
            "        WHERE observed_at >= :started), "
            "       (SELECT count(DISTINCT ambulance_id) FROM rc.ambulance_position "
            "        WHERE observed_at >= :started)"), {"started": started}).one()
    assert tuple(fresh) == (175, 9)       # the 7 busy or out of service send no AVL
