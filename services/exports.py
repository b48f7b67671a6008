"""Export use cases: public layers as files, each station's coverage, travel-time surfaces,
and (not public) the stored incidents as a call log.

``GET /api/exports/...`` and ``rescuecircle export`` both call these, so a file downloaded and
a file written on the server hold the same features.
"""

from dataclasses import dataclass
from pathlib import Path

import shapely
import shapely.geometry

from gis.export import (
    FORMATS,
    LayerData,
    export_bytes,
    format_for_path,
    layer_from_records,
    read_layer,
    station_points,
    to_cog,
    write_layer,
)
from rescuecircle.errors import InvalidInput, NoRoute
from services import params
from services.context import Context
from services.quality import Period, incident_log_csv
from services.routing import IsochroneRequest, isochrone_geojson, isochrone_surface


@dataclass(frozen=True)
class ExportFile:
    """A file to hand out: its bytes, media type and name."""

    content: bytes
    media_type: str
    filename: str


COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


def layer_file(context: Context, layer: str, format_name: str) -> ExportFile:
    """Every feature of a public layer as one file."""
    return _file(read_layer(context.reads, layer), format_name)


def station_coverage_file(context: Context, *, minutes: float, mode: str,
                          format_name: str) -> ExportFile:
    """Each station's isochrone as one file (see :func:`station_coverage`)."""
    return _file(station_coverage(context, minutes=minutes, mode=mode), format_name)


def travel_time_file(context: Context, request: IsochroneRequest) -> ExportFile:
    """The travel-time surface behind an isochrone, as a Cloud-Optimized GeoTIFF (seconds)."""
    surface = to_cog(isochrone_surface(context, request))
    return ExportFile(surface, COG_MEDIA_TYPE, "travel_time.tif")


def station_coverage(context: Context, *, minutes: float, mode: str) -> LayerData:
    """One MultiPolygon per station: where it reaches within ``minutes``, its area and people.

    A station on a part of the network cut off from the rest keeps its row, with no geometry
    and ``reachable`` false, so the file still lists every station. ``truncated`` marks an
    area that reaches the edge of the loaded network (travel beyond it is not known).
    """
    network = context.networks.current()
    people = context.networks.people(network)
    wkb: list[bytes | None] = []
    records = []
    for station_id, name, lon, lat in station_points(context.reads):
        question = IsochroneRequest(lon, lat, mode, [minutes], None)
        try:
            band = isochrone_geojson(network, question, people)["features"][0]
        except NoRoute:
            wkb.append(None)
            records.append({"station_id": station_id, "name": name, "minutes": minutes,
                            "mode": mode, "reachable": False, "area_km2": None,
                            "population": None, "truncated": None})
            continue
        geometry = shapely.geometry.shape(band["geometry"])
        if isinstance(geometry, shapely.Polygon):
            geometry = shapely.MultiPolygon([geometry])
        wkb.append(shapely.to_wkb(geometry))
        records.append({"station_id": station_id, "name": name, "minutes": minutes,
                        "mode": mode, "reachable": True,
                        "area_km2": band["properties"]["area_km2"],
                        "population": band["properties"]["population"],
                        "truncated": band["properties"]["truncated"]})
    return layer_from_records("station_coverage", "MultiPolygon", wkb, records)


def export_to_path(context: Context, layer: str, path: Path, *,
                   format_name: str | None = None, minutes: float | None = None,
                   mode: str = "drive", point: tuple[float, float] | None = None,
                   period: Period | None = None) -> Path:
    """What ``rescuecircle export`` writes: the same files as the HTTP exports; returns the
    path written (its ending set to the format's). ``incidents`` is the call log of the
    stored incidents received in ``period`` (CSV only)."""
    mode = params.mode(mode)
    if layer != "incidents" and period is not None and (period.first or period.last):
        raise InvalidInput("--from and --to select the stored incidents: use them with "
                           "`export incidents`")
    if layer == "incidents":
        if (format_name or format_for_path(path)) != "csv":
            raise InvalidInput("incidents are exported as a call log: CSV only")
        path.write_text(incident_log_csv(context, period or Period()), encoding="utf-8")
        return path
    if layer == "travel_time":
        if point is None:
            raise InvalidInput("travel_time needs the origin: --point LON,LAT")
        question = IsochroneRequest(*point, mode, params.minutes_list([minutes or 12]), None)
        path = path.with_suffix(".tif")
        path.write_bytes(travel_time_file(context, question).content)
        return path
    format_name = format_name or format_for_path(path)
    if layer == "station_coverage":
        minutes = params.number(8 if minutes is None else minutes, "minutes", low=1, high=60)
        data = station_coverage(context, minutes=minutes, mode=mode)
    else:
        data = read_layer(context.reads, layer)
    return write_layer(data, format_name, path)


def _file(data: LayerData, format_name: str) -> ExportFile:
    fmt = FORMATS[format_name]
    return ExportFile(export_bytes(data, format_name), fmt.media_type, f"{data.name}{fmt.suffix}")
