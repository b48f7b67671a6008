"""A living city for the demo: the loaded volunteers and ambulances go about their day and answer
dispatch through the same use cases as real phones and crews.

- Available volunteers stroll along walkable roads near where they were last seen and report
  their positions every REPORT_EVERY_S (a gateway's batch, ``services.positions``), so dispatch
  always finds fresh positions.
- An alerted volunteer answers after a short delay: accepts or declines with the behaviour's
  probabilities, or never answers (the server's alert clock then times the alert out). One who
  accepts walks the alert's route at its walking time (via the AED for ``fetch_aed``: "AED
  collected", then "arrived"), reporting positions through ``services.responder``.
- Ambulances report AVL positions; one dispatched drives its plan's route (en route, on scene
  at the ETA), takes the patient to the plan's destination hospital (else the nearest one:
  transporting, at hospital), hands
  over (available) and drives back to its station, through ``services.fleet``. Once its
  ambulance has handed over (or, with none sent, after MAX_OPEN_S), the simulator closes the
  incident as the dispatcher would, freeing its volunteers.
- Optionally it calls in incidents at a seeded rate (``Behaviour.incidents_per_hour``).

Every choice comes from random streams seeded by (seed, who), so the same seed gives the same
choices. ``speedup`` plays the world faster (movement, delays, stays); time stamps are the
clock's. Movement along a route is ``routing.motion``; this module only orchestrates.
"""

import contextlib
import logging
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gis import simulation as world
from gis.hospitals import load_hospitals
from rescuecircle.errors import Conflict, InvalidInput, NoRoute, NotFound
from routing.motion import Trip, step_m
from routing.network import Network
from services import fleet, incidents, positions, responder
from services.context import Context
from services.dispatch import plan_dispatch, stored_dispatch

LOGGER = logging.getLogger(__name__)
ACTOR = "simulator"
REPORT_EVERY_S = 30.0          # volunteers' phones and the ambulances' AVL, when idle
MAX_OPEN_S = 1800.0            # an incident with no ambulance is closed after this
OFF_THE_ROAD = ("busy", "out_of_service")      # ambulances the simulator leaves alone
CATEGORIES = {"cardiac_arrest": 4, "unconscious": 2, "breathing_problem": 1, "chest_pain": 1,
              "trauma": 1, "other": 1}


@dataclass(frozen=True)
class Behaviour:
    """How the simulated people behave; times in seconds of the simulated world."""

    accept: float = 0.6                          # the rest of an alert's answers ...
    decline: float = 0.25                        # ... never come: the alert times out
    answer_delay_s: tuple[float, float] = (5.0, 20.0)
    stroll_m: tuple[float, float] = (150.0, 700.0)
    pause_s: tuple[float, float] = (30.0, 300.0)
    on_scene_s: float = 600.0
    at_hospital_s: float = 300.0
    incidents_per_hour: float = 0.0
    speedup: float = 1.0

    def __post_init__(self) -> None:
        if min(self.accept, self.decline) < 0 or self.accept + self.decline > 1:
            raise InvalidInput("accept and decline are probabilities summing to at most 1")
        if not 0 <= self.incidents_per_hour <= 3600:
            raise InvalidInput(f"incidents per hour = {self.incidents_per_hour} is outside "
                               "the allowed range 0 to 3600")
        if not 0 < self.speedup <= 100:
            raise InvalidInput(f"speedup = {self.speedup} is outside the range 0 to 100")


def answer_of(seed: int, alert_id: int, behaviour: Behaviour) -> tuple[str | None, float]:
    """What a volunteer does with alert ``alert_id`` and after how many seconds: ``accept``,
    ``decline`` or None (never answers). The same for the same seed and alert."""
    rng = random.Random(f"{seed}:alert:{alert_id}")
    draw = rng.random()
    action = ("accept" if draw < behaviour.accept else
              "decline" if draw < behaviour.accept + behaviour.decline else None)
    return action, rng.uniform(*behaviour.answer_delay_s)


@dataclass
class Mover:
    """Someone or something on the map: where, on which trip since when, when to report."""

    id: int
    home: tuple[float, float]
    position: tuple[float, float]
    rng: random.Random
    trip: Trip | None = None
    trip_started_s: float = 0.0
    resume_s: float = 0.0                        # idle until (world seconds)
    next_report: datetime | None = None          # None: report at the next tick

    def where(self, world_s: float) -> tuple[float, float]:
        """The current position, moved along the trip."""
        if self.trip is not None:
            self.position = self.trip.position_at(world_s - self.trip_started_s)
        return self.position

    def arrived(self, world_s: float) -> bool:
        return self.trip is not None and self.trip.done(world_s - self.trip_started_s)


@dataclass
class Volunteer(Mover):
    """A volunteer and the alert they are on (None: free)."""

    alert: dict[str, Any] | None = None
    answer_due_s: float | None = None
    action: str | None = None
    collected: bool = False


@dataclass
class Ambulance(Mover):
    """An ambulance, its status as the simulator last set it, and the incident it serves."""

    status: str = "available"
    incident_id: int | None = None
    hospital_id: int | None = None               # the plan's destination


@dataclass
class Simulator:
    """The simulated city over one Context; call ``advance(now)`` every second or so."""

    context: Context
    seed: int = 42
    behaviour: Behaviour = field(default_factory=Behaviour)
    volunteers: dict[int, Volunteer] = field(default_factory=dict)
    ambulances: dict[int, Ambulance] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    world_s: float = 0.0
    last: datetime | None = None
    seen: dict[int, float] = field(default_factory=dict)      # open incident -> since (world s)
    handed_over: set[int] = field(default_factory=set)        # incidents to close

    def __post_init__(self) -> None:
        engine, seed = self.context.engine, self.seed
        for person in world.people(engine):
            if person.availability == "available":
                spot = (person.lon, person.lat)
                self.volunteers[person.id] = Volunteer(
                    person.id, spot, spot, random.Random(f"{seed}:volunteer:{person.id}"))
        for row in fleet.ambulances(self.context):
            station = (row["station_lon"], row["station_lat"])
            self.ambulances[row["id"]] = Ambulance(
                row["id"], station, station, random.Random(f"{seed}:ambulance:{row['id']}"))
        self.hospitals = {h["id"]: (h["lon"], h["lat"]) for h in load_hospitals(engine)}
        self.incident_rng = random.Random(f"{seed}:incidents")
        self.next_incident_s = self._incident_gap_s()

    def advance(self, now: datetime) -> Counter[str]:
        """Play the world up to ``now``; what was reported, by kind, since the start."""
        if self.last is not None:
            self.world_s += max((now - self.last).total_seconds(), 0.0) * self.behaviour.speedup
        self.last = now
        network = self.context.networks.current()
        details = [incidents.incident(self.context, i["id"])
                   for i in incidents.open_incidents(self.context)]
        self._follow_alerts(details)
        for volunteer in self.volunteers.values():
            self._live(volunteer, network)
        self._report_strollers(now)
        self._drive(details, network, now)
        self._close_finished(details)
        self._call_incidents(now)
        return self.counts

    # ----------------------------------------------------------------- volunteers

    def _follow_alerts(self, details: list[dict[str, Any]]) -> None:
        """Pick up new alerts; let go of those that ended (declined, timed out, withdrawn,
        the incident closed)."""
        active = {a["volunteer_id"]: a for d in details for a in d["alerts"]
                  if a["status"] in ("pending", "accepted", "arrived")}
        for volunteer in self.volunteers.values():
            mine = active.get(volunteer.id)
            if volunteer.alert is not None and (mine is None
                                                or mine["id"] != volunteer.alert["id"]):
                volunteer.alert, volunteer.trip, volunteer.answer_due_s = None, None, None
                volunteer.resume_s = self.world_s
            if mine is not None and volunteer.alert is None and mine["status"] == "pending":
                volunteer.alert = mine
                volunteer.trip = None
                volunteer.action, delay_s = answer_of(self.seed, mine["id"], self.behaviour)
                volunteer.answer_due_s = self.world_s + delay_s
                volunteer.collected = False

    def _live(self, volunteer: Volunteer, network: Network) -> None:
        """One volunteer's next step: answer, walk the alert's route, or stroll."""
        volunteer.where(self.world_s)
        alert = volunteer.alert
        if alert is None:
            if volunteer.trip is None or volunteer.arrived(self.world_s):
                self._stroll(volunteer, network)
            return
        if alert["status"] == "pending":
            if volunteer.action is None or self.world_s < (volunteer.answer_due_s or 0):
                return
            self._answer(volunteer, volunteer.action)
            if volunteer.action == "decline" or volunteer.alert is None:
                volunteer.alert, volunteer.trip = None, None
                return
            alert["status"] = "accepted"
            self._walk_alert(volunteer)
        elif alert["status"] == "accepted" and volunteer.trip is not None:
            elapsed = self.world_s - volunteer.trip_started_s
            if alert["task"] == "fetch_aed" and not volunteer.collected \
                    and elapsed >= alert["to_aed_s"]:
                volunteer.collected = self._answer(volunteer, "aed_collected")
            if volunteer.arrived(self.world_s) and self._answer(volunteer, "arrived"):
                alert["status"] = "arrived"

    def _answer(self, volunteer: Volunteer, action: str) -> bool:
        """Answer through the responder use case; False when the alert moved on meanwhile."""
        assert volunteer.alert is not None
        try:
            responder.answer(self.context, volunteer.id, volunteer.alert["id"], action)
        except (Conflict, NotFound):
            volunteer.alert, volunteer.trip = None, None
            return False
        self.counts[action] += 1
        return True

    def _walk_alert(self, volunteer: Volunteer) -> None:
        """Set off along the alert's routes, at their walking times."""
        assert volunteer.alert is not None
        mine = next((a for a in responder.alerts(self.context, volunteer.id)["alerts"]
                     if a["id"] == volunteer.alert["id"]), None)
        routes = mine["routes"] if mine else []
        legs = [Trip.of(r["geometry"]["coordinates"], duration_s=r["properties"]["duration_s"])
                for r in routes if r["geometry"]["coordinates"]]
        if not legs:                     # no route to walk: go straight there
            legs = [Trip.of([volunteer.position], duration_s=0.0)]
        volunteer.alert["to_aed_s"] = legs[0].duration_s
        volunteer.trip, volunteer.trip_started_s = Trip.joined(legs), self.world_s
        volunteer.next_report = None

    def _stroll(self, volunteer: Volunteer, network: Network) -> None:
        """After a pause, walk to a random spot near home along walkable roads."""
        if volunteer.trip is not None:
            volunteer.trip = None
            volunteer.resume_s = self.world_s + volunteer.rng.uniform(*self.behaviour.pause_s)
        if self.world_s < volunteer.resume_s:
            return
        bearing = volunteer.rng.uniform(0, 2 * math.pi)
        distance_m = volunteer.rng.uniform(*self.behaviour.stroll_m)
        lon, lat = volunteer.home
        target = (lon + distance_m * math.sin(bearing) / (111_320 * math.cos(math.radians(lat))),
                  lat + distance_m * math.cos(bearing) / 110_540)
        trip = _route_trip(network, volunteer.position, target, "walk")
        if trip is None:
            volunteer.resume_s = self.world_s + self.behaviour.pause_s[0]
            return
        volunteer.trip, volunteer.trip_started_s = trip, self.world_s

    def _report_strollers(self, now: datetime) -> None:
        """Free volunteers' positions as a gateway's batch; those on an alert report
        through the responder use case (the incident gets their ETA)."""
        batch = []
        for volunteer in self.volunteers.values():
            if volunteer.next_report is not None and now < volunteer.next_report:
                continue
            volunteer.next_report = now + timedelta(seconds=REPORT_EVERY_S)
            lon, lat = volunteer.position
            body = {"lon": lon, "lat": lat, "accuracy_m": 10.0, "observed_at": now.isoformat()}
            if volunteer.alert is not None and volunteer.alert["status"] != "pending":
                with contextlib.suppress(Conflict, NotFound):
                    responder.report_position(self.context, volunteer.id, body)
                    self.counts["responder positions"] += 1
            else:
                batch.append({"volunteer_id": volunteer.id, **body})
        for start in range(0, len(batch), positions.MAX_BATCH):
            self.counts["positions"] += positions.report_volunteer_positions(
                self.context, {"positions": batch[start:start + positions.MAX_BATCH]})

    # ----------------------------------------------------------------- ambulances

    def _drive(self, details: list[dict[str, Any]], network: Network, now: datetime) -> None:
        """Each ambulance's next step along its mission, and its AVL report."""
        sent = {u["unit_id"]: d for d in details for u in d["units"]
                if u["unit_kind"] == "ambulance"}
        statuses = {row["id"]: row["status"] for row in fleet.ambulances(self.context)}
        for ambulance in self.ambulances.values():
            ambulance.where(self.world_s)
            status = statuses.get(ambulance.id, "out_of_service")
            incident = sent.get(ambulance.id)
            if status in OFF_THE_ROAD and ambulance.incident_id is None:
                continue                                   # no AVL from the garage
            if status == "dispatched" and incident is not None:
                self._set_off(ambulance, incident)
            elif ambulance.incident_id is not None and incident is None:
                if status != "available":                  # the incident closed under it:
                    self._status(ambulance, "available")   # the crew reports back free
                self._go_home(ambulance, network)
            elif ambulance.incident_id is not None:
                self._mission_step(ambulance, network)
            elif ambulance.trip is not None and ambulance.arrived(self.world_s):
                ambulance.trip = None
            self._report_avl(ambulance, now)

    def _set_off(self, ambulance: Ambulance, incident: dict[str, Any]) -> None:
        plan = stored_dispatch(self.context, incident["dispatch_id"])["plan"] or {}
        leg = plan.get("ambulance") or {}
        coords = [c for r in leg.get("routes", []) for c in r["geometry"]["coordinates"]]
        duration_s = sum(r["properties"]["duration_s"] for r in leg.get("routes", []))
        ambulance.incident_id = incident["id"]
        ambulance.hospital_id = (plan.get("destination") or {}).get("hospital_id")
        ambulance.trip = Trip.of(coords or [ambulance.position], duration_s=duration_s)
        ambulance.trip_started_s = self.world_s
        self._status(ambulance, "en_route")

    def _mission_step(self, ambulance: Ambulance, network: Network) -> None:
        """en_route -> on_scene -> transporting -> at_hospital -> available (handed over)."""
        if ambulance.status in ("en_route", "transporting") and ambulance.arrived(self.world_s):
            self._status(ambulance, "on_scene" if ambulance.status == "en_route"
                         else "at_hospital")
            ambulance.trip = None
            stay = (self.behaviour.on_scene_s if ambulance.status == "on_scene"
                    else self.behaviour.at_hospital_s)
            ambulance.resume_s = self.world_s + stay
        elif ambulance.status == "on_scene" and self.world_s >= ambulance.resume_s:
            hospital_id = ambulance.hospital_id or min(      # none proposed: the nearest
                self.hospitals, key=lambda h: step_m(ambulance.position, self.hospitals[h]),
                default=None)
            trip = None if hospital_id is None else _route_trip(
                network, ambulance.position, self.hospitals[hospital_id], "drive")
            ambulance.trip = trip or Trip.of([ambulance.position], duration_s=0.0)
            ambulance.trip_started_s = self.world_s
            self._status(ambulance, "transporting", hospital_id=hospital_id)
        elif ambulance.status == "at_hospital" and self.world_s >= ambulance.resume_s:
            self._status(ambulance, "available")       # handed over: the incident frees it
            self.handed_over.add(ambulance.incident_id or 0)
            self._go_home(ambulance, network)

    def _go_home(self, ambulance: Ambulance, network: Network) -> None:
        ambulance.incident_id = None
        ambulance.status = "available"
        ambulance.trip = _route_trip(network, ambulance.position, ambulance.home, "drive")
        ambulance.trip_started_s = self.world_s

    def _status(self, ambulance: Ambulance, status: str, *, hospital_id: int | None = None
                ) -> None:
        body: dict[str, Any] = {"status": status}
        if hospital_id is not None:
            body["hospital_id"] = hospital_id
        with contextlib.suppress(Conflict, NotFound):
            fleet.change_status(self.context, ambulance.id, body, actor=ACTOR)
            self.counts[f"ambulance {status}"] += 1
        ambulance.status = status
        ambulance.next_report = None

    def _report_avl(self, ambulance: Ambulance, now: datetime) -> None:
        moving = ambulance.trip is not None and not ambulance.arrived(self.world_s)
        if ambulance.next_report is not None and now < ambulance.next_report:
            return
        ambulance.next_report = now + timedelta(seconds=REPORT_EVERY_S / (3 if moving else 1))
        lon, lat = ambulance.position
        with contextlib.suppress(NotFound):
            fleet.report_position(self.context, ambulance.id, {
                "lon": lon, "lat": lat, "accuracy_m": 5.0, "observed_at": now.isoformat()})
            self.counts["ambulance positions"] += 1

    # ----------------------------------------------------------------- incidents

    def _close_finished(self, details: list[dict[str, Any]]) -> None:
        """Close, as the dispatcher, incidents whose ambulance handed over, and those without
        an ambulance for MAX_OPEN_S; a cardiac arrest's ROSC is drawn (10 %)."""
        for detail in details:
            first_seen = self.seen.setdefault(detail["id"], self.world_s)
            sent_one = any(u["unit_kind"] == "ambulance" for u in detail["units"])
            handed_over = detail["id"] in self.handed_over
            if not handed_over and (sent_one or self.world_s - first_seen < MAX_OPEN_S):
                continue
            rosc = (self.incident_rng.random() < 0.1
                    if detail["category"] in (None, "cardiac_arrest") else None)
            with contextlib.suppress(Conflict):
                incidents.close_incident(self.context, detail["id"], {
                    "outcome": "transported" if handed_over else "treated_on_scene",
                    "rosc": rosc}, actor=ACTOR)
                self.counts["incidents closed"] += 1
            self.handed_over.discard(detail["id"])
            self.seen.pop(detail["id"], None)

    def _incident_gap_s(self) -> float:
        rate = self.behaviour.incidents_per_hour
        return math.inf if rate <= 0 else self.world_s + self.incident_rng.expovariate(
            rate / 3600)

    def _call_incidents(self, now: datetime) -> None:
        """Call in the incidents due by now, near where the volunteers live."""
        homes = sorted(self.volunteers)
        while self.world_s >= self.next_incident_s and homes:
            rng = self.incident_rng
            lon, lat = self.volunteers[rng.choice(homes)].home
            category = rng.choices(list(CATEGORIES), weights=list(CATEGORIES.values()))[0]
            point = [lon + rng.uniform(-0.002, 0.002), lat + rng.uniform(-0.002, 0.002)]
            try:
                plan_dispatch(self.context, {"point": point, "category": category,
                                             "at": now.isoformat()}, created_by=ACTOR)
                self.counts["incidents"] += 1
            except (InvalidInput, NoRoute) as exc:
                LOGGER.info("simulated call at %s not dispatched: %s", point, exc)
            self.next_incident_s = self._incident_gap_s()


def _route_trip(network: Network, start: tuple[float, float], end: tuple[float, float],
                mode: str) -> Trip | None:
    """The fastest ``mode`` route as a trip, or None when there is none."""
    try:
        route = network.route(network.snap(*start, mode), network.snap(*end, mode), mode)
    except (InvalidInput, NoRoute):
        return None
    coords = network.to_lonlat(route.geometry).coords
    return Trip.of(list(coords), duration_s=route.time_s)

