"""The planning processes of ``/ogc/processes``: ``site`` and ``qc``, for analysts and admins,
synchronous or as jobs (``Prefer: respond-async``), as ``coverage`` is.

``site`` answers what ``GET /api/planning/sites/<kind>`` answers: the proposed sites (or AED
moves) as GeoJSON, ranked, each with the people and calls it adds, and the plan's coverage
before and after. ``qc`` reports on a call log sent as its ``calls`` input (the CSV content
inline: the server fetches nothing by reference; at most ``max_upload_bytes``), or, without
``calls``, on the incidents stored here received from ``from`` to ``to`` (``rescuecircle qc
--events``, ``GET /api/planning/qc``); it answers the indicators as JSON, and the page the CLI
writes is in ``renderings.html``, which a job's results give with ``?f=html``.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue

from api import app_state
from api.jobs import Progress
from planning.qc import QcResult
from planning.qc_report import html_report, qc_json
from planning.sites import KINDS, sites_geojson
from rescuecircle.errors import InvalidInput
from services.call_log_upload import uploaded_call_quality
from services.context import Context
from services.planning import site, site_question
from services.quality import Period, events_quality

GEOJSON = "application/geo+json"
SITE_INPUTS = ("kind", "add", "relocate", "cover_all", "minutes", "hour", "at", "demand",
               "from", "to", "categories", "cruise_kmh", "range_km")

_COUNT = {"type": "integer", "minimum": 1, "maximum": 200}
SITE_SCHEMA = {
    "kind": {"title": "what to site", "schema": {"type": "string", "enum": list(KINDS)}},
    "add": {"title": "new sites to open (MCLP)", "minOccurs": 0, "schema": _COUNT},
    "relocate": {"title": "existing AEDs to move (kind aeds)", "minOccurs": 0,
                 "schema": _COUNT},
    "cover_all": {"title": "the fewest new sites covering everyone (LSCP)", "minOccurs": 0,
                  "schema": {"type": "boolean", "default": False}},
    "minutes": {"title": "coverage limit", "minOccurs": 0, "schema": {
        "type": "number", "minimum": 1, "maximum": 60,
        "description": "default: 8 by car for stations, 5 on foot for AEDs, 5 for pads"}},
    "hour": {"title": "hour of day (driving speeds)", "minOccurs": 0, "schema": {
        "type": "integer", "minimum": 0, "maximum": 23}},
    "at": {"title": "AED availability at", "minOccurs": 0, "schema": {
        "type": "string", "format": "date-time"}},
    "demand": {"title": "what to cover", "minOccurs": 0, "schema": {
        "type": "string", "pattern": "^(population|incidents|mix:(0(\\.[0-9]+)?|1(\\.0+)?))$",
        "default": "population",
        "description": "people, stored incidents (calls per 250 m cell), or mix:A with A "
                       "the calls' share"}},
    "from": {"title": "incidents received from (local date)", "minOccurs": 0,
             "schema": {"type": "string", "format": "date"}},
    "to": {"title": "incidents received up to (local date, included)", "minOccurs": 0,
           "schema": {"type": "string", "format": "date"}},
    "categories": {"title": "incident categories (default: all)", "minOccurs": 0, "schema": {
        "type": "array", "items": {"type": "string", "maxLength": 64}, "minItems": 1,
        "maxItems": 50}},
    "cruise_kmh": {"title": "new drones' cruise speed (pads)", "minOccurs": 0,
                   "schema": {"type": "number", "minimum": 10, "maximum": 300}},
    "range_km": {"title": "new drones' range (pads)", "minOccurs": 0,
                 "schema": {"type": "number", "minimum": 1, "maximum": 100}},
}
QC_SCHEMA = {
    "calls": {"title": "the call log (CSV, as `rescuecircle qc --calls` reads it); without it, "
                       "the incidents stored here", "minOccurs": 0, "schema": {
        "oneOf": [
            {"type": "string", "contentMediaType": "text/csv"},
            {"type": "object", "required": ["value"], "properties": {
                "value": {"type": "string"},
                "mediaType": {"type": "string", "enum": ["text/csv"]},
                "encoding": {"type": "string", "enum": ["base64"]}}}]}},
    "name": {"title": "the log's file name, for the report", "minOccurs": 0,
             "schema": {"type": "string", "maxLength": 200, "default": "calls.csv"}},
    "from": {"title": "stored incidents received from (local date)", "minOccurs": 0,
             "schema": {"type": "string", "format": "date"}},
    "to": {"title": "stored incidents received up to (local date, included)", "minOccurs": 0,
           "schema": {"type": "string", "format": "date"}},
}


def site_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """The siting inputs checked, JSON-ready, with ``at`` fixed to now when not given."""
    kind = inputs.get("kind")
    if kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is unknown; use one of {', '.join(KINDS)}")
    question = site_question(inputs, kind=kind, now=app_state().now())
    return {**{name: inputs[name] for name in SITE_INPUTS if inputs.get(name) is not None},
            "at": question.at.isoformat()}


def site_compute(state: Context, inputs: dict[str, Any],
                 progress: Progress) -> dict[str, Any]:
    """The proposed sites as GeoJSON (the slow part: one search per candidate site)."""
    progress(5)
    question = site_question(inputs, kind=inputs["kind"],
                             now=datetime.fromisoformat(inputs["at"]))
    found = sites_geojson(site(state, question))
    progress(95)
    return found


def run_site(inputs: dict[str, Any]) -> ResponseReturnValue:
    """The siting process, synchronously."""
    body = site_compute(app_state(), site_inputs(inputs), lambda _: None)
    return Response(json.dumps(body), mimetype=GEOJSON)


def qc_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """The call log's text and name, checked by reading it while the request is open; or the
    period of the stored incidents."""
    if inputs.get("calls") is None:
        period = Period.parse(inputs.get("from"), inputs.get("to"))
        return {"from": period.first and period.first.isoformat(),
                "to": period.last and period.last.isoformat()}
    if inputs.get("from") is not None or inputs.get("to") is not None:
        raise InvalidInput("from and to select stored incidents: give them without calls")
    calls = _call_log_text(inputs["calls"])
    name = inputs.get("name", "calls.csv")
    if not isinstance(name, str) or not 0 < len(name) <= 200:
        raise InvalidInput(f"name must be a file name of 1-200 characters, not {name!r}")
    _quality(app_state(), calls, name)
    return {"calls": calls, "name": name}


def qc_compute(state: Context, inputs: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The indicators as JSON, with the HTML report as ``renderings.html``."""
    progress(10)
    result, source = _report(state, inputs)
    return {**_json(result, source), "renderings": {"html": html_report(result, source=source)}}


def run_qc(inputs: dict[str, Any]) -> ResponseReturnValue:
    """The QC process, synchronously: the indicators as JSON (no page: ask a job for it)."""
    return _json(*_report(app_state(), qc_inputs(inputs)))


def _report(state: Context, inputs: dict[str, Any]) -> tuple[QcResult, str]:
    """The QC result of checked inputs, and what it is about."""
    if "calls" in inputs:
        return _quality(state, inputs["calls"], inputs["name"]), inputs["name"]
    period = Period.parse(inputs["from"], inputs["to"])
    return events_quality(state, period), f"stored incidents, {period.describe()}"


def _json(result: QcResult, source: str) -> dict[str, Any]:
    return {"source": source, **qc_json(result)}


def _quality(state: Context, calls: str, name: str) -> QcResult:
    return uploaded_call_quality(calls, name=name, max_bytes=state.settings.max_upload_bytes)


def _call_log_text(value: Any) -> str:
    """``calls`` as text: a string, or an OGC qualified value (``value``, base64 or not)."""
    if isinstance(value, dict):
        if "href" in value:
            raise InvalidInput("calls by reference (href) is not accepted: the server fetches "
                               "nothing; send the file's content as calls.value")
        encoding, text = value.get("encoding"), value.get("value")
        if encoding not in (None, "base64") or not isinstance(text, str):
            raise InvalidInput("calls must be the CSV text, or {\"value\": TEXT} with an "
                               "optional \"encoding\": \"base64\"")
        if encoding == "base64":
            try:
                return base64.b64decode(text, validate=True).decode("utf-8-sig")
            except (binascii.Error, UnicodeDecodeError):
                raise InvalidInput("calls.value is not base64 of UTF-8 text") from None
        value = text
    if not isinstance(value, str):
        raise InvalidInput("calls must be the call log's CSV content")
    return value
