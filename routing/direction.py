"""Which way a search runs: *from* its points (where can they reach) or *to* them (who can
reach them). One-way streets make the two differ; a search "to" runs on the transposed graph
from the points' arrival seeds, so both are one Dijkstra.
"""

from typing import Literal

from routing.graph import ModeGraph, Seed
from routing.network import Network
from routing.snap import Snap

Direction = Literal["from", "to"]
DIRECTIONS: tuple[Direction, ...] = ("from", "to")


def seeds(network: Network, snap: Snap, mode: str, hour: int | None,
          direction: Direction) -> list[Seed]:
    """The seeds of a search ``direction`` the point: leaving it ("from") or arriving at it
    ("to", read on ``graph(..., "to")``)."""
    if direction == "from":
        return network.seeds(snap, mode, hour)
    return network.arrival_seeds(snap, mode, hour)


def graph(network: Network, mode: str, hour: int | None, direction: Direction) -> ModeGraph:
    """The graph a search ``direction`` its seeds runs on: the mode's graph, or its transpose."""
    return network.graph(mode, hour, reverse=direction == "to")


def opposite(direction: Direction) -> Direction:
    """"to" for "from" and the other way round."""
    return "to" if direction == "from" else "from"
