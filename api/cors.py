"""Cross-origin access for the browser pages of other sites, from an allow-list in settings.

``RC_CORS_ORIGINS`` lists the origins whose pages may call the API (``["*"]``: any). Credentials
are bearer tokens sent by the page's own script, never cookies, so no ``Allow-Credentials``: a
foreign page can use only a token it already holds. With the list empty (the default) no CORS
header is sent and browsers keep cross-origin pages out, as before.
"""

from flask import Flask, request
from werkzeug.wrappers import Response

from rescuecircle.settings import Settings

ALLOWED_HEADERS = "Authorization, Content-Type"
MAX_AGE_S = "600"  # how long a browser may reuse a preflight answer


def init_app(app: Flask, settings: Settings) -> None:
    """Add the CORS headers to responses for allowed origins (preflights included)."""
    origins = frozenset(settings.cors_origins)
    if not origins:
        return

    def add_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin is None or not ("*" in origins or origin in origins):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
        response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = response.headers.get(
                "Allow", "GET, POST, PUT, PATCH")
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE_S
        return response

    app.after_request(add_headers)
