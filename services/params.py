"""Raw values (JSON members, query strings, command-line text) into typed inputs, for the API
and the CLI alike: each function returns a clean value or raises InvalidInput naming the
parameter, the value and what is allowed."""

import math
from datetime import date, datetime
from typing import Any

from formats import china_crs
from rescuecircle.errors import InvalidInput
from routing.arrays import MODES
from routing.direction import DIRECTIONS, Direction

CRS_NAMES = china_crs.CRS_NAMES


def json_body(raw: Any) -> dict[str, Any]:
    """The request's JSON object; InvalidInput for anything else."""
    if not isinstance(raw, dict):
        raise InvalidInput("the request body must be a JSON object")
    return raw


def number(value: Any, name: str, *, low: float, high: float) -> float:
    """A finite number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{name} must be a number between {low:g} and {high:g}")
    try:
        parsed = float(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(parsed) or not low <= parsed <= high:
        raise InvalidInput(f"{name} = {value!r} is outside the allowed range {low:g} to {high:g}")
    return parsed


def point(value: Any, name: str) -> tuple[float, float]:
    """A ``[lon, lat]`` pair in degrees."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidInput(f"{name} must be [longitude, latitude], not {value!r}")
    return (number(value[0], f"{name} longitude", low=-180, high=180),
            number(value[1], f"{name} latitude", low=-90, high=90))


def points(value: Any, name: str, *, most: int) -> list[tuple[float, float]]:
    """A list of 1 to ``most`` ``[lon, lat]`` pairs; each bad one named by its index."""
    if not isinstance(value, list) or not 1 <= len(value) <= most:
        raise InvalidInput(f"{name} must be a list of 1 to {most} [longitude, latitude] pairs")
    return [point(item, f"{name}[{i}]") for i, item in enumerate(value)]


def direction(value: Any) -> Direction:
    """Which way travel times run: "from" the points (the default) or "to" them."""
    for known in DIRECTIONS:
        if value == known:
            return known
    raise InvalidInput(f"direction {value!r} is unknown; use from (leaving the points) or to "
                       "(arriving at them)")


def mode(value: Any, *, allowed: tuple[str, ...] = MODES) -> str:
    """A travel mode among ``allowed``."""
    if value not in allowed:
        raise InvalidInput(f"mode {value!r} is unknown; use one of {', '.join(allowed)}")
    return str(value)


def minutes_list(value: Any) -> list[float]:
    """A non-empty list of minutes, each from 1 to 60 (a comma-separated string is accepted)."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not value:
        raise InvalidInput("minutes must be a non-empty list of values between 1 and 60")
    if len(value) > 12:
        raise InvalidInput(f"minutes lists {len(value)} values; at most 12 are allowed")
    return sorted({number(v, "minutes", low=1, high=60) for v in value})


def depart_at(value: Any, name: str = "depart_at") -> datetime | None:
    """An ISO 8601 date-time (``name`` is the parameter, for the message), or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be an ISO 8601 date-time string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not an ISO 8601 date-time") from None


def aware_time(value: Any, name: str = "at") -> datetime | None:
    """An ISO 8601 date-time with its UTC offset, or None: the one parser of every ``at``.

    A time without an offset is refused rather than guessed: opening hours, rush hours and
    "fresh" positions all depend on which zone it was meant in.
    """
    parsed = depart_at(value, name)
    if parsed is not None and parsed.tzinfo is None:
        raise InvalidInput(f"{name} {value!r} needs a UTC offset, e.g. 2026-11-25T08:00:00+08:00")
    return parsed


def hour(value: Any, name: str = "hour") -> int | None:
    """A whole hour of the day, 0 to 23, or None."""
    if value is None:
        return None
    parsed = number(value, name, low=0, high=23)
    if parsed != int(parsed):
        raise InvalidInput(f"{name} = {value!r} must be a whole hour from 0 to 23")
    return int(parsed)


def crs(value: Any) -> china_crs.Crs:
    """A coordinate system: wgs84 (the default), or China's gcj02 (Tencent, Amap) or bd09
    (Baidu)."""
    name = "wgs84" if value is None else str(value).lower()
    for known in CRS_NAMES:
        if name == known:
            return known
    raise InvalidInput(f"crs {value!r} is unknown; use one of {', '.join(CRS_NAMES)}")


def to_wgs84(lon: float, lat: float, crs_name: china_crs.Crs) -> tuple[float, float]:
    """A point given in ``crs_name`` as WGS84 degrees (unchanged outside China)."""
    if crs_name == "wgs84":
        return lon, lat
    x, y = china_crs.to_wgs84(lon, lat, crs_name)
    return float(x), float(y)


def from_wgs84(lon: float, lat: float, crs_name: china_crs.Crs) -> tuple[float, float]:
    """A WGS84 point in ``crs_name``, for clients drawing on Chinese basemaps."""
    x, y = china_crs.from_wgs84(lon, lat, crs_name)
    return float(x), float(y)


def day(value: Any, name: str) -> date | None:
    """An ISO 8601 date (YYYY-MM-DD), or None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def bbox(value: Any, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in WGS84 degrees, or None."""
    if value is None:
        return None
    parts = str(value).split(",")
    if len(parts) != 4:
        raise InvalidInput(f"{name} {value!r} must be west,south,east,north in degrees")
    west, east = (number(parts[i], f"{name} longitude", low=-180, high=180) for i in (0, 2))
    south, north = (number(parts[i], f"{name} latitude", low=-90, high=90) for i in (1, 3))
    if west >= east or south >= north:
        raise InvalidInput(f"{name} {value!r}: west must be below east, south below north")
    return west, south, east, north
