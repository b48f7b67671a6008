"""openrouteservice's directions over our route use case: JSON (an encoded polyline) and GeoJSON.

A request with n ``coordinates`` is n - 1 legs, each the fastest route of ``services.routing``
(the OGC process ``route`` answers the same leg the same way); ORS's ``segments`` are those
legs, with their distance and duration. There are no turn-by-turn instructions: ``steps`` is
empty, and ``instructions: true`` is not an error, since every client asks for them by default.
``preference`` shortest is refused: our routes are the fastest.
"""

from typing import Any

import numpy as np

from rescuecircle.errors import InvalidInput
from services import params
from services.context import Context
from services.ors import metadata, mode_of, unit_m
from services.routing import RouteRequest, route

MAX_WAYPOINTS = 50


def directions(context: Context, profile: str, body: dict[str, Any]) -> dict[str, Any]:
    """The route through every coordinate: legs, totals and the line in WGS84."""
    mode = mode_of(profile)
    points = params.points(body.get("coordinates"), "coordinates", most=MAX_WAYPOINTS)
    if len(points) < 2:
        raise InvalidInput("coordinates must hold at least two [longitude, latitude] pairs")
    scale_m = unit_m(body.get("units", "m"))
    preference = body.get("preference", "recommended")
    if preference not in ("recommended", "fastest"):
        raise InvalidInput(f"preference {preference!r} is not served; use recommended or "
                           "fastest (both are our fastest route)")
    line: list[list[float]] = []
    way_points, segments = [0], []
    for start, end in zip(points, points[1:], strict=False):
        leg = route(context, RouteRequest(start, end, mode, None))
        coordinates = leg["geometry"]["coordinates"]
        line.extend(coordinates if not line else coordinates[1:])
        way_points.append(len(line) - 1)
        segments.append({"distance": round(leg["properties"]["length_m"] / scale_m, 2),
                         "duration": leg["properties"]["duration_s"], "steps": []})
    summary = {"distance": round(sum(s["distance"] for s in segments), 2),
               "duration": round(sum(s["duration"] for s in segments), 1)}
    array = np.array(line)
    bbox = [*array.min(axis=0).tolist(), *array.max(axis=0).tolist()]
    return {"line": line, "bbox": bbox, "summary": summary, "segments": segments,
            "way_points": way_points, "metadata": metadata("routing", profile, body)}


def as_json(found: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """ORS's JSON answer: one route whose geometry is an encoded polyline (precision 5), or
    none at all with ``geometry: false``."""
    route_json: dict[str, Any] = {"summary": found["summary"], "segments": found["segments"],
                                  "bbox": found["bbox"]}
    if body.get("geometry", True) is not False:
        route_json["geometry"] = encode_polyline(found["line"])
    route_json["way_points"] = found["way_points"]
    return {"bbox": found["bbox"], "routes": [route_json], "metadata": found["metadata"]}


def as_geojson(found: dict[str, Any]) -> dict[str, Any]:
    """ORS's GeoJSON answer: a FeatureCollection of the route as one LineString feature."""
    return {"type": "FeatureCollection", "bbox": found["bbox"], "features": [{
        "bbox": found["bbox"], "type": "Feature",
        "properties": {"segments": found["segments"], "summary": found["summary"],
                       "way_points": found["way_points"]},
        "geometry": {"type": "LineString", "coordinates": found["line"]}}],
        "metadata": found["metadata"]}


def encode_polyline(lonlat: list[list[float]]) -> str:
    """Google's encoded polyline of ``[lon, lat]`` points at precision 5 (latitude first, as
    the format wants): each value the difference from the previous point, in 5-bit chunks."""
    scaled = np.round(np.array(lonlat, float)[:, ::-1] * 1e5).astype(np.int64)
    deltas = np.diff(scaled, axis=0, prepend=np.zeros((1, 2), np.int64)).ravel().tolist()
    out = []
    for delta in deltas:
        value = ~(delta << 1) if delta < 0 else delta << 1
        while value >= 0x20:
            out.append(chr((0x20 | (value & 0x1F)) + 63))
            value >>= 5
        out.append(chr(value + 63))
    return "".join(out)
