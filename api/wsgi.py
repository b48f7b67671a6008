"""The WSGI entry point for production servers: ``gunicorn api.wsgi:app``.

The settings are read here, once per worker process, from the environment (``RC_*``) and
``.env``, and handed to the factory; nothing else reads configuration. Log records go to stderr
at ``RC_LOG_LEVEL``, where the WSGI server and the container runtime collect them.
"""

import logging

from api.app import create_app
from rescuecircle.settings import Settings

settings = Settings()
logging.basicConfig(level=settings.log_level,
                    format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
app = create_app(settings)
