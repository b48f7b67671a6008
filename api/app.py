"""The Flask application factory, after flaskr: settings come in, an app goes out.

Nothing here or in the modules it wires reads configuration: :func:`create_app` receives the
Settings read once at start-up (CLI, WSGI entry point or test) and hands them down.
"""

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from api import (
    EXTENSION_KEY,
    aeds,
    ambulances,
    app_state,
    audit,
    auth,
    cors,
    dispatch,
    errors,
    exports,
    feature_edit,
    finder,
    health,
    incidents,
    jobs,
    ogc,
    ogc_tiles,
    openapi,
    ors,
    places,
    planning,
    positions,
    processes,
    proposals,
    public_limits,
    responder,
    routes,
    tiles,
    training,
    travel,
    volunteers,
    web,
)
from api.alert_clock import AlertClock
from rescuecircle import __version__
from rescuecircle.settings import Settings
from services.context import Context


def create_app(settings: Settings, *, engine: Engine | None = None) -> Flask:
    """The rescuecircle app over one :class:`Context`; ``engine`` defaults to one built from
    ``settings``.

    The database is not contacted here, so the app starts while it is down and says so on
    ``/health``; pygeoapi's collections use their own connection pool to the same database
    (to the replica, with the finder, tiles and exports, when RC_DATABASE_READ_URL is set).
    """
    app = Flask(__name__, static_folder=None)
    if settings.trusted_proxies:  # the client's address, not the proxy's, for limits and audit
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    state = Context.from_settings(settings, engine=engine)
    app.extensions[EXTENSION_KEY] = state
    errors.register(app)
    cors.init_app(app, settings)
    audit.init_app(app)
    app.before_request(auth.authenticate)
    public_limits.init_app(app, state)
    app.add_url_rule("/", view_func=landing_page)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(processes.blueprint)
    jobs.init_app(app, state)
    app.register_blueprint(routes.blueprint)
    app.register_blueprint(travel.blueprint)
    app.register_blueprint(ors.blueprint)
    app.register_blueprint(positions.blueprint)
    app.register_blueprint(dispatch.blueprint)
    app.register_blueprint(incidents.blueprint)
    app.register_blueprint(responder.blueprint)
    app.extensions["rc_alert_clock"] = AlertClock(state)
    app.register_blueprint(aeds.create_blueprint(settings, state.engine))
    app.register_blueprint(volunteers.blueprint)
    app.register_blueprint(volunteers.create_application_blueprint(state))
    app.register_blueprint(training.blueprint)
    app.register_blueprint(proposals.create_blueprint(state))
    app.register_blueprint(ambulances.blueprint)
    app.register_blueprint(planning.blueprint)
    app.register_blueprint(ogc.create_blueprint(settings, state.reads))
    app.register_blueprint(feature_edit.blueprint)
    app.register_blueprint(exports.blueprint)
    app.register_blueprint(openapi.blueprint)
    app.register_blueprint(finder.blueprint)
    app.register_blueprint(places.blueprint)
    app.register_blueprint(web.blueprint)
    tiles.init_app(app, state.reads)
    app.register_blueprint(ogc_tiles.blueprint)
    return app


def landing_page() -> ResponseReturnValue:
    """What this server offers, as links."""
    base = app_state().settings.base_url
    return jsonify(
        title="rescuecircle",
        version=__version__,
        links=[
            {"rel": "self", "href": f"{base}/", "title": "this document"},
            {"rel": "status", "href": f"{base}/health", "title": "database and network status"},
            {"rel": "data", "href": f"{base}{ogc.PREFIX}", "title": "OGC API - Features"},
            {"rel": "item", "href": f"{base}{ogc.PREFIX}/collections/aeds/items",
             "title": "AEDs as GeoJSON"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
             "href": f"{base}/tiles", "title": "vector tiles (OGC API - Tiles, TileJSON)"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
             "href": f"{base}/tileMatrixSets", "title": "tile matrix sets"},
            {"rel": "service-desc", "href": f"{base}/openapi.json",
             "type": "application/vnd.oai.openapi+json;version=3.0",
             "title": "OpenAPI 3.0 of the endpoints outside /ogc"},
            {"rel": "conformance", "href": f"{base}/conformance",
             "title": "OGC API - Tiles conformance"},
            {"rel": "related", "href": f"{base}/api/whoami", "title": "the caller's role"},
        ],
    )
