"""The ambulance fleet for dispatchers: the list with where each one is, status changes with
their history, live positions from the vehicles' AVL, and a vehicle's track."""

from datetime import datetime, timedelta
from typing import Any

from gis import fleet
from gis.hospitals import hospital_exists, last_prenotice, load_hospitals, record_prenotice_update
from gis.incident_store import Unit, record_event, unit_mission
from rescuecircle.errors import InvalidInput, NoRoute
from services.context import Context
from services.positions import position_report

TRACK_HOURS = 24
ON_THE_WAY = ("dispatched", "en_route")
PRENOTICE_SHIFT_S = 60.0      # a pre-notice is sent again when the arrival moves this much


def ambulances(context: Context) -> list[dict[str, Any]]:
    """Every ambulance with its station and latest position."""
    return fleet.list_ambulances(context.engine)


def change_status(context: Context, ambulance_id: int, body: dict[str, Any], *,
                  actor: str) -> list[dict[str, Any]]:
    """``{"status", "reason"?, "hospital_id"?}``: set it; the ambulance's status history,
    newest first. ``transporting`` goes to ``hospital_id``, else to the plan's destination,
    whose arrival pre-notice is queued with the ETA from where the ambulance is."""
    status = body.get("status")
    if status not in fleet.STATUSES:
        raise InvalidInput(f"status {status!r} is unknown; use one of "
                           f"{', '.join(fleet.STATUSES)}")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise InvalidInput("reason must be a text of at most 500 characters")
    hospital_id = body.get("hospital_id")
    if hospital_id is not None and (not isinstance(hospital_id, int) or isinstance(
            hospital_id, bool) or not hospital_exists(context.engine, hospital_id)):
        raise InvalidInput(f"hospital_id {hospital_id!r} is not a loaded hospital's id")
    transport = (_transport(context, ambulance_id, hospital_id)
                 if status == "transporting" else None)
    fleet.set_ambulance_status(context.engine, ambulance_id, status, reason=reason, actor=actor,
                               transport=transport)
    return fleet.status_history(context.engine, ambulance_id)


def _transport(context: Context, ambulance_id: int, hospital_id: int | None
               ) -> fleet.Transport | None:
    """Where the ambulance drives its patient (the given hospital, else the incident's
    destination) and the drive from its fresh position (else the scene); None without an
    incident or a destination."""
    mission = unit_mission(context.engine, Unit("ambulance", ambulance_id))
    destination = hospital_id or (mission or {}).get("destination_hospital_id")
    if mission is None or destination is None:
        return None
    here = fleet.fresh_position(context.engine, ambulance_id, context.now())
    lon, lat = here or (mission["lon"], mission["lat"])
    return fleet.Transport(destination, _drive_to_hospital_s(context, lon, lat, destination))


def _drive_to_hospital_s(context: Context, lon: float, lat: float, hospital_id: int
                         ) -> float | None:
    """Driving time from (lon, lat) to a hospital at this hour; None when no road leads there."""
    hospital = next(h for h in load_hospitals(context.engine) if h["id"] == hospital_id)
    return _drive_s(context, lon, lat, hospital["lon"], hospital["lat"])


def report_position(context: Context, ambulance_id: int, body: dict[str, Any]) -> int:
    """Store one live position ``{"lon", "lat", "crs"?, "accuracy_m"?, "observed_at"?}``; an
    ambulance on its way to a patient also writes an incident event with its new ETA."""
    report = position_report(body, context.now())
    position_id = fleet.record_ambulance_position(
        context.engine, ambulance_id, lon=report.lon, lat=report.lat,
        accuracy_m=report.accuracy_m, observed_at=report.observed_at)
    unit = Unit("ambulance", ambulance_id)
    mission = unit_mission(context.engine, unit)
    if mission is None:
        return position_id
    status = fleet.status_of(context.engine, ambulance_id)
    if status in ON_THE_WAY:
        to_patient_s = _drive_s(context, report.lon, report.lat, mission["lon"], mission["lat"])
        eta_s = None if to_patient_s is None else round(
            to_patient_s + context.settings.floor_s * abs(mission["floor"] or 0), 1)
        record_event(context.engine, mission["id"], "position", unit=unit,
                     created_by=f"ambulance:#{ambulance_id}",
                     data={"lon": report.lon, "lat": report.lat, "eta_s": eta_s})
    elif status == "transporting" and mission["destination_hospital_id"] is not None:
        eta_s = _drive_to_hospital_s(context, report.lon, report.lat,
                                     mission["destination_hospital_id"])
        record_event(context.engine, mission["id"], "position", unit=unit,
                     created_by=f"ambulance:#{ambulance_id}",
                     data={"lon": report.lon, "lat": report.lat, "eta_s": eta_s,
                           "hospital_id": mission["destination_hospital_id"]})
        if eta_s is not None and _arrival_moved(context, mission["id"], eta_s):
            record_prenotice_update(context.engine, mission["id"], ambulance_id, eta_s)
    return position_id


def _arrival_moved(context: Context, incident_id: int, eta_s: float) -> bool:
    """Whether the expected arrival differs from the last pre-notice's by PRENOTICE_SHIFT_S."""
    last = last_prenotice(context.engine, incident_id)
    if last is None or last["payload"].get("expected_at") is None:
        return last is not None
    told = datetime.fromisoformat(last["payload"]["expected_at"])
    return abs((context.now() + timedelta(seconds=eta_s) - told).total_seconds()) \
        >= PRENOTICE_SHIFT_S


def _drive_s(context: Context, lon: float, lat: float, to_lon: float, to_lat: float
             ) -> float | None:
    """Driving time between two points at this hour; None when no road leads there."""
    network = context.networks.current()
    hour = context.local_time(context.now()).hour
    try:
        return round(network.route(network.snap(lon, lat, "drive"),
                                   network.snap(to_lon, to_lat, "drive"), "drive",
                                   hour=hour).time_s, 1)
    except NoRoute:
        return None


def track(context: Context, ambulance_id: int, hours: float = TRACK_HOURS) -> list[dict[str, Any]]:
    """The ambulance's positions over the last ``hours``, oldest first."""
    return fleet.position_history(context.engine, ambulance_id,
                                  context.now() - timedelta(hours=hours))
