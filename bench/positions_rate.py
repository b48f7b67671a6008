"""Positions at rate (issue 18): 100,000 volunteers each every 30 s, 3,300 positions a second
posted in batches by gateway clients, while a dispatcher plans; dispatch latency with and
without the load.

Set-up (``bench/dispatch_latency.py``'s, reused): the generated 300k-edge city, imported once
into ``rc_bench_positions_gen300k`` (``bench/scratch.py``), with ``--volunteers`` (100,000)
available volunteers whose positions are 0-10 minutes old, 5,000 AEDs, ``--stations``
ambulances and 2 drone pads, replaced on every run (seed ``--seed``).

The server is production's: ``gunicorn api.wsgi:app`` (``--workers`` processes of ``--threads``
threads, as docker-compose.yml runs it, sized to this machine's 2 cores) on loopback, with a
gateway token (role ``gateway``) and a dispatcher token.

1. Warm-up: dispatches on fresh connections until every worker has built its graphs.
2. Anchor: ``--anchor`` dispatches with nothing else running, one every
   ``--dispatch-every-s``, each incident closed at once (not timed).
3. Load, ``--duration-s`` (300): ``--clients`` processes of ``--client-threads`` threads each
   post ``POST /api/volunteers/positions`` batches of ``--batch`` positions (volunteers in
   turn, each near home), paced together at ``--rate`` positions a second (a thread that falls
   behind posts at once, so the achieved rate shows what the server takes); meanwhile a
   dispatcher posts ``POST /api/dispatch`` every ``--dispatch-every-s`` on a fresh connection
   (spread over the workers, as behind a balancer) and closes each incident.

Reported: positions stored per 10-second window (min, p50, max; the acceptance is the rate held
in every full window), batch latency, dispatch p50/p95 under load against the anchor, the load
average, and the history's partitions and sizes afterwards.

Usage::

    .venv/bin/python bench/positions_rate.py    # writes bench/out/positions_rate.md
        [--duration-s 300] [--rate 3300] [--batch 500] [--clients 2] [--client-threads 2]
        [--workers 2] [--threads 4] [--anchor 40] [--dispatch-every-s 2] [--seed 11]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dispatch_latency as latency
import numpy as np
import scratch
from sqlalchemy import Engine, text

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from gis.network_loader import load_network_arrays  # noqa: E402
from gis.tokens import create_token  # noqa: E402
from rescuecircle.settings import Settings  # noqa: E402
from routing.network import Network  # noqa: E402

OUT = _HERE / "out"
DB_NAME = "rc_bench_positions_gen300k"
HOST = "127.0.0.1"
WINDOW_S = 10.0
JITTER_DEG = 0.001          # a volunteer reports within ~100 m of home
RATE_TARGET = 3300.0
P50_TARGET_MS = 150.0
Record = tuple[float, int, float, int, float]   # end (wall clock), positions, ms, status, lag_s


def log(message: str) -> None:
    print(f"[positions_rate] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def call(connection: http.client.HTTPConnection, method: str, path: str, token: str,
         body: Any = None) -> tuple[float, int, Any]:
    """(milliseconds, status, JSON answer or None) of one request on ``connection``."""
    payload = None if body is None else json.dumps(body).encode()
    started = time.perf_counter()
    connection.request(method, path, body=payload, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    ms = (time.perf_counter() - started) * 1000
    return ms, response.status, json.loads(data) if data else None


def start_server(url: str, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn serving api.wsgi:app on a free loopback port, once /health answers."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "RC_DATABASE_URL": url, "RC_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "api.wsgi:app", "--bind", f"{HOST}:{port}",
         "--workers", str(workers), "--threads", str(threads), "--timeout", "120",
         "--graceful-timeout", "30"], env=env, cwd=_HERE.parent)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        time.sleep(1)
    server.kill()
    raise RuntimeError("the server did not come up within 10 minutes")


# --------------------------------------------------------------------------- gateway clients


def gateway_client(port: int, token: str, homes: np.ndarray, slot: int, slots: int,
                   per_slot_rate: float, batch: int, start_at: float, stop_at: float,
                   seed: int, results: Any) -> None:
    """One client process: ``threads`` slots of its own, each posting batches of the
    volunteers ``slot, slot + slots, ...`` in turn, paced at ``per_slot_rate``; sends back
    (wall-clock end, positions, ms, status, lag behind schedule in s) per batch."""
    rng = np.random.default_rng(seed + slot)
    mine = np.arange(slot, len(homes), slots)
    interval_s = batch / per_slot_rate
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    records: list[Record] = []
    sent, k = 0, 0
    while True:
        due = start_at + k * interval_s
        now = time.time()
        if now >= stop_at:
            break
        if due > now:
            time.sleep(min(due - now, stop_at - now))
            if time.time() >= stop_at:
                break
        lag_s = max(time.time() - due, 0.0)
        ids = mine[np.arange(sent, sent + batch) % len(mine)]
        sent += batch
        moved = homes[ids] + rng.uniform(-JITTER_DEG, JITTER_DEG, (len(ids), 2))
        body = {"positions": [
            {"volunteer_id": int(i) + 1, "lon": round(float(x), 7), "lat": round(float(y), 7),
             "accuracy_m": 10} for i, (x, y) in zip(ids, moved, strict=True)]}
        try:
            ms, status, _ = call(connection, "POST", "/api/volunteers/positions", token, body)
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=120)
            ms, status = 0.0, 0
        records.append((time.time(), len(ids), ms, status, lag_s))
        k += 1
    results.put(records)


def client_process(port: int, token: str, homes: np.ndarray, first_slot: int, threads: int,
                   slots: int, per_slot_rate: float, batch: int, start_at: float,
                   stop_at: float, seed: int, results: Any) -> None:
    """A client process running ``threads`` gateway slots."""
    workers = [threading.Thread(target=gateway_client, args=(
        port, token, homes, first_slot + t, slots, per_slot_rate, batch, start_at, stop_at,
        seed, results)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


# --------------------------------------------------------------------------- dispatcher


@dataclass
class Dispatches:
    """Latencies of one series of dispatches (client side) and their timings_ms."""

    total_ms: list[float] = field(default_factory=list)
    candidates_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def dispatch_once(port: int, token: str, point: np.ndarray, into: Dispatches | None) -> None:
    """One dispatch on a fresh connection (any worker), its incident closed at once."""
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        ms, status, plan = call(connection, "POST", "/api/dispatch", token,
                                {"point": [float(point[0]), float(point[1])], "k": 3})
        if into is not None:
            into.statuses[status] = into.statuses.get(status, 0) + 1
            if status == 201:
                into.total_ms.append(ms)
                into.candidates_ms.append(plan["timings_ms"]["candidates"])
        if status == 201:
            call(connection, "POST", f"/api/incidents/{plan['incident_id']}/close", token,
                 {"outcome": "false_alarm"})
        elif into is None:
            raise RuntimeError(f"POST /api/dispatch: {status} {plan}")
    finally:
        connection.close()


def dispatch_series(port: int, token: str, points: np.ndarray, every_s: float,
                    stop_at: float | None = None) -> Dispatches:
    """Dispatches every ``every_s`` over ``points`` (until ``stop_at``, wall clock)."""
    series = Dispatches()
    began = time.monotonic()
    for k, point in enumerate(points):
        if stop_at is not None and time.time() >= stop_at:
            break
        wait_s = began + k * every_s - time.monotonic()
        if wait_s > 0:
            time.sleep(wait_s)
        dispatch_once(port, token, point, series)
    return series


# --------------------------------------------------------------------------- the run


def seed(engine: Engine, people: latency.People, rng: np.random.Generator, volunteers: int,
         stations: int) -> dict[str, Any]:
    """dispatch_latency's data with ``volunteers`` volunteers; the history vacuumed after."""
    seeded = latency.seed_data(engine, people, rng, datetime.now(UTC), stations,
                               volunteers_n=volunteers)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE rc.volunteer_position_latest")
    return seeded


def history(engine: Engine) -> dict[str, Any]:
    """The history's partitions, rows and size, and the latest table's size."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT (SELECT count(*) FROM pg_inherits "
            "        WHERE inhparent = 'rc.volunteer_position'::regclass) AS partitions, "
            "(SELECT count(*) FROM rc.volunteer_position) AS rows, "
            "pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
            "  WHERE inhparent = 'rc.volunteer_position'::regclass)) AS size, "
            "(SELECT count(*) FROM rc.volunteer_position_default) AS strays, "
            "pg_size_pretty(pg_total_relation_size('rc.volunteer_position_latest')) "
            "AS latest_size")).one()
    return dict(row._mapping)


def windows(records: list[Record], start_at: float,
            stop_at: float) -> list[float]:
    """Positions stored per second in each full WINDOW_S window of the load."""
    count = int((stop_at - start_at) // WINDOW_S)
    stored = [0] * count
    for end, positions, _, status, _ in records:
        index = int((end - start_at) // WINDOW_S)
        if status == 201 and 0 <= index < count:
            stored[index] += positions
    return [n / WINDOW_S for n in stored]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration-s", type=float, default=300.0)
    parser.add_argument("--rate", type=float, default=RATE_TARGET, help="positions a second")
    parser.add_argument("--batch", type=int, default=500, help="positions per request")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--client-threads", type=int, default=2)
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--anchor", type=int, default=40, help="dispatches with no load")
    parser.add_argument("--dispatch-every-s", type=float, default=2.0)
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reimport", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT / "positions_rate.md")
    args = parser.parse_args()
    command = " ".join([".venv/bin/python bench/positions_rate.py", *sys.argv[1:]])
    began, started_utc = time.perf_counter(), datetime.now(UTC)
    rng = np.random.default_rng(args.seed)
    settings = Settings()
    db = scratch.network_database(settings, DB_NAME, latency.pbf_path(),
                                  reimport=args.reimport, synthetic=True)
    engine = db.engine
    people = latency.People(latency.GEN_DIR / "population.tif")
    seeded = seed(engine, people, rng, args.volunteers, args.stations)
    network = Network(load_network_arrays(engine))
    edges = len(network.length_m)
    loaded_n = int(args.duration_s / args.dispatch_every_s) + 1
    points = latency.incident_points(network, people, rng, 8 + args.anchor + loaded_n)
    del network
    log(f"network {db.how}, {edges:,} edges; {args.volunteers:,} volunteers seeded")
    server, port = start_server(db.url, args.workers, args.threads)
    try:
        dispatcher = create_token(engine, role="dispatcher", label="bench/positions_rate.py")
        gateway = create_token(engine, role="gateway", label="bench/positions_rate.py")
        for point in points[:8]:                       # every worker builds its graphs
            dispatch_once(port, dispatcher, point, None)
        load_anchor = os.getloadavg()
        anchor = dispatch_series(port, dispatcher, points[8:8 + args.anchor],
                                 args.dispatch_every_s)
        log(f"anchor: p50 {statistics.median(anchor.total_ms):.0f} ms")
        slots = args.clients * args.client_threads
        start_at = time.time() + 2.0
        stop_at = start_at + args.duration_s
        results: Any = multiprocessing.get_context("fork").Queue()
        clients = [multiprocessing.get_context("fork").Process(target=client_process, args=(
            port, gateway, seeded["volunteers"], c * args.client_threads, args.client_threads,
            slots, args.rate / slots, args.batch, start_at, stop_at, args.seed, results))
            for c in range(args.clients)]
        for client in clients:
            client.start()
        load_during: list[float] = []
        sampler_stop = threading.Event()

        def sample_load() -> None:
            while not sampler_stop.wait(WINDOW_S):
                load_during.append(os.getloadavg()[0])

        sampler = threading.Thread(target=sample_load, daemon=True)
        sampler.start()
        time.sleep(max(start_at - time.time(), 0))
        loaded = dispatch_series(port, dispatcher, points[8 + args.anchor:],
                                 args.dispatch_every_s, stop_at)
        records: list[Record] = []
        for _ in range(slots):
            records += results.get(timeout=args.duration_s + 600)
        for client in clients:
            client.join()
        sampler_stop.set()
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=60)
    per_window = windows(records, start_at, stop_at)
    write_report(args, command, edges, db.how, anchor, loaded, records, per_window,
                 load_anchor, load_during, load_after, history(engine), started_utc,
                 time.perf_counter() - began)


def write_report(args: argparse.Namespace, command: str, edges: int, how: str,
                 anchor: Dispatches, loaded: Dispatches,
                 records: list[Record], per_window: list[float],
                 load_anchor: tuple[float, ...], load_during: list[float],
                 load_after: tuple[float, ...], stored: dict[str, Any], started_utc: datetime,
                 total_s: float) -> None:
    ok = [r for r in records if r[3] == 201]
    statuses: dict[int, int] = {}
    for r in records:
        statuses[r[3]] = statuses.get(r[3], 0) + 1
    batch_ms = [r[2] for r in ok]
    positions = sum(r[1] for r in ok)
    # A window counts whole batches: it may hold one batch per slot more or less than its
    # share; the rate holds when the run as a whole stored it and no window fell further.
    quantum = args.clients * args.client_threads * args.batch / WINDOW_S
    lags = [r[4] for r in records]
    held = (bool(per_window) and statistics.mean(per_window) >= 0.99 * args.rate
            and min(per_window) >= args.rate - quantum)
    p50 = statistics.median(loaded.total_ms) if loaded.total_ms else float("nan")

    def row(label: str, series: Dispatches, load: str) -> str:
        return (f"| {label} ({load}) | {len(series.total_ms)} | "
                f"{statistics.median(series.total_ms):.0f} | "
                f"{percentile(series.total_ms, 95):.0f} | {max(series.total_ms):.0f} | "
                f"{statistics.median(series.candidates_ms):.1f} |")

    lines = [
        "# Positions at rate (300k-edge generated city)",
        "",
        f"Run {started_utc:%Y-%m-%d %H:%M}-{datetime.now(UTC):%H:%M} UTC, "
        f"{platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores shared with other work, "
        f"{total_s:.0f} s in all. Command: `{command}`",
        "",
        f"- network: {edges:,} edges ({how}); {args.volunteers:,} volunteers; server "
        f"`gunicorn api.wsgi:app --workers {args.workers} --threads {args.threads}`",
        f"- load: {args.clients} client processes x {args.client_threads} threads posting "
        f"batches of {args.batch} at {args.rate:,.0f} positions/s for {args.duration_s:.0f} s; "
        f"a dispatch every {args.dispatch_every_s:g} s on a fresh connection",
        f"- load average (1 min): {load_anchor[0]:.2f} at the anchor; during the load "
        f"{', '.join(f'{x:.1f}' for x in load_during)}; after {load_after[0]:.2f}",
        "",
        f"## Positions stored per second, {len(per_window)} windows of {WINDOW_S:.0f} s",
        "",
        "| min | p50 | max | positions stored | batches (status: count) |",
        "| --: | --: | --: | --: | --- |",
        f"| {min(per_window, default=0):,.0f} | {statistics.median(per_window or [0]):,.0f} | "
        f"{max(per_window, default=0):,.0f} | {positions:,} | "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} |",
        "",
        f"Batch latency (client side): p50 {statistics.median(batch_ms or [0]):.0f} ms, p95 "
        f"{percentile(batch_ms, 95):.0f} ms, max {max(batch_ms, default=0):.0f} ms. Windows: "
        f"{', '.join(f'{x:,.0f}' for x in per_window)}.",
        "",
        f"Clients behind their schedule: p95 {percentile(lags, 95):.2f} s, max "
        f"{max(lags, default=0):.2f} s (a server that cannot keep up leaves them ever further "
        f"behind).",
        "",
        f"Rate {args.rate:,.0f}/s held (99 % of it stored over the run, no window below it by "
        f"more than one batch per client thread, {quantum:,.0f}/s): "
        f"**{'holds' if held else 'does not hold'}**.",
        "",
        "## POST /api/dispatch (ms, client side)",
        "",
        "| | n | p50 | p95 | max | timings_ms.candidates p50 |",
        "| --- | --: | --: | --: | --: | --: |",
        row("no load, the anchor", anchor, f"load avg {load_anchor[0]:.1f}"),
        row("**under the position load**", loaded,
            f"load avg {statistics.median(load_during or [float('nan')]):.1f}"),
        "",
        f"Loaded / anchor: p50 x{p50 / statistics.median(anchor.total_ms):.2f}, p95 "
        f"x{percentile(loaded.total_ms, 95) / percentile(anchor.total_ms, 95):.2f}. "
        f"Dispatch statuses under load: {loaded.statuses}. Target p50 <= "
        f"{P50_TARGET_MS:.0f} ms under load: **{'holds' if p50 <= P50_TARGET_MS else 'missed'}"
        f"** ({p50:.0f} ms).",
        "",
        f"History afterwards: {stored['rows']:,} rows in {stored['partitions']} partitions "
        f"({stored['size']}), {stored['strays']} in the default partition; "
        f"rc.volunteer_position_latest {stored['latest_size']}.",
        "",
    ]
    report = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    args.out.with_suffix(".json").write_text(json.dumps({
        "windows_per_s": per_window, "batch_ms": batch_ms, "anchor_ms": anchor.total_ms,
        "loaded_ms": loaded.total_ms, "load_during": load_during}, indent=1))
    print(report)


if __name__ == "__main__":
    main()
