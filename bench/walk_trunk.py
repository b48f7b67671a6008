"""Walking along US main streets (trunk roads): rescuecircle against Valhalla (issue 14, item 6).

The issue: walkers could not use trunk roads, and in US towns the downtown main streets are
``highway=trunk`` (35 mph, sidewalks), so a 250 m walk along one had no route (a 422) and short
walks took three times Valhalla's time. Acceptance: on imperial.osm.pbf, over walks along and
near trunk streets in the towns, the median of |ours - Valhalla| / Valhalla is at most 10 %.

How we compare:

* **Network**: imperial.osm.pbf imported into the scratch database
  ``rc_bench_walk_trunk_imperial`` (``bench/scratch.py``: reimported whenever the tag rules
  change) and loaded as the services load it (``gis.network_loader.load_network_arrays`` ->
  ``routing.network.Network``). The import uses the worldwide access defaults: the extract is
  Imperial County, California (plus a strip of Mexicali), and the US defaults for trunk roads
  are the worldwide ones.
* **Pairs** (``--pairs``, fixed ``--seed``): the origin is a random point on a trunk or
  trunk_link edge (edges weighted by length, uniform along the edge) in a built-up part of a US
  town: at least ``--built-up`` edge midpoints of any class within 400 m, and north of the
  US-Mexico border (the extract's ``admin_level=2`` boundary ways). The destination is a random
  point on a walkable edge that is not a trunk, at a straight-line distance drawn uniformly in
  [``--min-m``, ``--max-m``]: an edge whose midpoint is within 50 m of the drawn distance, then a
  point along it, redrawn until the point's own distance is in range. Only geometry, road class
  and the access of non-trunk roads choose the pairs, so the rules before and after the trunk
  change draw the same pairs (the report prints their digest).
* **Ours**: ``services.routing.fastest_route``, what ``POST /api/route`` runs (snap both points to
  walkable edges within 500 m, exact fastest path at 5 km/h, the walk to and from the road); no
  route (the API's 422) is a failure, counted as an infinite error.
* **Valhalla**: ``route`` with costing ``pedestrian``, ``walking_speed`` 5.0 km/h (ours; its
  default is 5.1), ``directions_type none``, tiles built from the same .pbf without an admin
  database (worldwide access rules), called in the same process.
* **Error**: |ours - Valhalla| / Valhalla per pair Valhalla answers; median, p90, the share
  within 10 %, and the signed median (which engine is slower).
* **Latency**: ``--repeat`` calls per pair and engine, the engines alternating call by call,
  single-threaded, after warm-up calls (ours builds its walk graph and snapping tree on the
  first); a pair's latency is the median of its calls (the machine is shared: one call alone
  is noisy), and p50/p95 are over the pairs. Ours is ``fastest_route`` (snaps, search,
  geometry), Valhalla the raw JSON call (its complete answer).

    bench/.venv/bin/python bench/walk_trunk.py [--pairs 100] [--seed 14] [--built-up 80]
        [--min-m 200] [--max-m 1500] [--repeat 5] [--reimport] [--out bench/out/walk_trunk.md]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import routing_engines as br
import scratch
import shapely
from anchors import AnchorError, Valhalla

from formats import osm_tags
from gis.network_loader import load_network_arrays
from rescuecircle.errors import InvalidInput, NoRoute
from rescuecircle.settings import Settings
from routing.network import Network
from services.routing import RouteRequest, fastest_route

NETWORK = "imperial"
DB_NAME = "rc_bench_walk_trunk_imperial"
WALK_KMH = 5.0
TRUNKS = ("trunk", "trunk_link")
BUILT_UP_RADIUS_M = 400.0
DISTANCE_SLACK_M = 50.0
THRESHOLD = 0.10
WARM_UP = 3
LonLat = tuple[float, float]


@dataclass(frozen=True)
class Pair:
    """An origin on a trunk street and a destination, lon/lat, and the straight line between."""

    origin: LonLat
    destination: LonLat
    straight_m: float


@dataclass
class Outcome:
    """One pair's answers: seconds and metres per engine (None: no answer) and latencies (ms)."""

    pair: Pair
    ours_s: float | None = None
    ours_m: float | None = None
    ours_ms: float = math.nan
    ours_error: str = ""
    valhalla_s: float | None = None
    valhalla_m: float | None = None
    valhalla_ms: float = math.nan
    valhalla_error: str = ""

    def relative_error(self) -> float:
        """(ours - Valhalla) / Valhalla; +inf when we found no route."""
        assert self.valhalla_s is not None
        if self.ours_s is None:
            return math.inf
        return (self.ours_s - self.valhalla_s) / self.valhalla_s


# --------------------------------------------------------------------------- the pairs


def border_line(pbf: Path) -> tuple[np.ndarray, np.ndarray]:
    """The US-Mexico border as (lon, lat) sorted by lon: the extract's country boundary ways."""
    points: list[LonLat] = []
    ways = osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in ways.with_filter(osmium.filter.TagFilter(("admin_level", "2"))):
        if isinstance(obj, osmium.osm.Way) and obj.tags.get("boundary") == "administrative":
            points += [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
    if not points:
        raise SystemExit(f"{pbf}: no admin_level=2 boundary ways to tell the US side by")
    border = np.array(sorted(points))
    return border[:, 0], border[:, 1]


def draw_pairs(network: Network, pbf: Path, args: argparse.Namespace) -> list[Pair]:
    """Origins on built-up US trunk streets, destinations on other walkable streets nearby."""
    arrays = network.arrays
    rng = np.random.default_rng(args.seed)
    middle = shapely.line_interpolate_point(arrays.lines.all(), 0.5, normalized=True)
    middle_lonlat = shapely.get_coordinates(middle)
    border_lon, border_lat = border_line(pbf)
    in_us = middle_lonlat[:, 1] > np.interp(middle_lonlat[:, 0], border_lon, border_lat)
    middle_xy = shapely.line_interpolate_point(network.geometry.all(), 0.5, normalized=True)
    tree = shapely.STRtree(middle_xy)
    trunk = np.isin(arrays.road_class, TRUNKS)
    candidates = np.flatnonzero(trunk & in_us)
    near, _ = tree.query(middle_xy[candidates], predicate="dwithin",
                         distance=BUILT_UP_RADIUS_M)
    density = np.bincount(near, minlength=len(candidates))
    origins = candidates[density >= args.built_up]
    walkable = (arrays.cost_s["walk"] >= 0) | (arrays.reverse_cost_s["walk"] >= 0)
    targets = np.flatnonzero(walkable & ~trunk & in_us)
    target_xy = shapely.get_coordinates(middle_xy[targets])
    weights = network.length_m[origins] / network.length_m[origins].sum()
    pairs: list[Pair] = []
    while len(pairs) < args.pairs:
        edge = int(rng.choice(origins, p=weights))
        origin = shapely.line_interpolate_point(arrays.lines[edge], rng.random(),
                                                normalized=True)
        ox, oy = network.project(origin.x, origin.y)
        from_origin = np.hypot(target_xy[:, 0] - ox, target_xy[:, 1] - oy)
        for _ in range(100):
            wanted = rng.uniform(args.min_m, args.max_m)
            near_wanted = targets[np.abs(from_origin - wanted) <= DISTANCE_SLACK_M]
            if not len(near_wanted):
                continue
            point = shapely.line_interpolate_point(
                arrays.lines[int(rng.choice(near_wanted))], rng.random(), normalized=True)
            dx, dy = network.project(point.x, point.y)
            straight = float(np.hypot(dx - ox, dy - oy))
            if args.min_m <= straight <= args.max_m:
                pairs.append(Pair((origin.x, origin.y), (point.x, point.y), straight))
                break
    return pairs


def pairs_digest(pairs: list[Pair]) -> str:
    """SHA-256 (12 hex digits) of the coordinates to 1e-7 degrees: same pairs, same digest."""
    text = ";".join(f"{p.origin[0]:.7f},{p.origin[1]:.7f},{p.destination[0]:.7f},"
                    f"{p.destination[1]:.7f}" for p in pairs)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- the engines


def ours(network: Network, pair: Pair) -> tuple[float, float]:
    """Our walk route between the pair, as the API computes it: (seconds, metres)."""
    found = fastest_route(network, RouteRequest(pair.origin, pair.destination, "walk", None))
    return found.time_s, found.length_m


def valhalla_request(pair: Pair) -> str:
    return json.dumps({
        "locations": [{"lon": pair.origin[0], "lat": pair.origin[1]},
                      {"lon": pair.destination[0], "lat": pair.destination[1]}],
        "costing": "pedestrian",
        "costing_options": {"pedestrian": {"walking_speed": WALK_KMH}},
        "directions_type": "none", "units": "kilometers"})


def valhalla_answer(text: str) -> tuple[float, float]:
    summary = json.loads(text)["trip"]["summary"]
    return float(summary["time"]), float(summary["length"]) * 1000.0


def run_pair(network: Network, valhalla: Valhalla, pair: Pair, repeat: int) -> Outcome:
    """Both engines on one pair, ``repeat`` times each, alternating; median latencies."""
    outcome = Outcome(pair)
    request = valhalla_request(pair)
    ours_ms, valhalla_ms = [], []
    for _ in range(repeat):
        try:
            ms, (outcome.ours_s, outcome.ours_m) = br.timed(lambda: ours(network, pair))
            ours_ms.append(ms)
        except (NoRoute, InvalidInput) as exc:
            outcome.ours_error = f"{type(exc).__name__}: {exc}"
        try:
            ms, text = br.timed(lambda: valhalla.raw("route", request))
            valhalla_ms.append(ms)
            outcome.valhalla_s, outcome.valhalla_m = valhalla_answer(text)
        except AnchorError as exc:
            outcome.valhalla_error = str(exc).splitlines()[0][:160]
    outcome.ours_ms = float(np.median(ours_ms)) if ours_ms else math.nan
    outcome.valhalla_ms = float(np.median(valhalla_ms)) if valhalla_ms else math.nan
    return outcome


# --------------------------------------------------------------------------- the report


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def pct(value: float) -> str:
    return "no route" if math.isinf(value) else f"{100 * value:.1f}%"


def report(outcomes: list[Outcome], pairs: list[Pair], args: argparse.Namespace,
           argv: list[str], started: float, load: tuple[float, float, float]) -> str:
    answered = [o for o in outcomes if o.valhalla_s is not None]
    rel = np.array([o.relative_error() for o in answered])
    absolute = np.abs(rel)
    failed = [o for o in answered if o.ours_s is None]
    median_abs = float(np.median(absolute)) if len(absolute) else math.nan
    ours_ms = [o.ours_ms for o in outcomes if not math.isnan(o.ours_ms)]
    valhalla_ms = [o.valhalla_ms for o in outcomes if not math.isnan(o.valhalla_ms)]
    p50 = (percentile(ours_ms, 50), percentile(valhalla_ms, 50))
    p95 = (percentile(ours_ms, 95), percentile(valhalla_ms, 95))
    verdict = "MET" if median_abs <= THRESHOLD else "NOT MET"
    straight = [p.straight_m for p in pairs]
    lines = [
        "# Walks along and near US trunk streets on imperial: ours vs Valhalla pedestrian",
        "",
        f"Command: `bench/.venv/bin/python bench/walk_trunk.py {' '.join(argv)}`  ",
        f"Tag rules: `{osm_tags.__file__}` (rules digest {scratch.rules_digest()}); "
        f"{len(pairs)} pairs (seed {args.seed}, digest {pairs_digest(pairs)}), straight line "
        f"{min(straight):.0f}-{max(straight):.0f} m (median {np.median(straight):.0f} m); "
        f"{len(answered)} answered by Valhalla; load average {load[0]:.2f} at start; "
        f"{time.perf_counter() - started:.0f} s.",
        "",
        "| statistic | value |",
        "| --- | ---: |",
        f"| median abs(ours - Valhalla) / Valhalla | {pct(median_abs)} |",
        f"| p90 abs(ours - Valhalla) / Valhalla | "
        f"{pct(float(np.percentile(absolute, 90)) if len(absolute) else math.nan)} |",
        f"| pairs within 10% | {100 * float(np.mean(absolute <= THRESHOLD)):.0f}% |",
        f"| median (ours - Valhalla) / Valhalla, signed | "
        f"{pct(float(np.median(rel)) if len(rel) else math.nan)} |",
        f"| pairs we found no route for (422) | {len(failed)} |",
        f"| median time ours / Valhalla (s) | "
        f"{np.median([o.ours_s for o in answered if o.ours_s is not None]):.0f} / "
        f"{np.median([o.valhalla_s for o in answered]):.0f} |",
        f"| latency p50 ours / Valhalla (ms, median of {args.repeat} calls per pair) | "
        f"{p50[0]:.2f} / {p50[1]:.2f} "
        f"(ratio {p50[0] / p50[1]:.2f}) |",
        f"| latency p95 ours / Valhalla (ms) | {p95[0]:.2f} / {p95[1]:.2f} "
        f"(ratio {p95[0] / p95[1]:.2f}) |",
        "",
        f"Acceptance (median abs(ours - Valhalla) / Valhalla <= 10%): **{verdict}**.",
        "",
        "The 10 pairs farthest apart (ours vs Valhalla):",
        "",
        "| origin | destination | straight m | ours s (m) | Valhalla s (m) | difference |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for o in sorted(answered, key=lambda o: -abs(o.relative_error()))[:10]:
        ours_text = ("no route" if o.ours_s is None or o.ours_m is None
                     else f"{o.ours_s:.0f} ({o.ours_m:.0f})")
        lines.append(
            f"| {o.pair.origin[0]:.6f}, {o.pair.origin[1]:.6f} | {o.pair.destination[0]:.6f}, "
            f"{o.pair.destination[1]:.6f} | {o.pair.straight_m:.0f} | {ours_text} | "
            f"{o.valhalla_s:.0f} ({o.valhalla_m:.0f}) | {pct(o.relative_error())} |")
    unanswered = [o for o in outcomes if o.ours_s is None]
    if unanswered:
        lines += ["", "No answer from us:", ""] + [
            f"- {o.pair.origin} -> {o.pair.destination}: {o.ours_error}" for o in unanswered]
    refused = [o for o in outcomes if o.valhalla_s is None]
    if refused:
        lines += ["", "Refused by Valhalla:", ""] + [
            f"- {o.pair.origin} -> {o.pair.destination}: {o.valhalla_error}" for o in refused]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--built-up", type=int, default=80,
                        help="edge midpoints within 400 m that make a trunk edge built-up")
    parser.add_argument("--min-m", type=float, default=200.0)
    parser.add_argument("--max-m", type=float, default=1500.0)
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per pair and engine")
    parser.add_argument("--reimport", action="store_true")
    parser.add_argument("--out", type=Path, default=br.OUT / "walk_trunk.md")
    args = parser.parse_args(argv)
    started, load = time.perf_counter(), os.getloadavg()

    pbf = br.REAL[NETWORK]
    db = scratch.network_database(Settings(), DB_NAME, pbf, reimport=args.reimport)
    print(f"[{NETWORK}] network {db.how}", file=sys.stderr)
    network = Network(load_network_arrays(db.engine))
    db.engine.dispose()
    valhalla = Valhalla(pbf, name=NETWORK)
    pairs = draw_pairs(network, pbf, args)
    for pair in pairs[:WARM_UP]:
        run_pair(network, valhalla, pair, 1)
    outcomes = [run_pair(network, valhalla, pair, args.repeat) for pair in pairs]
    text = report(outcomes, pairs, args, sys.argv[1:] if argv is None else argv, started, load)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
