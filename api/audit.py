"""The audit trail of reads of personal data: who read which volunteer, position or dispatch.

Every request to an endpoint that returns volunteers, their positions or dispatches is logged
on the ``rescuecircle.audit`` logger, answered or refused: role, token id and label, method,
path, status and client address. Operators route that logger to storage that outlives the
application's (the law asks who saw a person's data); nothing here stores the data itself.
"""

import logging

from flask import Flask, g, request
from werkzeug.wrappers import Response

LOGGER = logging.getLogger("rescuecircle.audit")

PERSONAL_ENDPOINTS = frozenset({
    "volunteers.listing",
    "volunteers.one",
    "volunteers.promotions_due",
    "volunteers.promote",
    "positions.put_position",
    "positions.post_positions",
    "dispatch.create_dispatch",
    "dispatch.get_dispatch",
    "dispatch.replan",
})


def init_app(app: Flask) -> None:
    """Log each request to a personal-data endpoint once its status is known."""
    app.after_request(_log)


def _log(response: Response) -> Response:
    if request.endpoint in PERSONAL_ENDPOINTS:
        principal = getattr(g, "principal", None)
        LOGGER.info(
            "personal data: role=%s token=%s label=%r %s %s -> %d from %s",
            getattr(g, "role", None), principal.token_id if principal else None,
            principal.label if principal else None, request.method, request.full_path.rstrip("?"),
            response.status_code, request.remote_addr)
    return response
