"""Quality-control use cases: the report of a call-log file, of the incidents stored here, and
the call log of those incidents as a CSV.

QC from stored events builds the same ``planning.qc.Calls`` arrays a call-log file gives
(``planning.call_log``) and runs the same code on them, so the report of the stored incidents
and the report of their exported CSV are one and the same.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from gis.incident_log import incident_timelines
from planning.call_log import calls_csv, calls_from_timelines
from planning.qc import Calls, QcResult, indicators, read_calls
from rescuecircle.errors import InvalidInput
from services import params
from services.context import Context


@dataclass(frozen=True)
class Period:
    """Local dates of the calls, both ends included (None: unbounded)."""

    first: date | None = None
    last: date | None = None

    @classmethod
    def parse(cls, first: Any, last: Any) -> "Period":
        """``from`` and ``to`` as ISO dates; InvalidInput when they are not, or out of order."""
        period = cls(params.day(first, "from"), params.day(last, "to"))
        if period.first and period.last and period.first > period.last:
            raise InvalidInput(f"from {period.first} is after to {period.last}")
        return period

    def describe(self) -> str:
        """The period in words, for report titles and messages."""
        return f"{self.first or 'the first call'} to {self.last or 'the last call'}"


def call_quality(calls_file: Path) -> QcResult:
    """Answer, dispatch and response-time indicators of a call-log file."""
    return indicators(read_calls(calls_file))


def incident_calls(context: Context, period: Period) -> Calls:
    """The stored incidents whose call was received in ``period`` (local dates of the city's
    time zone), as a call log with times of day in that zone."""
    zone = context.timezone()

    def midnight(day: date | None) -> datetime | None:
        return None if day is None else datetime.combine(day, time(), zone)

    end = None if period.last is None else period.last + timedelta(days=1)
    timelines = incident_timelines(context.engine, start=midnight(period.first),
                                   end=midnight(end))
    return calls_from_timelines(timelines, zone)


def events_quality(context: Context, period: Period) -> QcResult:
    """Every QC indicator of the stored incidents in ``period``; InvalidInput when there are
    none."""
    calls = incident_calls(context, period)
    if not len(calls):
        raise InvalidInput(f"no incident was received from {period.describe()}")
    return indicators(calls)


def incident_log_csv(context: Context, period: Period) -> str:
    """The stored incidents in ``period`` as a call-log CSV (``planning.call_log``)."""
    return calls_csv(incident_calls(context, period))
