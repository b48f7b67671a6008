"""Where the patient goes: hospitals with an emergency department, by drive time from the scene.

Pure: the caller hands in the hospitals (with what they can treat) and the capability the call
needs (``chest_pain`` for a cardiac arrest, ``stroke`` for a stroke, None for any emergency
department). One search from the scene gives every hospital's drive time. A hospital not
known to have an emergency department is never proposed.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rescuecircle.errors import NoRoute
from routing.network import Network

LIMIT_S = 2 * 3600.0      # farther than two hours' drive is no destination for an ambulance
FIRST_LIMIT_S = 1200.0    # the first search's reach, tripled until enough are found
ALTERNATIVES = 2


@dataclass(frozen=True)
class Hospital:
    """A hospital with an emergency department (or not: ``emergency`` False or None)."""

    id: int
    name: str | None
    lon: float
    lat: float
    emergency: bool | None
    capabilities: frozenset[str]


@dataclass(frozen=True)
class Destination:
    """A hospital, the drive there from the scene, and whether it has what the call needs."""

    hospital: Hospital
    eta_s: float
    capable: bool


def destinations(network: Network, lon: float, lat: float, hospitals: Sequence[Hospital], *,
                 need: str | None, hour: int | None = None) -> list[Destination]:
    """The proposed destination first, then up to ALTERNATIVES others, all by drive time.

    The proposal is the nearest emergency department with ``need``; when none within LIMIT_S
    has it, the nearest emergency department (``capable`` False says so). The alternatives are
    the next nearest capable ones and, when it is not the proposal, the nearest emergency
    department of all (where a crew goes with a patient who cannot wait). Empty when no
    emergency department is reachable.
    """
    departments = [h for h in hospitals if h.emergency]
    if not departments:
        return []
    scene = network.snap(lon, lat, "drive")
    snaps = network.snap_many(np.array([h.lon for h in departments]),
                              np.array([h.lat for h in departments]), "drive")
    placed = [(h, s) for h, s in zip(departments, snaps, strict=True) if s is not None]
    limit_s = FIRST_LIMIT_S
    while True:        # a city's hospitals are near: search far only when they are not
        try:
            found = network.search_from(scene, "drive", limit_s=limit_s, hour=hour)
        except NoRoute:
            return []
        reached = sorted((Destination(h, eta_s, need is None or need in h.capabilities)
                          for h, s in placed
                          if np.isfinite(eta_s := network.arrival_time_s(found, s, "drive",
                                                                          hour))),
                         key=lambda d: d.eta_s)
        if limit_s >= LIMIT_S or sum(d.capable for d in reached) > ALTERNATIVES:
            break
        limit_s = min(LIMIT_S, limit_s * 3)
    capable = [d for d in reached if d.capable]
    if not capable:
        return reached[:1 + ALTERNATIVES]
    chosen = capable[:1 + ALTERNATIVES]
    nearest = reached[0]
    if nearest not in chosen:
        chosen = [*chosen[:ALTERNATIVES], nearest]
    return chosen
