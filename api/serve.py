"""``rescuecircle serve``: the app under waitress, a production WSGI server, on host:port."""

import logging

import waitress

from api import EXTENSION_KEY
from api.app import create_app
from rescuecircle.errors import RescueCircleError
from rescuecircle.settings import Settings


def serve(settings: Settings, *, threads: int) -> None:
    """Log at ``settings.log_level``, print the main URLs and serve until interrupted."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings)
    base = settings.base_url
    print(f"rescuecircle serving on {base}/ with {threads} threads")
    for path, what in (
        ("/", "landing page"),
        ("/health", "database and network status"),
        ("/ogc", "OGC API - Features"),
        ("/ogc/collections/aeds/items", "AEDs as GeoJSON"),
        ("/ogc/processes", "OGC API - Processes: isochrone, route"),
        ("/routes", "OGC API - Routes (POST)"),
    ):
        print(f"  {base}{path:<30} {what}")
    try:  # build the routing network now, not on the first dispatcher's request
        app.extensions[EXTENSION_KEY].networks.current()
    except RescueCircleError as exc:
        print(f"  routing is not ready yet: {exc}")
    waitress.serve(app, host=settings.host, port=settings.port, threads=threads,
                   ident="rescuecircle")
