"""The quality-control report as a self-contained HTML page, and as JSON.

A cell the source cannot fill (its whole-period value is absent: ``QcResult.not_in_log``) reads
"not in log"; one the source could fill but the group has no case for reads "no case".
"""

import html
from dataclasses import asdict
from typing import Any

from planning.qc import CARDIAC_GROUP, CIRCLE_S, RESPONSE_MINUTES, Indicators, QcResult

_COLUMNS = (("group", "Group", "text"), ("period", "Period", "text"),
            ("calls", "Units", "text"),
            ("answered_within_10s", "Answered ≤ 10 s", "share"),
            ("dispatched_within_60s", "Dispatched ≤ 60 s", "share"),
            ("responses", "With arrival", "text"),
            ("response_median_s", "Response median (min)", "min"),
            ("response_p90_s", "Response p90 (min)", "min"),
            ("response_within_8min", "≤ 8 min", "share"),
            ("response_within_12min", "≤ 12 min", "share"),
            ("incidents", "Incidents", "text"),
            ("volunteer_median_s", "Volunteer median (min)", "min"),
            ("volunteer_p90_s", "Volunteer p90 (min)", "min"),
            ("aed_median_s", "AED median (min)", "min"),
            ("aed_p90_s", "AED p90 (min)", "min"),
            ("volunteer_before_ambulance", "Volunteer before ambulance", "share"),
            ("circle_within_5min", f"Circle ≤ {CIRCLE_S / 60:g} min", "share"),
            ("rosc_cases", "Arrests with ROSC recorded", "text"),
            ("rosc_rate", "ROSC", "share"))


def qc_json(result: QcResult) -> dict[str, Any]:
    """The result as JSON: every row's indicators (times in seconds, shares 0-1, null where
    absent) and the indicators the source cannot give."""
    return asdict(result)


def _cell(value: float | int | str | None, kind: str, absent: bool) -> str:
    if value is None:
        return "<td class=na>not in log</td>" if absent else "<td class=na>no case</td>"
    if kind == "share":
        return f"<td>{100 * float(value):.1f}%</td>"
    if kind == "min":
        return f"<td>{float(value) / 60:.1f}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def _table(rows: list[Indicators], not_in_log: list[str]) -> str:
    head = "".join(f"<th>{title}</th>" for _, title, _ in _COLUMNS)
    body = "".join("<tr>" + "".join(_cell(getattr(r, name), kind, name in not_in_log)
                                    for name, _, kind in _COLUMNS)
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _chart(rows: list[Indicators], group: str) -> str:
    """Monthly median and 90th percentile of the response time, as an inline SVG."""
    points = [(r.period, r.response_median_s, r.response_p90_s) for r in rows
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
    """A self-contained HTML page: the indicators, charts, and the tables by year and month."""
    absent = result.not_in_log
    sections = [f"<h1>Quality control: {html.escape(source)}</h1>",
                "<p>Standards: 95% of calls answered within 10 s and dispatched within 60 s; "
                "ambulances on scene within 8 minutes (urban) or 12 (rural). Response time is "
                "dispatch to arrival, per responding unit. Cardiac arrests are MPDS protocol 9 "
                "call types or the category cardiac_arrest. Per incident, from the call "
                "received: the first volunteer and the first AED at the patient; the share "
                "where a volunteer arrived before the ambulance; the circle, a volunteer and an "
                f"AED at the patient within {CIRCLE_S / 60:g} minutes; ROSC among closed "
                "cardiac arrests with ROSC recorded. 'not in log' marks what the source does "
                "not record; 'no case', a group without a case.</p>",
                "<h2>Whole period</h2>", _table(result.overall, absent),
                _chart(result.by_month, "all"), _chart(result.by_month, CARDIAC_GROUP)]
    if result.by_district:
        sections += ["<h2>By district</h2>", _table(result.by_district, absent)]
    sections += ["<h2>By year</h2>", _table(result.by_year, absent)]
    for group in (CARDIAC_GROUP, "all"):
        sections += [f"<h2>By month: {html.escape(group)}</h2>",
                     _table([r for r in result.by_month if r.group == group], absent)]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
             "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
             "td.na{color:#999}")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>QC report</title>"
            f"<style>{style}</style></head><body>{''.join(sections)}</body></html>")
