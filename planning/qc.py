"""Quality control of incident timelines (issue 7): the standard's indicators and an HTML report.

Indicators, per group of calls: share answered within 10 s (answered - received), share
dispatched within 60 s (dispatched - answered, or - received when no answer time is kept),
and the response time (dispatch to arrival on scene): median, 90th percentile (linear
interpolation, as numpy and pandas do by default) and shares within 8 and 12 minutes.
Groups: all calls, cardiac arrests (MPDS protocol 9: call types ``9E1``, ``9B1A``, ...) and
the others, overall and by month (and by district when the log names one).

The log is a CSV with one row per responding unit. Times are seconds since midnight of the
incident date (``*_time_in_seconds``, as in the Lincoln County extract); an arrival earlier
than its dispatch crossed midnight and gets a day added. Columns a log lacks (Lincoln County
keeps no call-received or answered times) give ``None`` for their indicators, never zero.
"""

import csv
import html
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rescuecircle.errors import InvalidInput

DAY_S = 86_400
CARDIAC = re.compile(r"^9[A-Z]")  # MPDS protocol 9: cardiac or respiratory arrest / death
ANSWER_S, DISPATCH_S = 10.0, 60.0
RESPONSE_MINUTES = (8.0, 12.0)
_TIMES = {"received": "received_time_in_seconds", "answered": "answered_time_in_seconds",
          "dispatched": "dispatch_time_in_seconds", "arrived": "arrive_time_in_seconds"}


@dataclass(frozen=True, eq=False)
class Calls:
    """One entry per responding unit; seconds since the incident date's midnight (NaN: not
    recorded)."""

    month: np.ndarray        # "YYYY-MM"
    call_type: np.ndarray
    district: np.ndarray     # "" when the log names none
    received_s: np.ndarray
    answered_s: np.ndarray
    dispatched_s: np.ndarray
    arrived_s: np.ndarray

    def __len__(self) -> int:
        return len(self.month)

    @property
    def cardiac(self) -> np.ndarray:
        """Cardiac arrests (MPDS protocol 9)."""
        return np.array([bool(CARDIAC.match(t)) for t in self.call_type], bool)

    @property
    def response_s(self) -> np.ndarray:
        """Dispatch to arrival, a day added across midnight (NaN without both times)."""
        delta = self.arrived_s - self.dispatched_s
        return np.where(delta < 0, delta + DAY_S, delta)


@dataclass(frozen=True)
class Indicators:
    """The indicators of one group of calls; None where the log lacks the times."""

    group: str
    month: str               # "all" for the whole period
    calls: int
    answered_within_10s: float | None
    dispatched_within_60s: float | None
    responses: int           # calls with a dispatch and an arrival time
    response_median_s: float | None
    response_p90_s: float | None
    response_within_8min: float | None
    response_within_12min: float | None


def read_calls(path: Path) -> Calls:
    """The call log at ``path``; InvalidInput naming the file when required columns lack."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            fields = set(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: cannot read the call log ({exc})") from None
    required = {"incident_date", "call_type", _TIMES["dispatched"], _TIMES["arrived"]}
    if missing := sorted(required - fields):
        raise InvalidInput(f"{path.name}: missing columns {', '.join(missing)}")

    def seconds(key: str) -> np.ndarray:
        column = _TIMES[key]
        if column not in fields:
            return np.full(len(rows), np.nan)
        return np.array([float(r[column]) if r[column].strip() else np.nan for r in rows])

    return Calls(
        month=np.array([r["incident_date"][:7] for r in rows], dtype=object),
        call_type=np.array([r["call_type"].strip() for r in rows], dtype=object),
        district=np.array([r.get("district", "") or "" for r in rows], dtype=object),
        received_s=seconds("received"), answered_s=seconds("answered"),
        dispatched_s=seconds("dispatched"), arrived_s=seconds("arrived"),
    )


def _share_within(values: np.ndarray, limit: float) -> float | None:
    known = values[np.isfinite(values)]
    return float((known <= limit).mean()) if len(known) else None


def group_indicators(calls: Calls, mask: np.ndarray, group: str, month: str) -> Indicators:
    """The indicators of the calls selected by ``mask``."""
    answer = (calls.answered_s - calls.received_s)[mask]
    start = np.where(np.isfinite(calls.answered_s), calls.answered_s, calls.received_s)
    dispatch = (calls.dispatched_s - start)[mask]
    response = calls.response_s[mask]
    response = response[np.isfinite(response)]
    has = len(response) > 0
    return Indicators(
        group=group, month=month, calls=int(mask.sum()),
        answered_within_10s=_share_within(answer, ANSWER_S),
        dispatched_within_60s=_share_within(dispatch, DISPATCH_S),
        responses=len(response),
        response_median_s=float(np.percentile(response, 50)) if has else None,
        response_p90_s=float(np.percentile(response, 90)) if has else None,
        response_within_8min=_share_within(response, RESPONSE_MINUTES[0] * 60),
        response_within_12min=_share_within(response, RESPONSE_MINUTES[1] * 60),
    )


@dataclass(frozen=True)
class QcResult:
    """Overall, by month and by district, for all calls, cardiac arrests and the others."""

    overall: list[Indicators]
    by_month: list[Indicators]
    by_district: list[Indicators]


def indicators(calls: Calls) -> QcResult:
    """Every indicator of the log."""
    if not len(calls):
        raise InvalidInput("the call log has no calls")
    cardiac = calls.cardiac
    groups = {"all": np.ones(len(calls), bool), "cardiac arrest (MPDS 9)": cardiac,
              "other": ~cardiac}
    overall = [group_indicators(calls, m, g, "all") for g, m in groups.items()]
    by_month = [group_indicators(calls, m & (calls.month == month), g, month)
                for month in sorted(set(calls.month)) for g, m in groups.items()
                if (m & (calls.month == month)).any()]
    by_district = [group_indicators(calls, m & (calls.district == d), f"{g} / {d}", "all")
                   for d in sorted(set(calls.district) - {""}) for g, m in groups.items()
                   if (m & (calls.district == d)).any()]
    return QcResult(overall, by_month, by_district)


def _cell(value: float | int | str | None, kind: str) -> str:
    if value is None:
        return "<td class=na>not in log</td>"
    if kind == "share":
        return f"<td>{100 * float(value):.1f}%</td>"
    if kind == "min":
        return f"<td>{float(value) / 60:.1f}</td>"
    return f"<td>{html.escape(str(value))}</td>"


_COLUMNS = (("group", "Group", "text"), ("month", "Month", "text"), ("calls", "Units", "text"),
            ("answered_within_10s", "Answered ≤ 10 s", "share"),
            ("dispatched_within_60s", "Dispatched ≤ 60 s", "share"),
            ("responses", "With arrival", "text"),
            ("response_median_s", "Response median (min)", "min"),
            ("response_p90_s", "Response p90 (min)", "min"),
            ("response_within_8min", "≤ 8 min", "share"),
            ("response_within_12min", "≤ 12 min", "share"))


def _table(rows: list[Indicators]) -> str:
    head = "".join(f"<th>{title}</th>" for _, title, _ in _COLUMNS)
    body = "".join("<tr>" + "".join(_cell(getattr(r, name), kind) for name, _, kind in _COLUMNS)
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _chart(rows: list[Indicators], group: str) -> str:
    """Monthly median and 90th percentile of the response time, as an inline SVG."""
    points = [(r.month, r.response_median_s, r.response_p90_s) for r in rows
              if r.group == group and r.response_median_s is not None
              and r.response_p90_s is not None]
    if len(points) < 2:
        return ""
    width, height, pad = 900, 260, 40
    top_min = max(float(p[2] or 0) for p in points) / 60 * 1.05

    def line(values: list[float], colour: str) -> str:
        xy = " ".join(
            f"{pad + i * (width - 2 * pad) / (len(values) - 1):.1f},"
            f"{height - pad - v / 60 / top_min * (height - 2 * pad):.1f}"
            for i, v in enumerate(values))
        return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{xy}"/>'

    limits = "".join(
        f'<line x1="{pad}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
        f'<text x="{width - pad + 4}" y="{y + 4:.1f}" font-size="11">{m:g} min</text>'
        for m in RESPONSE_MINUTES if m < top_min
        for y in [height - pad - m / top_min * (height - 2 * pad)])
    return (f'<h3>{html.escape(group)}: response time by month (median blue, p90 red)</h3>'
            f'<svg width="{width}" height="{height}" role="img">{limits}'
            f'{line([float(p[1] or 0) for p in points], "#1f77b4")}'
            f'{line([float(p[2] or 0) for p in points], "#d62728")}'
            f'<text x="{pad}" y="{height - 10}" font-size="11">{points[0][0]}</text>'
            f'<text x="{width - pad - 50}" y="{height - 10}" font-size="11">{points[-1][0]}'
            f'</text></svg>')


def html_report(result: QcResult, *, source: str) -> str:
    """A self-contained HTML page: the indicators, charts, and the tables by month."""
    sections = [f"<h1>Quality control: {html.escape(source)}</h1>",
                "<p>Standards: 95% of calls answered within 10 s and dispatched within 60 s; "
                "ambulances on scene within 8 minutes (urban) or 12 (rural). Response time is "
                "dispatch to arrival, per responding unit. Cardiac arrests are MPDS protocol 9 "
                "call types. 'not in log' marks times the log does not record.</p>",
                "<h2>Whole period</h2>", _table(result.overall),
                _chart(result.by_month, "all"), _chart(result.by_month,
                                                       "cardiac arrest (MPDS 9)")]
    if result.by_district:
        sections += ["<h2>By district</h2>", _table(result.by_district)]
    for group in ("cardiac arrest (MPDS 9)", "all"):
        sections += [f"<h2>By month: {html.escape(group)}</h2>",
                     _table([r for r in result.by_month if r.group == group])]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
             "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
             "td.na{color:#999}")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>QC report</title>"
            f"<style>{style}</style></head><body>{''.join(sections)}</body></html>")
