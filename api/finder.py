"""``GET /api/aeds/nearest``: the public AED finder's question, "which AED do I fetch now?".

Public, like the AED layer: ``lon``, ``lat`` (in ``crs``, default wgs84), ``limit`` (1 to 10,
default 5), ``at`` (default now) and ``max_walk_min`` (1 to 30, default 15). The answer is a
FeatureCollection of the AEDs usable at ``at``, fastest walk first, each with ``walk_s``,
``walk_m`` and its walking route (a ``route`` Feature beside its geometry), plus
``unavailable``: AEDs nearby that must *not* be fetched now, each with its reason, so a map can
show them greyed out instead of silently leaving them off.
"""

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.jsonable import jsonable
from api.public_limits import limited
from services import params
from services.finder import nearest_aeds

blueprint = Blueprint("finder", __name__)


@blueprint.get("/api/aeds/nearest")
@limited
def nearest() -> ResponseReturnValue:
    """The nearest usable AEDs by walking time, with routes; see the module docstring."""
    args = request.args
    crs = params.crs(args.get("crs"))
    lon, lat = params.to_wgs84(
        params.number(args.get("lon"), "lon", low=-180, high=180),
        params.number(args.get("lat"), "lat", low=-90, high=90), crs)
    limit = int(params.number(args.get("limit", 5), "limit", low=1, high=10))
    max_walk_s = params.number(args.get("max_walk_min", 15), "max_walk_min", low=1, high=30) * 60
    at = params.aware_time(args.get("at")) or app_state().now()
    found = nearest_aeds(app_state(), lon, lat, at=at, limit=limit, max_walk_s=max_walk_s)
    return jsonify(
        type="FeatureCollection", crs=crs, at=at.isoformat(), point=[lon, lat],
        features=[_feature(row, crs, available=True) for row in found.usable],
        unavailable=[_feature(row, crs, available=False) for row in found.unavailable],
        notes=found.notes)


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
