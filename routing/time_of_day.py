"""Travel-time factors per road class and hour of day, for driving.

A factor multiplies the free-flow travel time (1.0 = as tagged; 1.6 = 60 % slower). The default
profile slows arterials in the morning (7-9 h) and evening (17-19 h) rush hours, a little less
so collectors and local streets; nights are free flow.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

HOURS = 24
_ARTERIALS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
              "secondary", "secondary_link")
_COLLECTORS = ("tertiary", "tertiary_link", "unclassified")
_LOCAL = ("residential", "living_street", "service")


def _profile(rush: float, day: float) -> tuple[float, ...]:
    """24 hourly factors: ``rush`` at 7-9 and 17-19 h, ``day`` from 10-16 h, 1.0 otherwise."""
    return tuple(
        rush if hour in (7, 8, 17, 18) else day if 10 <= hour <= 16 else 1.0
        for hour in range(HOURS)
    )


def _rush_hour_default() -> dict[str, tuple[float, ...]]:
    factors = {road_class: _profile(1.6, 1.2) for road_class in _ARTERIALS}
    factors.update({road_class: _profile(1.4, 1.15) for road_class in _COLLECTORS})
    factors.update({road_class: _profile(1.2, 1.05) for road_class in _LOCAL})
    return factors


@dataclass(frozen=True)
class SpeedFactors:
    """Hourly travel-time multipliers per road class; classes not listed keep 1.0."""

    by_class: Mapping[str, tuple[float, ...]] = field(default_factory=_rush_hour_default)

    def __post_init__(self) -> None:
        for road_class, hourly in self.by_class.items():
            if len(hourly) != HOURS:
                raise ValueError(f"{road_class}: give {HOURS} hourly factors, not {len(hourly)}")
            if any(not 0.2 <= factor <= 10 for factor in hourly):
                raise ValueError(f"{road_class}: factors must lie between 0.2 and 10")

    def factor(self, road_class: str, hour: int) -> float:
        """The multiplier for one road class at one hour (0-23)."""
        hourly = self.by_class.get(road_class)
        return hourly[hour] if hourly else 1.0


FREE_FLOW = SpeedFactors(by_class={})



def speed_factors_from_json(document: object) -> SpeedFactors:
    """Factors from a parsed JSON document ``{road_class: [24 numbers]}``."""
    if not isinstance(document, dict) or not all(
        isinstance(hourly, list) and all(isinstance(f, int | float) for f in hourly)
        for hourly in document.values()
    ):
        raise ValueError("speed factors must be a JSON object {road_class: [24 numbers]}")
    return SpeedFactors(by_class={str(k): tuple(float(f) for f in v) for k, v in document.items()})
