"""The project-local PostgreSQL cluster's administration (``rescuecircle db init|start|stop``)."""
