"""OGC API - Features - Part 4 (create, replace, delete) under ``/ogc``, for admins.

``POST /ogc/collections/{c}/items`` (201, Location), ``PUT`` and ``DELETE
/ogc/collections/{c}/items/{id}`` (204) on stations, hospitals, drone pads and training sites;
reading stays with pygeoapi. The routes match only those collections, so on any other the
answer is a 405 whose ``Allow`` (like ``OPTIONS``) names only the methods served: AEDs are
edited through their registry (``/api/aeds``), the rest not at all. Tiles and Features show a
change at once (table versions bump on every write).
"""

from http import HTTPStatus

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from gis.feature_edit import EDITABLE, create_feature, delete_feature, replace_feature
from services import params

blueprint = Blueprint("feature_edit", __name__, url_prefix="/ogc")
COLLECTION = f"<any({', '.join(EDITABLE)}):collection>"  # the editable collections only


@blueprint.post(f"/collections/{COLLECTION}/items")
@require_roles("admin")
def create(collection: str) -> ResponseReturnValue:
    """Add a feature: a GeoJSON Feature with a Point; answers its id and Location."""
    item_id = create_feature(app_state().engine, collection,
                             params.json_body(request.get_json(silent=True)))
    location = f"{app_state().settings.base_url}/ogc/collections/{collection}/items/{item_id}"
    return jsonify(id=item_id), HTTPStatus.CREATED, {"Location": location}


@blueprint.put(f"/collections/{COLLECTION}/items/<int:item_id>")
@require_roles("admin")
def replace(collection: str, item_id: int) -> ResponseReturnValue:
    """Replace a feature's geometry and properties."""
    replace_feature(app_state().engine, collection, item_id,
                    params.json_body(request.get_json(silent=True)))
    return Response(status=HTTPStatus.NO_CONTENT)


@blueprint.delete(f"/collections/{COLLECTION}/items/<int:item_id>")
@require_roles("admin")
def delete(collection: str, item_id: int) -> ResponseReturnValue:
    """Delete a feature."""
    delete_feature(app_state().engine, collection, item_id)
    return Response(status=HTTPStatus.NO_CONTENT)
