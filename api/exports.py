"""Downloads under ``/api/exports``: public layers as files, coverage and travel-time surfaces.

``GET /api/exports/{layer}.{gpkg|geojson|shp.zip|csv}`` is public, like the layers' OGC API
collections. Computed exports cost CPU seconds and are for analysts, dispatchers and admins:
``/api/exports/station_coverage.{ext}?minutes=8&mode=drive`` (each station's isochrone as a
polygon, with its area and population) and ``/api/exports/travel_time.tif?lon=..&lat=..``
(the travel-time surface behind an isochrone, as a Cloud-Optimized GeoTIFF in seconds).
``/api/exports/incidents.csv?from=DATE&to=DATE`` is the call log of the stored incidents (for
``rescuecircle qc --calls``), for the same roles: incidents are not public.
"""

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from api.public_limits import limited
from gis.export import FORMATS, LAYER_TABLES, SUFFIXES
from rescuecircle.errors import NotFound
from services import exports, params, quality
from services.exports import ExportFile
from services.routing import IsochroneRequest

PREFIX = "/api/exports"
COMPUTED_ROLES = ("analyst", "dispatcher", "admin")

blueprint = Blueprint("exports", __name__)


@blueprint.get(PREFIX)
def catalogue() -> ResponseReturnValue:
    """What can be exported, in which formats, and the URL of each file."""
    base = app_state().settings.base_url + PREFIX
    endings = [fmt.suffix.lstrip(".") for fmt in FORMATS.values()]
    return jsonify(
        layers=[{"id": layer, "files": [f"{base}/{layer}.{e}" for e in endings]}
                for layer in LAYER_TABLES],
        computed=[
            {"id": "station_coverage", "roles": list(COMPUTED_ROLES),
             "files": [f"{base}/station_coverage.{e}" for e in endings],
             "parameters": {"minutes": "1-60, default 8", "mode": "drive|walk|bike"}},
            {"id": "travel_time", "roles": list(COMPUTED_ROLES),
             "files": [f"{base}/travel_time.tif"],
             "parameters": {"lon": "required", "lat": "required", "mode": "drive|walk|bike",
                            "minutes": "1-60, default 12", "depart_at": "ISO 8601"}},
        ])


@blueprint.get(f"{PREFIX}/station_coverage.<path:ending>")
@require_roles(*COMPUTED_ROLES)
def station_coverage_file(ending: str) -> Response:
    """Each station's isochrone for ``minutes`` (default 8) by ``mode`` (default drive)."""
    format_name = _format(ending)
    minutes = params.number(request.args.get("minutes", 8), "minutes", low=1, high=60)
    mode = params.mode(request.args.get("mode", "drive"))
    return download(exports.station_coverage_file(app_state(), minutes=minutes, mode=mode,
                                                  format_name=format_name))


@blueprint.get(f"{PREFIX}/travel_time.tif")
@require_roles(*COMPUTED_ROLES)
def travel_time_file() -> Response:
    """Seconds to reach each cell from ``lon``/``lat`` within ``minutes`` (default 12)."""
    inputs: dict[str, Any] = {"minutes": "12", **request.args.to_dict()}
    return download(exports.travel_time_file(app_state(), IsochroneRequest.parse(inputs)))


@blueprint.get(f"{PREFIX}/incidents.csv")
@require_roles(*COMPUTED_ROLES)
def incidents_file() -> Response:
    """The stored incidents received ``from``..``to`` (local dates, both optional) as a call
    log: times and outcomes, no one's name or position. Not public, so not in the catalogue."""
    period = quality.Period.parse(request.args.get("from"), request.args.get("to"))
    return attachment(quality.incident_log_csv(app_state(), period),
                      FORMATS["csv"].media_type, "incidents.csv")


@blueprint.get(f"{PREFIX}/<filename>")
@limited
def layer_file(filename: str) -> Response:
    """Every feature of a public layer as one file: ``{layer}.{ending}``."""
    layer, _, ending = filename.partition(".")
    format_name = _format(ending)
    return download(exports.layer_file(app_state(), layer, format_name))


def _format(ending: str) -> str:
    if ending not in SUFFIXES:
        raise NotFound(f"no export ends in .{ending}; use one of "
                       f"{', '.join('.' + s for s in SUFFIXES)}")
    return SUFFIXES[ending]


def download(file: ExportFile) -> Response:
    """An export as a file to download."""
    return attachment(file.content, file.media_type, file.filename)


def attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    """A file to download under ``filename``."""
    return Response(body, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
