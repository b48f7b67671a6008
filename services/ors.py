"""openrouteservice's API shapes over our use cases: isochrones and matrix (directions are in
``services.ors_directions``).

The ORS Tools plugin of QGIS and the ``openrouteservice`` and ``routingpy`` clients speak ORS v2:
``locations`` as ``[lon, lat]`` pairs, ``range`` in seconds, ``location_type`` start or
destination, a matrix over indices into ``locations``. Here those requests become our own
(``IsochroneRequest``, ``MatrixRequest``), are answered by the same use cases as the OGC
processes, and the answers are written the way ORS writes them, so areas and times are ours to
the digit. What we cannot honour is refused by name (a 400) rather than ignored: distance
isochrones, ``reachfactor``, other profiles.
"""

from datetime import UTC, datetime
from typing import Any

import numpy as np

from rescuecircle import __version__
from rescuecircle.errors import InvalidInput
from routing.direction import Direction
from services import params
from services.context import Context
from services.matrix import (
    MAX_POINTS,
    MatrixRequest,
    check_synchronous,
    matrix,
    placed,
    rounded_rows,
)
from services.routing import IsochroneRequest, isochrone

PROFILES = {"driving-car": "drive", "foot-walking": "walk", "cycling-regular": "bike"}
UNIT_M = {"m": 1.0, "km": 1000.0, "mi": 1609.344}
MAX_ISOCHRONE_LOCATIONS = 5  # as openrouteservice's own API
LOCATION_TYPES: dict[str, Direction] = {"start": "from", "destination": "to"}
ATTRIBUTES = ("area", "total_pop")
ATTRIBUTION = "rescuecircle; map data (c) OpenStreetMap contributors"


def mode_of(profile: str) -> str:
    """Our travel mode for an ORS profile; InvalidInput for a profile we do not serve."""
    if profile not in PROFILES:
        raise InvalidInput(f"profile {profile!r} is not served; use one of {', '.join(PROFILES)}")
    return PROFILES[profile]


def unit_m(value: Any, name: str = "units") -> float:
    """Metres in one of ORS's units (m, km, mi)."""
    for unit, metres in UNIT_M.items():
        if value == unit:
            return metres
    raise InvalidInput(f"{name} {value!r} is unknown; use m, km or mi")


def metadata(service: str, profile: str, query: dict[str, Any]) -> dict[str, Any]:
    """ORS's ``metadata`` member: who answered, when, and the query as received."""
    return {"attribution": ATTRIBUTION, "service": service,
            "timestamp": int(datetime.now(UTC).timestamp() * 1000),
            "query": {**query, "profile": profile},
            "engine": {"version": f"rescuecircle {__version__}"}}


def isochrones(context: Context, profile: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/isochrones/{profile}``: a GeoJSON FeatureCollection of one feature per
    location and range (``group_index``, ``value`` in seconds, ``center``, and ``area`` and
    ``total_pop`` when asked), smallest range first within each location."""
    mode = mode_of(profile)
    locations = params.points(body.get("locations"), "locations", most=MAX_ISOCHRONE_LOCATIONS)
    if body.get("range_type", "time") != "time":
        raise InvalidInput(f"range_type {body.get('range_type')!r} is not supported; use time "
                           "(distance isochrones are not served)")
    ranges_s = _ranges_s(body.get("range"), body.get("interval"))
    location_type = body.get("location_type", "start")
    if not isinstance(location_type, str) or location_type not in LOCATION_TYPES:
        raise InvalidInput(f"location_type {location_type!r} is unknown; use start or "
                           "destination")
    attributes = body.get("attributes", [])
    if not isinstance(attributes, list) or any(a not in ATTRIBUTES for a in attributes):
        raise InvalidInput(f"attributes {attributes!r} may list only {' and '.join(ATTRIBUTES)}")
    area_m2 = unit_m(body.get("area_units", "m"), "area_units") ** 2
    features = []
    for index, (lon, lat) in enumerate(locations):
        answer = isochrone(context, IsochroneRequest(
            lon, lat, mode, [value / 60 for value in ranges_s], None,
            LOCATION_TYPES[location_type]))
        for feature in sorted(answer["features"], key=lambda f: f["properties"]["minutes"]):
            found = feature["properties"]
            properties: dict[str, Any] = {"group_index": index,
                                          "value": round(found["minutes"] * 60, 3),
                                          "center": [lon, lat]}
            if "area" in attributes:
                properties["area"] = found["area_km2"] * 1e6 / area_m2
            if "total_pop" in attributes:
                properties["total_pop"] = found["population"]
            features.append({"type": "Feature", "properties": properties,
                             "geometry": _single_polygon_as_polygon(feature["geometry"])})
    return {"type": "FeatureCollection", "bbox": _bbox(features), "features": features,
            "metadata": metadata("isochrones", profile, body)}


def _ranges_s(value: Any, interval: Any) -> list[float]:
    """The ranges in seconds (1 to 60 minutes each); one range with an ``interval`` is cut
    into bands every ``interval`` seconds, as ORS does."""
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        raise InvalidInput("range must list 1 to 10 values in seconds, each 60 to 3600")
    ranges = [params.number(v, "range", low=60, high=3600) for v in value]
    if interval is not None and len(ranges) == 1:
        step = params.number(interval, "interval", low=60, high=3600)
        ranges = [*np.arange(step, ranges[0], step).tolist(), ranges[0]][-10:]
    return sorted(set(ranges))


def _single_polygon_as_polygon(geometry: dict[str, Any]) -> dict[str, Any]:
    """ORS draws each isochrone as a Polygon: a band of one piece is written so; a band in
    several pieces stays a MultiPolygon (ours are drawn from the network, not as one hull)."""
    if geometry["type"] == "MultiPolygon" and len(geometry["coordinates"]) == 1:
        return {"type": "Polygon", "coordinates": geometry["coordinates"][0]}
    return geometry


def _bbox(features: list[dict[str, Any]]) -> list[float] | None:
    """The box around every coordinate of the features' geometries."""
    xy = [point for feature in features for point in _points(feature["geometry"]["coordinates"])]
    if not xy:
        return None
    array = np.array(xy)
    return [*array.min(axis=0).tolist(), *array.max(axis=0).tolist()]


def _points(coordinates: Any) -> list[list[float]]:
    if coordinates and isinstance(coordinates[0], int | float):
        return [coordinates]
    return [point for part in coordinates for point in _points(part)]


def matrix_answer(context: Context, profile: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/matrix/{profile}``: ``durations`` (seconds) and ``distances`` (in ``units``)
    from the chosen sources to the chosen destinations, null where no route exists."""
    mode = mode_of(profile)
    locations = params.points(body.get("locations"), "locations", most=2 * MAX_POINTS)
    sources = _indices(body.get("sources"), "sources", len(locations))
    destinations = _indices(body.get("destinations"), "destinations", len(locations))
    metrics = body.get("metrics", ["duration"])
    scale_m = unit_m(body.get("units", "m"))
    question = check_synchronous(MatrixRequest.parse({
        "sources": [list(locations[i]) for i in sources],
        "targets": [list(locations[j]) for j in destinations],
        "mode": mode, "metrics": metrics}))
    answer = matrix(context, question)
    found: dict[str, Any] = {}
    if "duration" in question.metrics:
        found["durations"] = rounded_rows(answer.durations_s, 2)
    if answer.distances_m is not None:
        found["distances"] = rounded_rows(answer.distances_m, 2, scale_m)
    found["destinations"] = _ors_places(placed(answer.network, answer.targets))
    found["sources"] = _ors_places(placed(answer.network, answer.sources))
    found["metadata"] = metadata("matrix", profile, body)
    return found


def _indices(value: Any, name: str, count: int) -> list[int]:
    """Indices into ``locations`` (numbers or numeric strings); absent or ["all"]: all."""
    if value is None or value == ["all"]:
        return list(range(count))
    if not isinstance(value, list) or not value:
        raise InvalidInput(f"{name} must list indices into locations, or be [\"all\"]")
    found = [params.number(v, f"{name} index", low=0, high=count - 1) for v in value]
    if any(index != int(index) for index in found):
        raise InvalidInput(f"{name} {value!r} must be whole indices into locations")
    return [int(index) for index in found]


def _ors_places(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"location": place["location"], "snapped_distance": place["snapped_distance_m"]}
            for place in found]
