"""Rate limits for callers without a token on the endpoints that compute (routing, exports).

A public map or a bot may ask for isochrones, routes, the nearest AED or exports as often as it
likes; each costs a graph search or a file write, so one address gets ``RC_PUBLIC_COMPUTE_PER_MIN``
of them a minute (429 beyond). Callers with a token (dispatch consoles, volunteers' apps) are
never limited here: a dispatcher must not be slowed in an emergency. Features, tiles and pages
are cheap indexed reads and stay unlimited. Counts are shared by every server process (see
``api.rate_limit``).

A computing handler is wrapped in :func:`limited` *inside* its role check, so the order is
authentication, then authorisation, then the count: a request the handler refuses anyway (an
analyst-only export without a token) is a 401, never a 429, and does not use up the address's
allowance.
"""

from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, g, request

from api.auth import PUBLIC
from api.rate_limit import RateLimiter
from services.context import Context

EXTENSION_KEY = "rescuecircle.public_limits"


def init_app(app: Flask, state: Context) -> None:
    """Give the app its limiter of public computations."""
    app.extensions[EXTENSION_KEY] = RateLimiter(
        state.engine, "public_compute", state.settings.public_compute_per_min, window_s=60,
        what="computations (routes, isochrones, exports)")


def limited[**P, R](view: Callable[P, R]) -> Callable[P, R]:
    """Count each public call of ``view`` (TooManyRequests beyond the limit) before it runs."""

    @wraps(view)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        if g.role == PUBLIC:
            limiter: RateLimiter = current_app.extensions[EXTENSION_KEY]
            limiter.hit(request.remote_addr or "unknown")
        return view(*args, **kwargs)

    return counted

