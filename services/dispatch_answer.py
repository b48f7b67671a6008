"""A dispatch plan as the API returns it and the audit stores it: legs with routes as GeoJSON
in WGS84, and for every part left empty the reason, naming the command that loads what is
missing (a dispatcher must know whether "no ambulance" means none free or none loaded)."""

import math
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.geometry

from gis.dispatch_data import CandidateRows, Loaded, Search
from gis.dispatch_grade import UNTRIAGED, Grade
from routing.destination import Destination
from routing.dispatch import Leg, Options, Plan
from routing.network import Network
from routing.snap import island_note

WALK_LIMIT_MIN = Options().responder_limit_s / 60


@dataclass(frozen=True)
class Decision:
    """A plan with what it was made from: the network, the search, the candidates found and
    how much of each registry is loaded."""

    plan: Plan
    network: Network
    search: Search
    rows: CandidateRows
    loaded: Loaded
    area: str
    k: int
    declined: int
    timings_ms: dict[str, float]
    grade: Grade = UNTRIAGED
    destinations: list[Destination] = field(default_factory=list)
    newest_position_age_s: float | None = None   # asked when no volunteer nearby is fresh

    def patient_on_island(self, mode: str) -> bool:
        """Whether the patient's road is cut off from the rest of ``mode``'s network: asked
        only when a part of the plan is empty, so a full plan pays nothing for it."""
        snap = self.network.snap(self.search.lon, self.search.lat, mode)
        return bool(self.network.arrays.island[mode][snap.edge])

    def considered(self) -> dict[str, Any]:
        """The candidates' ids, for the audit."""
        rows = self.rows
        return {"volunteers": [r[0] for r in rows.volunteers], "aeds": [r[0] for r in rows.aeds],
                "ambulances": [a.id for a in rows.ambulances],
                "pads": [r[0] for r in rows.pads], "area": self.area}


def plan_json(decision: Decision) -> dict[str, Any]:
    """The plan as the API returns it (routes as GeoJSON Features in WGS84)."""
    network, decided = decision.network, decision.plan
    ambulance = _leg_json(network, decided.ambulance, "ambulance_id")
    if ambulance is not None:
        sent = next(a for a in decision.rows.ambulances if a.id == ambulance["ambulance_id"])
        ambulance.update(station_id=sent.station_id, call_sign=sent.call_sign, kind=sent.kind,
                         starts_from="live_position" if sent.live else "station",
                         target_s=decided.ambulance_target_s,
                         within_target=ambulance["eta_s"] <= decided.ambulance_target_s)
    runner = None
    if decided.runner is not None:
        runner = _leg_json(network, decided.runner.volunteer, "volunteer_id")
        runner = {**(runner or {}), "aed_id": decided.runner.aed_id,
                  "aed_eta_s": round(decided.runner.aed_eta_s, 1)}
    selection = decided.selection
    return {
        "ambulance": ambulance,
        "volunteers": [_leg_json(network, v, "volunteer_id") for v in decided.volunteers],
        "aed_runner": runner,
        "drone": _leg_json(network, decided.drone, "pad_id"),
        "helicopter": _leg_json(network, decided.helicopter, "base_id"),
        "backups": [{"volunteer_id": b.id, "eta_s": round(b.eta_s, 1)}
                    for b in decided.backups],
        "first_arrival_s": _round(decided.first_arrival_s),
        "aed_arrival_s": _round(decided.aed_arrival_s),
        "circle_holds": decided.circle_holds,
        "category": decision.grade.category,
        "destination": _destination_json(decision.destinations[0], decision.grade)
        if decision.destinations else None,
        "destination_alternatives": [_destination_json(d, decision.grade)
                                     for d in decision.destinations[1:]],
        "floor_delay_s": decided.floor_delay_s,
        "robustness": None if selection is None else {
            # None when one blocked road cuts every chosen responder off (a dead end).
            "worst_case_first_arrival_s": _round(selection.worst_case_s),
            "expected_first_arrival_s": _round(selection.expected_s),
            "overlap_bound": selection.theta, "overlap_relaxed": selection.relaxed},
        "reasons": reasons(decision),
    }


def reasons(decision: Decision) -> dict[str, str]:
    """Why each empty (or short) part of the plan is so, by part."""
    found = _graded_out(decision.grade)
    plan, rows, loaded, search = decision.plan, decision.rows, decision.loaded, decision.search
    if plan.ambulance is None:
        found["ambulance"] = (
            "no ambulance is loaded: run `rescuecircle import ambulances FILE`"
            if loaded.ambulances == 0 else
            island_note("the patient", "drive") + ": no road from the stations reaches it"
            if rows.ambulances and decision.patient_on_island("drive") else
            f"none of the {loaded.ambulances} ambulances is available within "
            f"{search.ambulance_radius_m / 1000:g} km" if not rows.ambulances else
            f"{len(rows.ambulances)} available ambulances, none can reach the patient by road")
    short = len(plan.volunteers) < decision.k or plan.runner is None
    volunteer_reason = _volunteer_reason(decision) if short else None
    if len(plan.volunteers) < decision.k and volunteer_reason and "volunteers" not in found:
        found["volunteers"] = (volunteer_reason if not plan.volunteers else
                               f"only {len(plan.volunteers)} of {decision.k}: {volunteer_reason}")
    if plan.runner is None and "aed_runner" not in found:
        found["aed_runner"] = (
            "no AED is loaded: run `rescuecircle import aeds FILE`" if loaded.aeds == 0 else
            f"no AED within {search.aed_radius_m / 1000:g} km is available at that time "
            "(status, opening hours)" if not rows.aeds else
            volunteer_reason or "no volunteer can fetch an available AED and reach the "
            f"patient within {WALK_LIMIT_MIN:g} minutes")
    if not decision.destinations:
        found["destination"] = (
            "no hospital with an emergency department is reachable by road"
            if decision.loaded.emergency_departments else
            "no hospital is known to have an emergency department: run `rescuecircle import "
            "hospitals FILE` with an emergency column (yes/no), or OSM's emergency=yes")
    late = plan.ambulance is None or plan.ambulance.eta_s > plan.ambulance_target_s
    if late and plan.helicopter is None:
        found["helicopter"] = (
            "no air base with a helicopter is loaded: run `rescuecircle import helipads FILE`"
            if loaded.air_bases == 0 else
            "no helicopter in range reaches the patient sooner than the ambulance")
    if plan.drone is None and "drone" not in found:
        found["drone"] = (
            "no drone pad is loaded: run `rescuecircle import drone-pads FILE`"
            if loaded.drone_pads == 0 else
            "no drone pad is ready" if not rows.pads else
            "no ready drone reaches the patient sooner than the AED runner")
    return found


def _destination_json(destination: Destination, grade: Grade) -> dict[str, Any]:
    """A hospital the patient may go to: which, what the call needs there, the drive; a note
    when it lacks what the call needs (no hospital within reach is known to have it)."""
    found = {"hospital_id": destination.hospital.id, "name": destination.hospital.name,
             "capability": grade.destination_capability, "capable": destination.capable,
             "eta_s": round(destination.eta_s, 1)}
    if not destination.capable:
        found["note"] = (f"not known to treat {grade.destination_capability}: no hospital "
                         "within reach is; capabilities come from `rescuecircle import "
                         "hospitals FILE`")
    return found


def _graded_out(grade: Grade) -> dict[str, str]:
    """The parts graded dispatch does not send for the call's category."""
    parts = {"volunteers": grade.volunteers, "aed_runner": grade.aed_runner,
             "drone": grade.drone}
    return {part: f"graded dispatch: {grade.category} calls get no {part.replace('_', ' ')} "
                  "(rc.dispatch_grade)"
            for part, sent in parts.items() if not sent}


def _volunteer_reason(decision: Decision) -> str | None:
    """Why no more volunteers could be sent, or None when enough were."""
    rows, search = decision.rows, decision.search
    if not decision.loaded.any_volunteer:
        return "no volunteer is registered: run `rescuecircle import volunteers FILE`"
    if decision.patient_on_island("walk"):
        return island_note("the patient", "walk") + ": only a volunteer on it could walk there"
    nearby = len(rows.volunteers) - decision.declined
    if not rows.volunteers and _all_stale(decision):
        age_s = decision.newest_position_age_s
        return ("every volunteer position is stale: " + (
            "none was ever reported" if age_s is None else
            f"the newest is {age_s / 60:.0f} minutes old") +
            f" and dispatch uses positions of the last {search.max_position_age_s / 60:g} "
            "minutes. Positions stay fresh while volunteers' phones report them (POST "
            "/api/responder/position, or a gateway's POST /api/volunteers/positions); on the "
            "demo city `rescuecircle simulate` reports them (`make run` starts it)")
    if nearby <= 0:
        return (f"no available volunteer within {search.volunteer_radius_m / 1000:g} km has "
                f"reported a position in the last {search.max_position_age_s / 60:g} minutes"
                + (f" ({decision.declined} declined)" if decision.declined else ""))
    sent = len(decision.plan.volunteers) + (decision.plan.runner is not None)
    if sent >= nearby:
        return f"every one of the {nearby} available volunteers nearby is sent"
    if sent == 0:
        return (f"none of the {nearby} available volunteers nearby can walk to the patient "
                f"within {WALK_LIMIT_MIN:g} minutes")
    return (f"the other volunteers nearby cannot walk to the patient within "
            f"{WALK_LIMIT_MIN:g} minutes")


def _all_stale(decision: Decision) -> bool:
    """Whether no volunteer anywhere has a position fresh enough for dispatch."""
    age_s = decision.newest_position_age_s
    return age_s is None or age_s > decision.search.max_position_age_s


def _leg_json(network: Network, leg: Leg | None, key: str) -> dict[str, Any] | None:
    if leg is None:
        return None
    return {
        key: leg.id,
        "eta_s": round(leg.eta_s, 1),
        "floor_delay_s": round(leg.vertical_s, 1),
        "routes": [{"type": "Feature",
                    "geometry": shapely.geometry.mapping(network.to_lonlat(r.geometry)),
                    "properties": {"duration_s": round(r.time_s, 1),
                                   "length_m": round(r.length_m, 1)}}
                   for r in leg.routes],
    }


def _round(value: float | None) -> float | None:
    """Seconds to 0.1 s for JSON; None stays None, and so does an infinite time."""
    return None if value is None or not math.isfinite(value) else round(value, 1)
