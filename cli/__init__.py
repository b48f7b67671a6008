"""The ``rescuecircle`` command line: parses arguments, calls the services, prints or writes."""
