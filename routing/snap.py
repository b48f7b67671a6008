"""A point placed on the road network, and the rule for points near an island."""

from dataclasses import dataclass

import numpy as np

OFF_NETWORK_SPEED_KMH = 5.0  # walking from the point to the road, whatever the mode
# A point nearest an island edge snaps to the connected network instead when that is no more
# than ISLAND_SLACK_M farther or ISLAND_RATIO times as far, whichever allows more (see
# connected_preferred_within_m); sql/functions/routing.sql uses the same two numbers.
ISLAND_SLACK_M = 50.0
ISLAND_RATIO = 1.5


@dataclass(frozen=True)
class Snap:
    """A point placed on the network: an edge, a position along it and the off-network leg."""

    edge: int                 # index into the network's edge arrays
    fraction: float           # 0 at the edge's source, 1 at its target (by length)
    distance_m: float         # from the point to the edge
    x: float                  # the point itself, in local metres
    y: float

    @property
    def off_network_s(self) -> float:
        """Seconds to walk between the point and the road."""
        return self.distance_m / (OFF_NETWORK_SPEED_KMH / 3.6)


def connected_preferred_within_m(island_m: np.ndarray) -> np.ndarray:
    """How far the connected network may be from a point and still win over an island edge
    ``island_m`` away: 50 m more near the road, 1.5 times as far beyond 100 m.

    Why: an island is mostly a mapping gap (a compound or a parking lot whose entrance is not
    mapped), and a point snapped onto it cannot be routed at all. 50 m is about 36 s of walking
    to the road at ``OFF_NETWORK_SPEED_KMH``, a small price against no route; farther from
    every road, positions are coarse and the slack grows with the distance.
    """
    return np.maximum(island_m + ISLAND_SLACK_M, ISLAND_RATIO * island_m)


def island_note(what: str, mode: str) -> str:
    """The words every "no route" says when a point is on an island of ``mode``."""
    return f"{what} lies on a part of the {mode} network cut off from the rest (an island)"
