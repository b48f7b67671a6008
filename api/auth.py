"""Bearer-token authentication and role checks.

Every request is authenticated before it is handled: no ``Authorization`` header means the role
``public``; ``Authorization: Bearer TOKEN`` with a valid, unrevoked token means that token's role;
anything else (another scheme, a malformed header, an unknown or revoked token) is a 401, never
a silent fall-back to ``public``. The outcome is on ``flask.g``: ``g.role`` and ``g.principal``
(``None`` for the public). Endpoints declare who may call them with :func:`require_roles`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from api import app_state
from gis.tokens import lookup_token
from rescuecircle.errors import Forbidden, Unauthorized

PUBLIC = "public"

blueprint = Blueprint("auth", __name__)


def authenticate() -> None:
    """Set ``g.role`` and ``g.principal`` from the request's credentials (a before-request hook)."""
    header = request.headers.get("Authorization")
    if header is None:
        g.role, g.principal = PUBLIC, None
        return
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    principal = lookup_token(app_state().engine, token)
    if principal is None:
        raise Unauthorized("the token is unknown or revoked")
    g.role, g.principal = principal.role, principal


def require_roles(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let only the given roles call the decorated view: 401 without a token, 403 with another.

    Example::

        @blueprint.get("/api/dispatches")
        @require_roles("dispatcher", "admin")
        def dispatches(): ...
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if g.role not in roles:
                if g.principal is None:
                    raise Unauthorized(f"this needs a token of role {' or '.join(roles)}")
                raise Forbidden(f"role {g.role} may not do this; it needs {' or '.join(roles)}")
            return view(*args, **kwargs)

        return guarded

    return decorator


@blueprint.get("/api/whoami")
def whoami() -> ResponseReturnValue:
    """The caller's role (and token label), so clients can check the token they hold."""
    principal = g.principal
    return jsonify(
        role=g.role,
        label=principal.label if principal else None,
        volunteer_id=principal.volunteer_id if principal else None,
    )


def actor() -> str:
    """Who the request speaks for, as status histories record it: ``role:label`` or
    ``role:#id`` (``role`` alone without a token)."""
    principal = g.principal
    if principal is None:
        return str(g.role)
    return f"{g.role}:{principal.label or f'#{principal.token_id}'}"
