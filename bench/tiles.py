"""Vector tile latency: rescuecircle against tipg over the same tables, in the same run.

A scratch database (``rc_bench_tiles``) gets a road network (default: the generated 100k-edge
city in bench/out/gen/gen100k, generated when missing; else ``--pbf``) and ``--aeds`` random
AEDs (default 50,000, clustered around the centre as real registries are). Then three HTTP
servers run on loopback:

- ``ours``: rescuecircle under waitress (4 threads) with its tile cache off, so every request
  makes its tile in PostGIS, as tipg does;
- ``ours-cached``: the same with the cache on (each tile asked once before timing);
- ``tipg``: tipg 1.x under uvicorn (tipg lives only in bench/.venv), same tables, asked for the
  same properties as ours so both tiles carry the same attributes.

Each workload is a layer at a zoom over the tiles covering the network (up to ``--tiles`` of
them, spread evenly); every tile is requested ``--rounds`` times from each server, servers
alternating per request, one keep-alive client, after one untimed pass over the same tiles
(which also fills the cache of ``ours-cached``). Latency is client-side
wall time per request. AEDs below zoom 12 differ by design: ours aggregates them into counted
cells, tipg sends up to its 10,000-feature cap of raw points.

Usage (the project-local cluster must be running)::

    bench/.venv/bin/python bench/tiles.py [--pbf FILE] [--aeds 50000] [--rounds 5] [--tiles 40]
"""

import argparse
import http.client
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text

from demo.sizes import generate_network_of_size
from gis.db import make_engine
from gis.migrate import migrate
from gis.osm_import import import_osm
from localdb import cluster
from rescuecircle import database
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings

DEFAULT_PBF = PROJECT_ROOT / "bench" / "out" / "gen" / "gen100k" / "demo_city.osm.pbf"
DATABASE = "rc_bench_tiles"
ROAD_PROPERTIES = ("id,osm_way_id,road_class,name,length_m,maxspeed_kmh,cost_drive_s,"
                   "reverse_cost_drive_s,cost_walk_s,reverse_cost_walk_s,cost_bike_s,"
                   "reverse_cost_bike_s,island_drive,island_walk,island_bike")
AED_PROPERTIES = "id,name,status,access,opening_hours,indoor,level,location_text"


@dataclass(frozen=True)
class Workload:
    """One layer at one zoom, as each server names it."""

    label: str
    zoom: int
    ours: str  # our layer
    tipg: str  # tipg collection
    properties: str


WORKLOADS = [
    Workload("roads z14", 14, "road_edges", "rc.road_edge", ROAD_PROPERTIES),
    Workload("roads z12", 12, "road_edges", "rc.road_edge", ROAD_PROPERTIES),
    Workload("roads z10", 10, "road_edges", "rc.road_edge", ROAD_PROPERTIES),
    Workload("AEDs z14", 14, "aeds", "rc.aed", AED_PROPERTIES),
    Workload("AEDs z12", 12, "aeds", "rc.aed", AED_PROPERTIES),
    Workload("AEDs z10", 10, "aeds", "rc.aed", AED_PROPERTIES),
]


def prepare(settings: Settings, pbf: Path, aeds: int) -> Engine:
    """The scratch database with the network of ``pbf`` and ``aeds`` random AEDs."""
    cluster.create_database(settings, DATABASE, replace=True)
    engine = make_engine(settings, database.local_url(settings, DATABASE))
    migrate(engine)
    print(import_osm(engine, pbf), file=sys.stderr)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.aed"))
        conn.execute(text("""
            WITH box AS (SELECT bbox FROM rc.network ORDER BY id DESC LIMIT 1),
                 centre AS (SELECT ST_X(ST_Centroid(bbox)) AS x, ST_Y(ST_Centroid(bbox)) AS y,
                                   (ST_XMax(bbox) - ST_XMin(bbox)) / 6 AS sx,
                                   (ST_YMax(bbox) - ST_YMin(bbox)) / 6 AS sy FROM box)
            INSERT INTO rc.aed (ref, name, status, access, opening_hours, source, geom)
            SELECT 'BENCH-' || i, 'AED ' || i,
                   (ARRAY['ready', 'ready', 'ready', 'fault', 'in_use'])[1 + i % 5],
                   'yes', '24/7', 'bench',
                   ST_SetSRID(ST_MakePoint(
                       c.x + c.sx * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()),
                       c.y + c.sy * sqrt(-2 * ln(1 - random())) * sin(2 * pi() * random())),
                       4326)
            FROM centre c, generate_series(1, :n) i"""), {"n": aeds})
        conn.execute(text("ANALYZE rc.aed"))
    return engine


def tiles_over(engine: Engine, zoom: int, limit: int) -> list[tuple[int, int]]:
    """Up to ``limit`` tiles at ``zoom`` covering the network's bbox, spread evenly."""
    with engine.connect() as conn:
        x0, y0, x1, y1 = conn.execute(text(
            "SELECT ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox) "
            "FROM rc.network ORDER BY id DESC LIMIT 1")).one()

    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 1 << zoom
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    (west, north), (east, south) = tile(x0, y1), tile(x1, y0)
    every = [(x, y) for x in range(west, east + 1) for y in range(north, south + 1)]
    step = max(1, len(every) // limit)
    return every[::step][:limit]


def serve_ours(port: int, url: str, cache: bool) -> None:
    """Run rescuecircle on ``port`` (the child process of :func:`start`)."""
    import waitress

    from api.app import create_app
    from api.tiles import EXTENSION_KEY
    from gis.tiles import TileService

    settings = Settings(database_url=url, port=port, log_level="WARNING")
    app = create_app(settings)
    if not cache:
        app.extensions[EXTENSION_KEY] = TileService(app.extensions[EXTENSION_KEY].engine,
                                                    cache_bytes=0)
    waitress.serve(app, host="127.0.0.1", port=port, threads=4, _quiet=True)


def start(name: str, port: int, url: str) -> subprocess.Popen[bytes]:
    """Start one server and wait until it answers."""
    if name == "tipg":
        env = {**os.environ, "DATABASE_URL": url.replace("+psycopg", ""),
               "TIPG_DB_SCHEMAS": '["rc"]', "TIPG_DB_TABLES": '["rc.road_edge", "rc.aed"]'}
        command = [sys.executable, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1",
                   "--port", str(port), "--log-level", "warning"]
        process = subprocess.Popen(command, env=env, cwd="/tmp")
    else:
        command = [sys.executable, __file__, "--serve-ours", str(port), url,
                   "--cache" if name == "ours-cached" else "--no-cache"]
        process = subprocess.Popen(command)
    ready = "/collections" if name == "tipg" else "/health"
    for _ in range(120):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", ready)
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"{name} did not start on port {port}")


def path(server: str, workload: Workload, x: int, y: int) -> str:
    if server == "tipg":
        return (f"/collections/{workload.tipg}/tiles/WebMercatorQuad/{workload.zoom}/{x}/{y}"
                f"?properties={workload.properties}")
    return f"/tiles/{workload.ours}/{workload.zoom}/{x}/{y}.mvt"


def get(connection: http.client.HTTPConnection, url: str) -> tuple[float, int]:
    """Seconds for one GET and the size of the body; fails on any status but 200/204."""
    started = time.perf_counter()
    connection.request("GET", url)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status not in (200, 204):
        raise RuntimeError(f"{url}: HTTP {response.status} {body[:200]!r}")
    return elapsed, len(body)


def measure(ports: dict[str, int], workload: Workload, tiles: list[tuple[int, int]],
            rounds: int) -> dict[str, tuple[list[float], list[int]]]:
    connections = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                   for name, port in ports.items()}
    for name, connection in connections.items():  # warm-up; fills the cache of ours-cached
        for x, y in tiles:
            get(connection, path(name, workload, x, y))
    results: dict[str, tuple[list[float], list[int]]] = {name: ([], []) for name in ports}
    for _ in range(rounds):
        for x, y in tiles:
            for name, connection in connections.items():
                seconds, size = get(connection, path(name, workload, x, y))
                results[name][0].append(seconds)
                results[name][1].append(size)
    for connection in connections.values():
        connection.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=DEFAULT_PBF)
    parser.add_argument("--aeds", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tiles", type=int, default=40)
    parser.add_argument("--serve-ours", nargs=2, metavar=("PORT", "URL"))
    parser.add_argument("--cache", action=argparse.BooleanOptionalAction, default=False)
    args = parser.parse_args()
    if args.serve_ours:
        serve_ours(int(args.serve_ours[0]), args.serve_ours[1], args.cache)
        return
    settings = Settings(db_name="rc_test", database_url=None)
    if args.pbf == DEFAULT_PBF and not DEFAULT_PBF.exists():   # a fresh checkout: make it
        print(f"generating the 100k-edge demo city into {DEFAULT_PBF.parent}", file=sys.stderr)
        generate_network_of_size(DEFAULT_PBF.parent, target_edges=100_000)
    engine = prepare(settings, args.pbf, args.aeds)
    url = database.local_url(settings, DATABASE)
    ports = {"ours": 18801, "ours-cached": 18802, "tipg": 18803}
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for name, port in ports.items():
            servers.append(start(name, port, url))
        print("| workload | tiles | ours p50 / p95 ms | ours cached p50 / p95 ms "
              "| tipg p50 / p95 ms | ours / tipg KB per tile |")
        print("| --- | --- | --- | --- | --- | --- |")
        for workload in WORKLOADS:
            tiles = tiles_over(engine, workload.zoom, args.tiles)
            results = measure(ports, workload, tiles, args.rounds)
            cells = []
            for name in ports:
                seconds = np.array(results[name][0]) * 1000
                cells.append(f"{np.percentile(seconds, 50):.1f} / {np.percentile(seconds, 95):.1f}")
            sizes = " / ".join(f"{statistics.mean(results[n][1]) / 1024:.1f}"
                               for n in ("ours", "tipg"))
            print(f"| {workload.label} | {len(tiles)} | {' | '.join(cells)} | {sizes} |",
                  flush=True)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        engine.dispose()


if __name__ == "__main__":
    main()
