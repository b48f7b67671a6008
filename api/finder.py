"""``GET /api/aeds/nearest``: the public AED finder's question, "which AED do I fetch now?".

Public, like the AED layer: ``lon``, ``lat`` (in ``crs``, default wgs84), ``limit`` (1 to 10,
default 5), ``at`` (default now) and ``max_walk_min`` (1 to 30, default 15). The answer is a
FeatureCollection of the AEDs usable at ``at``, fastest walk first, each with ``walk_s``,
``walk_m`` and its walking route (a ``route`` Feature beside its geometry), plus
``unavailable``: AEDs nearby that must *not* be fetched now, each with its reason, so a map can
show them greyed out instead of silently leaving them off.
"""

from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely.geometry
from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.jsonable import jsonable
from gis.finder import aeds_near
from rescuecircle.errors import InvalidInput, NoRoute
from routing.network import Network
from services import params

blueprint = Blueprint("finder", __name__)
WALK = "walk"


@blueprint.get("/api/aeds/nearest")
def nearest() -> ResponseReturnValue:
    """The nearest usable AEDs by walking time, with routes; see the module docstring."""
    args = request.args
    crs = params.crs(args.get("crs"))
    lon, lat = params.to_wgs84(
        params.number(args.get("lon"), "lon", low=-180, high=180),
        params.number(args.get("lat"), "lat", low=-90, high=90), crs)
    limit = int(params.number(args.get("limit", 5), "limit", low=1, high=10))
    max_walk_s = params.number(args.get("max_walk_min", 15), "max_walk_min", low=1, high=30) * 60
    at = params.depart_at(args.get("at"), "at") or datetime.now(UTC)
    if at.tzinfo is None:
        raise InvalidInput("at needs a time zone offset, e.g. 2026-11-25T19:00:00+08:00")
    state = app_state()
    # nobody walks faster than 2 m/s for long: a straight-line radius that cannot miss an AED
    rows = aeds_near(state.engine, lon, lat, radius_m=max_walk_s * 2.0, at=at,
                     tz=state.settings.timezone)
    network = state.networks.current()
    usable = rank_by_walk(network, lon, lat, [r for r in rows if r["reason"] is None],
                          limit=limit, max_walk_s=max_walk_s)
    blocked = [r for r in rows if r["reason"] is not None][:30]
    return jsonify(
        type="FeatureCollection", crs=crs, at=at.isoformat(), point=[lon, lat],
        features=[_feature(row, crs, available=True) for row in usable],
        unavailable=[_feature(row, crs, available=False) for row in blocked])


def rank_by_walk(network: Network, lon: float, lat: float, rows: list[dict[str, Any]], *,
                 limit: int, max_walk_s: float) -> list[dict[str, Any]]:
    """The ``limit`` rows reached soonest on foot from ``lon``/``lat`` within ``max_walk_s``,
    each given ``walk_s``, ``walk_m`` and ``route`` (a GeoJSON Feature in WGS84).

    One search from the person gives the time to every AED; only the chosen few are then routed.
    NoRoute when the person stands off the walking network.
    """
    origin = network.snap(lon, lat, WALK)
    search = network.search_from(origin, WALK, limit_s=max_walk_s)
    timed = []
    for row in rows:
        try:
            snap = network.snap(row["lon"], row["lat"], WALK)
        except NoRoute:
            continue  # an AED too far from any footway cannot be walked to
        walk_s = network.arrival_time_s(search, snap, WALK)
        if np.isfinite(walk_s) and walk_s <= max_walk_s:
            timed.append((walk_s, row["id"], row, snap))
    timed.sort(key=lambda item: (item[0], item[1]))
    chosen = []
    for _, _, row, snap in timed[:limit]:
        found = network.route(origin, snap, WALK)
        chosen.append({**row, "walk_s": round(found.time_s, 1),
                       "walk_m": round(found.length_m, 1),
                       "route": {"type": "Feature",
                                 "geometry": shapely.geometry.mapping(
                                     network.to_lonlat(found.geometry)),
                                 "properties": {"mode": WALK,
                                                "duration_s": round(found.time_s, 1),
                                                "length_m": round(found.length_m, 1)}}})
    return chosen


def _feature(row: dict[str, Any], crs: Any, *, available: bool) -> dict[str, Any]:
    row = dict(row)
    lon, lat = params.from_wgs84(row.pop("lon"), row.pop("lat"), crs)
    route = row.pop("route", None)
    row["distance_m"] = round(row["distance_m"], 1)
    feature = {"type": "Feature", "id": row["id"],
               "geometry": {"type": "Point", "coordinates": [lon, lat]},
               "properties": jsonable({**row, "available": available})}
    if route is not None:
        if crs != "wgs84":
            route["geometry"]["coordinates"] = [
                list(params.from_wgs84(x, y, crs)) for x, y in route["geometry"]["coordinates"]]
        feature["route"] = route
    return feature
