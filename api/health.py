"""``GET /health``: is the database reachable, which PostGIS and pgRouting, how big a network,
and which time zone local times are read in (``timezone.from``: RC_TIMEZONE or network);
``GET /api/status`` (admins): the readiness of the loaded city, feature by feature.

200 when the database answers and has our schema, 503 otherwise, so a load balancer or
``docker compose`` health check takes the instance out of service while the database is down.
With RC_DATABASE_READ_URL set, ``reads`` says whether the public reads' database answers and
is a standby; it must answer too.
"""

from http import HTTPStatus

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import require_roles
from api.jsonable import jsonable
from gis.status import database_status, reads_status
from rescuecircle import __version__
from services.status import readiness

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health() -> ResponseReturnValue:
    """Database status (see ``gis.status.database_status``) and the application's version."""
    state = app_state()
    status = database_status(state.engine)
    ready = status["database"] == "ok" and status["schema_version"] > 0
    if state.read_engine is not None:
        status["reads"] = reads_status(state.read_engine)
        ready = ready and status["reads"]["database"] == "ok"
    code = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
    return jsonify(version=__version__, **status), code


@blueprint.get("/api/status")
@require_roles("admin")
def city_status() -> ResponseReturnValue:
    """What is loaded and, per feature, whether it can run and what it lacks."""
    return jsonify(jsonable(readiness(app_state())))
