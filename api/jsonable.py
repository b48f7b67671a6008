"""JSON-ready values: ISO 8601 dates and times (Flask's default writes RFC 822), UUIDs as text."""

import uuid
from datetime import date, datetime
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with dates, times and UUIDs inside dicts and lists turned into strings."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
