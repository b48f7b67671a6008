"""The ambulance fleet for dispatchers: the list with where each one is, status changes with
their history, live positions from the vehicles' AVL, and a vehicle's track."""

from datetime import timedelta
from typing import Any

from gis import fleet
from gis.incident_store import Unit, record_event, unit_mission
from rescuecircle.errors import InvalidInput, NoRoute
from services.context import Context
from services.positions import position_report

TRACK_HOURS = 24
ON_THE_WAY = ("dispatched", "en_route")


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
    """Store one live position ``{"lon", "lat", "crs"?, "accuracy_m"?, "observed_at"?}``; an
    ambulance on its way to a patient also writes an incident event with its new ETA."""
    report = position_report(body, context.now())
    position_id = fleet.record_ambulance_position(
        context.engine, ambulance_id, lon=report.lon, lat=report.lat,
        accuracy_m=report.accuracy_m, observed_at=report.observed_at)
    unit = Unit("ambulance", ambulance_id)
    mission = unit_mission(context.engine, unit)
    if mission is not None and fleet.status_of(context.engine, ambulance_id) in ON_THE_WAY:
        record_event(context.engine, mission["id"], "position", unit=unit,
                     created_by=f"ambulance:#{ambulance_id}",
                     data={"lon": report.lon, "lat": report.lat,
                           "eta_s": _drive_eta_s(context, report.lon, report.lat, mission)})
    return position_id


def _drive_eta_s(context: Context, lon: float, lat: float, mission: dict[str, Any]
                 ) -> float | None:
    """Driving time from (lon, lat) to the patient at this hour, up to their floor; None when
    no road leads there."""
    network = context.networks.current()
    hour = context.local_time(context.now()).hour
    try:
        route = network.route(network.snap(lon, lat, "drive"),
                              network.snap(mission["lon"], mission["lat"], "drive"), "drive",
                              hour=hour)
    except NoRoute:
        return None
    return round(route.time_s + context.settings.floor_s * abs(mission["floor"] or 0), 1)


def track(context: Context, ambulance_id: int, hours: float = TRACK_HOURS) -> list[dict[str, Any]]:
    """The ambulance's positions over the last ``hours``, oldest first."""
    return fleet.position_history(context.engine, ambulance_id,
                                  context.now() - timedelta(hours=hours))
