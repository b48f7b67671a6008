"""``rescuecircle serve``: the app under waitress, a production WSGI server, on host:port."""

import logging

import waitress

from api.app import create_app
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
    ):
        print(f"  {base}{path:<30} {what}")
    waitress.serve(app, host=settings.host, port=settings.port, threads=threads,
                   ident="rescuecircle")
