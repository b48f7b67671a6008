"""The public AED finder's question, "which AED do I fetch now?": the AEDs usable at a time,
fastest walk first with their routes, and the ones nearby that must not be fetched, with why.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely.geometry

from gis.finder import aeds_near
from routing.network import Network
from routing.snap import island_note
from services.context import Context

WALK = "walk"
MAX_UNAVAILABLE = 30      # AEDs shown greyed out


@dataclass(frozen=True)
class NearestAeds:
    """Usable AEDs (fastest walk first, with ``walk_s``, ``walk_m``, ``route``) and the
    unavailable ones nearby (each with its ``reason``)."""

    usable: list[dict[str, Any]]
    unavailable: list[dict[str, Any]]
    notes: list[str]


def nearest_aeds(context: Context, lon: float, lat: float, *, at: datetime, limit: int,
                 max_walk_s: float) -> NearestAeds:
    """The ``limit`` AEDs reached soonest on foot from ``lon``/``lat`` (WGS84) at ``at``."""
    # nobody walks faster than 2 m/s for long: a straight-line radius that cannot miss an AED
    rows = aeds_near(context.reads, lon, lat, radius_m=max_walk_s * 2.0, at=at)
    network = context.networks.current()
    ready = [r for r in rows if r["reason"] is None]
    usable = rank_by_walk(network, lon, lat, ready, limit=limit, max_walk_s=max_walk_s)
    notes = []
    if ready and not usable and network.arrays.island[WALK][network.snap(lon, lat, WALK).edge]:
        notes.append(island_note("this point", WALK) + ": the AEDs nearby cannot be walked to "
                     "by the mapped ways; look around you")
    elif not rows:
        notes.append(f"no AED is registered within {max_walk_s * 2 / 1000:g} km")
    return NearestAeds(usable, [r for r in rows if r["reason"] is not None][:MAX_UNAVAILABLE],
                       notes)


def rank_by_walk(network: Network, lon: float, lat: float, rows: list[dict[str, Any]], *,
                 limit: int, max_walk_s: float) -> list[dict[str, Any]]:
    """The ``limit`` rows reached soonest on foot from ``lon``/``lat`` within ``max_walk_s``,
    each given ``walk_s``, ``walk_m`` and ``route`` (a GeoJSON Feature in WGS84).

    One search from the person gives the time to every AED; only the chosen few are then routed.
    InvalidInput when the person stands farther than the snap limit from any footway. An AED
    that far from every footway, or on a piece of network cut off from the person's, cannot be
    walked to and is left out.
    """
    origin = network.snap(lon, lat, WALK)
    search = network.search_from(origin, WALK, limit_s=max_walk_s)
    snaps = network.snap_many(np.array([row["lon"] for row in rows], float),
                              np.array([row["lat"] for row in rows], float), WALK)
    timed = []
    for row, snap in zip(rows, snaps, strict=True):
        if snap is None:
            continue
        walk_s = network.arrival_time_s(search, snap, WALK)
        if np.isfinite(walk_s) and walk_s <= max_walk_s:
            timed.append((walk_s, row["id"], row, snap))
    timed.sort(key=lambda item: (item[0], item[1]))
    chosen = []
    for _, _, row, snap in timed[:limit]:
        found = network.route(origin, snap, WALK)
        chosen.append({**row, "walk_s": round(found.time_s, 1),
                       "walk_m": round(found.length_m, 1),
                       "route": {"type": "Feature",
                                 "geometry": shapely.geometry.mapping(
                                     network.to_lonlat(found.geometry)),
                                 "properties": {"mode": WALK,
                                                "duration_s": round(found.time_s, 1),
                                                "length_m": round(found.length_m, 1)}}})
    return chosen
