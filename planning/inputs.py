"""What planning computes from, as plain data: districts, facilities and people as points,
and stored incidents' timelines for quality control.

Kept apart from the computations so ``gis/`` can build these without importing ``routing``.
"""

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from shapely import Geometry


@dataclass(frozen=True)
class District:
    """A district: its name, kind (urban or rural) and outline (WGS84)."""

    name: str
    kind: str
    geometry: Geometry


@dataclass(frozen=True, eq=False)
class Points:
    """Points in WGS84 with named per-point values."""

    lon: np.ndarray
    lat: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Venue:
    """A duty venue: where it is (WGS84), what it is, and its outline when mapped as an area."""

    id: int
    name: str | None
    kind: str
    lon: float
    lat: float
    outline: Geometry | None = None   # an AED inside it serves the venue


def no_points() -> Points:
    """An empty layer."""
    return Points(np.zeros(0), np.zeros(0))


# Station kinds (rc.station.kind): ambulance stations and fire stations as co-located posts
# send ambulances; sentinel posts (fixed, village clinics) and mobile units' standby points
# (docks) are the rural "fixed + mobile" posts, counted apart.
BASE_KINDS = ("ambulance", "fire")
POST_KINDS = ("sentinel", "mobile")


@dataclass(frozen=True, eq=False)
class PlanningInputs:
    """Everything a KPI table is computed from."""

    stations: Points       # values: ambulances, negative_pressure (kinds BASE_KINDS)
    aeds: Points           # values: id, available (at the chosen time), usable (that day)
    drone_pads: Points     # values: range_km, cruise_speed_kmh
    people: Points         # values: people
    no_fly: tuple[Geometry, ...] = ()   # zones drones must not cross (WGS84)
    posts: Points = field(default_factory=no_points)   # values: kind, ambulances (POST_KINDS)
    venues: tuple[Venue, ...] = ()   # places that must have an AED
    # emergency departments; values: capabilities (a tuple of names per hospital)
    hospitals: Points = field(default_factory=no_points)
    training_sites: Points = field(default_factory=no_points)

    def available_aeds(self) -> Points:
        """The AEDs usable at the chosen time (all of them when availability is not given)."""
        available = self.aeds.values.get("available", np.ones(len(self.aeds.lon), bool))
        keep = np.asarray(available, bool)
        return Points(self.aeds.lon[keep], self.aeds.lat[keep])

    def usable_aeds(self) -> Points:
        """The public, usable AEDs (ready, in date, public access; opening hours aside): what
        the AEDs-per-100,000 standard and the duty venues count (all when not given)."""
        usable = self.aeds.values.get("usable", np.ones(len(self.aeds.lon), bool))
        keep = np.asarray(usable, bool)
        return Points(self.aeds.lon[keep], self.aeds.lat[keep])


@dataclass(frozen=True)
class UnitTimes:
    """An ambulance sent to an incident: its call sign, when it was dispatched and when it
    reached the patient (aware date-times; None when not recorded)."""

    unit: str
    dispatched_at: datetime | None
    arrived_at: datetime | None


@dataclass(frozen=True)
class IncidentTimeline:
    """One stored incident as quality control reads it from its events (aware date-times)."""

    incident_id: int
    call_type: str                 # the dispatch category, "untriaged" without one
    district: str                  # "" outside every district
    received_at: datetime
    answered_at: datetime | None
    volunteer_arrived_at: datetime | None   # the first volunteer on scene
    aed_at_patient_at: datetime | None      # the first AED at the patient
    outcome: str | None                     # None while open
    rosc: bool | None
    ambulances: tuple[UnitTimes, ...]
