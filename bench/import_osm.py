"""Benchmark ``rescuecircle import osm`` against osm2pgrouting on the same extract and machine.

Times our import (pyosmium -> COPY, one transaction, re-importing over the previous network) and
osm2pgrouting 2.3 (which reads only OSM XML, so the extract is converted once with ``osmium cat``;
that conversion is timed apart) over several runs each, compares our drive edge count with
osm2pgrouting's, and times the two ways of marking islands (scipy in memory, as the importer
does, against ``pgr_connectedComponents`` on the loaded table). Prints markdown tables.

Usage (the project-local cluster must be running)::

    python bench/import_osm.py [--runs 5] [--file ../shared/data/us-imperial/imperial.osm.pbf]
        [--mapconfig /usr/share/osm2pgrouting/mapconfig_for_cars.xml]

Scratch databases ``rc_bench_osm`` and ``rc_bench_osm2pgr`` are dropped and recreated.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, make_url, text

from gis.db import make_engine
from gis.migrate import migrate
from gis.osm_import import ImportSummary, import_osm, island_flags
from localdb import cluster
from rescuecircle import database
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings

DEFAULT_FILE = PROJECT_ROOT.parent / "shared" / "data" / "us-imperial" / "imperial.osm.pbf"
DEFAULT_MAPCONFIG = Path("/usr/share/osm2pgrouting/mapconfig_for_cars.xml")
OURS_DB = "rc_bench_osm"
OSM2PGR_DB = "rc_bench_osm2pgr"
MODES = ("drive", "walk", "bike")


def timed[T](action: Callable[[], T]) -> tuple[float, T]:
    """Wall-clock seconds of one call, and its result."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def spread(seconds: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (linear interpolation) of a list of timings."""
    return statistics.median(seconds), float(np.percentile(seconds, 95))


def mapconfig_classes(mapconfig: Path) -> list[str]:
    """The highway values an osm2pgrouting configuration imports."""
    root = ET.parse(mapconfig).getroot()
    return [value.get("name", "") for key in root.iter("tag_name") if key.get("name") == "highway"
            for value in key.iter("tag_value")]


def run_ours(settings: Settings, osm_file: Path,
             runs: int) -> tuple[float, list[float], ImportSummary, Engine]:
    """Seconds of a first import into an empty database, then of ``runs`` re-imports over it."""
    cluster.create_database(settings, OURS_DB, replace=True)
    engine = make_engine(settings, database.local_url(settings, OURS_DB))
    migrate(engine)
    first_s, summary = timed(lambda: import_osm(engine, osm_file))
    again_s = []
    for _ in range(runs):
        elapsed, summary = timed(lambda: import_osm(engine, osm_file))
        again_s.append(elapsed)
    return first_s, again_s, summary, engine


def run_osm2pgrouting(settings: Settings, xml_file: Path, mapconfig: Path,
                      runs: int) -> tuple[list[float], int]:
    """Times of ``osm2pgrouting --clean`` runs and the edge count of the ``ways`` table.

    The password goes in a private pgpass file, not on the command line.
    """
    cluster.create_database(settings, OSM2PGR_DB, replace=True)
    url = make_url(database.local_url(settings, OSM2PGR_DB))
    command = ["osm2pgrouting", "--f", str(xml_file), "--conf", str(mapconfig),
               "--dbname", OSM2PGR_DB, "--host", str(url.host), "--port", str(url.port),
               "--username", str(url.username), "--clean"]
    seconds = []
    with tempfile.TemporaryDirectory() as scratch:
        pgpass = Path(scratch) / "pgpass"
        pgpass.touch(mode=0o600)
        pgpass.write_text(f"{url.host}:{url.port}:*:{url.username}:{url.password}\n")
        env = {**os.environ, "PGPASSFILE": str(pgpass)}
        for _ in range(runs):
            elapsed, _ = timed(lambda: subprocess.run(
                command, env=env, check=True, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
            seconds.append(elapsed)
    engine = make_engine(settings, url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        edges = conn.execute(text("SELECT count(*) FROM ways")).scalar_one()
    engine.dispose()
    return seconds, edges


def island_timings(engine: Engine, runs: int) -> tuple[list[float], list[float]]:
    """Seconds to find the components of all three modes: scipy in memory vs pgRouting."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT source, target, " + ", ".join(
                f"cost_{m}_s >= 0 OR reverse_cost_{m}_s >= 0" for m in MODES)
            + " FROM rc.road_edge ORDER BY id")).all()
    ends = np.array([(r[0], r[1]) for r in rows], dtype=np.int64)
    usable = {m: np.array([r[2 + i] for r in rows], dtype=bool) for i, m in enumerate(MODES)}

    def with_scipy() -> None:
        _, dense = np.unique(ends, return_inverse=True)
        dense = dense.reshape(ends.shape)
        for mode in MODES:
            island_flags(dense[:, 0], dense[:, 1], usable[mode])

    def with_pgrouting() -> None:
        with engine.connect() as conn:
            for mode in MODES:
                conn.execute(text(
                    "SELECT count(DISTINCT component) FROM pgr_connectedComponents(:sql)"),
                    {"sql": f"SELECT id, source, target, cost_{mode}_s AS cost, "
                            f"reverse_cost_{mode}_s AS reverse_cost FROM rc.road_edge"})

    scipy_s = [timed(with_scipy)[0] for _ in range(runs)]
    pgr_s = [timed(with_pgrouting)[0] for _ in range(runs)]
    return scipy_s, pgr_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mapconfig", type=Path, default=DEFAULT_MAPCONFIG)
    args = parser.parse_args()
    missing = [tool for tool in ("osm2pgrouting", "osmium") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"import_osm bench: install {' and '.join(missing)} "
                 "(Debian: apt-get install osm2pgrouting osmium-tool)")
    settings = Settings()

    first_s, ours_s, summary, engine = run_ours(settings, args.file, args.runs)
    classes = mapconfig_classes(args.mapconfig)
    with engine.connect() as conn:
        drive_class_edges = conn.execute(text(
            "SELECT count(*) FROM rc.road_edge WHERE road_class = ANY(:classes)"),
            {"classes": classes}).scalar_one()
    with tempfile.TemporaryDirectory() as scratch:
        xml_file = Path(scratch) / (args.file.name.split(".")[0] + ".osm")
        convert_s, _ = timed(lambda: subprocess.run(
            ["osmium", "cat", str(args.file), "-o", str(xml_file), "-O"], check=True))
        o2p_s, o2p_edges = run_osm2pgrouting(settings, xml_file, args.mapconfig, args.runs)
    scipy_s, pgr_s = island_timings(engine, args.runs)
    engine.dispose()

    ours_median, ours_p95 = spread(ours_s)
    o2p_median, o2p_p95 = spread(o2p_s)
    print(f"\n### OSM import: `{args.file.name}` ({args.file.stat().st_size / 1e6:.1f} MB), "
          f"{args.runs} runs each "
          f"(osm2pgrouting --clean rebuilds its tables every run)\n")
    print("| importer | modes | median s | p95 s |")
    print("|---|---|---:|---:|")
    print(f"| rescuecircle, first import into an empty database (1 run) | drive, walk, bike | "
          f"{first_s:.2f} | |")
    print(f"| rescuecircle, re-import replacing the loaded network | drive, walk, bike | "
          f"{ours_median:.2f} | {ours_p95:.2f} |")
    print(f"| osm2pgrouting 2.3 (`{args.mapconfig.name}`) | drive | {o2p_median:.2f} | "
          f"{o2p_p95:.2f} |")
    print(f"| osm2pgrouting + PBF->XML conversion ({convert_s:.2f} s, once) | drive | "
          f"{o2p_median + convert_s:.2f} | {o2p_p95 + convert_s:.2f} |")
    print(f"\nosm2pgrouting / rescuecircle re-import, median: {o2p_median / ours_median:.2f}x "
          f"({(o2p_median + convert_s) / ours_median:.2f}x with the conversion); "
          f"/ first import: {o2p_median / first_s:.2f}x\n")

    drive = summary.edges_per_mode["drive"]
    print("| edges | count | vs osm2pgrouting |")
    print("|---|---:|---:|")
    print(f"| osm2pgrouting `ways` | {o2p_edges:,} | |")
    print(f"| ours, same highway classes as the mapconfig (access ignored, as osm2pgrouting does) "
          f"| {drive_class_edges:,} | {100 * (drive_class_edges / o2p_edges - 1):+.2f} % |")
    print(f"| ours, drivable (access=no/private etc. closed) | {drive:,} | "
          f"{100 * (drive / o2p_edges - 1):+.2f} % |")
    print(f"| ours, all edges (walk {summary.edges_per_mode['walk']:,}, "
          f"bike {summary.edges_per_mode['bike']:,}) | {summary.edges:,} | |")

    scipy_median, _ = spread(scipy_s)
    pgr_median, _ = spread(pgr_s)
    print("\n| islands, 3 modes | median s |")
    print("|---|---:|")
    print(f"| scipy.sparse.csgraph.connected_components (in memory) | {scipy_median:.3f} |")
    print(f"| pgr_connectedComponents (SQL, before any UPDATE) | {pgr_median:.3f} |")
    print(f"\n{summary}")


if __name__ == "__main__":
    main()
