"""Tile latency in the project venv: the tile SQL alone, and whole HTTP requests, on one database.

``bench/tiles.py`` compares us with tipg on a 100k-edge city and needs bench/.venv; this one needs
only the project venv and a database with a city loaded (the demo city: ``rescuecircle demo
load``), so a change to the tile SQL can be measured before and after in a minute.

Tiles: every layer of ``rc.tile_layer`` (the public ones and population) at zooms 10, 12 and 14
over the network's bbox, ``--tiles`` of them (default 200) spread evenly over those workloads.
Each tile is made once untimed, then ``--rounds`` times timed (default 5), tiles in turn. Two
measurements:

- ``sql``: one connection runs ``--sql`` (default ``SELECT rc.tile(:layer, :z, :x, :y)``);
  ``--baseline DATABASE SQL`` times another database of the cluster in the same loop, taking
  turns tile by tile (so load from elsewhere on the machine hits both alike): e.g. one migrated
  before 0020 with ``"SELECT rc.tile_{layer}(:z, :x, :y)"``;
- ``http``: Flask's test client asks ``/tiles/...`` (population: ``/api/planning/population/...``
  with an analyst token) of the app with its tile cache off, so every request makes its tile.

Usage (the project-local cluster running; RC_DB_NAME picks the database)::

    RC_PG_PORT=55612 .venv/bin/python bench/tile_latency.py [--tiles 200] [--rounds 5] [--no-http]
        [--baseline rc_before "SELECT rc.tile_{layer}(:z, :x, :y)"]
"""

import argparse
import contextlib
import math
import time
from collections import defaultdict

import numpy as np
from sqlalchemy import Engine, text

from gis.db import make_engine
from rescuecircle.database import local_url
from rescuecircle.settings import Settings

ZOOMS = (10, 12, 14)


def tile_layers(engine: Engine) -> dict[str, bool]:
    """Every tile layer (rc.tile_layer, migration 0020) and whether it is public."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, public FROM rc.tile_layer ORDER BY position"))
        return {name: public for name, public in rows}


def city_tiles(engine: Engine, zoom: int) -> list[tuple[int, int]]:
    """Every tile at ``zoom`` that the loaded network's bbox touches."""
    with engine.connect() as conn:
        x0, y0, x1, y1 = conn.execute(text(
            "SELECT ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox), ST_YMax(bbox) "
            "FROM rc.network ORDER BY id DESC LIMIT 1")).one()

    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 1 << zoom
        return (int((lon + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))

    (west, north), (east, south) = tile(x0, y1), tile(x1, y0)
    return [(x, y) for x in range(west, east + 1) for y in range(north, south + 1)]


def sample(engine: Engine, layers: list[str],
           count: int) -> list[tuple[str, int, int, int]]:
    """``count`` tiles (layer, z, x, y), spread evenly over every layer and zoom."""
    every = [(layer, z, x, y) for z in ZOOMS for x, y in city_tiles(engine, z)
             for layer in layers]
    step = len(every) / count
    return [every[int(i * step)] for i in range(min(count, len(every)))]


def summary(seconds: list[float]) -> str:
    """``p50 / p95 ms`` of a list of seconds."""
    ms = np.array(seconds) * 1000
    return f"{np.percentile(ms, 50):.2f} / {np.percentile(ms, 95):.2f}"


def time_sql(targets: list[tuple[Engine, str]], tiles: list[tuple[str, int, int, int]],
             rounds: int) -> list[dict[str, list[float]]]:
    """Seconds per tile SQL call, by layer, for each (database, SQL) target: one connection
    each, targets taking turns tile by tile, so a busy machine slows them alike."""
    times: list[dict[str, list[float]]] = [defaultdict(list) for _ in targets]
    with contextlib.ExitStack() as stack:
        connections = [stack.enter_context(engine.connect()) for engine, _ in targets]
        layers = sorted({layer for layer, _, _, _ in tiles})
        statements = [{layer: text(sql.replace("{layer}", layer)) for layer in layers}
                      for _, sql in targets]
        for timed in [False] + [True] * rounds:
            for layer, z, x, y in tiles:
                for conn, statement, result in zip(connections, statements, times, strict=True):
                    started = time.perf_counter()
                    conn.execute(statement[layer], {"layer": layer, "z": z, "x": x, "y": y}).one()
                    if timed:
                        result[layer].append(time.perf_counter() - started)
            for conn in connections:
                conn.rollback()
    return times


def time_http(engine: Engine, tiles: list[tuple[str, int, int, int]], public: dict[str, bool],
              rounds: int) -> dict[str, list[float]]:
    """Seconds per tile request through the app with its tile cache off, by layer."""
    from api.app import create_app
    from api.tiles import EXTENSION_KEY
    from gis.tiles import TileService
    from gis.tokens import create_token

    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        log_level="WARNING")
    app = create_app(settings, engine=engine)
    app.extensions[EXTENSION_KEY] = TileService(engine, cache_bytes=0)
    client = app.test_client()
    analyst = {"Authorization": f"Bearer {create_token(engine, role='analyst', label='bench')}"}
    times: dict[str, list[float]] = defaultdict(list)
    for timed in [False] + [True] * rounds:
        for layer, z, x, y in tiles:
            url, headers = f"/tiles/{layer}/{z}/{x}/{y}.mvt", {}
            if not public[layer]:  # population: the planner's route
                url, headers = f"/api/planning/{layer}/{z}/{x}/{y}.mvt", analyst
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            if timed:
                times[layer].append(elapsed)
    return times


def report(name: str, times: dict[str, list[float]], layers: list[str]) -> None:
    """One markdown table: p50 / p95 per layer and over all tiles."""
    print(f"\n{name}: p50 / p95 ms\n\n| layer | requests | p50 / p95 ms |\n| --- | --- | --- |")
    for layer in layers:
        if times.get(layer):
            print(f"| {layer} | {len(times[layer])} | {summary(times[layer])} |")
    every = [s for layer in layers for s in times.get(layer, [])]
    print(f"| **all** | {len(every)} | **{summary(every)}** |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sql", default="SELECT rc.tile(:layer, :z, :x, :y)")
    parser.add_argument("--baseline", nargs=2, metavar=("DATABASE", "SQL"),
                        help="also time SQL on DATABASE (same cluster), taking turns with --sql")
    parser.add_argument("--http", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    settings = Settings()
    engine = make_engine(settings)
    targets = [(engine, args.sql)]
    if args.baseline:
        targets.insert(0, (make_engine(settings, local_url(settings, args.baseline[0])),
                           args.baseline[1]))
    public = tile_layers(engine)
    layers = list(public)
    tiles = sample(engine, layers, args.tiles)
    print(f"{len(tiles)} tiles x {args.rounds} rounds")
    for (target, sql), times in zip(targets, time_sql(targets, tiles, args.rounds), strict=True):
        report(f"sql on {target.url.database}: {sql}", times, layers)
    if args.http:
        report(f"http on {engine.url.database} (tile cache off)",
               time_http(engine, tiles, public, args.rounds), layers)
    for target, _ in targets:
        target.dispose()


if __name__ == "__main__":
    main()
