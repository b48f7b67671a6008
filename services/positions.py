"""Where people and vehicles are: volunteers' phones and ambulances' AVL report positions, one
at a time or in batches from a gateway. Positions are personal or operational data: only
dispatch reads them back."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gis.positions import PositionRow, drop_old_partitions, make_partitions, record_positions
from rescuecircle.errors import InvalidInput
from services import params
from services.context import Context

AVAILABILITY = ("available", "busy", "off_duty")
MAX_AGE = timedelta(hours=24)
MAX_AHEAD = timedelta(minutes=5)
MAX_BATCH = 1000
MAX_PROBLEMS = 10    # bad entries named in one answer


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
        raise InvalidInput(f"{where}observed_at {observed_at.isoformat()} must lie within the "
                           "last 24 hours, and at most 5 minutes ahead")
    return PositionReport(lon, lat, accuracy_m, observed_at)


def availability(value: Any, where: str = "") -> str | None:
    """A volunteer's availability, or None to leave it as it is."""
    if value is not None and value not in AVAILABILITY:
        raise InvalidInput(f"{where}availability {value!r} is unknown; use one of "
                           f"{', '.join(AVAILABILITY)}")
    return value


def report_volunteer_position(context: Context, volunteer_id: int, body: dict[str, Any]) -> int:
    """Store one volunteer position (and availability, if given); the position's id."""
    return record_positions(context.engine, [_row(volunteer_id, body, context.now())])


def report_volunteer_positions(context: Context, body: dict[str, Any]) -> int:
    """Store a gateway's batch ``{"positions": [{"volunteer_id", "lon", "lat", ...}, ...]}``
    all together or, on any bad or unknown entry, none; how many were stored. A bad batch is
    refused naming its first bad entries by index (``positions[3].lat ...``)."""
    entries = body.get("positions")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_BATCH:
        raise InvalidInput(f"positions must be a list of 1 to {MAX_BATCH} objects")
    now = context.now()
    rows, problems = [], []
    for i, entry in enumerate(entries):
        try:
            rows.append(_batch_row(entry, now, i))
        except InvalidInput as exc:
            problems.append(str(exc))
            if len(problems) == MAX_PROBLEMS:
                break
    if problems:
        raise InvalidInput(f"{'; '.join(problems)}; nothing was stored")
    record_positions(context.engine, rows)
    return len(rows)


def _batch_row(entry: Any, now: datetime, i: int) -> PositionRow:
    """Entry ``i`` of a batch, checked like a single report, with its volunteer's id."""
    where = f"positions[{i}]."
    if not isinstance(entry, dict):
        raise InvalidInput(f"positions[{i}] must be an object")
    volunteer_id = entry.get("volunteer_id")
    if not isinstance(volunteer_id, int) or isinstance(volunteer_id, bool):
        raise InvalidInput(f"{where}volunteer_id must be a volunteer's id (an integer)")
    return _row(volunteer_id, entry, now, where)


def _row(volunteer_id: int, body: dict[str, Any], now: datetime, where: str = "") -> PositionRow:
    """A report (``where`` names it in errors) checked into the row to store."""
    report = position_report(body, now, where)
    return PositionRow(volunteer_id, report.lon, report.lat, report.accuracy_m,
                       report.observed_at, availability(body.get("availability"), where))


@dataclass(frozen=True)
class Maintenance:
    """What one round of position maintenance did."""

    partitions_added: int
    partitions_dropped: int


def maintain_positions(context: Context) -> Maintenance:
    """Make the history's day partitions ahead and drop the days past
    ``RC_POSITION_RETENTION_DAYS``: run by every server process about hourly and by
    ``rescuecircle positions maintain``."""
    added = make_partitions(context.engine)
    dropped = drop_old_partitions(context.engine, context.settings.position_retention_days)
    return Maintenance(added, dropped)
