"""One dispatch plan for one patient: ambulance, k volunteers, an AED runner, a drone.

Pure: the caller hands in the networks and the candidates (already filtered to those
available: fresh positions, ready AEDs open now, free ambulances where they are, ready pads);
this module decides. Times are seconds, points local metres of the network. Floors add a
vertical access time (``Options.floor_s`` per floor) to every arrival at a patient above or
below the street, and twice over (there and back) to an AED kept on another floor.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from shapely import Polygon

from rescuecircle.errors import InvalidInput, NoRoute
from routing.diverse import Approach, Responder, Scenarios, Selection, approaches, select_robust
from routing.drone import DroneSpec, flight_time_s
from routing.network import Network, Route
from routing.snap import Snap

CIRCLE_S = 300.0           # the 5-minute rescue circle
AED_CANDIDATES = 3         # nearest AEDs (by time to the patient) considered for the runner
BACKUPS = 3
AMBULANCE_REACH_S = 3600.0  # the longest drive an ambulance is sent on


@dataclass(frozen=True)
class Site:
    """A place a resource starts from, by the resource's id: a volunteer, an AED, an
    ambulance (its live position or its station) or a drone pad."""

    id: int
    lon: float
    lat: float
    floor: int = 0          # an AED's level: 0 at street level, -1 a basement


@dataclass(frozen=True)
class Pad:
    """A drone pad with the drone that flies from it."""

    site: Site
    spec: DroneSpec


@dataclass(frozen=True)
class Candidates:
    """What may be sent: volunteers (id, lon, lat), AEDs, ambulances, pads, air bases (a
    Pad whose spec is a helicopter's)."""

    volunteers: Sequence[Site]
    aeds: Sequence[Site]
    ambulances: Sequence[Site]
    pads: Sequence[Pad]
    air_bases: Sequence[Pad] = ()


@dataclass(frozen=True)
class Options:
    """How to plan: responders' mode, k, diversity bounds, targets, the hour for driving."""

    k: int = 3
    theta: float = 0.5
    max_stretch: float = 1.4
    responder_mode: str = "walk"
    responder_limit_s: float = 900.0
    ambulance_target_s: float = 480.0
    hour: int | None = None
    patient_floor: int = 0
    floor_s: float = 12.0

    def vertical_s(self, floor: int) -> float:
        """Street to ``floor`` (either way), on foot or by lift."""
        return self.floor_s * abs(floor)


@dataclass(frozen=True)
class Previous:
    """What an earlier plan for the same incident sent: kept where still possible (replan)."""

    volunteers: frozenset[int] = frozenset()
    runner: tuple[int, int] | None = None      # (volunteer id, AED id)


@dataclass(frozen=True)
class Leg:
    """A resource heading for the patient, with its route(s) and arrival time."""

    id: int
    eta_s: float
    routes: list[Route]
    vertical_s: float = 0.0     # of eta_s, spent between street and floor


@dataclass(frozen=True)
class Runner:
    """The volunteer fetching an AED: to the AED, then on to the patient."""

    volunteer: Leg
    aed_id: int
    aed_eta_s: float


@dataclass(frozen=True)
class Plan:
    """The decision, plus what it considered (for the audit)."""

    ambulance: Leg | None
    ambulance_target_s: float
    volunteers: list[Leg]
    runner: Runner | None
    drone: Leg | None
    backups: list[Leg]
    selection: Selection | None
    considered: dict[str, int]
    floor_delay_s: float = 0.0      # street to the patient's floor, in every arrival
    helicopter: Leg | None = None   # proposed when the ambulance is late and it is sooner

    @property
    def first_arrival_s(self) -> float | None:
        """Nominal arrival of the first direct volunteer (the runner comes via an AED)."""
        times = [v.eta_s for v in self.volunteers]
        return min(times) if times else None

    @property
    def aed_arrival_s(self) -> float | None:
        """When the first AED reaches the patient: the runner's or the drone's."""
        times = [t for t in (self.runner and self.runner.aed_eta_s,
                             self.drone and self.drone.eta_s) if t]
        return min(times) if times else None

    @property
    def circle_holds(self) -> bool:
        """First volunteer and an AED both within 5 minutes."""
        first, aed = self.first_arrival_s, self.aed_arrival_s
        return first is not None and aed is not None and first <= CIRCLE_S and aed <= CIRCLE_S


def plan(
    network: Network, lon: float, lat: float, candidates: Candidates,
    options: Options = Options(), *, no_fly: Sequence[Polygon] = (),
    previous: Previous = Previous(),
) -> Plan:
    """The plan for a patient at (lon, lat); ``no_fly`` zones are in local metres.

    The runner is chosen first (the AED decides survival as much as the first pair of hands),
    then the direct volunteers robustly from everyone else. On a replan, ``previous`` says who
    is already on their way: they stay wherever they still can (candidates still, not cut
    off); only the places they leave are filled again.
    """
    mode, hour = options.responder_mode, options.hour
    if mode not in ("walk", "bike"):
        raise InvalidInput(f"responder mode {mode!r} is unknown; use walk or bike")
    patient = network.snap(lon, lat, mode)
    volunteers = _responders(network, candidates.volunteers, mode)
    direct_pool = approaches(network, patient, volunteers, mode=mode,
                             limit_s=options.responder_limit_s)
    runner = _kept_runner(network, patient, candidates.aeds, direct_pool, options, previous)
    if runner is None:
        runner = _runner(network, patient, candidates.aeds, [
            a for a in direct_pool if a.responder.id not in previous.volunteers], options)
    selection = None
    direct: list[Leg] = []
    others = [a.responder for a in direct_pool
              if runner is None or a.responder.id != runner.volunteer.id]
    if others:
        scenarios = Scenarios(network, patient, mode, options.responder_limit_s, hour)
        selection = select_robust(
            network, patient, others, k=options.k, theta=options.theta,
            max_stretch=options.max_stretch, mode=mode, limit_s=options.responder_limit_s,
            hour=hour, scenarios=scenarios, keep=previous.volunteers)
        direct = [_leg(network, patient, a, options) for a in selection.approaches]
    chosen = {v.id for v in direct} | ({runner.volunteer.id} if runner else set())
    backups = [_leg(network, patient, a, options) for a in [
        a for a in direct_pool if a.responder.id not in chosen][:BACKUPS]]   # routed: 3, not all
    drone = _drone(network, patient, candidates.pads, runner, no_fly, options)
    ambulance = _ambulance(network, lon, lat, candidates.ambulances, options)
    helicopter = _helicopter(network, patient, candidates.air_bases, ambulance, options)
    return Plan(
        ambulance=ambulance, ambulance_target_s=options.ambulance_target_s, volunteers=direct,
        runner=runner, drone=drone, backups=backups, selection=selection,
        floor_delay_s=options.vertical_s(options.patient_floor), helicopter=helicopter,
        considered={"volunteers": len(candidates.volunteers), "reachable_volunteers":
                    len(direct_pool), "aeds": len(candidates.aeds),
                    "ambulances": len(candidates.ambulances), "pads": len(candidates.pads)},
    )


def _responders(network: Network, sites: Sequence[Site], mode: str) -> list[Responder]:
    snaps = network.snap_many(np.array([s.lon for s in sites]),
                              np.array([s.lat for s in sites]), mode)
    return [Responder(site.id, snap) for site, snap in zip(sites, snaps, strict=True)
            if snap is not None]


def _leg(network: Network, patient: Snap, approach: Approach, options: Options) -> Leg:
    route = network.route_along(approach.responder.snap, patient, approach.vertices,
                                options.responder_mode, time_s=approach.time_s)
    vertical_s = options.vertical_s(options.patient_floor)
    return Leg(approach.responder.id, approach.time_s + vertical_s, [route], vertical_s)


def _runner(
    network: Network, patient: Snap, aeds: Sequence[Site], pool: list[Approach],
    options: Options,
) -> Runner | None:
    """The volunteer and AED pair that brings an AED soonest (volunteer -> AED -> patient),
    counting the AED's floor there and back and the patient's floor."""
    mode = options.responder_mode
    floors = {a.id: a.floor for a in aeds}
    sites = _responders(network, aeds, mode)
    to_patient = approaches(network, patient, sites, mode=mode, limit_s=options.responder_limit_s,
                            first=AED_CANDIDATES)
    best: tuple[float, float, Approach, Approach] | None = None
    for aed_leg in to_patient:
        aed_snap = aed_leg.responder.snap
        fetchers = approaches(network, aed_snap, [a.responder for a in pool], mode=mode,
                              limit_s=options.responder_limit_s, first=1)
        vertical_s = (2 * options.vertical_s(floors[aed_leg.responder.id])
                      + options.vertical_s(options.patient_floor))
        if fetchers and (best is None
                         or fetchers[0].time_s + vertical_s + aed_leg.time_s < best[0]):
            best = (fetchers[0].time_s + vertical_s + aed_leg.time_s, vertical_s, fetchers[0],
                    aed_leg)
    if best is None:
        return None
    total_s, vertical_s, fetch, aed_leg = best
    to_aed = network.route_along(fetch.responder.snap, aed_leg.responder.snap, fetch.vertices,
                                 mode, time_s=fetch.time_s)
    onward = network.route_along(aed_leg.responder.snap, patient, aed_leg.vertices, mode,
                                 time_s=aed_leg.time_s)
    return Runner(Leg(fetch.responder.id, total_s, [to_aed, onward], vertical_s),
                  aed_leg.responder.id, total_s)


def _kept_runner(
    network: Network, patient: Snap, aeds: Sequence[Site], pool: list[Approach],
    options: Options, previous: Previous,
) -> Runner | None:
    """The previous plan's runner and AED, re-routed, if both can still be used."""
    if previous.runner is None:
        return None
    volunteer_id, aed_id = previous.runner
    return _runner(network, patient, [a for a in aeds if a.id == aed_id],
                   [a for a in pool if a.responder.id == volunteer_id], options)


def _drone(
    network: Network, patient: Snap, pads: Sequence[Pad], runner: Runner | None,
    no_fly: Sequence[Polygon], options: Options,
) -> Leg | None:
    """The fastest drone, only when it brings the AED before the runner does (carried from
    where it lands to the patient's floor)."""
    best: Leg | None = None
    for pad in pads:
        origin = network.project(pad.site.lon, pad.site.lat)
        try:
            eta_s = flight_time_s(origin, (patient.x, patient.y), pad.spec, no_fly)
        except NoRoute:
            continue
        vertical_s = options.vertical_s(options.patient_floor)
        if best is None or eta_s + vertical_s < best.eta_s:
            best = Leg(pad.site.id, eta_s + vertical_s, [], vertical_s)
    if best is None or (runner is not None and best.eta_s >= runner.aed_eta_s):
        return None
    return best


def _helicopter(network: Network, patient: Snap, bases: Sequence[Pad], ambulance: Leg | None,
                options: Options) -> Leg | None:
    """The soonest air ambulance, proposed only when the ambulance would miss its target (or
    none is free) and the helicopter reaches the patient before it does."""
    if ambulance is not None and ambulance.eta_s <= options.ambulance_target_s:
        return None
    vertical_s = options.vertical_s(options.patient_floor)
    best: Leg | None = None
    for base in bases:
        origin = network.project(base.site.lon, base.site.lat)
        try:
            eta_s = flight_time_s(origin, (patient.x, patient.y), base.spec) + vertical_s
        except NoRoute:
            continue
        if best is None or eta_s < best.eta_s:
            best = Leg(base.site.id, eta_s, [], vertical_s)
    if best is None or (ambulance is not None and best.eta_s >= ambulance.eta_s):
        return None
    return best


def _ambulance(
    network: Network, lon: float, lat: float, ambulances: Sequence[Site], options: Options
) -> Leg | None:
    """The free ambulance with the shortest drive to the patient (and up to the floor), by
    one search from the patient that stops as soon as the nearest is certain: it covers what
    lies nearer than that ambulance, not the city."""
    hour = options.hour
    patient = network.snap(lon, lat, "drive")
    sites = _responders(network, ambulances, "drive")
    found = approaches(network, patient, sites, mode="drive", limit_s=AMBULANCE_REACH_S,
                       hour=hour, first=1)
    if not found:
        return None
    fastest = found[0]
    route = network.route_along(fastest.responder.snap, patient, fastest.vertices, "drive",
                                time_s=fastest.time_s, hour=hour)
    vertical_s = options.vertical_s(options.patient_floor)
    return Leg(fastest.responder.id, fastest.time_s + vertical_s, [route], vertical_s)
