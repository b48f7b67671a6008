"""Incidents as dispatchers follow them: the open ones, one with its units and alerts, its
events in order (a live view resumes after the last number it saw), and closing it with an
outcome, which frees everyone still sent to it."""

from typing import Any

from gis import incident_store as store
from rescuecircle.errors import InvalidInput
from services import params
from services.context import Context

OUTCOMES = ("transported", "treated_on_scene", "refused", "dead_on_scene", "false_alarm",
            "cancelled")
EVENTS_PER_READ = 500


def open_incidents(context: Context) -> list[dict[str, Any]]:
    """Every open incident, newest first, with how many units are on it."""
    return store.open_incidents(context.engine)


def incident(context: Context, incident_id: int) -> dict[str, Any]:
    """One incident: its times and outcome, the units on it now, every alert, the newest plan."""
    return store.incident_detail(context.engine, incident_id)


def events(context: Context, incident_id: int, after: int = 0) -> list[dict[str, Any]]:
    """The incident's events numbered above ``after`` (at most EVENTS_PER_READ), in order;
    NotFound for an unknown incident."""
    found = store.events_after(context.engine, incident_id, after, EVENTS_PER_READ)
    if not found:
        is_open(context, incident_id)
    return found


def is_open(context: Context, incident_id: int) -> bool:
    """Whether the incident is still open (a live view ends after it closes)."""
    with context.engine.connect() as conn:
        return str(store.incident_row(conn, incident_id)["status"]) == "open"


def close_incident(context: Context, incident_id: int, body: dict[str, Any], *,
                   actor: str) -> dict[str, Any]:
    """``{"outcome", "rosc"?, "at"?}``: close the incident, stand down its volunteers, free
    every unit (an ambulance still dispatched or driving becomes available; one at the scene,
    transporting or at hospital keeps its status until its crew reports)."""
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome {outcome!r} is unknown; use one of {', '.join(OUTCOMES)}")
    rosc = body.get("rosc")
    if rosc is not None and not isinstance(rosc, bool):
        raise InvalidInput("rosc must be true or false (return of spontaneous circulation)")
    at = params.aware_time(body.get("at")) or context.now()
    store.close(context.engine, incident_id, outcome=outcome, rosc=rosc, at=at, actor=actor)
    return incident(context, incident_id)
