"""geoalchemy2 models of the ``rc`` schema, for code that works with rows as objects.

The schema itself is made by ``sql/migrations``; these classes mirror it (a test compares them
column by column with the migrated database), they never create tables.
"""

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import BYTEA, JSONB
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
