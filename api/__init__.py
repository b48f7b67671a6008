"""The HTTP layer: a Flask app (``api.app.create_app``) with pygeoapi mounted under ``/ogc``.

Handlers parse, call a use case of ``services`` and serialise; the one object they share is the
:class:`services.context.Context` the factory stores on the app, so nothing here reads
configuration itself.
"""

from flask import current_app

from services.context import Context

EXTENSION_KEY = "rescuecircle"


def app_state() -> Context:
    """The context of the app handling the current request."""
    state: Context = current_app.extensions[EXTENSION_KEY]
    return state
