"""The one place exceptions become HTTP responses: ``{"code": ..., "description": ...}`` in JSON.

Our own errors carry their status (``InvalidInput`` 400 ... ``Unavailable`` 503) and a message
written for the caller. A database that cannot be reached is a 503, so clients retry instead of
giving up; so is a connection lost mid-request and a write that reaches a node a failover has
just made a standby. Bad values caught by PostgreSQL (SQLSTATE class 22) are a 400; only our own
SQL functions' ``22023`` messages, written to name the parameter, reach the client verbatim.
Anything else is a bug: a 500 with a generic message, its traceback in the log and never in the
response, so no SQL text or stack frame leaks. Tracebacks are logged for 5xx only.
"""

import logging
from http import HTTPStatus

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from rescuecircle.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NoRoute,
    NotFound,
    RescueCircleError,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)

LOGGER = logging.getLogger(__name__)

STATUS: dict[type[RescueCircleError], HTTPStatus] = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    Unauthorized: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    NoRoute: HTTPStatus.UNPROCESSABLE_ENTITY,
    TooManyRequests: HTTPStatus.TOO_MANY_REQUESTS,
    Unavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}
INVALID_PARAMETER_VALUE = "22023"  # what our SQL functions raise for bad input
# A write that reached a standby: a pooled connection to a primary Patroni has just demoted
# (read_only_sql_transaction); the next connection goes to the new primary, so retry.
READ_ONLY_TRANSACTION = "25006"
BAD_VALUE = "a value in the request is out of range or of the wrong type"
DATABASE_DOWN = "the database is unavailable; try again shortly"


def register(app: Flask) -> None:
    """Route every exception raised while handling a request through :func:`to_response`."""
    app.register_error_handler(Exception, to_response)


def to_response(exc: Exception) -> Response:
    """The JSON response for ``exc``; logs it, with its traceback when it is a server error."""
    if isinstance(exc, HTTPException):
        response = exc.get_response()  # keeps headers such as Allow on a 405
        body = error_body(type(exc).__name__, exc.description or exc.name)
        response.set_data(jsonify(body).get_data())
        response.content_type = "application/json"
        return _logged(response, exc)
    status, code, description = _classify(exc)
    response = jsonify(error_body(code, description))
    response.status_code = status
    if status == HTTPStatus.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="rescuecircle"'
    return _logged(response, exc)


def error_body(code: str, description: str) -> dict[str, str]:
    """The body of every error response, the shape OGC API exceptions also have."""
    return {"code": code, "description": description}


def _classify(exc: Exception) -> tuple[int, str, str]:
    """Status, code and client-safe description of an exception that is not an HTTPException."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls], cls.__name__, str(exc)
    if isinstance(exc, OperationalError | PoolTimeout) or _lost_primary(exc):
        return HTTPStatus.SERVICE_UNAVAILABLE, "Unavailable", DATABASE_DOWN
    if isinstance(exc, DataError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        diag = getattr(exc.orig, "diag", None)
        message = getattr(diag, "message_primary", None)
        if sqlstate == INVALID_PARAMETER_VALUE and message:
            return HTTPStatus.BAD_REQUEST, "InvalidInput", message
        return HTTPStatus.BAD_REQUEST, "InvalidInput", BAD_VALUE
    return HTTPStatus.INTERNAL_SERVER_ERROR, "InternalServerError", "internal server error"


def _lost_primary(exc: Exception) -> bool:
    """A database error of a failover: the connection died, or the node is a standby now."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return exc.connection_invalidated or sqlstate == READ_ONLY_TRANSACTION


def _logged(response: Response, exc: Exception) -> Response:
    if response.status_code >= 500:
        LOGGER.error("%s answered %d", type(exc).__name__, response.status_code, exc_info=exc)
    else:
        LOGGER.info("%s answered %d: %s", type(exc).__name__, response.status_code, exc)
    return response
