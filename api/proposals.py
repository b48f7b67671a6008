"""AED proposals: ``POST /api/aed-proposals`` (anyone, multipart form with an optional
``photo``; rate-limited per address like fault reports), ``GET /api/aed-proposals`` (the
moderation queue: admins, and owners for their own AEDs), ``GET
/api/aed-proposals/{id}/photo`` (the photo sent, for that moderator), ``POST
/api/aed-proposals/{id}/accept|reject`` and ``GET /api/photos/{id}`` (published photos)."""

from http import HTTPStatus

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from api.auth import actor, require_roles
from api.jsonable import jsonable
from api.rate_limit import RateLimiter
from rescuecircle.errors import InvalidInput
from services import params, proposals
from services.context import Context

MODERATORS = ("owner", "admin")


def create_blueprint(state: Context) -> Blueprint:
    """The routes, with a per-address limit on proposals (shared by all processes)."""
    blueprint = Blueprint("proposals", __name__)
    limit = RateLimiter(state.engine, "aed_proposals", state.settings.report_limit_per_hour,
                        window_s=3600)

    @blueprint.post("/api/aed-proposals")
    def propose() -> ResponseReturnValue:
        """A new AED or a change, with an optional photo; 201, pending moderation."""
        if g.role == "public":
            limit.hit(request.remote_addr or "unknown")
        upload = request.files.get("photo")
        form = {key: str(value) for key, value in request.form.items()}
        if not form and request.is_json:
            raise InvalidInput("send a multipart form (fields and an optional photo file)")
        found = proposals.propose(app_state(), form, upload.read() if upload else None)
        return jsonify(found), HTTPStatus.CREATED

    @blueprint.get("/api/aed-proposals")
    @require_roles(*MODERATORS)
    def queue() -> ResponseReturnValue:
        """The pending proposals this moderator may decide."""
        return jsonify(jsonable(proposals.queue(app_state(), _organisation())))

    @blueprint.post("/api/aed-proposals/<int:proposal_id>/<decision>")
    @require_roles(*MODERATORS)
    def decide(proposal_id: int, decision: str) -> ResponseReturnValue:
        """``accept`` or ``reject`` (``{"reason"}``)."""
        if decision not in ("accept", "reject"):
            raise InvalidInput(f"decision {decision!r} is unknown; use accept or reject")
        body = params.json_body(request.get_json(silent=True) or {})
        return jsonify(proposals.decide(app_state(), proposal_id, body,
                                        accept=decision == "accept", actor=actor(),
                                        organisation_id=_organisation()))

    @blueprint.get("/api/aed-proposals/<int:proposal_id>/photo")
    @require_roles(*MODERATORS)
    def proposal_photo(proposal_id: int) -> ResponseReturnValue:
        """The photo sent with a proposal, shown to its moderator before deciding; never
        cached (it is not public until accepted)."""
        data, media_type = proposals.moderator_photo(app_state(), proposal_id, _organisation())
        return Response(data, mimetype=media_type, headers={"Cache-Control": "no-store"})

    @blueprint.get("/api/photos/<int:photo_id>")
    def photo(photo_id: int) -> ResponseReturnValue:
        """A published photo."""
        data, media_type = proposals.photo(app_state(), photo_id)
        return Response(data, mimetype=media_type,
                        headers={"Cache-Control": "public, max-age=86400"})

    return blueprint


def _organisation() -> int | None:
    """The owner's organisation; None for an admin (every proposal)."""
    return g.principal.organisation_id if g.role == "owner" else None
