"""Drone flight: straight lines at cruise speed, with take-off and landing overheads, a range
limit and no-fly zones.

A drone does not fly through a no-fly zone: the zone and its "shadow" (everything behind it as
seen from the pad) are unreachable. Detours around zones are not planned; the answer errs on
the side of "the drone cannot get there", which is the safe side for a dispatcher.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import rasterio.features
import shapely
from rasterio.transform import from_origin
from shapely import LineString, Polygon

from rescuecircle.errors import InvalidInput, NoRoute
from routing.isochrone import TimeGrid


@dataclass(frozen=True)
class DroneSpec:
    """How one drone flies."""

    cruise_speed_kmh: float = 60.0
    takeoff_s: float = 30.0
    landing_s: float = 30.0
    range_km: float = 8.0   # farthest one-way flight

    def __post_init__(self) -> None:
        if not 5 <= self.cruise_speed_kmh <= 300:
            raise InvalidInput(f"cruise_speed_kmh {self.cruise_speed_kmh} is outside 5-300")
        if not 0 < self.range_km <= 100:
            raise InvalidInput(f"range_km {self.range_km} is outside 0-100")
        if self.takeoff_s < 0 or self.landing_s < 0:
            raise InvalidInput("take-off and landing times cannot be negative")

    @property
    def overhead_s(self) -> float:
        """Seconds spent on the ground and climbing/landing, whatever the distance."""
        return self.takeoff_s + self.landing_s

    def flight_time_s(self, distance_m: float) -> float:
        """Pad-to-point time for a straight flight of ``distance_m``."""
        return self.overhead_s + distance_m / (self.cruise_speed_kmh / 3.6)

    def reach_m(self, limit_s: float) -> float:
        """How far from its pad the drone lands within ``limit_s`` (and within its range)."""
        return min(self.range_km * 1000,
                   max(0.0, limit_s - self.overhead_s) * self.cruise_speed_kmh / 3.6)


def flight_time_s(
    origin: tuple[float, float], destination: tuple[float, float], spec: DroneSpec,
    no_fly: Sequence[Polygon] = (),
) -> float:
    """Time to fly between two points in local metres; NoRoute when out of range or blocked."""
    distance_m = float(np.hypot(destination[0] - origin[0], destination[1] - origin[1]))
    if distance_m > spec.range_km * 1000:
        raise NoRoute(f"{distance_m / 1000:.1f} km is beyond the drone's range of "
                      f"{spec.range_km:g} km")
    path = LineString([origin, destination])
    if any(zone.intersects(path) for zone in no_fly):
        raise NoRoute("the straight flight crosses a no-fly zone")
    return spec.flight_time_s(distance_m)


def drone_time_grid(
    origin: tuple[float, float], spec: DroneSpec, *, limit_s: float, cell_m: float = 50.0,
    no_fly: Sequence[Polygon] = (),
) -> TimeGrid:
    """Flight times from a pad to every cell within range and ``limit_s`` (local metres)."""
    if any(zone.contains(shapely.Point(origin)) for zone in no_fly):
        raise NoRoute("the pad lies inside a no-fly zone")
    reach_m = spec.reach_m(limit_s)
    half = int(np.ceil(reach_m / cell_m)) + 1
    west, north = origin[0] - half * cell_m, origin[1] + half * cell_m
    transform = from_origin(west, north, cell_m, cell_m)
    centres = (np.arange(2 * half) + 0.5) * cell_m
    dx = (west + centres)[None, :] - origin[0]
    dy = (north - centres)[:, None] - origin[1]
    distance_m = np.hypot(dx, dy)
    time_s = spec.overhead_s + distance_m / (spec.cruise_speed_kmh / 3.6)
    time_s[(distance_m > reach_m) | (time_s > limit_s)] = np.inf
    blocked = [shadow(zone, origin, 3 * reach_m + cell_m) for zone in no_fly]
    if blocked:
        mask = rasterio.features.rasterize(
            blocked, out_shape=time_s.shape, transform=transform, all_touched=True,
            dtype=np.uint8).astype(bool)
        time_s[mask] = np.inf
    return TimeGrid(time_s, transform, cell_m)


def shadow(zone: Polygon, origin: tuple[float, float], far_m: float) -> Polygon:
    """The zone with everything behind it as seen from ``origin``, out to ``far_m``: the
    convex hull of the zone and an arc at ``far_m`` across the angles the zone spans
    (conservative for zones that are not convex).

    The arc matters: a long zone close to the origin spans nearly half the horizon, and the
    hull of its corners pushed out alone would leave most of what lies behind it open.
    """
    xy = shapely.get_coordinates(zone.exterior)
    offset = xy - np.asarray(origin)
    angles = np.sort(np.arctan2(offset[:, 1], offset[:, 0]))
    gaps = np.diff(np.concatenate([angles, [angles[0] + 2 * np.pi]]))
    widest = int(np.argmax(gaps))            # the zone spans the rest of the circle
    span = 2 * np.pi - gaps[widest]
    steps = max(1, int(np.ceil(span / np.radians(10))))
    sweep = angles[(widest + 1) % len(angles)] + np.linspace(0.0, span, steps + 1)
    radius = far_m / np.cos(span / steps / 2)   # chords of the arc stay beyond far_m
    arc = np.asarray(origin) + radius * np.column_stack([np.cos(sweep), np.sin(sweep)])
    return shapely.MultiPoint(np.concatenate([xy, arc])).convex_hull
