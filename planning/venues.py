"""Venues that must have an AED, and which of them lack one (issue 16, item 5).

Hangzhou's plan puts an AED in every public place of more than 3,000 visitors a day or
40,000 m², and more on public transport. A duty venue is covered when a public, usable AED
(ready, battery and pads in date, public access: ``PlanningInputs.usable_aeds``) lies inside
its outline, or within a 1-minute walk of it along the walking network (one multi-source
search from every usable AED, one-way rules for walkers included; off-road legs at walking
pace), measured to the venue's point (its node, or the centroid of its outline). An AED 80 m
away across a fenced railway is not within a minute: the straight line would say it is.

Pure: the network, the venues and the AEDs in, seconds per venue out.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.geometry

from planning.inputs import Points, Venue
from routing.coverage import layer_seeds
from routing.network import Network
from routing.snap import OFF_NETWORK_SPEED_KMH, Snap

DUTY_WALK_S = 60.0   # "within a 1-minute walk"
MODE = "walk"


@dataclass(frozen=True)
class VenueCheck:
    """One venue and the walk to its nearest usable AED: 0 with one inside, None when none
    is within the limit (or the venue is off every walkable road)."""

    venue: Venue
    walk_s: float | None

    @property
    def covered(self) -> bool:
        return self.walk_s is not None


def check_venues(network: Network, venues: Sequence[Venue], aeds: Points, *,
                 limit_s: float = DUTY_WALK_S) -> list[VenueCheck]:
    """Each venue with the walking seconds from its nearest usable AED (``aeds``), up to
    ``limit_s``."""
    times = np.full(len(venues), np.inf)
    if len(venues) and len(aeds.lon):
        inside = _aed_inside(venues, aeds)
        times[inside] = 0.0
        times = np.minimum(times, walk_times(network, venues, aeds, limit_s=limit_s))
    return [VenueCheck(v, float(t) if t <= limit_s else None)
            for v, t in zip(venues, times, strict=True)]


def walk_times(network: Network, venues: Sequence[Venue], aeds: Points, *,
               limit_s: float) -> np.ndarray:
    """Seconds on foot from the nearest AED to each venue (inf beyond ``limit_s``)."""
    times = np.full(len(venues), np.inf)
    sources = [s for s in network.snap_many(aeds.lon, aeds.lat, MODE) if s is not None]
    seeds = layer_seeds(network, sources, MODE)
    if not seeds:
        return times
    reached = network.graph(MODE).search(seeds, limit_s=limit_s)
    by_edge: dict[int, list[Snap]] = {}
    for source in sources:
        by_edge.setdefault(source.edge, []).append(source)
    targets = network.snap_many(np.array([v.lon for v in venues]),
                                np.array([v.lat for v in venues]), MODE)
    forward, reverse = network.costs(MODE)
    for i, target in enumerate(targets):
        if target is None:
            continue
        best = network.arrival_time_s(reached, target, MODE)
        for source in by_edge.get(target.edge, []):
            best = min(best, _along_street_s(source, target, forward, reverse))
        times[i] = best
    return times


def _along_street_s(source: Snap, target: Snap, forward: np.ndarray,
                    reverse: np.ndarray) -> float:
    """Walking between two points off the same stretch of street, without going to its ends:
    along it, from one's distance from the road to the other's (not out to the road and back),
    and never faster than the straight line between them. An AED at the venue's door is 0 s
    away, one across the street the crossing."""
    delta = target.fraction - source.fraction
    cost = forward[target.edge] if delta >= 0 else reverse[target.edge]
    if cost < 0:
        return np.inf
    depth_s = abs(source.off_network_s - target.off_network_s)
    line_s = np.hypot(source.x - target.x, source.y - target.y) / (OFF_NETWORK_SPEED_KMH / 3.6)
    return max(abs(delta) * cost + depth_s, float(line_s))


def _aed_inside(venues: Sequence[Venue], aeds: Points) -> np.ndarray:
    """Whether an AED lies inside each venue's outline."""
    return np.array([v.outline is not None
                     and bool(shapely.contains_xy(v.outline, aeds.lon, aeds.lat).any())
                     for v in venues], bool)


def venues_geojson(checks: Sequence[VenueCheck], *, limit_s: float = DUTY_WALK_S
                   ) -> dict[str, Any]:
    """The venues as a GeoJSON FeatureCollection (WGS84 points) with ``walk_s`` (null: no
    usable AED within ``limit_s``) and ``covered``: the map layer of the listing."""
    return {"type": "FeatureCollection", "limit_s": limit_s,
            "covered": sum(c.covered for c in checks),
            "uncovered": sum(not c.covered for c in checks),
            "features": [{"type": "Feature",
                          "geometry": shapely.geometry.mapping(
                              shapely.Point(c.venue.lon, c.venue.lat)),
                          "properties": _properties(c)} for c in checks]}


def venues_csv(checks: Sequence[VenueCheck]) -> str:
    """One line per venue: id, name, kind, lon, lat, walk_s (empty: none within the limit),
    covered."""
    out = io.StringIO()
    writer = csv.DictWriter(out, ["id", "name", "kind", "lon", "lat", "walk_s", "covered"],
                            lineterminator="\n")
    writer.writeheader()
    for check in checks:
        row = _properties(check)
        writer.writerow({**row, "lon": round(check.venue.lon, 7),
                         "lat": round(check.venue.lat, 7),
                         "walk_s": "" if row["walk_s"] is None else row["walk_s"]})
    return out.getvalue()


def _properties(check: VenueCheck) -> dict[str, Any]:
    return {"id": check.venue.id, "name": check.venue.name, "kind": check.venue.kind,
            "walk_s": None if check.walk_s is None else round(check.walk_s, 1),
            "covered": check.covered}


def venue_layers(checks: Sequence[VenueCheck]
                 ) -> dict[str, tuple[list[bytes], list[dict[str, Any]]]]:
    """The venues as one point layer, ``aed_venues`` (WKB in WGS84 and one record per
    venue), for a GeoPackage."""
    return {"aed_venues": (
        [shapely.to_wkb(shapely.Point(c.venue.lon, c.venue.lat)) for c in checks],
        [_properties(c) for c in checks])}
