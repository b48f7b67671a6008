"""A bounded load test of the real server on loopback (issue 9, item 4).

Set-up: a scratch database ``rc_bench_load`` (``cluster.create_database(..., replace=True)``,
``migrate``, ``load_demo_city``: 150 AEDs, 300 volunteers with positions, stations with
ambulances), one dispatcher token, and the app (``api.app.create_app``) served by waitress
(``threads=8``) on 127.0.0.1 at a free port, in a thread of this process.

Load: after one warm-up request of each kind (loads the network, builds the graphs), ``--clients``
threads, each with its own keep-alive ``http.client`` connection, loop over a weighted mix for
``--seconds`` (or until ``--max-requests`` in all), sending the dispatcher token on every request
(token holders are never rate-limited):

* ``dispatch``: ``POST /api/dispatch`` ``{"point": [lon, lat], "k": 3}``;
* ``isochrone``: ``POST /ogc/processes/isochrone/execution``, drive or walk, 5/8/12 minutes;
* ``tile road_edges`` / ``tile aeds``: ``GET /tiles/<layer>/{z}/{x}/{y}.mvt``, z 12-15;
* ``features``: ``GET /ogc/collections/aeds/items?bbox=...&f=json&limit=50`` (about 2 km wide).

Points are a few metres from random road vertices of the city's connected network (in its
``rc.network.bbox``); tiles and boxes are centred on such vertices. An error is any non-2xx
answer or exception. The scratch database is dropped at the end (``--keep-db`` keeps it).

Usage::

    bench/.venv/bin/python bench/load.py     # writes bench/out/load.md
        [--seconds 60] [--clients 8] [--threads 8] [--max-requests 200000] [--seed 7]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import waitress
from psycopg import sql
from sqlalchemy import Engine, text

# bench/routing.py would shadow the project's ``routing`` package when bench/ is on sys.path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from api.app import create_app  # noqa: E402
from gis.db import make_engine  # noqa: E402
from gis.demo_load import load_demo_city  # noqa: E402
from gis.migrate import migrate  # noqa: E402
from gis.tokens import create_token  # noqa: E402
from localdb import cluster  # noqa: E402
from rescuecircle import database  # noqa: E402
from rescuecircle.settings import Settings  # noqa: E402

OUT = _HERE / "out"
DB_NAME = "rc_bench_load"
HOST = "127.0.0.1"  # loopback only
JITTER_DEG = 0.0001  # about 10 m: points stay well within snapping distance
FEATURE_BOX_DEG = 0.01  # about 1 km each side of the centre
MINUTES = [5, 8, 12]
# kind -> weight in the mix
MIX = {"dispatch": 2, "isochrone": 2, "tile road_edges": 2, "tile aeds": 2, "features": 2}


def log(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class City:
    """Where requests may point: road vertices of the connected network, and the bbox."""

    vertices: list[tuple[float, float]]
    bbox: tuple[float, float, float, float]


def prepare(settings: Settings) -> tuple[Engine, str, City, str]:
    """Scratch database with the demo city; (engine, url, city, dispatcher token)."""
    cluster.create_database(settings, DB_NAME, replace=True)
    url = database.local_url(settings, DB_NAME)
    engine = make_engine(settings, url)
    migrate(engine)
    started = time.perf_counter()
    log(load_demo_city(engine))
    log(f"demo city loaded in {time.perf_counter() - started:.1f} s")
    with engine.connect() as conn:
        bbox = conn.execute(text(
            "SELECT ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox) "
            "FROM rc.network ORDER BY id DESC LIMIT 1")).one()
        rows = conn.execute(text(
            "SELECT DISTINCT ST_X(v.geom), ST_Y(v.geom) FROM rc.road_edge e "
            "JOIN rc.road_vertex v ON v.id = e.source "
            "WHERE NOT e.island_drive AND NOT e.island_walk "
            "AND ST_Intersects(v.geom, (SELECT bbox FROM rc.network ORDER BY id DESC LIMIT 1))"
        )).all()
    token = create_token(engine, role="dispatcher", label="bench/load.py")
    city = City([(float(x), float(y)) for x, y in rows], tuple(float(v) for v in bbox))
    log(f"{len(city.vertices):,} road vertices, bbox {city.bbox}")
    return engine, url, city, token


def drop_database(settings: Settings) -> None:
    with cluster.admin_connect(settings, "postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(DB_NAME)))


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    body: bytes | None = None


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ (web mercator) tile holding a point."""
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


class RequestMaker:
    """Draws requests of the mix from one seeded generator (one per client thread)."""

    def __init__(self, city: City, seed: int) -> None:
        self.city = city
        self.rng = random.Random(seed)
        self.kinds = list(MIX)
        self.weights = [MIX[k] for k in self.kinds]
        self.makers: dict[str, Callable[[], Request]] = {
            "dispatch": self.dispatch, "isochrone": self.isochrone,
            "tile road_edges": lambda: self.tile("road_edges"),
            "tile aeds": lambda: self.tile("aeds"), "features": self.features,
        }

    def point(self) -> tuple[float, float]:
        lon, lat = self.rng.choice(self.city.vertices)
        return (round(lon + self.rng.uniform(-JITTER_DEG, JITTER_DEG), 7),
                round(lat + self.rng.uniform(-JITTER_DEG, JITTER_DEG), 7))

    def next(self) -> Request:
        return self.make(self.rng.choices(self.kinds, self.weights)[0])

    def make(self, kind: str) -> Request:
        return self.makers[kind]()

    def dispatch(self) -> Request:
        body = {"point": list(self.point()), "k": 3}
        return Request("dispatch", "POST", "/api/dispatch", json.dumps(body).encode())

    def isochrone(self, mode: str | None = None) -> Request:
        mode = mode or self.rng.choice(["drive", "walk"])
        body = {"inputs": {"point": list(self.point()), "mode": mode, "minutes": MINUTES}}
        return Request("isochrone", "POST", "/ogc/processes/isochrone/execution",
                       json.dumps(body).encode())

    def tile(self, layer: str) -> Request:
        z = self.rng.randint(12, 15)
        x, y = tile_xy(*self.point(), z)
        return Request(f"tile {layer}", "GET", f"/tiles/{layer}/{z}/{x}/{y}.mvt")

    def features(self) -> Request:
        lon, lat = self.point()
        box = ",".join(f"{v:.6f}" for v in (lon - FEATURE_BOX_DEG, lat - FEATURE_BOX_DEG,
                                             lon + FEATURE_BOX_DEG, lat + FEATURE_BOX_DEG))
        return Request("features", "GET",
                       f"/ogc/collections/aeds/items?bbox={box}&f=json&limit=50")


# --------------------------------------------------------------------------- clients


@dataclass
class Results:
    """Latencies (ms) of answered-2xx requests and errors, per kind; shared by all clients."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    def total(self) -> int:
        return sum(map(len, self.latencies_ms.values()))


class Client:
    """One keep-alive connection; reconnects after a failure."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "*/*",
                        "Content-Type": "application/json", "Connection": "keep-alive"}
        self.conn: http.client.HTTPConnection | None = None

    def send(self, request: Request) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            self.conn.request(request.method, request.path, body=request.body,
                              headers=self.headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def timed(client: Client, request: Request, results: Results) -> None:
    started = time.perf_counter()
    try:
        status, body = client.send(request)
        problem = None if 200 <= status < 300 else f"{status} {body[:300]!r}"
    except Exception as exc:  # noqa: BLE001 - every failure is an error of the run
        status, problem = -1, f"{type(exc).__name__}: {exc}"
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    with results.lock:
        results.statuses[(request.kind, status)] += 1
        results.latencies_ms[request.kind].append(elapsed_ms)
        if problem is not None:
            results.errors[request.kind] += 1
            if len(results.error_samples) < 20:
                sent = "" if request.body is None else f" {request.body.decode()}"
                results.error_samples.append(f"{request.kind} {request.method} "
                                             f"{request.path}{sent}: {problem}")


def client_loop(port: int, token: str, maker: RequestMaker, results: Results,
                deadline: float, max_requests: int) -> None:
    client = Client(port, token)
    try:
        while time.perf_counter() < deadline:
            with results.lock:
                if results.total() >= max_requests:
                    return
            timed(client, maker.next(), results)
    finally:
        client.close()


# --------------------------------------------------------------------------- report


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


def table(results: Results, wall_s: float) -> str:
    lines = ["| request | count | req/s | p50 ms | p95 ms | p99 ms | errors |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    everything: list[float] = []
    for kind in MIX:
        values = results.latencies_ms.get(kind, [])
        everything += values
        lines.append(row(kind, values, results.errors[kind], wall_s))
    lines.append(row("**all**", everything, sum(results.errors.values()), wall_s))
    return "\n".join(lines)


def row(name: str, values: list[float], errors: int, wall_s: float) -> str:
    if not values:
        return f"| {name} | 0 | 0 | - | - | - | {errors} |"
    return (f"| {name} | {len(values):,} | {len(values) / wall_s:.1f} | "
            f"{percentile(values, 50):.0f} | {percentile(values, 95):.0f} | "
            f"{percentile(values, 99):.0f} | {errors} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 64:
        parser.error("--seconds must be in (0, 600] and --clients in 1-64")

    settings = Settings()
    engine, url, city, token = prepare(settings)
    server = waitress.create_server(create_app(Settings(database_url=url), engine=engine),
                                    host=HOST, port=0, threads=args.threads)
    port = server.effective_port  # type: ignore[union-attr]
    serving = threading.Thread(target=server.run, name="waitress", daemon=True)
    serving.start()
    log(f"serving on http://{HOST}:{port} with {args.threads} threads")
    try:
        results = Results()
        warm = Client(port, token)
        maker = RequestMaker(city, args.seed)
        warmups = [maker.make(kind) for kind in MIX] + [maker.isochrone("drive"),
                                                        maker.isochrone("walk")]
        for request in warmups:
            started = time.perf_counter()
            status, body = warm.send(request)
            log(f"warm-up {request.kind}: {status} in "
                f"{(time.perf_counter() - started) * 1000:.0f} ms")
            if not 200 <= status < 300:
                raise SystemExit(f"warm-up {request.kind} failed: {status} {body[:500]!r}")
        warm.close()

        load_before = os.getloadavg()
        log(f"running {args.clients} clients for {args.seconds:.0f} s")
        started = time.perf_counter()
        deadline = started + args.seconds
        threads = [threading.Thread(
            target=client_loop, name=f"client-{i}", daemon=True,
            args=(port, token, RequestMaker(city, args.seed * 1000 + i), results, deadline,
                  args.max_requests)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        wall_s = time.perf_counter() - started
        load_after = os.getloadavg()
        stuck = sum(thread.is_alive() for thread in threads)
    finally:
        # Let the worker threads finish (they wake the server's loop) before closing it.
        server.task_dispatcher.shutdown(timeout=10)  # type: ignore[union-attr]
        server.close()
        engine.dispose()
        if not args.keep_db:
            drop_database(settings)
            log(f"dropped {DB_NAME}")

    report = "\n".join([
        f"# Load test ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "",
        f"`bench/.venv/bin/python bench/load.py --seconds {args.seconds:g} "
        f"--clients {args.clients} --threads {args.threads} --seed {args.seed}`", "",
        f"Demo city ({len(city.vertices):,} usable road vertices); waitress with "
        f"{args.threads} threads on {HOST}; {args.clients} keep-alive clients; mix (weights) "
        + ", ".join(f"{k} {w}" for k, w in MIX.items())
        + f"; isochrones drive or walk, {'/'.join(map(str, MINUTES))} min; "
        f"tiles z12-15; wall time {wall_s:.1f} s.", "",
        table(results, wall_s), "",
        f"Load average (1/5/15 min) before {'/'.join(f'{v:.2f}' for v in load_before)}, "
        f"after {'/'.join(f'{v:.2f}' for v in load_after)}; {os.cpu_count()} CPUs; "
        f"{platform.python_implementation()} {platform.python_version()}.",
        f"Statuses: {', '.join(f'{k} {s}: {n}' for (k, s), n in sorted(results.statuses.items()))}."
        + (f" Client threads still running at the end: {stuck}." if stuck else ""),
    ])
    if results.error_samples:
        report += "\n\nFirst errors:\n\n" + "\n".join(f"- `{s}`" for s in results.error_samples)
    median_ms = statistics.median(v for vs in results.latencies_ms.values() for v in vs)
    log(f"overall median {median_ms:.0f} ms")
    OUT.mkdir(exist_ok=True)
    (OUT / "load.md").write_text(report + "\n")
    print(report)
    return 1 if results.errors or stuck else 0


if __name__ == "__main__":
    sys.exit(main())
