"""Quality control of incident timelines: the standards' indicators and the loop's own.

Indicators, per group of calls:

- share answered within 10 s (answered - received), share dispatched within 60 s (dispatched
  - answered, or - received when no answer time is kept), and the response time (dispatch to
  arrival on scene): median, 90th percentile (linear interpolation, as numpy and pandas do by
  default) and shares within 8 and 12 minutes. These count responding units (rows).
- the loop's, counted per incident and measured from the call received: the first volunteer's
  and the first AED's arrival at the patient (median, p90); the share of incidents where a
  volunteer arrived before the first ambulance; the 5-minute circle hit rate; the ROSC rate.
  See :func:`loop_indicators` for their exact definitions.

Groups: all calls, cardiac arrests (MPDS protocol 9: call types ``9E1``, ``9B1A``, ...; or the
dispatch category ``cardiac_arrest``) and the others; over the whole period, by year, by month
and by district (when the log names one).

The log (``read_calls``) is a CSV with one row per responding unit. Times are seconds since
midnight (``*_time_in_seconds``, as in the Lincoln County extract); an interval that comes out
negative crossed midnight and gets a day added. Columns a log lacks (Lincoln County keeps no
call-received or answered times, nor volunteers) give ``None`` for their indicators, never
zero. ``planning.call_log`` builds the same arrays from stored incidents.
"""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rescuecircle.errors import InvalidInput

DAY_S = 86_400
ANSWER_S, DISPATCH_S = 10.0, 60.0
RESPONSE_MINUTES = (8.0, 12.0)
CIRCLE_S = 300.0          # the circle: a volunteer and an AED at the patient within 5 minutes
CARDIAC = re.compile(r"^9[A-Z]|^cardiac_arrest$")
CARDIAC_GROUP = "cardiac arrest"
TIME_COLUMNS = {
    "received": "received_time_in_seconds", "answered": "answered_time_in_seconds",
    "dispatched": "dispatch_time_in_seconds", "arrived": "arrive_time_in_seconds",
    "volunteer_arrived": "volunteer_arrive_time_in_seconds",
    "aed_at_patient": "aed_at_patient_time_in_seconds",
}
_YES, _NO = ("yes", "true", "1"), ("no", "false", "0")


def is_cardiac(call_type: str) -> bool:
    """A cardiac arrest: MPDS protocol 9 (``9E1``, ``9B1A``, ...; not ``29D2P``) or the
    dispatch category ``cardiac_arrest``."""
    return bool(CARDIAC.match(call_type))


@dataclass(frozen=True, eq=False)
class Calls:
    """One entry per responding unit; times in seconds since midnight (NaN: not recorded).

    The loop's columns (volunteer and AED arrival, outcome, ROSC) describe the whole incident,
    repeated on each of its rows; None when the source does not keep them at all.
    """

    date: np.ndarray         # "YYYY-MM-DD", the local date the call was received
    call_type: np.ndarray
    district: np.ndarray     # "" when the log names none
    received_s: np.ndarray
    answered_s: np.ndarray
    dispatched_s: np.ndarray
    arrived_s: np.ndarray
    incident: np.ndarray     # the incident of each row (the row number when the log names none)
    unit: np.ndarray         # the responding unit ("" when none was sent or named)
    volunteer_arrived_s: np.ndarray | None = None
    aed_at_patient_s: np.ndarray | None = None
    outcome: np.ndarray | None = None   # "" while the incident is open
    rosc: np.ndarray | None = None      # 1.0 yes, 0.0 no, NaN not recorded

    def __len__(self) -> int:
        return len(self.date)

    @property
    def month(self) -> np.ndarray:
        """"YYYY-MM" of each row."""
        return np.array([d[:7] for d in self.date], dtype=object)

    @property
    def year(self) -> np.ndarray:
        """"YYYY" of each row."""
        return np.array([d[:4] for d in self.date], dtype=object)

    @property
    def cardiac(self) -> np.ndarray:
        """Cardiac arrests (:func:`is_cardiac`)."""
        return np.array([is_cardiac(t) for t in self.call_type], bool)

    @property
    def response_s(self) -> np.ndarray:
        """Dispatch to arrival (NaN without both times)."""
        return elapsed_s(self.arrived_s, self.dispatched_s)


def elapsed_s(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """``later - earlier`` for times of day, a day added when it comes out negative (the
    interval crossed midnight); NaN where either is unknown."""
    delta = later - earlier
    return np.where(delta < 0, delta + DAY_S, delta)


@dataclass(frozen=True)
class Indicators:
    """The indicators of one group of calls over one period; None where the log lacks the
    times (or the group has no case)."""

    group: str
    period: str              # "all", "YYYY" or "YYYY-MM"
    calls: int               # rows: responding units
    answered_within_10s: float | None
    dispatched_within_60s: float | None
    responses: int           # units with a dispatch and an arrival time
    response_median_s: float | None
    response_p90_s: float | None
    response_within_8min: float | None
    response_within_12min: float | None
    incidents: int
    volunteer_median_s: float | None = None
    volunteer_p90_s: float | None = None
    aed_median_s: float | None = None
    aed_p90_s: float | None = None
    volunteer_before_ambulance: float | None = None
    circle_within_5min: float | None = None
    rosc_cases: int | None = None
    rosc_rate: float | None = None


def read_calls(path: Path) -> Calls:
    """The call log at ``path``; InvalidInput naming the file when required columns lack."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            fields = set(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: cannot read the call log ({exc})") from None
    required = {"incident_date", "call_type", TIME_COLUMNS["dispatched"],
                TIME_COLUMNS["arrived"]}
    if missing := sorted(required - fields):
        raise InvalidInput(f"{path.name}: missing columns {', '.join(missing)}")

    def seconds(key: str) -> np.ndarray:
        column = TIME_COLUMNS[key]
        if column not in fields:
            return np.full(len(rows), np.nan)
        return np.array([float(r[column]) if r[column].strip() else np.nan for r in rows])

    def text(column: str, default: str = "") -> np.ndarray:
        return np.array([(r.get(column) or default).strip() for r in rows], dtype=object)

    def optional(key: str) -> np.ndarray | None:
        return seconds(key) if TIME_COLUMNS[key] in fields else None

    return Calls(
        date=text("incident_date"), call_type=text("call_type"), district=text("district"),
        received_s=seconds("received"), answered_s=seconds("answered"),
        dispatched_s=seconds("dispatched"), arrived_s=seconds("arrived"),
        incident=(text("incident_id") if "incident_id" in fields
                  else np.array([str(i) for i in range(len(rows))], dtype=object)),
        unit=text("response_unit"),
        volunteer_arrived_s=optional("volunteer_arrived"),
        aed_at_patient_s=optional("aed_at_patient"),
        outcome=text("outcome") if "outcome" in fields else None,
        rosc=(np.array([_yes_no(r["rosc"], path) for r in rows]) if "rosc" in fields else None),
    )


def _yes_no(value: str, path: Path) -> float:
    value = value.strip().lower()
    if value in _YES:
        return 1.0
    if value in _NO:
        return 0.0
    if not value:
        return np.nan
    raise InvalidInput(f"{path.name}: rosc {value!r} is not yes, no or empty")


def _share_within(values: np.ndarray, limit: float) -> float | None:
    known = values[np.isfinite(values)]
    return float((known <= limit).mean()) if len(known) else None


def _fractile(values: np.ndarray, q: float) -> float | None:
    known = values[np.isfinite(values)]
    return float(np.percentile(known, q)) if len(known) else None


@dataclass(frozen=True, eq=False)
class PerIncident:
    """The loop's intervals, one entry per incident (its first row), from the call received."""

    first: np.ndarray                 # the index of each incident's first row
    cardiac: np.ndarray               # whether each incident is a cardiac arrest
    volunteer_s: np.ndarray | None    # to the first volunteer on scene
    aed_s: np.ndarray | None          # to the first AED at the patient
    ambulance_s: np.ndarray           # to the first ambulance on scene (any of its rows)

    @classmethod
    def of(cls, calls: Calls, cardiac: np.ndarray) -> "PerIncident":
        """Each incident's entries; ``cardiac`` is ``calls.cardiac``, computed once."""
        _, first, inverse = np.unique(calls.incident.astype(str), return_index=True,
                                      return_inverse=True)
        ambulance = np.full(len(first), np.inf)
        np.fmin.at(ambulance, inverse, elapsed_s(calls.arrived_s, calls.received_s))
        ambulance[np.isinf(ambulance)] = np.nan
        received = calls.received_s[first]

        def since_call(times: np.ndarray | None) -> np.ndarray | None:
            return None if times is None else elapsed_s(times[first], received)

        return cls(first, cardiac[first], since_call(calls.volunteer_arrived_s),
                   since_call(calls.aed_at_patient_s), ambulance)


def loop_indicators(calls: Calls, per: PerIncident, mask: np.ndarray) -> dict[str, Any]:
    """The loop's indicators over the incidents whose rows ``mask`` selects.

    - ``volunteer_*`` and ``aed_*``: median and p90 of call received -> first volunteer on
      scene / first AED at the patient, over the incidents where one arrived;
    - ``volunteer_before_ambulance``: of the incidents where a volunteer or an ambulance
      arrived, the share where a volunteer arrived first (strictly earlier than the first
      ambulance, or with no ambulance arriving);
    - ``circle_within_5min``: of the incidents with a call-received time, the share where a
      volunteer and an AED were both at the patient within 300 s of the call;
    - ``rosc_rate``: of the closed cardiac arrests with ROSC recorded (``rosc_cases``), the
      share with ROSC.

    An indicator whose columns the source lacks is None.
    """
    chosen = mask[per.first]
    volunteer = None if per.volunteer_s is None else per.volunteer_s[chosen]
    aed = None if per.aed_s is None else per.aed_s[chosen]
    ambulance = per.ambulance_s[chosen]
    found: dict[str, Any] = {"incidents": int(chosen.sum())}
    if volunteer is not None:
        found["volunteer_median_s"] = _fractile(volunteer, 50)
        found["volunteer_p90_s"] = _fractile(volunteer, 90)
        came = np.isfinite(volunteer) | np.isfinite(ambulance)
        first = np.isfinite(volunteer) & ~(volunteer >= ambulance)
        found["volunteer_before_ambulance"] = (float(first[came].mean()) if came.any()
                                               else None)
    if aed is not None:
        found["aed_median_s"] = _fractile(aed, 50)
        found["aed_p90_s"] = _fractile(aed, 90)
    if volunteer is not None and aed is not None:
        called = np.isfinite(calls.received_s[per.first][chosen])
        hit = (volunteer <= CIRCLE_S) & (aed <= CIRCLE_S)
        found["circle_within_5min"] = float(hit[called].mean()) if called.any() else None
    if calls.rosc is not None:
        rows = per.first[chosen]
        closed = (calls.outcome[rows] != "" if calls.outcome is not None
                  else np.ones(len(rows), bool))
        cases = per.cardiac[chosen] & closed & np.isfinite(calls.rosc[rows])
        found["rosc_cases"] = int(cases.sum())
        found["rosc_rate"] = float(calls.rosc[rows][cases].mean()) if cases.any() else None
    return found


def group_indicators(calls: Calls, per: PerIncident, mask: np.ndarray, group: str,
                     period: str) -> Indicators:
    """The indicators of the calls selected by ``mask``."""
    answer = elapsed_s(calls.answered_s, calls.received_s)[mask]
    start = np.where(np.isfinite(calls.answered_s), calls.answered_s, calls.received_s)
    dispatch = elapsed_s(calls.dispatched_s, start)[mask]
    response = calls.response_s[mask]
    response = response[np.isfinite(response)]
    return Indicators(
        group=group, period=period, calls=int(mask.sum()),
        answered_within_10s=_share_within(answer, ANSWER_S),
        dispatched_within_60s=_share_within(dispatch, DISPATCH_S),
        responses=len(response),
        response_median_s=_fractile(response, 50), response_p90_s=_fractile(response, 90),
        response_within_8min=_share_within(response, RESPONSE_MINUTES[0] * 60),
        response_within_12min=_share_within(response, RESPONSE_MINUTES[1] * 60),
        **loop_indicators(calls, per, mask),
    )


@dataclass(frozen=True)
class QcResult:
    """Whole period, by year, by month and by district, for all calls, cardiac arrests and
    the others."""

    overall: list[Indicators]
    by_year: list[Indicators]
    by_month: list[Indicators]
    by_district: list[Indicators]
    # indicators the source cannot give: the loop's whose columns it lacks, the others absent
    # over the whole log
    not_in_log: list[str] = field(default_factory=list)


def indicators(calls: Calls) -> QcResult:
    """Every indicator of the log."""
    if not len(calls):
        raise InvalidInput("the call log has no calls")
    cardiac = calls.cardiac
    per = PerIncident.of(calls, cardiac)
    groups = {"all": np.ones(len(calls), bool), CARDIAC_GROUP: cardiac, "other": ~cardiac}

    def by(values: np.ndarray) -> list[Indicators]:
        return [group_indicators(calls, per, m & (values == v), g, v)
                for v in sorted(set(values)) for g, m in groups.items()
                if (m & (values == v)).any()]

    overall = [group_indicators(calls, per, m, g, "all") for g, m in groups.items()]
    by_district = [group_indicators(calls, per, m & (calls.district == d), f"{g} / {d}", "all")
                   for d in sorted(set(calls.district) - {""}) for g, m in groups.items()
                   if (m & (calls.district == d)).any()]
    kept = set(loop_indicators(calls, per, groups["all"]))   # the loop's columns it has
    absent = [name for name, value in vars(overall[0]).items()
              if value is None and name not in kept]
    return QcResult(overall, by(calls.year), by(calls.month), by_district, absent)
