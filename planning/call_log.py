"""Stored incidents as a call log: the ``Calls`` quality control reads, and its CSV.

One row per ambulance sent (the call log's responding unit; an incident that sent none keeps
one row without a unit), in the shape of ``planning.qc.read_calls``: ``incident_date`` the
local date the call was received, each time in seconds since its own local midnight, and the
loop's columns (first volunteer on scene, first AED at the patient, outcome, ROSC) repeated on
each row of the incident. QC from stored events runs on :func:`calls_from_timelines`; the
export writes :func:`calls_csv` of the same arrays, which ``read_calls`` reads back equal.

Times of day are wall-clock times, as a call log keeps them: an interval across a change of
daylight-saving time is off by that change.
"""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from planning.inputs import IncidentTimeline, UnitTimes
from planning.qc import TIME_COLUMNS, Calls

COLUMNS = ("incident_id", "incident_date", "call_type", "district", "response_unit",
           *(TIME_COLUMNS[key] for key in ("received", "answered", "dispatched", "arrived",
                                           "volunteer_arrived", "aed_at_patient")),
           "outcome", "rosc")


def time_of_day_s(at: datetime | None, zone: ZoneInfo) -> float:
    """Seconds since local midnight of ``at`` in ``zone`` (NaN for None)."""
    if at is None:
        return np.nan
    local = at.astimezone(zone)
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def calls_from_timelines(timelines: list[IncidentTimeline], zone: ZoneInfo) -> Calls:
    """The call log of stored incidents, times read in ``zone``."""
    rows = [(t, unit) for t in timelines
            for unit in (t.ambulances or (UnitTimes("", None, None),))]

    def times(at: list[datetime | None]) -> np.ndarray:
        return np.array([time_of_day_s(a, zone) for a in at], dtype=float)

    def texts(values: list[str]) -> np.ndarray:
        return np.array(values, dtype=object)

    return Calls(
        date=texts([t.received_at.astimezone(zone).date().isoformat() for t, _ in rows]),
        call_type=texts([t.call_type for t, _ in rows]),
        district=texts([t.district for t, _ in rows]),
        received_s=times([t.received_at for t, _ in rows]),
        answered_s=times([t.answered_at for t, _ in rows]),
        dispatched_s=times([u.dispatched_at for _, u in rows]),
        arrived_s=times([u.arrived_at for _, u in rows]),
        incident=texts([str(t.incident_id) for t, _ in rows]),
        unit=texts([u.unit for _, u in rows]),
        volunteer_arrived_s=times([t.volunteer_arrived_at for t, _ in rows]),
        aed_at_patient_s=times([t.aed_at_patient_at for t, _ in rows]),
        outcome=texts([t.outcome or "" for t, _ in rows]),
        rosc=np.array([np.nan if t.rosc is None else float(t.rosc) for t, _ in rows]),
    )


def _seconds(value: float) -> str:
    """A time as the log writes it: whole seconds as integers, else exact (round-trips)."""
    if not np.isfinite(value):
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def calls_csv(calls: Calls) -> str:
    """The log as CSV (``COLUMNS``; a loop column the log lacks is left out, so it reads back
    as "not in log")."""
    def seconds(values: np.ndarray | None) -> list[str] | None:
        return None if values is None else [_seconds(v) for v in values]

    rosc = (None if calls.rosc is None else
            ["" if np.isnan(r) else ("yes" if r else "no") for r in calls.rosc])
    columns = dict(zip(COLUMNS, (
        calls.incident, calls.date, calls.call_type, calls.district, calls.unit,
        *(seconds(v) for v in (calls.received_s, calls.answered_s, calls.dispatched_s,
                               calls.arrived_s, calls.volunteer_arrived_s,
                               calls.aed_at_patient_s)),
        calls.outcome, rosc), strict=True))
    kept = {name: values for name, values in columns.items() if values is not None}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(kept)
    writer.writerows(zip(*kept.values(), strict=True))
    return out.getvalue()
