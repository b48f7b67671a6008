"""The WSGI entry point: ``gunicorn api.wsgi:app`` (docker-compose.yml) and waitress under
``rescuecircle serve``.

The settings are read here, once per worker process, from the environment (``RC_*``) and
``.env``, and handed to the factory; nothing else reads configuration. Log records go to stderr
at ``RC_LOG_LEVEL``, where the WSGI server and the container runtime collect them. Each worker
builds its routing network now, not on the first dispatcher's request.
"""

import logging

from api import EXTENSION_KEY
from api.app import create_app
from rescuecircle.errors import RescueCircleError
from rescuecircle.settings import Settings

settings = Settings()
logging.basicConfig(level=settings.log_level,
                    format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
app = create_app(settings)
try:
    app.extensions[EXTENSION_KEY].networks.current()
except RescueCircleError as exc:
    logging.getLogger(__name__).warning("routing is not ready yet: %s", exc)
