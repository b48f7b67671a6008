"""The use cases: what rescuecircle does, framework-free, called by the API and the CLI alike."""
