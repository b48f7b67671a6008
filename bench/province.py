"""A province on one machine (issue 18, item 2): import, snapshot and request latencies on a
generated network of ``--edges`` road edges (3 million: a province; 300k: the usual city).

Set-up: ``demo.sizes.generate_network_of_size(bench/out/gen/gen<N>k, target_edges=N)``
(made once), imported into the scratch database ``rc_bench_workers_gen<N>k`` (shared with
bench/workers_memory.py; ``bench/scratch.network_database``, reused while the .pbf is
unchanged: the import time is reported when this run imported it). Then, as
bench/dispatch_latency.py does: 10,000 volunteers, 5,000 AEDs, an ambulance at 8 stations and
2 drone pads, placed by the city's population raster (``dispatch_latency.seed_data``).

Timed (``time.perf_counter``):

* the snapshot: built from PostGIS and written (``services.network_snapshots.open_network``
  on an empty directory), then mapped by a fresh process's path (``read_network``);
* isochrones (drive 5/8/12 min, from random connected drive edges), routes (drive, random
  pairs anywhere, and pairs 2-10 km apart) and dispatches (``k`` = 3, population-weighted
  points on walkable roads), each through the Flask test client of ``create_app`` (JSON in
  and out, no sockets), after one warm-up each; and, as bench/routing_engines.py's "ours",
  the engine without HTTP: ``services.routing.isochrone_geojson`` (drive and walk 5/8/12)
  and snap + ``Network.route`` (pairs 2-10 km apart) on the mapped snapshot;
* the coverage of every station of the network (``rc.station``): one multi-source drive
  search to 12 minutes, the grid, the 5/8/12-minute bands and the GeoTIFF, as
  bench/coverage.py times it (population: the raster's populated cells).

Usage::

    .venv/bin/python bench/province.py --edges 3000000 [--requests 100]
        # writes bench/out/province_<N>k.md and .json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dispatch_latency
import numpy as np
import rasterio
import scratch
from sqlalchemy import text

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from api.app import create_app  # noqa: E402
from gis.network_loader import load_network_arrays, network_key  # noqa: E402
from gis.tokens import create_token  # noqa: E402
from rescuecircle.settings import Settings  # noqa: E402
from routing.coverage import coverage_layer, network_coverage_grid  # noqa: E402
from routing.isochrone import PeopleXY  # noqa: E402
from routing.network import Network  # noqa: E402
from routing.network_snapshot import read_network  # noqa: E402
from routing.time_of_day import SpeedFactors  # noqa: E402
from services.network_snapshots import open_network, snapshot_path  # noqa: E402
from services.routing import IsochroneRequest, isochrone_geojson  # noqa: E402

OUT = _HERE / "out"
MINUTES = [5, 8, 12]


def log(message: str) -> None:
    print(f"[province] {message}", file=sys.stderr, flush=True)


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p95": dispatch_latency.percentile(values, 95),
            "n": len(values)}


def timed(call: Callable[[], Any], count: int, *, warm: int = 10) -> list[float]:
    """Milliseconds of ``count`` calls after ``warm`` unmeasured ones (the first calls fault
    the snapshot's pages in)."""
    for _ in range(warm):
        call()
    out = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def coverage_s(network: Network, engine: Any, population: PeopleXY) -> tuple[float, int]:
    """Seconds for the coverage of every station (as bench/coverage.py) and their count."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM rc.station")).all()
    lon, lat = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    started = time.perf_counter()
    snaps = [s for s in network.snap_many(lon, lat, "drive") if s is not None]
    grid = network_coverage_grid(network, snaps, "drive", limit_s=max(MINUTES) * 60)
    coverage_layer("stations", grid, [float(m) for m in MINUTES], population=population,
                   facilities_used=len(snaps))
    grid.to_geotiff(network.projection.crs.to_wkt())
    return time.perf_counter() - started, len(rows)


def raster_people(path: Path, network: Network) -> PeopleXY:
    """The populated raster cells as weighted points in the network's metres."""
    with rasterio.open(path) as raster:
        values = raster.read(1, masked=True).filled(0).astype(np.float64)
        rows, cols = np.nonzero(values > 0)
        lon, lat = rasterio.transform.xy(raster.transform, rows, cols)
    x, y = network.projection.to_xy(np.asarray(lon), np.asarray(lat))
    return PeopleXY(x, y, values[rows, cols])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--edges", type=int, default=3_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rng = np.random.default_rng(args.seed)
    result: dict[str, Any] = {"edges_target": args.edges}
    pbf, db_name = scratch.generated_city(args.edges)
    db = scratch.network_database(Settings(), db_name, pbf, synthetic=True)
    result["import"] = db.how
    log(f"network {db.how}")
    engine, url = db.engine, db.url

    snapshots = OUT / "province" / f"snapshots-{args.edges // 1000}k"
    shutil.rmtree(snapshots, ignore_errors=True)
    key = network_key(engine)
    assert key is not None
    started = time.perf_counter()
    open_network(snapshots, key, lambda: Network(load_network_arrays(engine)), snap_max_m=500,
                 speed_factors=SpeedFactors())
    result["snapshot_build_s"] = time.perf_counter() - started
    path = snapshot_path(snapshots, key)
    result["snapshot_mb"] = path.stat().st_size / 1e6
    started = time.perf_counter()
    network = read_network(path)
    result["snapshot_map_s"] = time.perf_counter() - started
    result["edges"], result["vertices"] = len(network.length_m), len(network.vertex_id)
    log(f"snapshot {result['snapshot_mb']:.0f} MB built in {result['snapshot_build_s']:.1f} s, "
        f"mapped in {result['snapshot_map_s']:.2f} s")

    gen_dir = pbf.parent
    people = dispatch_latency.People(gen_dir / "population.tif")
    at = datetime.now(UTC).replace(microsecond=0)
    seeded = dispatch_latency.seed_data(engine, people, rng, at, 8)
    result["stations"] = seeded["stations_total"]

    app = create_app(Settings(database_url=url, snapshot_dir=snapshots,
                              public_compute_per_min=100_000), engine=engine)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {create_token(engine, role='dispatcher', label='bench')}"}
    with engine.connect() as conn:
        starts = conn.execute(text(
            "SELECT ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)) FROM rc.road_edge "
            "WHERE NOT island_drive AND cost_drive_s >= 0 ORDER BY random() LIMIT :n"),
            {"n": 4 * args.requests + 8}).all()
    points = iter([(float(r[0]), float(r[1])) for r in starts] * 4)

    def post(path_: str, body: dict[str, Any], status: int = 200) -> None:
        response = client.post(path_, json=body, headers=headers)
        if response.status_code != status:
            raise RuntimeError(f"{path_} {body}: {response.status_code} "
                               f"{response.get_data(as_text=True)[:300]}")

    def isochrone() -> None:
        post("/ogc/processes/isochrone/execution", {"inputs": {
            "point": list(next(points)), "mode": "drive", "minutes": MINUTES}})

    def route_anywhere() -> None:
        post("/ogc/processes/route/execution", {"inputs": {
            "origin": list(next(points)), "destination": list(next(points)), "mode": "drive"}})

    near = np.array([(float(r[0]), float(r[1])) for r in starts])
    x, y = network.projection.to_xy(near[:, 0], near[:, 1])
    apart_m = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    close = list(zip(*np.nonzero((apart_m >= 2000) & (apart_m <= 10000)), strict=True))
    pairs, engine_pairs = iter(close), iter(close[::-1])

    def route_near() -> None:
        i, j = next(pairs)
        post("/ogc/processes/route/execution", {"inputs": {
            "origin": near[i].tolist(), "destination": near[j].tolist(), "mode": "drive"}})

    incidents = iter(dispatch_latency.incident_points(network, people, rng, args.requests + 10))

    def dispatch() -> None:
        lon, lat = next(incidents)
        post("/api/dispatch", {"point": [lon, lat], "at": at.isoformat(), "k": 3}, 201)

    def engine_isochrone(mode: str) -> Callable[[], Any]:
        def call() -> Any:
            lon, lat = next(points)
            request = IsochroneRequest(lon, lat, mode, [float(m) for m in MINUTES], None)
            return isochrone_geojson(network, request, None)
        return call

    def engine_route() -> None:
        i, j = next(engine_pairs)
        network.route(network.snap(*near[i], "drive"), network.snap(*near[j], "drive"),
                      "drive")

    started = time.perf_counter()
    isochrone()
    result["first_request_s"] = time.perf_counter() - started  # maps the snapshot
    for mode in ("drive", "walk"):  # as bench/routing_engines.py's "ours": no HTTP
        result[f"engine_isochrone_{mode}_ms"] = percentiles(
            timed(engine_isochrone(mode), args.requests))
        log(f"engine isochrone {mode} {result[f'engine_isochrone_{mode}_ms']}")
    result["engine_route_near_ms"] = percentiles(timed(engine_route, args.requests))
    log(f"engine route 2-10 km {result['engine_route_near_ms']}")
    result["isochrone_ms"] = percentiles(timed(isochrone, args.requests))
    log(f"isochrone {result['isochrone_ms']}")
    result["route_near_ms"] = percentiles(timed(route_near, args.requests))
    log(f"route 2-10 km {result['route_near_ms']}")
    result["route_anywhere_ms"] = percentiles(timed(route_anywhere, min(args.requests, 30),
                                                    warm=2))
    log(f"route anywhere {result['route_anywhere_ms']}")
    result["dispatch_ms"] = percentiles(timed(dispatch, args.requests))
    log(f"dispatch {result['dispatch_ms']}")
    # the app's alert clock replans the dispatches above as their alerts time out, in this
    # process: stopped, so that it does not share the coverage's cores and interpreter
    app.extensions["rc_alert_clock"].stop()
    population = raster_people(gen_dir / "population.tif", network)
    runs = [coverage_s(network, engine, population) for _ in range(3)]
    result["coverage_s"] = {"first": runs[0][0], "median": statistics.median(r[0] for r in runs)}
    log(f"coverage of {runs[0][1]} stations {result['coverage_s']}")
    result["load"] = [load_before, os.getloadavg()[0]]
    result["when"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}"
    out = OUT / f"province_{args.edges // 1000}k.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
