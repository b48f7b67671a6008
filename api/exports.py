"""Downloads under ``/api/exports``: public layers as files, coverage and travel-time surfaces.

``GET /api/exports/{layer}.{gpkg|geojson|shp.zip|csv}`` is public, like the layers' OGC API
collections. Computed exports cost CPU seconds and are for analysts, dispatchers and admins:
``/api/exports/station_coverage.{ext}?minutes=8&mode=drive`` (each station's isochrone as a
polygon, with its area and population) and ``/api/exports/travel_time.tif?lon=..&lat=..``
(the travel-time surface behind an isochrone, as a Cloud-Optimized GeoTIFF in seconds).
"""

from pathlib import Path
from typing import Any

import shapely
import shapely.geometry
from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine

from api import app_state
from api.auth import require_roles
from api.routing_service import IsochroneRequest, isochrone_geojson, isochrone_geotiff
from gis.export import (
    FORMATS,
    LAYER_TABLES,
    SUFFIXES,
    LayerData,
    export_bytes,
    format_for_path,
    layer_from_records,
    read_layer,
    station_points,
    to_cog,
    write_layer,
)
from rescuecircle.errors import InvalidInput, NoRoute, NotFound
from services import params
from services.network import NetworkProvider

PREFIX = "/api/exports"
COMPUTED_ROLES = ("analyst", "dispatcher", "admin")
COG = "image/tiff; application=geotiff; profile=cloud-optimized"

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
    state = app_state()
    data = station_coverage(state.engine, state.networks, minutes=minutes, mode=mode)
    return _file(data, format_name)


@blueprint.get(f"{PREFIX}/travel_time.tif")
@require_roles(*COMPUTED_ROLES)
def travel_time_file() -> Response:
    """Seconds to reach each cell from ``lon``/``lat`` within ``minutes`` (default 12)."""
    inputs: dict[str, Any] = {"minutes": "12", **request.args.to_dict()}
    question = IsochroneRequest.parse(inputs)
    surface = to_cog(isochrone_geotiff(app_state().networks.current(), question))
    return attachment(surface, COG, "travel_time.tif")


@blueprint.get(f"{PREFIX}/<filename>")
def layer_file(filename: str) -> Response:
    """Every feature of a public layer as one file: ``{layer}.{ending}``."""
    layer, _, ending = filename.partition(".")
    format_name = _format(ending)
    return _file(read_layer(app_state().engine, layer), format_name)


def station_coverage(engine: Engine, networks: NetworkProvider, *, minutes: float,
                     mode: str) -> LayerData:
    """One MultiPolygon per station: where it reaches within ``minutes``, its area and people.

    A station on a part of the network cut off from the rest keeps its row, with no geometry
    and ``reachable`` false, so the file still lists every station.
    """
    network = networks.current()
    people = networks.people(network)
    wkb: list[bytes | None] = []
    records = []
    for station_id, name, lon, lat in station_points(engine):
        question = IsochroneRequest(lon, lat, mode, [minutes], None)
        try:
            band = isochrone_geojson(network, question, people)["features"][0]
        except NoRoute:
            wkb.append(None)
            records.append({"station_id": station_id, "name": name, "minutes": minutes,
                            "mode": mode, "reachable": False, "area_km2": None,
                            "population": None})
            continue
        geometry = shapely.geometry.shape(band["geometry"])
        if isinstance(geometry, shapely.Polygon):
            geometry = shapely.MultiPolygon([geometry])
        wkb.append(shapely.to_wkb(geometry))
        records.append({"station_id": station_id, "name": name, "minutes": minutes,
                        "mode": mode, "reachable": True,
                        "area_km2": band["properties"]["area_km2"],
                        "population": band["properties"]["population"]})
    return layer_from_records("station_coverage", "MultiPolygon", wkb, records)


def export_file(engine: Engine, networks: NetworkProvider, layer: str, path: Path, *,
                format_name: str | None = None, minutes: float | None = None,
                mode: str = "drive", point: str | None = None) -> Path:
    """What ``rescuecircle export`` writes: the same files as the HTTP exports; returns the
    path written (its ending set to the format's)."""
    mode = params.mode(mode)
    if layer == "travel_time":
        if point is None:
            raise InvalidInput("travel_time needs the origin: --point LON,LAT")
        lon, lat = params.point(point.split(","), "point")
        question = IsochroneRequest(lon, lat, mode, params.minutes_list([minutes or 12]), None)
        path = path.with_suffix(".tif")
        path.write_bytes(to_cog(isochrone_geotiff(networks.current(), question)))
        return path
    format_name = format_name or format_for_path(path)
    if layer == "station_coverage":
        minutes = params.number(8 if minutes is None else minutes, "minutes", low=1, high=60)
        data = station_coverage(engine, networks, minutes=minutes, mode=mode)
    else:
        data = read_layer(engine, layer)
    return write_layer(data, format_name, path)


def _format(ending: str) -> str:
    if ending not in SUFFIXES:
        raise NotFound(f"no export ends in .{ending}; use one of "
                       f"{', '.join('.' + s for s in SUFFIXES)}")
    return SUFFIXES[ending]


def _file(data: LayerData, format_name: str) -> Response:
    fmt = FORMATS[format_name]
    return attachment(export_bytes(data, format_name), fmt.media_type,
                      f"{data.name}{fmt.suffix}")


def attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    """A file to download under ``filename``."""
    return Response(body, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
