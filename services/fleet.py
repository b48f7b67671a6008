"""The ambulance fleet for dispatchers: the list with where each one is, status changes with
their history, live positions from the vehicles' AVL, and a vehicle's track."""

from datetime import timedelta
from typing import Any

from gis import fleet
from rescuecircle.errors import InvalidInput
from services.context import Context
from services.positions import position_report

TRACK_HOURS = 24


def ambulances(context: Context) -> list[dict[str, Any]]:
    """Every ambulance with its station and latest position."""
    return fleet.list_ambulances(context.engine)


def change_status(context: Context, ambulance_id: int, body: dict[str, Any], *,
                  actor: str) -> list[dict[str, Any]]:
    """``{"status", "reason"?}``: set it; the ambulance's status history, newest first."""
    status = body.get("status")
    if status not in fleet.STATUSES:
        raise InvalidInput(f"status {status!r} is unknown; use one of "
                           f"{', '.join(fleet.STATUSES)}")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise InvalidInput("reason must be a text of at most 500 characters")
    fleet.set_ambulance_status(context.engine, ambulance_id, status, reason=reason, actor=actor)
    return fleet.status_history(context.engine, ambulance_id)


def report_position(context: Context, ambulance_id: int, body: dict[str, Any]) -> int:
    """Store one live position ``{"lon", "lat", "crs"?, "accuracy_m"?, "observed_at"?}``."""
    report = position_report(body, context.now())
    return fleet.record_ambulance_position(
        context.engine, ambulance_id, lon=report.lon, lat=report.lat,
        accuracy_m=report.accuracy_m, observed_at=report.observed_at)


def track(context: Context, ambulance_id: int, hours: float = TRACK_HOURS) -> list[dict[str, Any]]:
    """The ambulance's positions over the last ``hours``, oldest first."""
    return fleet.position_history(context.engine, ambulance_id,
                                  context.now() - timedelta(hours=hours))
