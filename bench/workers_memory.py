"""Memory and start-up of gunicorn workers sharing one routing snapshot (issue 18, item 1).

Set-up: the generated city (``demo.sizes.generate_network_of_size(bench/out/gen/gen<N>k,
target_edges=N)``, 300k edges by default), imported once into the scratch database
``rc_bench_workers_gen<N>k`` (``bench/scratch.network_database``, reused while the .pbf is
unchanged). The snapshot directory ``bench/out/workers/snapshots`` is emptied first.

Runs, each a real ``gunicorn -c python:api.gunicorn_conf api.wsgi:app`` (the settings of
docker-compose.yml) on a loopback port, stopped afterwards:

1. ``cold``: 4 workers, no snapshot yet: one worker builds it from PostGIS, the others wait
   for it and map it.
2. ``one``: 1 worker, the snapshot on disk.
3. ``four``: 4 workers, the snapshot on disk.

From the moment gunicorn starts, client threads send drive isochrones (5/10 minutes, from
random vertices of the connected drive network), each tagged ``?n=<i>`` in the URL so the
access log (which names the worker's pid) says which worker answered it. Per worker: its start
(``/proc/PID/stat``), its first isochrone answered (client clock), and, once every worker has
answered ``--warm`` isochrones, its PSS and RSS (``/proc/PID/smaps_rollup``).

Usage::

    .venv/bin/python bench/workers_memory.py [--edges 300000] [--warm 5]
        # writes bench/out/workers_memory_<N>k.md and .json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scratch
from sqlalchemy import text

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from rescuecircle.settings import Settings  # noqa: E402

OUT = _HERE / "out"
ISOCHRONE = "/ogc/processes/isochrone/execution"
CLIENTS = 4


def log(message: str) -> None:
    print(f"[workers_memory] {message}", file=sys.stderr, flush=True)


def origins(url: str, count: int, seed: int) -> list[tuple[float, float]]:
    """Random starts of edges of the connected drive network, lon/lat."""
    from gis.db import make_engine
    engine = make_engine(Settings(database_url=url))
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)) FROM rc.road_edge "
            "WHERE NOT island_drive AND cost_drive_s >= 0 ORDER BY id")).all()
    engine.dispose()
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(rows), size=count, replace=False)
    return [(float(rows[i][0]), float(rows[i][1])) for i in picked]


def proc_start_s(pid: int) -> float:
    """When a process started, seconds since the epoch (10 ms resolution).

    /proc/PID/stat counts clock ticks since boot; the boot's own time is taken from the
    boot clock, not /proc/stat's ``btime``, which is truncated to the second (it made every
    start up to a second early, and every start -> first answer that much longer).
    """
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    booted = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    return booted + ticks / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int) -> dict[str, int]:
    """Rss, Pss and their parts from /proc/PID/smaps_rollup, in kB."""
    text_ = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", text_, re.M)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """Threads sending isochrones to the server until stopped; answers by tag."""

    def __init__(self, port: int, points: list[tuple[float, float]]) -> None:
        self.port, self.points = port, points
        self.answered: dict[int, tuple[float, float]] = {}  # tag -> (finished at, ms)
        self.failures: list[str] = []
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():  # a connection per request: any worker may take it
            with self._lock:
                tag, self._next = self._next, self._next + 1
            lon, lat = self.points[tag % len(self.points)]
            body = json.dumps({"inputs": {"point": [lon, lat], "mode": "drive",
                                          "minutes": [5, 10]}})
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                started = time.perf_counter()
                connection.request("POST", f"{ISOCHRONE}?n={tag}", body,
                                   {"Content-Type": "application/json", "Connection": "close"})
                response = connection.getresponse()
                response.read()
                ms = (time.perf_counter() - started) * 1000
                if response.status != 200:
                    self.failures.append(f"{response.status}")
                else:
                    self.answered[tag] = (time.time(), ms)
            except (ConnectionError, OSError):
                time.sleep(0.005)
            finally:
                connection.close()


def run(label: str, workers: int, url: str, snapshots: Path, points: list[tuple[float, float]],
        warm: int) -> dict[str, Any]:
    """One gunicorn run: per worker its start, first isochrone and memory after warm-up."""
    port = free_port()
    access = OUT / "workers" / f"access-{label}.log"
    access.unlink(missing_ok=True)
    env = {**os.environ, "RC_DATABASE_URL": url, "RC_SNAPSHOT_DIR": str(snapshots),
           "RC_PUBLIC_COMPUTE_PER_MIN": "100000", "RC_LOG_LEVEL": "INFO"}
    command = [str(Path(sys.executable).parent / "gunicorn"), "--config",
               "python:api.gunicorn_conf", "api.wsgi:app", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", "4", "--timeout", "300",
               "--access-logfile", str(access), "--access-logformat", "%(p)s %(U)s%(q)s %(s)s"]
    client = Client(port, points)
    client.start()
    launched = time.time()
    server = subprocess.Popen(command, env=env, cwd=_HERE.parent, stderr=subprocess.PIPE,
                              text=True)
    errors: list[str] = []
    threading.Thread(target=lambda: errors.extend(server.stderr or []), daemon=True).start()
    try:
        served = _wait_for_workers(access, workers, warm, server)
        memory = {pid: memory_kb(pid) for pid in served}
        master = memory_kb(server.pid)
    finally:
        client.stop()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    per_worker = []
    for pid, tags in served.items():
        first = min(client.answered[t][0] for t in tags if t in client.answered)
        start = STARTED[pid]
        per_worker.append({
            "pid": pid, "start_to_first_isochrone_s": first - start,
            "launch_to_first_isochrone_s": first - launched,
            "pss_mb": memory[pid]["Pss"] / 1024, "rss_mb": memory[pid]["Rss"] / 1024,
            "private_mb": (memory[pid]["Private_Clean"] + memory[pid]["Private_Dirty"]) / 1024,
            "private_dirty_mb": memory[pid]["Private_Dirty"] / 1024})
    warm_ms = sorted(ms for tag, (_, ms) in client.answered.items())
    built = [line.strip() for line in errors if "snapshot" in line]
    return {"label": label, "workers": workers, "per_worker": per_worker,
            "master_pss_mb": master["Pss"] / 1024, "answered": len(client.answered),
            "failures": len(client.failures), "isochrone_p50_ms": float(np.median(warm_ms)),
            "log": built}


STARTED: dict[int, float] = {}  # worker pid -> its start, read while it runs


def _wait_for_workers(access: Path, workers: int, warm: int,
                      server: subprocess.Popen[str]) -> dict[int, list[int]]:
    """Tags answered per worker pid, once ``workers`` workers have answered ``warm`` each."""
    deadline = time.time() + 600
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        served: dict[int, list[int]] = {}
        if access.exists():
            for line in access.read_text().splitlines():
                pid, path, status = line.split()
                if status == "200":
                    served.setdefault(int(pid.strip("<>")), []).append(int(path.rsplit("=", 1)[1]))
        for pid in served:
            if pid not in STARTED:
                STARTED[pid] = proc_start_s(pid)
        if len(served) >= workers and all(len(t) >= warm for t in served.values()):
            time.sleep(0.5)  # let the last answers reach the client
            return served
        time.sleep(0.02)
    raise RuntimeError("the workers did not all answer in 10 minutes")


def report(results: list[dict[str, Any]], edges: int, snapshot: dict[str, Any],
           load: tuple[float, float], command: str) -> str:
    one = next(r for r in results if r["label"] == "one")
    four = next(r for r in results if r["label"] == "four")
    one_pss = one["per_worker"][0]["pss_mb"]
    four_sum = sum(w["pss_mb"] for w in four["per_worker"])
    lines = [f"# gunicorn workers sharing one routing snapshot ({edges:,}-edge city)", "",
             f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_version()}, "
             f"{os.cpu_count()} cores; load average (1 min) {load[0]:.2f} before, "
             f"{load[1]:.2f} after.", "", f"Command: `{command}`", "",
             f"Snapshot: {snapshot['name']}, {snapshot['mb']:.0f} MB.", "",
             "| run | worker | start -> first isochrone (s) | launch -> first (s) | PSS MB | "
             "RSS MB | private MB | of which dirty |", "|---|---|--:|--:|--:|--:|--:|--:|"]
    for result in results:
        for i, w in enumerate(result["per_worker"]):
            lines.append(f"| {result['label']} | {i + 1} | {w['start_to_first_isochrone_s']:.2f}"
                         f" | {w['launch_to_first_isochrone_s']:.2f} | {w['pss_mb']:.0f} | "
                         f"{w['rss_mb']:.0f} | {w['private_mb']:.0f} | "
                         f"{w['private_dirty_mb']:.0f} |")
    lines += ["", *(f"- {r['label']}: master PSS {r['master_pss_mb']:.0f} MB, "
                    f"{r['answered']} isochrones answered ({r['failures']} failed), p50 "
                    f"{r['isochrone_p50_ms']:.1f} ms over HTTP; {' / '.join(r['log'])}"
                    for r in results), "",
              f"Sum of the 4 workers' PSS {four_sum:.0f} MB, one worker alone {one_pss:.0f} MB: "
              f"**{four_sum / one_pss:.2f}x** (target <= 1.5x); with the master: "
              f"{four_sum + four['master_pss_mb']:.0f} MB against "
              f"{one_pss + one['master_pss_mb']:.0f} MB "
              f"({(four_sum + four['master_pss_mb']) / (one_pss + one['master_pss_mb']):.2f}x). "
              f"Slowest start to first isochrone with the snapshot on disk: "
              f"{max(w['start_to_first_isochrone_s'] for w in four['per_worker']):.2f} s "
              "(target < 1 s).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--edges", type=int, default=300_000)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    pbf, db_name = scratch.generated_city(args.edges)
    db = scratch.network_database(Settings(), db_name, pbf, synthetic=True)
    log(f"network {db.how}")
    snapshots = OUT / "workers" / "snapshots"
    shutil.rmtree(snapshots, ignore_errors=True)
    snapshots.mkdir(parents=True)
    points = origins(db.url, 500, args.seed)
    results = []
    for label, workers in (("cold", 4), ("one", 1), ("four", 4)):
        log(f"run {label}: {workers} worker(s)")
        results.append(run(label, workers, db.url, snapshots, points, args.warm))
        log(json.dumps(results[-1]))
    [file] = list(snapshots.glob("*.rcsnap"))
    snapshot = {"name": file.name, "mb": file.stat().st_size / 1e6}
    command = f".venv/bin/python bench/workers_memory.py --edges {args.edges} --warm {args.warm}"
    text_ = report(results, args.edges, snapshot, (load_before, os.getloadavg()[0]), command)
    out = OUT / f"workers_memory_{args.edges // 1000}k"
    out.with_suffix(".md").write_text(text_)
    out.with_suffix(".json").write_text(json.dumps({"results": results, "snapshot": snapshot},
                                                   indent=1))
    print(text_)


if __name__ == "__main__":
    main()
