"""OGC API - Features - Part 4 (create, replace, delete) under ``/ogc``, for admins.

``POST /ogc/collections/{c}/items`` (201, Location), ``PUT`` and ``DELETE
/ogc/collections/{c}/items/{id}`` (204) on stations, hospitals, drone pads and training sites;
reading stays with pygeoapi. AEDs are edited through their registry (``/api/aeds``): a 405
says so. Tiles and Features show a change at once (table versions bump on every write).
"""

from http import HTTPStatus

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import MethodNotAllowed

from api import app_state
from api.auth import require_roles
from gis.feature_edit import create_feature, delete_feature, replace_feature
from services import params

blueprint = Blueprint("feature_edit", __name__, url_prefix="/ogc")
REGISTRY = {"aeds": "/api/aeds"}


def _editable(collection: str) -> None:
    if collection in REGISTRY:
        raise MethodNotAllowed(valid_methods=["GET"], description=(
            f"{collection} are edited through their registry, {REGISTRY[collection]}"))


@blueprint.post("/collections/<collection>/items")
@require_roles("admin")
def create(collection: str) -> ResponseReturnValue:
    """Add a feature: a GeoJSON Feature with a Point; answers its id and Location."""
    _editable(collection)
    item_id = create_feature(app_state().engine, collection,
                             params.json_body(request.get_json(silent=True)))
    location = f"{app_state().settings.base_url}/ogc/collections/{collection}/items/{item_id}"
    return jsonify(id=item_id), HTTPStatus.CREATED, {"Location": location}


@blueprint.put("/collections/<collection>/items/<int:item_id>")
@require_roles("admin")
def replace(collection: str, item_id: int) -> ResponseReturnValue:
    """Replace a feature's geometry and properties."""
    _editable(collection)
    replace_feature(app_state().engine, collection, item_id,
                    params.json_body(request.get_json(silent=True)))
    return Response(status=HTTPStatus.NO_CONTENT)


@blueprint.delete("/collections/<collection>/items/<int:item_id>")
@require_roles("admin")
def delete(collection: str, item_id: int) -> ResponseReturnValue:
    """Delete a feature."""
    _editable(collection)
    delete_feature(app_state().engine, collection, item_id)
    return Response(status=HTTPStatus.NO_CONTENT)
