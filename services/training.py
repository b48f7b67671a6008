"""The training network for the public: the training sites nearest a point by walking or
driving time, with their upcoming courses and free places; enrolment (personal data) and the
attendance a site records, which becomes the volunteer's training record."""

import re
from typing import Any

import numpy as np

from gis import training
from rescuecircle.errors import InvalidInput, NoRoute
from services import params
from services.context import Context

MODES = ("walk", "drive")
MAX_SITES = 10
LIMIT_S = 2 * 3600.0
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
NO_SITES = "no training site is loaded: run `rescuecircle import training-sites FILE`"


def nearest_sites(context: Context, lon: float, lat: float, *, mode: str = "walk",
                  count: int = 5) -> dict[str, Any]:
    """The ``count`` training sites soonest reached from (lon, lat) by ``mode`` (WGS84), each
    with its travel time and upcoming sessions; a note when none is loaded or reachable."""
    if mode not in MODES:
        raise InvalidInput(f"mode {mode!r} is unknown; use walk or drive")
    if not 1 <= count <= MAX_SITES:
        raise InvalidInput(f"count = {count} is outside the allowed range 1 to {MAX_SITES}")
    sites = training.training_sites(context.engine)
    if not sites:
        return {"sites": [], "notes": [NO_SITES]}
    network = context.networks.current()
    hour = context.local_time(context.now()).hour
    here = network.snap(lon, lat, mode)
    try:
        found = network.search_from(here, mode, limit_s=LIMIT_S, hour=hour)
    except NoRoute as exc:
        raise NoRoute(f"no {mode} road leaves this point: {exc}") from None
    snaps = network.snap_many(np.array([s["lon"] for s in sites]),
                              np.array([s["lat"] for s in sites]), mode)
    timed = []
    for site, snap in zip(sites, snaps, strict=True):
        travel_s = np.inf if snap is None else network.arrival_time_s(found, snap, mode, hour)
        if np.isfinite(travel_s):
            timed.append({**site, "travel_s": round(float(travel_s), 1), "mode": mode})
    timed.sort(key=lambda s: s["travel_s"])
    nearest = timed[:count]
    sessions = training.upcoming_sessions(context.engine, [s["id"] for s in nearest],
                                          context.now())
    notes = [] if nearest else [f"no training site can be reached by {mode} within "
                                f"{LIMIT_S / 3600:g} hours"]
    return {"sites": [{**s, "sessions": sessions[s["id"]]} for s in nearest], "notes": notes}


def enrol(context: Context, session_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """``{"name", "phone"}``: a place in the session; 409 when full, started or enrolled."""
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise InvalidInput("name must be a text of 1 to 100 characters")
    phone = body.get("phone")
    if not isinstance(phone, str) or not PHONE.match(phone.strip()):
        raise InvalidInput("phone must be a telephone number (digits, spaces, '-', a leading "
                           "'+'; 5 to 20 characters)")
    enrolment_id = training.enrol(context.engine, session_id, name=name.strip(),
                                  phone=phone.strip(), now=context.now())
    return {"id": enrolment_id, "session_id": session_id, "status": "enrolled"}


def session_enrolments(context: Context, session_id: int) -> list[dict[str, Any]]:
    """Who enrolled in a session (admins)."""
    return training.enrolments(context.engine, session_id)


def attendance(context: Context, enrolment_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """``{"attended", "level"?, "certificate_no"?, "expires_on"?}``: recorded by the site."""
    attended = body.get("attended")
    if not isinstance(attended, bool):
        raise InvalidInput("attended must be true or false")
    level = body.get("level")
    if level is not None and level not in ("emergency_responder", "junior", "senior"):
        raise InvalidInput(f"level {level!r} is unknown; use emergency_responder, junior or "
                           "senior")
    certificate_no = body.get("certificate_no")
    if certificate_no is not None and (not isinstance(certificate_no, str)
                                       or not 1 <= len(certificate_no) <= 64):
        raise InvalidInput("certificate_no must be a text of 1 to 64 characters")
    return training.record_attendance(
        context.engine, enrolment_id, attended=attended, level=level,
        certificate_no=certificate_no,
        expires_on=params.day(body.get("expires_on"), "expires_on"))
