"""Latency of ``POST /api/dispatch`` on a 300k-edge generated network (issue 4, item 6).

Set-up (once per run unless noted):

* network: ``demo.sizes.generate_network_of_size(bench/out/gen/gen300k, target_edges=300_000)``
  (generated once, shared with bench/routing.py), imported into the scratch database
  ``rc_bench_dispatch_gen300k`` (``bench/scratch.network_database``: create, ``migrate``,
  ``import_osm``); the import is reused while the .pbf is unchanged (``--reimport``).
* data, replaced on every run (fixed seed): 10,000 volunteers (``--volunteers``),
  ``available``, each with one position observed 0-10 minutes before the requests' time
  ``at``; 5,000 AEDs, ready, battery and pads in date, ``opening_hours=24/7``,
  ``access=yes`` (the AEDs of the .pbf are deleted first, so there are exactly 5,000); one
  available ambulance at each of ``--stations`` of the imported stations; 2 ready drone pads
  (8 km range, 60 km/h). Volunteers and AEDs are placed like the demo city's own volunteers:
  a cell of its population raster drawn with probability proportional to its people, then a
  uniform spot in the cell (so they crowd in the core).
* incidents: population-weighted points moved onto the nearest walkable road (so they are
  "on the network, near volunteers"); each request also asks for ``k`` = 3.

The Flask app is built in-process (``api.app.create_app(Settings(database_url=...),
engine=...)``) and called through its test client with a dispatcher token: no sockets, so the
figures are the server's own work (auth, candidates SQL, planning, JSON, storing the audit).
One warm-up request first (loads the network, builds the walk and drive graphs and snapping
trees: reported apart as the cold start), then ``--requests`` timed POSTs, one at a time,
``time.perf_counter`` around ``client.post``. The response's ``timings_ms`` (network,
candidates, plan) are collected too; "rest" = total - their sum (auth, JSON, storing the plan).

Afterwards ``--profile-requests`` more requests run under cProfile; the top entries by
cumulative and by own time go into the report.

Usage::

    bench/.venv/bin/python bench/dispatch_latency.py    # writes bench/out/dispatch_latency.md
        [--requests 200] [--seed 7] [--stations 8] [--volunteers 10000] [--reimport]
        [--profile-requests 30]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import scratch
from scipy.spatial import cKDTree
from sqlalchemy import Engine, text

# This file lives in bench/, next to bench/routing.py, which would shadow the project's
# ``routing`` package when bench/ is first on sys.path (as when run as a script).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from api.app import create_app  # noqa: E402
from demo.sizes import generate_network_of_size  # noqa: E402
from gis.aed_registry import sync_opening_hours  # noqa: E402
from gis.network_loader import load_network_arrays  # noqa: E402
from gis.tokens import create_token  # noqa: E402
from rescuecircle.settings import Settings  # noqa: E402
from routing.network import Network  # noqa: E402

OUT = _HERE / "out"
GEN_DIR = OUT / "gen" / "gen300k"
DB_NAME = "rc_bench_dispatch_gen300k"
TARGET_EDGES = 300_000
VOLUNTEERS = 10_000
AEDS = 5_000
PADS = 2
P50_TARGET_MS, P95_TARGET_MS = 150.0, 300.0


def log(message: str) -> None:
    print(f"[dispatch_latency] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- set-up


def pbf_path() -> Path:
    """The generated 300k-edge city (made once; bench/routing.py uses the same files)."""
    pbf = GEN_DIR / "demo_city.osm.pbf"
    if not pbf.exists():
        log(f"generating a network of {TARGET_EDGES:,} edges into {GEN_DIR}")
        generate_network_of_size(GEN_DIR, target_edges=TARGET_EDGES)
    return pbf


class People:
    """Population-weighted random points from the demo city's population raster."""

    def __init__(self, path: Path) -> None:
        with rasterio.open(path) as src:
            people = src.read(1).astype(np.float64)
            self.transform = src.transform
        people[~np.isfinite(people)] = 0
        self.shape = people.shape
        self.p = people.ravel() / people.sum()

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """(count, 2) lon/lat: a cell drawn by its people, a uniform spot inside it."""
        row, col = np.divmod(rng.choice(self.p.size, size=count, p=self.p), self.shape[1])
        t = self.transform
        lon = t.c + (col + rng.random(count)) * t.a
        lat = t.f + (row + rng.random(count)) * t.e
        return np.column_stack([lon, lat])


def seed_data(engine: Engine, people: People, rng: np.random.Generator, at: datetime,
              stations: int, *, volunteers_n: int = VOLUNTEERS) -> dict[str, Any]:
    """Replace volunteers, positions, AEDs, ambulances and pads with the benchmark's own."""
    volunteers = people.sample(rng, volunteers_n)
    aeds = people.sample(rng, AEDS)
    pads = people.sample(rng, PADS)
    ages_s = rng.uniform(0, 600, volunteers_n)
    with engine.begin() as conn:
        conn.execute(text(
            "TRUNCATE rc.dispatch, rc.incident, rc.volunteer_position, "
            "rc.volunteer_position_latest, rc.volunteer, rc.aed, "
            "rc.ambulance, rc.drone_pad, rc.no_fly_zone RESTART IDENTITY CASCADE"))
        conn.execute(text(
            "INSERT INTO rc.volunteer (name, level, availability, source) "
            "SELECT 'bench ' || i, 'senior', 'available', 'bench' "
            "FROM generate_series(1, :n) i"), {"n": volunteers_n})
        conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, accuracy_m, geom) "
            "SELECT i, :at - make_interval(secs => age), 10, "
            "       ST_SetSRID(ST_MakePoint(lon, lat), 4326) "
            "FROM unnest(:lon, :lat, :age) WITH ORDINALITY AS t(lon, lat, age, i)"),
            {"at": at, "lon": volunteers[:, 0].tolist(), "lat": volunteers[:, 1].tolist(),
             "age": ages_s.tolist()})
        conn.execute(text(
            "INSERT INTO rc.aed (name, status, battery_expires_on, pads_expire_on, access, "
            "opening_hours, source, geom) "
            "SELECT 'bench AED ' || i, 'ready', DATE '2035-01-01', DATE '2035-01-01', 'yes', "
            "       '24/7', 'bench', ST_SetSRID(ST_MakePoint(lon, lat), 4326) "
            "FROM unnest(:lon, :lat) WITH ORDINALITY AS t(lon, lat, i)"),
            {"lon": aeds[:, 0].tolist(), "lat": aeds[:, 1].tolist()})
        parsed = sync_opening_hours(conn)
        station_ids = conn.execute(text(
            "SELECT id FROM rc.station ORDER BY id")).scalars().all()
        chosen = sorted(rng.choice(station_ids, size=min(stations, len(station_ids)),
                                   replace=False).tolist())
        conn.execute(text(
            "INSERT INTO rc.ambulance (station_id, call_sign, status) "
            "SELECT s, 'BENCH-' || s, 'available' FROM unnest(CAST(:ids AS integer[])) s"),
            {"ids": chosen})
        for i, (lon, lat) in enumerate(pads.tolist()):
            conn.execute(text(
                "INSERT INTO rc.drone_pad (name, status, range_km, cruise_speed_kmh, source, geom) "
                "VALUES (:n, 'ready', 8, 60, 'bench', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
                {"n": f"bench pad {i + 1}", "lon": lon, "lat": lat})
        conn.exec_driver_sql("ANALYZE")
    return {"volunteers": volunteers, "aeds": aeds, "stations_with_ambulance": len(chosen),
            "stations_total": len(station_ids), "aed_hours_parsed": parsed}


def incident_points(network: Network, people: People, rng: np.random.Generator,
                    count: int) -> np.ndarray:
    """Population-weighted points moved onto the nearest walkable road, as lon/lat."""
    raw = people.sample(rng, count * 2)
    points = []
    for snap in network.snap_many(raw[:, 0], raw[:, 1], "walk"):
        if snap is None:
            continue
        on_road = network.geometry[snap.edge].interpolate(snap.fraction, normalized=True)
        lon, lat = network.projection.to_lonlat(np.array([on_road.x]), np.array([on_road.y]))
        points.append((float(lon[0]), float(lat[0])))
        if len(points) == count:
            break
    return np.array(points)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class Run:
    """Latencies of one series of requests and what the plans looked like."""

    total: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=lambda: {
        "network": [], "candidates": [], "plan": [], "rest": []})
    plans: list[tuple[Any, ...]] = field(default_factory=list)
    load: list[float] = field(default_factory=list)

    def rows(self, title: str) -> list[str]:
        lines = [
            "| | p50 | p95 | mean | max |",
            "| --- | --- | --- | --- | --- |",
            f"| **total (client.post){title}** | **{statistics.median(self.total):.1f}** | "
            f"**{percentile(self.total, 95):.1f}** | {statistics.mean(self.total):.1f} | "
            f"{max(self.total):.1f} |",
        ]
        for key, label in (("network", "timings_ms.network"),
                           ("candidates", "timings_ms.candidates"),
                           ("plan", "timings_ms.plan"),
                           ("rest", "rest (auth, JSON, store audit)")):
            values = self.parts[key]
            lines.append(f"| {label} | {statistics.median(values):.1f} | "
                         f"{percentile(values, 95):.1f} | {statistics.mean(values):.1f} | "
                         f"{max(values):.1f} |")
        return lines

    def holds(self) -> bool:
        return (statistics.median(self.total) <= P50_TARGET_MS
                and percentile(self.total, 95) <= P95_TARGET_MS)


def measure(post: Callable[[float, float], tuple[float, dict[str, Any]]],
            points: np.ndarray) -> Run:
    run = Run()
    for i, (lon, lat) in enumerate(points):
        ms, body = post(lon, lat)
        run.total.append(ms)
        timings = body["timings_ms"]
        for key in ("network", "candidates", "plan"):
            run.parts[key].append(timings[key])
        run.parts["rest"].append(ms - sum(timings[k] for k in ("network", "candidates", "plan")))
        run.plans.append((
            tuple(v["volunteer_id"] for v in body["volunteers"]),
            body["aed_runner"] and (body["aed_runner"]["volunteer_id"],
                                    body["aed_runner"]["aed_id"]),
            body["drone"] is not None, body["ambulance"] and body["ambulance"]["station_id"],
            body["circle_holds"],
            bool(body["robustness"] and body["robustness"]["overlap_relaxed"])))
        if i % 50 == 0:
            run.load.append(os.getloadavg()[0])
    return run


def profile(post: Callable[[float, float], tuple[float, dict[str, Any]]],
            points: np.ndarray, entries: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for lon, lat in points:
        post(lon, lat)
    profiler.disable()
    text_out = ""
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order).print_stats(entries)
        text_out += f"\nTop entries by {order} ({len(points)} requests):\n\n"
        text_out += "```\n" + _trim_profile(buffer.getvalue()) + "```\n"
    return text_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--volunteers", type=int, default=VOLUNTEERS)
    parser.add_argument("--reimport", action="store_true")
    parser.add_argument("--profile-requests", type=int, default=30)
    parser.add_argument("--out", type=Path, default=OUT / "dispatch_latency.md")
    args = parser.parse_args()
    load_before = os.getloadavg()
    began = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    settings = Settings()
    pbf = pbf_path()
    started = time.perf_counter()
    db = scratch.network_database(settings, DB_NAME, pbf, reimport=args.reimport, synthetic=True)
    if db.summary is not None:
        log(f"imported: {db.summary}")
    engine, url, how = db.engine, db.url, db.how
    import_s = time.perf_counter() - started
    people = People(GEN_DIR / "population.tif")
    at = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    seeded = seed_data(engine, people, rng, at, args.stations, volunteers_n=args.volunteers)
    seed_s = time.perf_counter() - started
    log(f"network {how}; data seeded in {seed_s:.1f} s")

    bench_network = Network(load_network_arrays(engine))
    edges = len(bench_network.length_m)
    points = incident_points(bench_network, people, rng, args.requests + args.profile_requests)
    timed, profiled = points[:args.requests], points[args.requests:]
    # Candidates each request sees (same radii as gis.dispatch_data.Search), for the report.
    xy = np.column_stack(bench_network.projection.to_xy(timed[:, 0], timed[:, 1]))
    vol_tree = cKDTree(np.column_stack(bench_network.projection.to_xy(*seeded["volunteers"].T)))
    aed_tree = cKDTree(np.column_stack(bench_network.projection.to_xy(*seeded["aeds"].T)))
    vol_2km = [len(h) for h in vol_tree.query_ball_point(xy, 2000)]
    vol_1km = [len(h) for h in vol_tree.query_ball_point(xy, 1000)]
    aed_15km = [len(h) for h in aed_tree.query_ball_point(xy, 1500)]
    del bench_network

    app = create_app(Settings(database_url=url), engine=engine)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {create_token(engine, role='dispatcher', label='bench')}"}

    def post(lon: float, lat: float) -> tuple[float, dict[str, Any]]:
        body = {"point": [lon, lat], "at": at.isoformat(), "k": 3}
        started = time.perf_counter()
        response = client.post("/api/dispatch", headers=headers, json=body)
        ms = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/dispatch {body}: {response.status_code} "
                               f"{response.get_data(as_text=True)[:300]}")
        return ms, response.get_json()

    cold_ms, cold = post(*timed[0])
    log(f"warm-up (cold start) {cold_ms:.0f} ms, timings {cold['timings_ms']}")
    as_is = measure(post, timed)
    log(f"as is: p50 {statistics.median(as_is.total):.0f} ms")
    profile_as_is = profile(post, profiled) if len(profiled) else ""
    load_after = os.getloadavg()

    n = len(as_is.total)
    p50, p95 = statistics.median(as_is.total), percentile(as_is.total, 95)
    circle = sum(1 for p in as_is.plans if p[4])
    lines = [
        "# POST /api/dispatch latency (300k-edge generated network)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, "
        f"{time.perf_counter() - began:.0f} s in all. Load average (1 min) before "
        f"{load_before[0]:.2f}, during {', '.join(f'{x:.2f}' for x in as_is.load)}, after "
        f"{load_after[0]:.2f}: other engineers' tests share the machine.",
        "",
        f"Command: `bench/.venv/bin/python bench/dispatch_latency.py --requests {args.requests} "
        f"--seed {args.seed}`",
        "",
        "## Set-up",
        "",
        f"- network: `{pbf.relative_to(_HERE.parent)}`, {edges:,} edges; database {DB_NAME} "
        f"({how}; {import_s:.1f} s including migrate)",
        f"- {args.volunteers:,} volunteers (available, positions 0-10 min old), {AEDS:,} AEDs "
        f"(ready, in date, 24/7, access yes), {seeded['stations_with_ambulance']} of "
        f"{seeded['stations_total']} stations with an available ambulance, {PADS} drone pads; "
        f"seeded in {seed_s:.1f} s",
        f"- candidates per request (straight line, the API's radii): volunteers within 2 km "
        f"median {statistics.median(vol_2km):.0f} (p10 {percentile(vol_2km, 10):.0f}, "
        f"p90 {percentile(vol_2km, 90):.0f}); within 1 km median "
        f"{statistics.median(vol_1km):.0f}; AEDs within 1.5 km median "
        f"{statistics.median(aed_15km):.0f} (p90 {percentile(aed_15km, 90):.0f})",
        f"- cold start (first request: load 300k edges from PostGIS, build graphs and trees): "
        f"{cold_ms:,.0f} ms (timings_ms {cold['timings_ms']})",
        f"- plans: {statistics.mean(len(p[0]) for p in as_is.plans):.2f} direct volunteers on "
        f"average, AED runner in {sum(1 for p in as_is.plans if p[1])}/{n}, drone in "
        f"{sum(1 for p in as_is.plans if p[2])}/{n}, ambulance in "
        f"{sum(1 for p in as_is.plans if p[3])}/{n}, circle holds in {circle}/{n}, overlap "
        f"bound relaxed in {sum(1 for p in as_is.plans if p[5])}/{n}",
        "",
        f"## Latency as the code stands, {n} requests after the warm-up (ms)",
        "",
        *as_is.rows(""),
        "",
        f"Acceptance (p50 <= {P50_TARGET_MS:.0f} ms, p95 <= {P95_TARGET_MS:.0f} ms): "
        f"**{'holds' if as_is.holds() else 'does not hold'}** (p50 {p50:.1f} ms, p95 "
        f"{p95:.1f} ms).",
        "",
    ]
    lines += ["## Profile", profile_as_is]
    report = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    args.out.with_suffix(".json").write_text(json.dumps({
        "as_is": {"total_ms": as_is.total, **{f"{k}_ms": v for k, v in as_is.parts.items()}},
        "cold_ms": cold_ms, "load_before": load_before, "load_after": load_after}, indent=1))
    print(report)


def _trim_profile(text: str) -> str:
    """pstats output without its preamble, paths already stripped."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    return "\n".join(lines[start:]).rstrip() + "\n"


if __name__ == "__main__":
    main()
