"""Public holidays in ``rc.public_holiday``, for the ``PH`` rules of AED opening hours.

The days come from the ``holidays`` package (PyPI), which knows each country's days off
(China's included, with the rest days moved by 调休). An AED whose hours say ``PH off`` is closed
on these days; with no days loaded, holiday rules never apply.
"""

from datetime import date

import holidays as calendars
from sqlalchemy import Connection, text

from rescuecircle.errors import InvalidInput


def holidays_of(country: str, years: list[int]) -> dict[date, str]:
    """The public holidays of ``country`` (ISO 3166 code, e.g. CN, US, DE) in ``years``."""
    if not years or any(not 1900 <= y <= 2200 for y in years):
        raise InvalidInput(f"years {years} must be given, each from 1900 to 2200")
    try:
        found = calendars.country_holidays(country.upper(), years=years)
    except NotImplementedError as exc:
        raise InvalidInput(f"country {country!r} has no holiday calendar; use an ISO 3166 "
                           "code such as CN, US or DE") from exc
    return dict(sorted(found.items()))


def store_holidays(conn: Connection, country: str, days: dict[date, str]) -> int:
    """Replace the stored holidays of ``country`` in the years ``days`` covers; returns how
    many are stored."""
    source = f"holidays:{country.upper()}"
    years = sorted({day.year for day in days})
    conn.execute(text(
        "DELETE FROM rc.public_holiday WHERE source = :source "
        "AND extract(year FROM day)::integer = ANY(:years)"), {"source": source, "years": years})
    if days:
        conn.execute(text(
            "INSERT INTO rc.public_holiday (day, name, source) VALUES (:day, :name, :source) "
            "ON CONFLICT (day) DO UPDATE SET name = EXCLUDED.name, source = EXCLUDED.source"),
            [{"day": day, "name": name, "source": source} for day, name in days.items()])
    return len(days)
