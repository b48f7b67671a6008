"""``GET /api/places``: find a street or a named facility by what someone types or hears.

Public: ``q`` (2 to 100 characters), ``limit`` (1 to 20, default 10), optionally ``lon`` and
``lat`` of where the map is (in ``crs``, default wgs84) so nearer places with the same name come
first. Answers a GeoJSON FeatureCollection with ``kind``, ``name`` and ``detail`` per place,
coordinates in ``crs``.
"""

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from gis.places import search_places
from rescuecircle.errors import InvalidInput
from services import params

blueprint = Blueprint("places", __name__)
MIN_QUERY, MAX_QUERY = 2, 100


@blueprint.get("/api/places")
def places() -> ResponseReturnValue:
    """Places whose name or address holds ``q``, best first; see the module docstring."""
    args = request.args
    query = (args.get("q") or "").strip()
    if not MIN_QUERY <= len(query) <= MAX_QUERY:
        raise InvalidInput(f"q must be {MIN_QUERY} to {MAX_QUERY} characters of a street or "
                           f"place name, not {len(query)}")
    limit = int(params.number(args.get("limit", 10), "limit", low=1, high=20))
    crs = params.crs(args.get("crs"))
    near = None
    if args.get("lon") is not None or args.get("lat") is not None:
        near = params.to_wgs84(
            params.number(args.get("lon"), "lon", low=-180, high=180),
            params.number(args.get("lat"), "lat", low=-90, high=90), crs)
    found = search_places(app_state().engine, query, near=near, limit=limit)
    return jsonify(type="FeatureCollection", crs=crs, features=[
        _feature(p.kind, p.id, p.name, p.detail, *params.from_wgs84(p.lon, p.lat, crs))
        for p in found])


def _feature(kind: str, place_id: int, name: str, detail: str | None, lon: float,
             lat: float) -> dict[str, Any]:
    return {"type": "Feature", "id": f"{kind}.{place_id}",
            "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
            "properties": {"kind": kind, "name": name, "detail": detail}}
