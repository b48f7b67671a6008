"""Isochrones and routes: parsed inputs in, GeoJSON (or a GeoTIFF surface) out.

The one implementation behind the OGC API Processes (``isochrone``, ``route``), OGC API -
Routes, the travel-time export and the station-coverage file, so every surface gives the same
answer for the same question.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from typing import Any

import numpy as np
import shapely
import shapely.geometry

from rescuecircle.errors import InvalidInput, NoRoute
from routing.direction import Direction
from routing.isochrone import (
    Band,
    PeopleXY,
    TimeGrid,
    bands,
    edge_notes,
    facilities_time_grid,
    facility_bands,
    network_time_grid,
)
from routing.network import Network, Route
from routing.snap import Snap, island_note
from services import params
from services.context import Context


@dataclass(frozen=True)
class IsochroneRequest:
    """A validated isochrone question."""

    lon: float
    lat: float
    mode: str
    minutes: list[float]
    depart_at: datetime | None
    direction: Direction = "from"

    @classmethod
    def parse(cls, inputs: dict[str, Any]) -> "IsochroneRequest":
        """From a JSON object with ``point`` or ``lon``/``lat``, ``mode``, ``minutes``,
        ``direction``."""
        crs = params.crs(inputs.get("crs"))
        if "point" in inputs:
            lon, lat = params.point(inputs["point"], "point")
        else:
            lon = params.number(inputs.get("lon"), "lon", low=-180, high=180)
            lat = params.number(inputs.get("lat"), "lat", low=-90, high=90)
        lon, lat = params.to_wgs84(lon, lat, crs)
        return cls(lon, lat, params.mode(inputs.get("mode", "drive")),
                   params.minutes_list(inputs.get("minutes", [5, 8, 12])),
                   params.depart_at(inputs.get("depart_at")),
                   params.direction(inputs.get("direction", "from")))


MAX_FACILITIES = 100  # points of one facilities isochrone


@dataclass(frozen=True)
class FacilitiesRequest:
    """A validated isochrone of several facilities at once (points in WGS84)."""

    points: list[tuple[float, float]]
    mode: str
    minutes: list[float]
    depart_at: datetime | None
    direction: Direction = "from"

    @classmethod
    def parse(cls, inputs: dict[str, Any]) -> "FacilitiesRequest":
        """From a JSON object with ``points`` (and ``crs``), ``mode``, ``minutes``,
        ``direction``, ``depart_at``."""
        crs = params.crs(inputs.get("crs"))
        points = [params.to_wgs84(lon, lat, crs)
                  for lon, lat in params.points(inputs.get("points"), "points",
                                                most=MAX_FACILITIES)]
        return cls(points, params.mode(inputs.get("mode", "drive")),
                   params.minutes_list(inputs.get("minutes", [5, 8, 12])),
                   params.depart_at(inputs.get("depart_at")),
                   params.direction(inputs.get("direction", "from")))


def isochrone(context: Context, request: IsochroneRequest) -> dict[str, Any]:
    """The isochrone as a GeoJSON FeatureCollection, with the people inside each band."""
    network = context.networks.current()
    return isochrone_geojson(network, in_local_time(context, request),
                             context.networks.people(network))


def isochrone_surface(context: Context, request: IsochroneRequest) -> bytes:
    """The travel-time surface behind the isochrone, as a GeoTIFF in seconds."""
    return isochrone_geotiff(context.networks.current(), in_local_time(context, request))


def isochrone_geojson(
    network: Network, request: IsochroneRequest, people: PeopleXY | None
) -> dict[str, Any]:
    """One feature per band (largest first, so smaller bands draw on top); ``notes`` says
    which bands reach the edge of the loaded network (``truncated`` on those)."""
    grid = _grid(network, request)
    found = bands(grid, request.minutes, population=people)[::-1]
    return bands_collection(network, grid, found, request.mode, request.direction)


def facilities_isochrone(context: Context, request: FacilitiesRequest) -> dict[str, Any]:
    """The union of the facilities' reach per band, cut where each facility is the nearest:
    a GeoJSON FeatureCollection of one feature per band and facility (``facility``, the
    index into ``points``), largest band first, with the people in each part."""
    network = context.networks.current()
    request = in_local_time(context, request)
    grid = _facilities_grid(network, request)
    found = facility_bands(grid, request.minutes, len(request.points),
                           population=context.networks.people(network))
    found.sort(key=lambda band: (-band.minutes, band.facility))
    return bands_collection(network, grid, found, request.mode, request.direction)


def bands_collection(network: Network, grid: TimeGrid, found: Sequence[Band], mode: str,
                     direction: Direction) -> dict[str, Any]:
    """Bands as a GeoJSON FeatureCollection, ``notes`` saying which reach the network's edge."""
    return {"type": "FeatureCollection", "features": [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "minutes": band.minutes,
                **({} if band.facility is None else {"facility": band.facility}),
                "mode": mode,
                "direction": direction,
                "area_km2": round(band.area_km2, 4),
                "population": None if band.people is None else round(band.people),
                "truncated": band.truncated,
            },
        }
        for band, geometry in zip(found, bands_geojson(network, found), strict=True)
    ], "notes": edge_notes(grid, found)}


def bands_geojson(network: Network, found: Sequence[Band]) -> list[dict[str, Any]]:
    """The bands' geometries in WGS84 as GeoJSON, all their coordinates projected in one call."""
    return multipolygons_geojson(
        [band.geometry for band in found],
        lambda xy: np.column_stack(network.projection.to_lonlat(xy[:, 0], xy[:, 1])))


def multipolygons_geojson(
    geometries: Sequence[shapely.MultiPolygon],
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON of MultiPolygons, coordinates through ``transform`` (an (n, 2) array each way).

    Built from numpy arrays of the parts: twice as fast as ``shapely.geometry.mapping``, which
    walks the coordinates in Python.
    """
    polygons, polygon_of = shapely.get_parts(geometries, return_index=True)
    rings, ring_of = shapely.get_rings(polygons, return_index=True)
    xy = shapely.get_coordinates(rings)
    points = (xy if transform is None else transform(xy)).tolist()
    ring_ends = np.append(0, np.cumsum(shapely.get_num_coordinates(rings))).tolist()
    polygon_ends = np.searchsorted(ring_of, np.arange(len(polygons) + 1)).tolist()
    geometry_ends = np.searchsorted(polygon_of, np.arange(len(geometries) + 1)).tolist()
    ring_points = [points[start:end] for start, end in pairwise(ring_ends)]
    polygon_rings = [ring_points[start:end] for start, end in pairwise(polygon_ends)]
    return [{"type": "MultiPolygon", "coordinates": polygon_rings[start:end]}
            for start, end in pairwise(geometry_ends)]


def isochrone_geotiff(network: Network, request: IsochroneRequest) -> bytes:
    """The travel-time surface behind the isochrone, as a GeoTIFF in seconds."""
    return _grid(network, request).to_geotiff(network.projection.crs.to_wkt())


def _grid(network: Network, request: IsochroneRequest) -> TimeGrid:
    origin = network.snap(request.lon, request.lat, request.mode)
    if network.arrays.island[request.mode][origin.edge]:
        verb = "leave" if request.direction == "from" else "reach"
        raise NoRoute(f"{island_note('the point', request.mode)}: no isochrone can {verb} it")
    hour = request.depart_at.hour if request.depart_at else None
    return network_time_grid(network, origin, request.mode, limit_s=max(request.minutes) * 60,
                             hour=hour, direction=request.direction)


def _facilities_grid(network: Network, request: FacilitiesRequest) -> TimeGrid:
    snaps = snap_points(network, request.points, request.mode, "points")
    hour = request.depart_at.hour if request.depart_at else None
    return facilities_time_grid(network, snaps, request.mode, hour=hour,
                                limit_s=max(request.minutes) * 60, direction=request.direction)


def snap_points(network: Network, points: Sequence[tuple[float, float]], mode: str,
                name: str) -> list[Snap]:
    """The points placed on the mode's roads; InvalidInput naming the first too far away."""
    lonlat = np.array(points, float).reshape(-1, 2)
    snaps = network.snap_many(lonlat[:, 0], lonlat[:, 1], mode)
    for i, snap in enumerate(snaps):
        if snap is None:
            raise InvalidInput(
                f"{name}[{i}] ({lonlat[i, 0]:.6f}, {lonlat[i, 1]:.6f}) is more than "
                f"{network.snap_max_m:.0f} m from any road usable by mode '{mode}'")
    return [snap for snap in snaps if snap is not None]


@dataclass(frozen=True)
class RouteRequest:
    """A validated point-to-point question (points in WGS84)."""

    origin: tuple[float, float]
    destination: tuple[float, float]
    mode: str
    depart_at: datetime | None


def route(context: Context, request: RouteRequest) -> dict[str, Any]:
    """The fastest route as a GeoJSON Feature with duration, length and edges."""
    network = context.networks.current()
    return route_feature(network, fastest_route(network, in_local_time(context, request)),
                         request.mode)


def in_local_time[Request: (IsochroneRequest, FacilitiesRequest, RouteRequest)](
        context: Context, request: Request) -> Request:
    """The request with its departure as the city's wall-clock time, whose hour picks the
    rush-hour factors: an aware ``depart_at`` is read in the context's zone (RC_TIMEZONE, else
    the network's), whatever offset it came with; a naive one already is local."""
    depart_at = request.depart_at
    if depart_at is None or depart_at.tzinfo is None:
        return request
    return replace(request, depart_at=context.local_time(depart_at))


def local_hour(context: Context, depart_at: datetime | None) -> int | None:
    """The hour on the city's clock at ``depart_at`` (see ``in_local_time``), or None."""
    if depart_at is None:
        return None
    return (depart_at if depart_at.tzinfo is None else context.local_time(depart_at)).hour


def fastest_route(network: Network, request: RouteRequest) -> Route:
    """The fastest route, in local metres (see ``route_feature`` for GeoJSON)."""
    origin = network.snap(*request.origin, request.mode)
    destination = network.snap(*request.destination, request.mode)
    hour = request.depart_at.hour if request.depart_at else None
    return network.route(origin, destination, request.mode, hour=hour)


def route_feature(network: Network, found: Route, mode: str) -> dict[str, Any]:
    """A route as a GeoJSON Feature with duration, length and the edges it follows."""
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(network.to_lonlat(found.geometry)),
        "properties": {
            "mode": mode,
            "duration_s": round(found.time_s, 1),
            "length_m": round(found.length_m, 1),
            "edges": found.edges,
        },
    }


def facilities_surface(context: Context, request: FacilitiesRequest) -> bytes:
    """The travel-time surface from (or to) the nearest facility, as a GeoTIFF in seconds."""
    network = context.networks.current()
    grid = _facilities_grid(network, in_local_time(context, request))
    return grid.to_geotiff(network.projection.crs.to_wkt())
