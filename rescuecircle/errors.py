"""Errors every layer raises where it detects them; the API maps them to HTTP statuses."""


class RescueCircleError(Exception):
    """Base of every error this project raises on purpose."""


class InvalidInput(RescueCircleError):
    """The caller gave something unusable: a bad file, coordinate or parameter (HTTP 400)."""


class NotFound(RescueCircleError):
    """A named thing does not exist (HTTP 404)."""


class NoRoute(RescueCircleError):
    """The network has no path between the points asked for (HTTP 422)."""


class Unavailable(RescueCircleError):
    """A service the request needs, such as the database, cannot be reached (HTTP 503)."""


class Unauthorized(RescueCircleError):
    """No valid credentials were given (HTTP 401)."""


class Forbidden(RescueCircleError):
    """The credentials' role may not do this (HTTP 403)."""


class TooManyRequests(RescueCircleError):
    """The client sent more requests than it may in a while (HTTP 429)."""


class Conflict(RescueCircleError):
    """The request does not fit the thing's current state: an alert already answered, an
    incident already closed (HTTP 409)."""
