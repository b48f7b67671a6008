"""The volunteer's side of the loop: their own alerts (long-polled), accept, decline, "AED
collected", "arrived", and positions while on the way, each an incident event with the ETA
computed again from where they are.

A decline or a time-out frees the volunteer (and the AED they were to fetch) and replans the
incident at once, keeping everyone else on it: the next best volunteer is alerted.
"""

import contextlib
import logging
import time
from datetime import datetime
from typing import Any

from gis import incident_store as store
from gis.incident_store import Unit
from rescuecircle.errors import Conflict, NoRoute, NotFound
from routing.network import Network
from services.context import Context
from services.dispatch import replan_incident
from services.positions import report_volunteer_position

LOGGER = logging.getLogger(__name__)
MAX_WAIT_S = 30.0
POLL_S = 0.25
ACTIONS = ("accept", "decline", "aed_collected", "arrived")


def alerts(context: Context, volunteer_id: int, *, wait_s: float = 0.0,
           since: str | None = None) -> dict[str, Any]:
    """The volunteer's active alerts and ``version``; with ``wait_s``, waits (at most
    MAX_WAIT_S) until the version differs from ``since``: a new alert, or one ended."""
    deadline = time.monotonic() + min(max(wait_s, 0.0), MAX_WAIT_S)
    while True:
        newest, ended = store.latest_alert_change(context.engine, volunteer_id)
        version = f"{newest}.{ended}"
        if version != since or time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    return {"version": version,
            "alerts": [_alert_json(a) for a in store.volunteer_alerts(
                context.engine, volunteer_id, active_only=True)]}


def alert(context: Context, volunteer_id: int, alert_id: int) -> dict[str, Any]:
    """One of the volunteer's alerts in whatever state it is now, with its incident's status:
    how the responder page learns why an alert left the active list (declined, timed out,
    withdrawn, stood down) and when an incident they reached is closed. NotFound for an
    alert of someone else, exactly as for one that does not exist."""
    found = store.volunteer_alerts(context.engine, volunteer_id, active_only=False,
                                   alert_id=alert_id)
    if not found:
        raise NotFound(f"alert {alert_id} does not exist")
    return _alert_json(found[0])


def answer(context: Context, volunteer_id: int, alert_id: int, action: str) -> dict[str, Any]:
    """Accept, decline, report the AED collected, or arrival; the alert as it is then. A
    decline replans the incident before answering."""
    actor = f"volunteer:#{volunteer_id}"
    with context.engine.begin() as conn:
        alert = store.lock_alert(conn, alert_id)
        if alert["volunteer_id"] != volunteer_id:
            raise NotFound(f"alert {alert_id} does not exist")   # never someone else's
        if alert["incident_status"] != "open":
            raise Conflict(f"incident {alert['incident_id']} is closed: you are stood down")
        incident_id = alert["incident_id"]
        unit = Unit("volunteer", volunteer_id)
        _check(alert, action)
        if action == "accept":
            store.set_alert_status(conn, alert_id, "accepted", column="answered_at")
            store.add_event(conn, incident_id, "accepted", unit=unit, created_by=actor,
                            data={"alert_id": alert_id, "eta_s": alert["eta_s"]})
        elif action == "decline":
            _free(conn, alert, "declined", actor)
        elif action == "aed_collected":
            store.stamp_alert(conn, alert_id, "aed_collected_at")
            store.add_event(conn, incident_id, "aed_collected", unit=Unit("aed", alert["aed_id"]),
                            created_by=actor, data={"alert_id": alert_id,
                                                    "volunteer_id": volunteer_id})
        else:
            store.set_alert_status(conn, alert_id, "arrived", column="arrived_at")
            store.add_event(conn, incident_id, "on_scene", unit=unit, created_by=actor,
                            data={"alert_id": alert_id})
            if alert["task"] == "fetch_aed":
                store.add_event(conn, incident_id, "aed_at_patient",
                                unit=Unit("aed", alert["aed_id"]), created_by=actor,
                                data={"alert_id": alert_id, "volunteer_id": volunteer_id})
    if action == "decline":
        _replan(context, incident_id, volunteer_id, actor)
    return _alert_json(next(a for a in store.volunteer_alerts(
        context.engine, volunteer_id, active_only=False) if a["id"] == alert_id))


def _check(alert: dict[str, Any], action: str) -> None:
    """Conflict when the action does not fit the alert's state."""
    status = alert["status"]
    allowed = {"accept": ("pending",), "decline": ("pending", "accepted"),
               "aed_collected": ("accepted",), "arrived": ("accepted",)}[action]
    if status not in allowed:
        raise Conflict(f"alert {alert['id']} is {status}: it cannot be {action.replace('_', ' ')}"
                       + ("ed" if action in ("accept", "decline") else ""))
    if action == "aed_collected" and alert["task"] != "fetch_aed":
        raise Conflict(f"alert {alert['id']} did not ask you to fetch an AED")


def _free(conn: Any, alert: dict[str, Any], status: str, actor: str) -> None:
    """The volunteer declined or did not answer: end the alert, free them and their AED."""
    incident_id, volunteer_id = alert["incident_id"], alert["volunteer_id"]
    store.set_alert_status(conn, alert["id"], status, column="answered_at"
                           if status == "declined" else None)
    store.release(conn, incident_id, Unit("volunteer", volunteer_id), status)
    if alert["aed_id"] is not None and alert["task"] == "fetch_aed":
        store.release(conn, incident_id, Unit("aed", alert["aed_id"]), status)
    store.add_event(conn, incident_id, status, unit=Unit("volunteer", volunteer_id),
                    created_by=actor, data={"alert_id": alert["id"]})


def _replan(context: Context, incident_id: int, volunteer_id: int, actor: str) -> None:
    """Fill the place of a volunteer who declined or timed out."""
    with contextlib.suppress(Conflict):          # closed meanwhile: nobody to replace
        replan_incident(context, incident_id, declined=[volunteer_id], created_by=actor)


def expire_due(context: Context) -> int:
    """Time out every pending alert past its deadline and replan each incident once; how many
    timed out. Safe to run in several processes: each alert is taken by one."""
    with context.engine.begin() as conn:
        due = store.due_alerts(conn)
        for alert in due:
            _free(conn, alert, "timed_out", "system:timeout")
    replans: dict[int, list[int]] = {}
    for alert in due:
        replans.setdefault(alert["incident_id"], []).append(alert["volunteer_id"])
    for incident_id, volunteers in replans.items():
        with contextlib.suppress(Conflict):
            replan_incident(context, incident_id, declined=volunteers,
                            created_by="system:timeout")
    return len(due)


def report_position(context: Context, volunteer_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Store the volunteer's position; for each alert they are on the way with, an incident
    event with the ETA from here."""
    position_id = report_volunteer_position(context, volunteer_id, body)
    on_the_way = [a for a in store.volunteer_alerts(context.engine, volunteer_id,
                                                    active_only=True)
                  if a["status"] == "accepted" and a["arrived_at"] is None]
    etas = {}
    if on_the_way:
        lon, lat = store.position_lonlat(context.engine, position_id)
        network = context.networks.current()
        for alert in on_the_way:
            eta_s = _eta_s(context, network, alert, lon, lat)
            etas[alert["id"]] = eta_s
            with context.engine.begin() as conn:
                store.add_event(conn, alert["incident_id"], "position",
                                unit=Unit("volunteer", volunteer_id),
                                created_by=f"volunteer:#{volunteer_id}",
                                data={"lon": lon, "lat": lat, "eta_s": eta_s,
                                      "alert_id": alert["id"]})
    return {"position_id": position_id, "eta_s": etas}


def _eta_s(context: Context, network: Network, alert: dict[str, Any], lon: float,
           lat: float) -> float | None:
    """Walking time from (lon, lat) to the patient, via the AED while it is still to fetch,
    with the floors; None when no path is found."""
    floor_s = context.settings.floor_s
    here = network.snap(lon, lat, "walk")
    patient = network.snap(alert["lon"], alert["lat"], "walk")
    vertical_s = floor_s * abs(alert["floor"] or 0)
    try:
        if alert["task"] == "fetch_aed" and alert["aed_collected_at"] is None:
            aed = network.snap(alert["aed_lon"], alert["aed_lat"], "walk")
            return round(network.route(here, aed, "walk").time_s
                         + 2 * floor_s * abs(alert["aed_floor"])
                         + network.route(aed, patient, "walk").time_s + vertical_s, 1)
        return round(network.route(here, patient, "walk").time_s + vertical_s, 1)
    except NoRoute:
        return None


def _alert_json(alert: dict[str, Any]) -> dict[str, Any]:
    """An alert as the responder page shows it: where to go, what to do, until when."""
    leg = alert["leg"] or {}
    return {
        "id": alert["id"], "incident_id": alert["incident_id"], "task": alert["task"],
        "status": alert["status"], "incident_status": alert["incident_status"],
        "category": alert["category"], "floor": alert["floor"],
        "patient": [alert["lon"], alert["lat"]],
        "aed": None if alert["aed_id"] is None else {
            "id": alert["aed_id"], "point": [alert["aed_lon"], alert["aed_lat"]],
            "location": alert["aed_location"], "level": alert["aed_level"]},
        "eta_s": alert["eta_s"], "routes": leg.get("routes", []),
        "alerted_at": _iso(alert["alerted_at"]), "deadline_at": _iso(alert["deadline_at"]),
        "answered_at": _iso(alert["answered_at"]),
        "aed_collected_at": _iso(alert["aed_collected_at"]),
        "arrived_at": _iso(alert["arrived_at"]),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
