"""geoalchemy2 models of the ``rc`` schema, for code that works with rows as objects.

The schema itself is made by ``sql/migrations``; these classes mirror it (a test compares them
column by column with the migrated database), they never create tables.
"""

import uuid
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """All models live in schema ``rc``."""

    __table_args__ = {"schema": "rc"}


def _point() -> Any:
    return mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)


def _multipolygon() -> Any:
    return mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
                         nullable=False)


class Network(Base):
    """One network import."""

    __tablename__ = "network"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    synthetic: Mapped[bool] = mapped_column(Boolean)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    edge_count: Mapped[int] = mapped_column(Integer)
    vertex_count: Mapped[int] = mapped_column(Integer)
    bbox: Mapped[Any] = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=False),
                                      nullable=True)


class RoadVertex(Base):
    """An intersection or way end; the id is the OSM node id."""

    __tablename__ = "road_vertex"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    geom: Mapped[Any] = _point()


class RoadEdge(Base):
    """A road segment between two vertices with per-mode costs in seconds (< 0: closed)."""

    __tablename__ = "road_edge"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    osm_way_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[int] = mapped_column(BigInteger, ForeignKey("rc.road_vertex.id"))
    target: Mapped[int] = mapped_column(BigInteger, ForeignKey("rc.road_vertex.id"))
    road_class: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    length_m: Mapped[float] = mapped_column(Float)
    maxspeed_kmh: Mapped[float | None] = mapped_column(Float)
    speed_drive_kmh: Mapped[float] = mapped_column(Float)
    speed_walk_kmh: Mapped[float] = mapped_column(Float)
    speed_bike_kmh: Mapped[float] = mapped_column(Float)
    cost_drive_s: Mapped[float] = mapped_column(Float)
    reverse_cost_drive_s: Mapped[float] = mapped_column(Float)
    cost_walk_s: Mapped[float] = mapped_column(Float)
    reverse_cost_walk_s: Mapped[float] = mapped_column(Float)
    cost_bike_s: Mapped[float] = mapped_column(Float)
    reverse_cost_bike_s: Mapped[float] = mapped_column(Float)
    island_drive: Mapped[bool] = mapped_column(Boolean)
    island_walk: Mapped[bool] = mapped_column(Boolean)
    island_bike: Mapped[bool] = mapped_column(Boolean)
    geom: Mapped[Any] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=False),
                                      nullable=False)


class Station(Base):
    """An ambulance station."""

    __tablename__ = "station"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    ref: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    osm_type: Mapped[str | None] = mapped_column(Text)
    osm_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _point()


class Ambulance(Base):
    """A vehicle based at a station."""

    __tablename__ = "ambulance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.station.id"))
    call_sign: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)


class Hospital(Base):
    """A hospital (from OSM amenity=hospital or a registry)."""

    __tablename__ = "hospital"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    osm_type: Mapped[str | None] = mapped_column(Text)
    osm_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _point()


class Aed(Base):
    """An automated external defibrillator with its registry status."""

    __tablename__ = "aed"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    serial: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    location_text: Mapped[str | None] = mapped_column(Text)
    indoor: Mapped[bool | None] = mapped_column(Boolean)
    level: Mapped[str | None] = mapped_column(Text)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    access: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    battery_expires_on: Mapped[date | None] = mapped_column(Date)
    pads_expire_on: Mapped[date | None] = mapped_column(Date)
    last_inspected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    photo_ref: Mapped[str | None] = mapped_column(Text)
    osm_type: Mapped[str | None] = mapped_column(Text)
    osm_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    geom: Mapped[Any] = _point()
    hours_state: Mapped[str] = mapped_column(Text)
    hours_problems: Mapped[str | None] = mapped_column(Text)
    hours_holiday: Mapped[bool] = mapped_column(Boolean)
    battery_level_pct: Mapped[float | None] = mapped_column(Float)
    last_self_test_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AedOpening(Base):
    """One weekly opening interval of an AED, parsed from its opening_hours when written."""

    __tablename__ = "aed_opening"
    aed_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.aed.id"), primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    opens_min: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    closes_min: Mapped[int] = mapped_column(SmallInteger)


class AedStatusHistory(Base):
    """One AED status change: when, from what to what, why, by whom."""

    __tablename__ = "aed_status_history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    aed_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.aed.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    old_status: Mapped[str | None] = mapped_column(Text)
    new_status: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)


class AedCheck(Base):
    """A device self-test or an inspection, with what the rules found."""

    __tablename__ = "aed_check"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    aed_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.aed.id"))
    kind: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    battery_level_pct: Mapped[float | None] = mapped_column(Float)
    battery_expires_on: Mapped[date | None] = mapped_column(Date)
    pads_expire_on: Mapped[date | None] = mapped_column(Date)
    error_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    outcome: Mapped[str] = mapped_column(Text)
    problems: Mapped[list[str]] = mapped_column(ARRAY(Text))
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str] = mapped_column(Text)
    volunteer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.volunteer.id"))


class AedReport(Base):
    """A public fault report waiting in the inspection queue."""

    __tablename__ = "aed_report"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    aed_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.aed.id"))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    problem: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("rc.aed_check.id"))


class AedUse(Base):
    """One use of an AED, linked to its incident."""

    __tablename__ = "aed_use"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    aed_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.aed.id"))
    incident_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.incident.id"))
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    volunteer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.volunteer.id"))
    outcome: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False),
                                      nullable=True)


class NotificationOutbox(Base):
    """A notification to deliver (an owner's fault alert), with its delivery attempts."""

    __tablename__ = "notification_outbox"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    topic: Mapped[str] = mapped_column(Text)
    event_key: Mapped[str] = mapped_column(Text)
    aed_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.aed.id"))
    recipient: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class DronePad(Base):
    """Where an AED drone takes off."""

    __tablename__ = "drone_pad"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    range_km: Mapped[float] = mapped_column(Float)
    cruise_speed_kmh: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _point()


class TrainingSite(Base):
    """Where volunteers learn CPR and AED use."""

    __tablename__ = "training_site"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _point()


class TrainingSession(Base):
    """A scheduled first-aid course at a training site (public)."""

    __tablename__ = "training_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_site_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.training_site.id"))
    course: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int | None] = mapped_column(Integer)


class Volunteer(Base):
    """A trained volunteer (personal data)."""

    __tablename__ = "volunteer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    availability: Mapped[str] = mapped_column(Text)
    certified_until: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_changed_by: Mapped[str | None] = mapped_column(Text)
    certificate_no: Mapped[str | None] = mapped_column(Text)
    ecert_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class TrainingRecord(Base):
    """A course a volunteer completed (personal data)."""

    __tablename__ = "training_record"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.volunteer.id"))
    course: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(Text)
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(Text)
    training_site_id: Mapped[int | None] = mapped_column(Integer,
                                                         ForeignKey("rc.training_site.id"))


class VolunteerService(Base):
    """A rescue attended or a stretch of duty: what promotion counts (personal data)."""

    __tablename__ = "volunteer_service"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.volunteer.id"))
    kind: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_min: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.incident.id"))
    note: Mapped[str | None] = mapped_column(Text)


class VolunteerPosition(Base):
    """Where a volunteer was, when, and how precisely (personal data)."""

    __tablename__ = "volunteer_position"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.volunteer.id"))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[Any] = _point()


class Incident(Base):
    """A reported emergency."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    category: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    input_crs: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _point()


class Dispatch(Base):
    """The plan decided for an incident."""

    __tablename__ = "dispatch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.incident.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    plan: Mapped[dict[str, Any]] = mapped_column(JSONB)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    candidates: Mapped[dict[str, Any]] = mapped_column(JSONB)
    timings_ms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str | None] = mapped_column(Text)
    replan_of: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.dispatch.id"))


class NoFlyZone(Base):
    """An area drones must not fly over."""

    __tablename__ = "no_fly_zone"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _multipolygon()


class Population(Base):
    """People in a raster cell or a zone."""

    __tablename__ = "population"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    population: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _multipolygon()


class District(Base):
    """A unit planners report KPIs for."""

    __tablename__ = "district"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = _multipolygon()


class ApiToken(Base):
    """A bearer token, stored as its SHA-256 only."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(BYTEA)
    role: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)
    volunteer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rc.volunteer.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Job(Base):
    """An asynchronous process run: status, progress (0-100) and its stored result."""

    __tablename__ = "job"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    process: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    progress: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner_token_id: Mapped[int] = mapped_column(Integer, ForeignKey("rc.api_token.id"))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Street(Base):
    """A named street of the loaded network in one town, for place search (rebuilt by imports)."""

    __tablename__ = "street"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    length_m: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = _point()


class RateHit(Base):
    """Hits of one client against one rate limit in one fixed window (shared by processes)."""

    __tablename__ = "rate_hit"
    bucket: Mapped[str] = mapped_column(Text, primary_key=True)
    client: Mapped[str] = mapped_column(Text, primary_key=True)
    window_no: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)


class PublicHoliday(Base):
    """A public holiday (day off) of the deployment's country, for PH opening-hours rules."""

    __tablename__ = "public_holiday"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class TileSourceVersion(Base):
    """The version of a table vector tiles are made from, bumped by a trigger on every write."""

    __tablename__ = "tile_source_version"
    source_table: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))



# The tile layer tables (migration 0016) are in gis/tile_models.py, which keeps this module under
# the size limit; importing it here registers them with Base, so Base.metadata is all of rc.
from gis import tile_models  # noqa: E402, F401
