"""Rate limits for callers without a token on the endpoints that compute (routing, exports).

A public map or a bot may ask for isochrones, routes, the nearest AED or exports as often as it
likes; each costs a graph search or a file write, so one address gets ``RC_PUBLIC_COMPUTE_PER_MIN``
of them a minute (429 beyond). Callers with a token (dispatch consoles, volunteers' apps) are
never limited here: a dispatcher must not be slowed in an emergency. Features, tiles and pages
are cheap indexed reads and stay unlimited. Counts are shared by every server process (see
``api.rate_limit``).
"""

from flask import Flask, g, request

from api.auth import PUBLIC
from api.rate_limit import RateLimiter
from services.context import Context

COMPUTING_ENDPOINTS = frozenset({
    "processes.execute_process",
    "routes.compute_route",
    "travel.isochrones",
    "travel.travel_matrix",
    "ors.isochrones",
    "ors.matrix",
    "ors.directions_json",
    "ors.directions_geojson",
    "ors.directions_get",
    "finder.nearest",
    "exports.layer_file",
    "exports.station_coverage_file",
    "exports.travel_time_file",
    "training.nearest",
    "training.enrol",           # writes: a flood of sign-ups must not fill every course
})


def init_app(app: Flask, state: Context) -> None:
    """Count public requests to computing endpoints; register after authentication."""
    limiter = RateLimiter(state.engine, "public_compute", state.settings.public_compute_per_min,
                          window_s=60, what="computations (routes, isochrones, exports)")

    def check() -> None:
        if g.role == PUBLIC and request.endpoint in COMPUTING_ENDPOINTS:
            limiter.hit(request.remote_addr or "unknown")

    app.before_request(check)
