"""What each registry kind's rows hold, and the checks that accept or reject a raw record.

A :class:`Kind` names its table, its columns with their types and the spellings found in real
files (``title`` for a name in Tencent data, ``location_details`` in Cologne's, ``tel``...), which
values are required, and the keys that identify one thing (an AED's serial, a volunteer's
certificate number). :func:`clean` turns a :class:`~formats.records.Record` into a row of
column values in WGS84-ready degrees, or raises :class:`Rejected` with the reason a person can
act on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from formats.osm_tags import PoiKind
from formats.records import Record
from formats.venue_tags import VENUE_KINDS


class Rejected(ValueError):
    """A record cannot be loaded; the message is the reason reported for it."""


def _text(value: Any, name: str) -> str:
    return str(value).strip()


def _number(value: Any, name: str) -> float:
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        raise Rejected(f"{name} {value!r} is not a number") from None


def _positive(value: Any, name: str) -> float:
    number = _number(value, name)
    if not number > 0:
        raise Rejected(f"{name} {value!r} must be above 0")
    return number


def _count(value: Any, name: str) -> int:
    number = _number(value, name)
    if number < 0 or number != int(number):
        raise Rejected(f"{name} {value!r} must be a whole number, 0 or more")
    return int(number)


def _day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise Rejected(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _flag(value: Any, name: str) -> bool:
    lower = str(value).strip().lower()
    if lower in ("yes", "true", "1", "y"):
        return True
    if lower in ("no", "false", "0", "n"):
        return False
    raise Rejected(f"{name} {value!r} is not yes or no")


def _names(value: Any, name: str) -> list[str]:
    """A list of short names, from ``a; b`` or ``a, b`` (spaces become underscores)."""
    items = [part.strip().lower().replace(" ", "_")
             for part in str(value).replace(",", ";").split(";") if part.strip()]
    if any(not item.replace("_", "").isalnum() for item in items):
        raise Rejected(f"{name} {value!r} must be names separated by ';'")
    return items


def _moment(value: Any, name: str) -> datetime:
    """An ISO 8601 date-time with its UTC offset: a position's time must not be guessed."""
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise Rejected(f"{name} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise Rejected(f"{name} {value!r} needs a UTC offset, e.g. 2026-11-25T08:00:00+08:00")
    return parsed


def _one_of(*allowed: str) -> Callable[[Any, str], str]:
    def check(value: Any, name: str) -> str:
        lower = str(value).strip().lower()
        if lower not in allowed:
            raise Rejected(f"unknown {name} {value!r} (allowed: {', '.join(allowed)})")
        return lower
    return check


@dataclass(frozen=True)
class Column:
    """A table column, the input names that fill it, and how to read a value."""

    name: str
    aliases: tuple[str, ...] = ()
    parse: Callable[[Any, str], Any] = _text
    required: bool = False


@dataclass(frozen=True)
class Kind:
    """One importable registry layer."""

    name: str
    table: str
    columns: tuple[Column, ...]
    unique_keys: tuple[str, ...] = ()   # one per thing: a repeat in a file is an error
    point: bool = True                  # has a geometry (volunteers do not)
    osm_kind: PoiKind | None = None     # which OSM objects an OSM file yields
    position_table: str | None = None   # where an optional last known position goes

    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


_NAME = Column("name", ("title", "名称"))
AMBULANCE_KINDS = ("basic", "advanced", "critical_care", "negative_pressure", "neonatal",
                   "bariatric")
_ADDRESS = Column("address", ("addr", "地址"))
LEVELS = ("emergency_responder", "junior", "senior")

KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("aeds", "aed", (
        _NAME, Column("ref"), Column("brand", ("manufacturer",)), Column("model"),
        Column("serial", ("serial_number", "serial_no")),
        Column("owner", ("operator",)), Column("contact", ("email", "contact_email")),
        Column("phone", ("tel", "telephone", "contact:phone")), _ADDRESS,
        Column("location_text", ("location_details", "defibrillator:location", "location")),
        Column("indoor", parse=_flag), Column("level"), Column("opening_hours"),
        Column("access"),
        Column("status", parse=_one_of("ready", "fault", "in_use", "out_of_service", "missing")),
        Column("battery_expires_on", ("battery_expiry",), _day),
        Column("pads_expire_on", ("pads_expiry", "pad_expiry"), _day),
        Column("photo_ref", ("photo", "image"))),
        unique_keys=("serial",), osm_kind="aed"),
    Kind("stations", "station", (
        _NAME, Column("ref"), _ADDRESS,
        # rc.station.kind: rural sentinel posts and mobile units load as stations of a kind
        Column("kind", ("type",), _one_of("ambulance", "fire", "sentinel", "mobile"))),
        osm_kind="station"),
    Kind("hospitals", "hospital", (
        _NAME, Column("ref"), Column("grade", ("level", "等级")),
        Column("emergency", ("emergency_department", "ed"), _flag),
        Column("capabilities", ("capability", "specialities"), _names),
        Column("helipad", parse=_flag),
        Column("prenotice_contact", ("prenotice", "notify"))),
        unique_keys=("ref",), osm_kind="hospital"),
    # venues that must have an AED, from a city's own list (kind 'listed' unless given)
    Kind("aed-venues", "aed_venue", (
        _NAME, Column("kind", ("type", "category"), _one_of(*VENUE_KINDS, "listed")),
        Column("daily_visitors", ("visitors", "visitors_per_day"), _positive),
        Column("floor_area_m2", ("floor_area", "area_m2"), _positive), _ADDRESS)),
    Kind("drone-pads", "drone_pad", (
        Column("name", ("title",), required=True),
        Column("status", parse=_one_of("ready", "busy", "out_of_service")),
        Column("range_km", parse=_positive), Column("cruise_speed_kmh", parse=_positive))),
    Kind("helipads", "helipad", (
        Column("name", ("title",), required=True), Column("ref"),
        Column("kind", ("type",), _one_of("helipad", "landing_point", "air_base")),
        Column("status", parse=_one_of("ready", "out_of_service")),
        Column("helicopters", parse=_count),
        Column("spin_up_s", ("spin_up",), _positive),
        Column("cruise_speed_kmh", parse=_positive), Column("range_km", parse=_positive)),
        unique_keys=("ref",)),
    Kind("training-sites", "training_site", (Column("name", ("title",), required=True),
                                             _ADDRESS)),
    Kind("volunteers", "volunteer", (
        Column("name", required=True), Column("phone", ("tel", "mobile")),
        Column("level", parse=_one_of(*LEVELS)),
        Column("availability", parse=_one_of("available", "busy", "off_duty")),
        Column("certified_until", ("certificate_expires_on",), _day),
        Column("certified_on", ("certificate_issued_on", "certified_at"), _day),
        Column("certificate_no", ("certificate", "certificate_id")),
        Column("status", parse=_one_of("pending", "active", "suspended"))),
        unique_keys=("certificate_no", "phone"), point=False,
        position_table="volunteer_position"),
    Kind("ambulances", "ambulance", (
        Column("call_sign", ("callsign", "unit", "name"), required=True),
        # a station's ref or exact name, turned into its id by the loader
        Column("station_id", ("station", "station_ref", "base"), required=True),
        Column("kind", ("type",), _one_of(*AMBULANCE_KINDS)),
        Column("equipment", parse=_names),
        Column("status", parse=_one_of("available", "busy", "out_of_service"))),
        unique_keys=("call_sign",), point=False, position_table="ambulance_position"),
)}


@dataclass
class Row:
    """A checked record: column values, WGS84-to-be position, OSM identity, where it came from."""

    label: str
    values: dict[str, Any]
    lon: float | None
    lat: float | None
    osm_type: str | None = None
    osm_id: int | None = None
    observed_at: datetime | None = None  # when a last known position was seen


def clean(kind: Kind, record: Record) -> Row:
    """The row a record becomes, or Rejected with the reason."""
    values: dict[str, Any] = {}
    for column in kind.columns:
        raw = next((record.fields[n] for n in (column.name, *column.aliases)
                    if record.fields.get(n) not in (None, "")), None)
        if raw is None:
            if column.required:
                raise Rejected(f"missing {column.name}")
            continue
        values[column.name] = column.parse(raw, column.name)
    if kind.name == "aeds" and record.fields.get("postalcode") and "address" in values:
        values["address"] = f"{values['address']}, {record.fields['postalcode']}"
    osm_type, osm_id = record.osm_type, record.osm_id
    if osm_id is None and record.fields.get("osm_node_id") and kind.osm_kind is not None:
        osm_type, osm_id = "n", int(_number(record.fields["osm_node_id"], "osm_node_id"))
    if not kind.point and not kind.position_table:
        return Row(record.label, values, None, None)
    if record.lon in (None, "") and record.lat in (None, "") and not kind.point:
        return Row(record.label, values, None, None)  # no position known: fine
    if record.lon in (None, "") or record.lat in (None, ""):
        raise Rejected("missing coordinates" if kind.point else
                       "a position needs both longitude and latitude")
    lon, lat = _number(record.lon, "longitude"), _number(record.lat, "latitude")
    if not -90 <= lat <= 90:
        raise Rejected(f"latitude {record.lat!r} is outside -90 to 90")
    if not -180 <= lon <= 180:
        raise Rejected(f"longitude {record.lon!r} is outside -180 to 180")
    if kind.point:
        return Row(record.label, values, lon, lat, osm_type, osm_id)
    seen = next((record.fields[n] for n in ("observed_at", "position_at", "seen_at")
                 if record.fields.get(n) not in (None, "")), None)
    observed_at = None if seen is None else _moment(seen, "observed_at")
    return Row(record.label, values, lon, lat, observed_at=observed_at)
