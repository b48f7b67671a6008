"""REST routes for isochrones and matrices: ``POST /api/isochrones`` and ``POST /api/matrix``.

The body is the inputs of the OGC processes ``isochrone`` and ``matrix`` without their
``{"inputs": ...}`` wrapper, run by the same code (``api.processes.execute_inputs``): the same
answers, the same errors, and a job with ``Prefer: respond-async`` for a large matrix.
"""

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from api.processes import PROCESSES, execute_inputs
from api.public_limits import limited
from services import params

blueprint = Blueprint("travel", __name__)


@blueprint.post("/api/isochrones")
@limited
def isochrones() -> ResponseReturnValue:
    """Isochrone bands from or to a point, or of several facilities (see process isochrone)."""
    return execute_inputs(PROCESSES["isochrone"], params.json_body(request.get_json(silent=True)))


@blueprint.post("/api/matrix")
@limited
def travel_matrix() -> ResponseReturnValue:
    """Seconds and metres from sources to targets (see process matrix)."""
    return execute_inputs(PROCESSES["matrix"], params.json_body(request.get_json(silent=True)))
