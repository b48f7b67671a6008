"""Moving along a route: where someone is after travelling for a while along a polyline.

Pure and small: the live-loop simulator (``services.simulation``) walks volunteers and drives
ambulances along the routes dispatch gives them, and reports the points this module computes as
their positions. Coordinates are WGS84 ``(lon, lat)``; distances are metres on a local
equirectangular approximation, exact enough over the few kilometres of one route (the error at
10 km is below 0.1 %).

    >>> trip = Trip.of([(114.0, 22.5), (114.01, 22.5)], duration_s=100.0)
    >>> round(trip.position_at(50.0)[0], 4)
    114.005
"""

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8


def step_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two nearby WGS84 points (equirectangular)."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat)
    dy = math.radians(b[1] - a[1])
    return EARTH_RADIUS_M * math.hypot(dx, dy)


@dataclass(frozen=True)
class Trip:
    """A polyline and the time the traveller passes each of its points: an even pace along
    each route (its own time, so a walker keeps walking speed and an ambulance arrives at its
    ETA), legs joined one after the other (to the AED at its pace, then on to the patient)."""

    points: tuple[tuple[float, float], ...]
    times_s: tuple[float, ...]             # since the start, one per point, non-decreasing

    @classmethod
    def of(cls, points: Sequence[Sequence[float]], *, duration_s: float) -> "Trip":
        """A trip over ``points`` (at least one) at an even pace lasting ``duration_s``."""
        if not points:
            raise ValueError("a trip needs at least one point")
        if not duration_s >= 0:
            raise ValueError(f"duration_s = {duration_s} must be >= 0")
        coords = tuple((float(p[0]), float(p[1])) for p in points)
        cumulative = [0.0]
        for a, b in zip(coords, coords[1:], strict=False):
            cumulative.append(cumulative[-1] + step_m(a, b))
        length_m = cumulative[-1]
        times = tuple(duration_s * (d / length_m) if length_m > 0 else duration_s
                      for d in cumulative)
        return cls(coords, times)

    @classmethod
    def joined(cls, legs: Sequence["Trip"]) -> "Trip":
        """One trip made of ``legs`` travelled one after the other, each at its own pace."""
        if not legs:
            raise ValueError("a trip needs at least one leg")
        points: list[tuple[float, float]] = []
        times: list[float] = []
        offset_s = 0.0
        for leg in legs:
            points += leg.points
            times += [offset_s + t for t in leg.times_s]
            offset_s += leg.duration_s
        return cls(tuple(points), tuple(times))

    @property
    def duration_s(self) -> float:
        """How long the whole trip takes."""
        return self.times_s[-1]

    @property
    def end(self) -> tuple[float, float]:
        """Where the trip ends."""
        return self.points[-1]

    def done(self, elapsed_s: float) -> bool:
        """Whether the traveller has arrived after ``elapsed_s``."""
        return elapsed_s >= self.duration_s

    def position_at(self, elapsed_s: float) -> tuple[float, float]:
        """Where the traveller is ``elapsed_s`` after starting (the start before 0, the end
        once arrived)."""
        times = self.times_s
        if elapsed_s <= 0:
            return self.points[0]
        if elapsed_s >= times[-1]:
            return self.end
        high = bisect.bisect_right(times, elapsed_s)      # the first point not yet passed
        low = high - 1
        piece_s = times[high] - times[low]
        t = 0.0 if piece_s == 0 else (elapsed_s - times[low]) / piece_s
        (x0, y0), (x1, y1) = self.points[low], self.points[high]
        return x0 + t * (x1 - x0), y0 + t * (y1 - y0)
