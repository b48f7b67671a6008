"""The live dispatch loop under load (issue 15): dispatch latency while 10,000 volunteers report
positions every 30 s, incidents arrive at 60 per hour and volunteers answer their alerts; then
checks that no unit was assigned twice and no event was lost.

Set-up (``bench/dispatch_latency.py``'s, reused): the generated 300k-edge city
(``demo.sizes.generate_network_of_size(bench/out/gen/gen300k)``) imported into the scratch
database ``rc_bench_loop_gen300k`` (reused while the .pbf is unchanged; ``--reimport``);
10,000 available volunteers with one position each, 5,000 ready AEDs, one ambulance at each of
``--stations`` stations, 2 drone pads, replaced on every run (seed ``--seed``). The server is
``python -m waitress api.wsgi:app`` (``--threads``) in its own process on loopback, so the load
generators here do not share its interpreter; its alert clock times out unanswered alerts after
``RC_ALERT_TIMEOUT_S`` (30 s).

Incidents: population-weighted points on walkable roads, arrival times a Poisson process of
60 per hour (seeded), each ``POST /api/dispatch {"point", "k": 3}`` (no category: the full
response) timed by the client; each incident is closed (``transported``) ``--incident-s``
after its call.

1. **Unloaded anchor**: the first ``--anchor`` incident points dispatched one after another
   with nothing else running (each closed at once), same server, same run.
2. **Loaded**, for ``--minutes`` (60: a simulated hour; shorter runs keep the same rates):
   - a gateway thread: every second, one ``POST /api/volunteers/positions`` with the ~333
     volunteers due (each every 30 s, staggered; each a few metres from its home): 333 writes/s;
   - the dispatcher thread: the incidents at their arrival times, and their closing;
   - a responder thread: every second reads each open incident (``GET /api/incidents/{id}``);
     each new alert is answered with the volunteer's own token after 5-20 s: accept 60 %,
     decline 25 % (the server replans at once), never 15 % (timed out), drawn by
     ``services.simulation.answer_of`` (seeded per alert); one who accepted reports a position
     every 30 s (``POST /api/responder/position``) and arrives at the alert's ETA.
3. **Checks** on the database afterwards: overlapping claims of one unit in ``rc.assignment``;
   a volunteer alerted by two open incidents at once (each alert from its ``alerted_at`` to the
   event that ended it, or its incident's close); every incident's events numbered 1..n without
   a gap (n = ``rc.incident.event_seq``); every accept and decline the server answered 200 has
   its ``accepted``/``declined`` event.

Usage::

    .venv/bin/python bench/dispatch_loop.py       # writes bench/out/dispatch_loop.md
        [--minutes 60] [--seed 7] [--stations 40] [--anchor 30] [--threads 8] [--reimport]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
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
from services.simulation import Behaviour, answer_of  # noqa: E402

OUT = _HERE / "out"
DB_NAME = "rc_bench_loop_gen300k"
HOST = "127.0.0.1"
REPORT_EVERY_S = 30
INCIDENTS_PER_HOUR = 60.0
JITTER_DEG = 0.0002                 # about 20 m around a volunteer's home
BEHAVIOUR = Behaviour()             # accept 60 %, decline 25 %, answer after 5-20 s


def log(message: str) -> None:
    print(f"[dispatch_loop] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class Http:
    """One keep-alive connection to the server per thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def call(self, method: str, path: str, token: str, body: Any = None
             ) -> tuple[float, int, Any]:
        """(milliseconds, status, JSON answer or None)."""
        for attempt in (1, 2):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = self.local.connection = http.client.HTTPConnection(
                    HOST, self.port, timeout=120)
            payload = None if body is None else json.dumps(body).encode()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            started = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                self.local.connection = None
                if attempt == 2:
                    raise
                continue
            ms = (time.perf_counter() - started) * 1000
            try:
                answer = json.loads(data) if data else None
            except ValueError:
                answer = None
            return ms, response.status, answer
        raise AssertionError("unreachable")


@dataclass
class Tally:
    """What the load threads did, shared by them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    dispatch_ms: list[float] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    gateway_ms: list[float] = field(default_factory=list)
    positions: int = 0
    lag_s: list[float] = field(default_factory=list)
    answer_ms: dict[str, list[float]] = field(default_factory=lambda: {
        "accept": [], "decline": [], "arrived": [], "position": []})
    answered: dict[str, set[int]] = field(default_factory=lambda: {
        "accept": set(), "decline": set()})
    statuses: Counter[str] = field(default_factory=Counter)
    open_incidents: dict[int, float] = field(default_factory=dict)   # id -> closes at


def start_server(url: str, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """waitress serving api.wsgi:app on a free loopback port, once /health answers."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "RC_DATABASE_URL": url, "RC_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "waitress", f"--host={HOST}", f"--port={port}",
         f"--threads={threads}", "api.wsgi:app"], env=env, cwd=_HERE.parent)
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


def dispatch(http_: Http, token: str, point: np.ndarray) -> tuple[float, dict[str, Any]]:
    ms, status, plan = http_.call("POST", "/api/dispatch", token,
                                  {"point": [float(point[0]), float(point[1])], "k": 3})
    if status != 201:
        raise RuntimeError(f"POST /api/dispatch: {status} {plan}")
    return ms, plan


def close(http_: Http, token: str, incident_id: int) -> int:
    return http_.call("POST", f"/api/incidents/{incident_id}/close", token,
                      {"outcome": "transported"})[1]


# --------------------------------------------------------------------------- load threads


def gateway(http_: Http, token: str, homes: np.ndarray, rng: np.random.Generator,
            tally: Tally, stop: threading.Event) -> None:
    """Every second, the volunteers due (each every REPORT_EVERY_S) in one batch."""
    due_second = rng.integers(0, REPORT_EVERY_S, len(homes))
    began, tick = time.monotonic(), 0
    while not stop.is_set():
        wait_s = began + tick - time.monotonic()
        if wait_s > 0:
            stop.wait(wait_s)
        else:
            tally.lag_s.append(-wait_s)
        due = np.nonzero(due_second == tick % REPORT_EVERY_S)[0]
        moved = homes[due] + rng.uniform(-JITTER_DEG, JITTER_DEG, (len(due), 2))
        batch = [{"volunteer_id": int(i) + 1, "lon": round(float(x), 7),
                  "lat": round(float(y), 7), "accuracy_m": 10}
                 for i, (x, y) in zip(due, moved, strict=True)]
        try:
            ms, status, _ = http_.call("POST", "/api/volunteers/positions", token,
                                       {"positions": batch})
        except OSError:
            ms, status = 0.0, 0
        with tally.lock:
            tally.statuses[f"positions {status}"] += 1
            if status in (200, 201):
                tally.gateway_ms.append(ms)
                tally.positions += len(batch)
        tick += 1


def dispatcher(http_: Http, token: str, points: np.ndarray, arrivals_s: np.ndarray,
               incident_s: float, tally: Tally, stop: threading.Event) -> None:
    """Call in the incidents at their arrival times; close each ``incident_s`` later."""
    began = time.monotonic()
    for point, arrival_s in zip(points, arrivals_s, strict=False):
        while not stop.is_set() and time.monotonic() - began < arrival_s:
            close_due(http_, token, tally, began)
            stop.wait(min(0.5, max(arrival_s - (time.monotonic() - began), 0)))
        if stop.is_set():
            return
        ms, plan = dispatch(http_, token, point)
        with tally.lock:
            tally.dispatch_ms.append(ms)
            tally.plans.append(plan)
            tally.open_incidents[plan["incident_id"]] = time.monotonic() - began + incident_s
    while not stop.is_set():
        close_due(http_, token, tally, began)
        stop.wait(0.5)


def close_due(http_: Http, token: str, tally: Tally, began: float) -> None:
    now_s = time.monotonic() - began
    with tally.lock:
        due = [i for i, at_s in tally.open_incidents.items() if at_s <= now_s]
    for incident_id in due:
        status = close(http_, token, incident_id)
        with tally.lock:
            tally.statuses[f"close {status}"] += 1
            tally.open_incidents.pop(incident_id, None)


@dataclass
class Pending:
    """An alert the responder thread is playing: what to do next and when."""

    alert_id: int
    volunteer_id: int
    action: str | None
    due: float                       # monotonic time of the next step
    patient: tuple[float, float] = (0.0, 0.0)
    arrive: float = 0.0


def responder(http_: Http, dispatcher_token: str, engine: Engine, seed: int, tally: Tally,
              stop: threading.Event) -> None:
    """Read the open incidents' alerts every second; answer, report, arrive."""
    tokens: dict[int, str] = {}
    playing: dict[int, Pending] = {}
    seen: set[int] = set()
    while not stop.is_set():
        with tally.lock:
            open_ids = list(tally.open_incidents)
        for incident_id in open_ids:
            _, status, detail = http_.call("GET", f"/api/incidents/{incident_id}",
                                           dispatcher_token)
            if status != 200:
                continue
            for alert in detail["alerts"]:
                if alert["status"] != "pending" or alert["id"] in seen:
                    continue
                seen.add(alert["id"])
                action, delay_s = answer_of(seed, alert["id"], BEHAVIOUR)
                if action is not None:
                    playing[alert["id"]] = Pending(
                        alert["id"], alert["volunteer_id"], action, time.monotonic() + delay_s,
                        (detail["lon"], detail["lat"]), time.monotonic() + delay_s
                        + min(float(alert["eta_s"] or 300), 900))
        now = time.monotonic()
        for pending in [p for p in playing.values() if p.due <= now]:
            token = tokens.get(pending.volunteer_id)
            if token is None:
                token = tokens[pending.volunteer_id] = create_token(
                    engine, role="volunteer", volunteer_id=pending.volunteer_id)
            step(http_, token, pending, tally)
            if pending.action is None:
                del playing[pending.alert_id]
        stop.wait(1.0)


def step(http_: Http, token: str, pending: Pending, tally: Tally) -> None:
    """The volunteer's next move: answer, then positions every 30 s, then arrive."""
    action = pending.action or ""
    if action == "position":
        lon, lat = pending.patient
        path, body = "/api/responder/position", {"lon": lon + 0.001, "lat": lat}
    else:
        path, body = f"/api/responder/alerts/{pending.alert_id}/{action}", None
    ms, status, _ = http_.call("POST", path, token, body)
    with tally.lock:
        tally.statuses[f"{action} {status}"] += 1
        if status in (200, 201):
            tally.answer_ms[action].append(ms)
            if action in tally.answered:
                tally.answered[action].add(pending.alert_id)
    now = time.monotonic()
    if status not in (200, 201) or action in ("decline", "arrived"):
        pending.action = None
    elif now >= pending.arrive:
        pending.action, pending.due = "arrived", now
    else:
        pending.action, pending.due = "position", min(now + REPORT_EVERY_S, pending.arrive)


# --------------------------------------------------------------------------- checks


def checks(engine: Engine, tally: Tally) -> dict[str, int]:
    """Double assignments and lost events, counted in the database (all should be 0)."""
    with engine.connect() as conn:
        found = dict(conn.execute(text("""
            SELECT
              (SELECT count(*) FROM rc.assignment a JOIN rc.assignment b
                 ON a.unit_kind = b.unit_kind AND a.unit_id = b.unit_id AND a.id < b.id
                AND a.claimed_at < coalesce(b.released_at, 'infinity')
                AND b.claimed_at < coalesce(a.released_at, 'infinity'))
                AS overlapping_claims,
              (WITH spans AS (
                 SELECT a.id, a.volunteer_id, a.incident_id, a.alerted_at AS s,
                        coalesce((SELECT min(e.at) FROM rc.incident_event e
                                  WHERE e.incident_id = a.incident_id
                                    AND e.kind IN ('declined', 'timed_out', 'withdrawn')
                                    AND (e.data ->> 'alert_id')::int = a.id),
                                 i.closed_at, 'infinity') AS e
                 FROM rc.alert a JOIN rc.incident i ON i.id = a.incident_id)
               SELECT count(*) FROM spans x JOIN spans y
                 ON x.volunteer_id = y.volunteer_id AND x.id < y.id
                AND x.incident_id <> y.incident_id AND x.s < y.e AND y.s < x.e)
                AS volunteers_alerted_twice,
              (SELECT count(*) FROM rc.incident i LEFT JOIN LATERAL (
                 SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi
                 FROM rc.incident_event e WHERE e.incident_id = i.id) e ON true
               WHERE e.n <> i.event_seq OR e.lo <> 1 OR e.hi <> i.event_seq)
                AS incidents_with_gaps
            """)).one()._mapping)
        for action, kind in (("accept", "accepted"), ("decline", "declined")):
            recorded = set(conn.execute(text(
                "SELECT (data ->> 'alert_id')::int FROM rc.incident_event WHERE kind = :kind"),
                {"kind": kind}).scalars())
            found[f"{action}s_without_event"] = len(tally.answered[action] - recorded)
        found["events"] = conn.execute(text("SELECT count(*) FROM rc.incident_event")).scalar()
        found["incidents"] = conn.execute(text("SELECT count(*) FROM rc.incident")).scalar()
        found["alerts"] = conn.execute(text("SELECT count(*) FROM rc.alert")).scalar()
        found["alert statuses"] = dict(conn.execute(text(
            "SELECT status, count(*) FROM rc.alert GROUP BY 1 ORDER BY 1")).all())
        found["event kinds"] = dict(conn.execute(text(
            "SELECT kind, count(*) FROM rc.incident_event GROUP BY 1 ORDER BY 1")).all())
    return found


# --------------------------------------------------------------------------- main


def summary_row(label: str, values: list[float]) -> str:
    return (f"| {label} | {len(values)} | {statistics.median(values):.1f} | "
            f"{percentile(values, 95):.1f} | {max(values):.1f} |" if values else
            f"| {label} | 0 | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=60.0,
                        help="how long the load runs (same rates whatever the length)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stations", type=int, default=40)
    parser.add_argument("--anchor", type=int, default=30, help="unloaded dispatches")
    parser.add_argument("--incident-s", type=float, default=600.0,
                        help="an incident is closed this long after its call")
    parser.add_argument("--threads", type=int, default=8, help="the server's threads")
    parser.add_argument("--reimport", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT / "dispatch_loop.md")
    args = parser.parse_args()
    command = " ".join([".venv/bin/python bench/dispatch_loop.py", *sys.argv[1:]])
    began = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    settings = Settings()
    db = scratch.network_database(settings, DB_NAME, latency.pbf_path(),
                                  reimport=args.reimport, synthetic=True)
    engine = db.engine
    people = latency.People(latency.GEN_DIR / "population.tif")
    seeded = latency.seed_data(engine, people, rng, datetime.now(UTC), args.stations)
    network = Network(load_network_arrays(engine))
    edges = len(network.length_m)
    arrivals_s = np.cumsum(rng.exponential(3600 / INCIDENTS_PER_HOUR,
                                           int(INCIDENTS_PER_HOUR * args.minutes / 60 * 2) + 10))
    arrivals_s = arrivals_s[arrivals_s < args.minutes * 60]
    points = latency.incident_points(network, people, rng, max(len(arrivals_s), args.anchor))
    del network
    log(f"network {db.how}, {edges:,} edges; {len(arrivals_s)} incidents in "
        f"{args.minutes:g} minutes")
    server, port = start_server(db.url, args.threads)
    try:
        http_ = Http(port)
        token = create_token(engine, role="dispatcher", label="bench/dispatch_loop.py")
        cold_ms, plan = dispatch(http_, token, points[0])
        close(http_, token, plan["incident_id"])
        unloaded = []
        for point in points[:args.anchor]:
            ms, plan = dispatch(http_, token, point)
            unloaded.append(ms)
            close(http_, token, plan["incident_id"])
        log(f"unloaded: p50 {statistics.median(unloaded):.0f} ms")
        tally, stop = Tally(), threading.Event()
        load_before = os.getloadavg()
        threads = [
            threading.Thread(target=gateway, args=(http_, token, seeded["volunteers"],
                                                   np.random.default_rng(args.seed + 1),
                                                   tally, stop)),
            threading.Thread(target=dispatcher, args=(http_, token, points, arrivals_s,
                                                      args.incident_s, tally, stop)),
            threading.Thread(target=responder, args=(http_, token, engine, args.seed, tally,
                                                     stop)),
        ]
        loaded_began = time.monotonic()
        for thread in threads:
            thread.start()
        load_during = []
        while time.monotonic() - loaded_began < args.minutes * 60 and server.poll() is None:
            time.sleep(min(30.0, max(args.minutes * 60 - (time.monotonic() - loaded_began),
                                     0.1)))
            load_during.append(os.getloadavg()[0])
            with tally.lock:
                log(f"{(time.monotonic() - loaded_began) / 60:.1f} min: "
                    f"{len(tally.dispatch_ms)} dispatches, {tally.positions:,} positions, "
                    f"{dict(tally.statuses)}")
        stop.set()
        for thread in threads:
            thread.join()
        loaded_s = time.monotonic() - loaded_began
        if server.poll() is not None:       # the report says so: its figures stop there
            tally.statuses[f"server exited with {server.returncode}"] += 1
        else:
            for incident_id in list(tally.open_incidents):
                close(http_, token, incident_id)
    finally:
        server.terminate()
        server.wait(timeout=30)
    found = checks(engine, tally)
    write_report(args, command, edges, db.how, seeded, cold_ms, unloaded, tally, loaded_s,
                 found, load_before, load_during, time.perf_counter() - began)


def write_report(args: argparse.Namespace, command: str, edges: int, how: str,
                 seeded: dict[str, Any], cold_ms: float, unloaded: list[float], tally: Tally,
                 loaded_s: float, found: dict[str, Any], load_before: tuple[float, ...],
                 load_during: list[float], total_s: float) -> None:
    loaded = tally.dispatch_ms
    p50_ratio = statistics.median(loaded) / statistics.median(unloaded) if loaded else float("nan")
    p95_ratio = percentile(loaded, 95) / percentile(unloaded, 95) if loaded else float("nan")
    volunteers = [len(p["volunteers"]) + (p["aed_runner"] is not None) for p in tally.plans]
    zero = ("overlapping_claims", "volunteers_alerted_twice", "incidents_with_gaps",
            "accepts_without_event", "declines_without_event")
    lines = [
        "# The live dispatch loop under load (300k-edge generated city)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores shared with other engineers' "
        f"test runs (load average before {load_before[0]:.2f}, during "
        f"{', '.join(f'{x:.1f}' for x in load_during)}), {total_s / 60:.1f} minutes in all.",
        "",
        f"Command: `{command}`",
        "",
        f"- network: {edges:,} edges ({how}); {latency.VOLUNTEERS:,} volunteers, "
        f"{latency.AEDS:,} AEDs, {seeded['stations_with_ambulance']} ambulances; server "
        f"waitress, {args.threads} threads, its own process; cold start (first dispatch) "
        f"{cold_ms:,.0f} ms",
        f"- load for {loaded_s / 60:.1f} minutes: {tally.positions:,} positions in "
        f"{len(tally.gateway_ms)} gateway batches = **{tally.positions / loaded_s:.0f} "
        f"writes/s**; {len(loaded)} incidents ({len(loaded) / loaded_s * 3600:.0f} per hour), "
        f"each closed {args.incident_s:.0f} s after its call; gateway lag behind schedule "
        f"p95 {percentile(tally.lag_s, 95) if tally.lag_s else 0:.2f} s",
        f"- plans under load: {statistics.mean(volunteers) if volunteers else 0:.2f} volunteers "
        f"(with the AED runner) on average; alerts {found['alerts']}, by status "
        f"{found['alert statuses']}",
        f"- answers: {dict(sorted(tally.statuses.items()))}",
        "",
        "| requests (ms, client side, HTTP on loopback) | n | p50 | p95 | max |",
        "| --- | --- | --- | --- | --- |",
        summary_row("**dispatch, unloaded (anchor)**", unloaded),
        summary_row("**dispatch, under load**", loaded),
        summary_row("gateway batch of ~333 positions", tally.gateway_ms),
        summary_row("accept", tally.answer_ms["accept"]),
        summary_row("decline (replans at once)", tally.answer_ms["decline"]),
        summary_row("responder position", tally.answer_ms["position"]),
        summary_row("arrived", tally.answer_ms["arrived"]),
        "",
        f"Loaded / unloaded: p50 x{p50_ratio:.2f}, p95 x{p95_ratio:.2f}. Target p50 <= 150 ms "
        f"under load: **{'holds' if loaded and statistics.median(loaded) <= 150 else 'misses'}**.",
        "",
        "Checks (all must be 0): " + ", ".join(f"{k} **{found[k]}**" for k in zero)
        + f"; over {found['incidents']} incidents and {found['events']:,} events.",
        "",
        f"Event kinds: {found['event kinds']}",
        "",
    ]
    report = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    args.out.with_suffix(".json").write_text(json.dumps({
        "unloaded_ms": unloaded, "loaded_ms": loaded, "gateway_ms": tally.gateway_ms,
        "answer_ms": tally.answer_ms, "checks": {k: found[k] for k in zero}}, indent=1))
    print(report)


if __name__ == "__main__":
    main()
