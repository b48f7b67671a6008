"""Where people and vehicles are: volunteers' phones and ambulances' AVL report positions, one
at a time or in batches from a gateway. Positions are personal or operational data: only
dispatch reads them back."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gis.positions import record_position, record_positions
from rescuecircle.errors import InvalidInput
from services import params
from services.context import Context

AVAILABILITY = ("available", "busy", "off_duty")
MAX_AGE = timedelta(hours=24)
MAX_AHEAD = timedelta(minutes=5)
MAX_BATCH = 1000


@dataclass(frozen=True)
class PositionReport:
    """One position in WGS84, how exact, and when it was seen (None: now)."""

    lon: float
    lat: float
    accuracy_m: float | None
    observed_at: datetime | None


def position_report(body: dict[str, Any], now: datetime, where: str = "") -> PositionReport:
    """``{"lon", "lat", "crs"?, "accuracy_m"?, "observed_at"?}`` checked; ``where`` prefixes
    the parameter names in messages (``positions[3].lon``)."""
    crs = params.crs(body.get("crs"))
    lon, lat = params.to_wgs84(
        params.number(body.get("lon"), f"{where}lon", low=-180, high=180),
        params.number(body.get("lat"), f"{where}lat", low=-90, high=90), crs)
    accuracy = body.get("accuracy_m")
    accuracy_m = None if accuracy is None else params.number(
        accuracy, f"{where}accuracy_m", low=0, high=10_000)
    observed_at = params.aware_time(body.get("observed_at"), f"{where}observed_at")
    if observed_at is not None and not now - MAX_AGE <= observed_at <= now + MAX_AHEAD:
        raise InvalidInput(f"{where}observed_at must lie within the last 24 hours")
    return PositionReport(lon, lat, accuracy_m, observed_at)


def availability(value: Any) -> str | None:
    """A volunteer's availability, or None to leave it as it is."""
    if value is not None and value not in AVAILABILITY:
        raise InvalidInput(f"availability {value!r} is unknown; use one of "
                           f"{', '.join(AVAILABILITY)}")
    return value


def report_volunteer_position(context: Context, volunteer_id: int, body: dict[str, Any]) -> int:
    """Store one volunteer position (and availability, if given); the position's id."""
    report = position_report(body, context.now())
    return record_position(
        context.engine, volunteer_id, lon=report.lon, lat=report.lat,
        accuracy_m=report.accuracy_m, observed_at=report.observed_at,
        availability=availability(body.get("availability")))


def report_volunteer_positions(context: Context, body: dict[str, Any]) -> int:
    """Store a gateway's batch ``{"positions": [{"volunteer_id", "lon", "lat", ...}, ...]}``
    all together or, on any bad or unknown entry, none; how many were stored."""
    entries = body.get("positions")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_BATCH:
        raise InvalidInput(f"positions must be a list of 1 to {MAX_BATCH} objects")
    now = context.now()
    checked = []
    for i, entry in enumerate(entries):
        where = f"positions[{i}]."
        if not isinstance(entry, dict):
            raise InvalidInput(f"positions[{i}] must be an object")
        volunteer_id = entry.get("volunteer_id")
        if not isinstance(volunteer_id, int) or isinstance(volunteer_id, bool):
            raise InvalidInput(f"{where}volunteer_id must be a volunteer's id (an integer)")
        checked.append((volunteer_id, position_report(entry, now, where),
                        availability(entry.get("availability"))))
    return record_positions(context.engine, [
        {"volunteer_id": vid, "lon": r.lon, "lat": r.lat, "accuracy_m": r.accuracy_m,
         "observed_at": r.observed_at, "availability": a} for vid, r, a in checked])
