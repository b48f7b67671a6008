"""Helicopters: the drone flight model (straight line at cruise speed, overheads, range) with a
helicopter's figures, from air-ambulance bases to the patient or across the city.

Defaults, for a light twin-engine air ambulance (EC135 / H135 class): cruise 220 km/h (its
maximum cruise is about 250 km/h), 300 s from alert to airborne (HEMS crews on standby are
airborne within 2-5 minutes by day), 180 s to find a landing site and land beside the patient,
250 km one way. A base row (rc.helipad) may give its own spin-up, speed and range. No-fly zones
are for drones: a helicopter on a medical flight is cleared through controlled airspace.
"""

from dataclasses import dataclass

from rescuecircle.errors import InvalidInput
from routing.drone import DroneSpec

SPIN_UP_S = 300.0
LANDING_S = 180.0
CRUISE_KMH = 220.0
RANGE_KM = 250.0


@dataclass(frozen=True)
class HelicopterSpec(DroneSpec):
    """How one air ambulance flies: ``takeoff_s`` is alert to airborne (its spin-up)."""

    cruise_speed_kmh: float = CRUISE_KMH
    takeoff_s: float = SPIN_UP_S
    landing_s: float = LANDING_S
    range_km: float = RANGE_KM

    def __post_init__(self) -> None:
        if not 80 <= self.cruise_speed_kmh <= 350:
            raise InvalidInput(f"cruise_speed_kmh {self.cruise_speed_kmh} is outside 80-350")
        if not 0 < self.range_km <= 1000:
            raise InvalidInput(f"range_km {self.range_km} is outside 0-1000")
        if self.takeoff_s < 0 or self.landing_s < 0:
            raise InvalidInput("spin-up and landing times cannot be negative")


def helicopter(spin_up_s: float | None, cruise_speed_kmh: float | None,
               range_km: float | None) -> HelicopterSpec:
    """A base's helicopter: its own figures where given, the defaults elsewhere."""
    return HelicopterSpec(cruise_speed_kmh=cruise_speed_kmh or CRUISE_KMH,
                          takeoff_s=SPIN_UP_S if spin_up_s is None else spin_up_s,
                          range_km=range_km or RANGE_KM)
