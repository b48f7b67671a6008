"""The HTTP layer: a Flask app (``api.app.create_app``) with pygeoapi mounted under ``/ogc``.

Handlers parse, delegate to ``gis``/``routing`` and serialise; the one object they share is the
:class:`AppState` the factory stores on the app, so nothing here reads configuration itself.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine

from rescuecircle.settings import Settings
from services.network import NetworkProvider

EXTENSION_KEY = "rescuecircle"


@dataclass(frozen=True)
class AppState:
    """What every request may need: the settings read at start-up, the engine, the network."""

    settings: Settings
    engine: Engine
    networks: NetworkProvider


def app_state() -> AppState:
    """The state of the app handling the current request."""
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state
