"""Smoke run of the benchmark anchors (not a pytest module: the project collects tests/ only).

    bench/.venv/bin/python bench/test_anchors_smoke.py [--rebuild] [--repeat N] [PBF ...]

Builds (or loads from bench/out/) Valhalla and OSRM (car, foot) for each extract, then at an
intersection near the centre of the network prints: 5/8/12-minute drive and 5-minute walk
isochrone areas (km², equal-area projection), one route, a 5x5 travel-time table, and the
median in-process latency of each call. Exits non-zero if an anchor fails.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from anchors import (  # noqa: E402
    SETUP_HINT,
    AnchorEnvironmentError,
    Costing,
    Osrm,
    Valhalla,
    area_km2,
    network_nodes,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_PBFS = [DATA / "shenzhen" / "futian.osm.pbf", DATA / "us-imperial" / "imperial.osm.pbf"]


def median_ms(fn: Callable[[], Any], repeat: int, warmup: int = 2) -> tuple[float, float]:
    """(median, p95) wall time of ``fn()`` in ms after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def built(anchor: Valhalla | Osrm) -> str:
    rec = anchor.build_record
    steps = f"{rec.get('build_s', '?')} s" + (
        f" + contract {rec['contract_s']} s" if "contract_s" in rec else ""
    )
    if anchor.build_s is not None:
        return f"built now in {anchor.build_s:.2f} s ({steps})"
    return f"cached (built in {steps})"


def holes(geom: Any) -> int:
    return sum(len(p.interiors) for p in getattr(geom, "geoms", [geom]))


def smoke(pbf: Path, *, rebuild: bool, repeat: int) -> None:
    print(f"\n=== {pbf.name} ({pbf.stat().st_size / 1e6:.1f} MB)")
    t0 = time.perf_counter()
    nodes, (x0, y0, x1, y1) = network_nodes(pbf)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    lon, lat = min(nodes, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2)
    print(
        f"network bbox ({x0:.4f}, {y0:.4f}, {x1:.4f}, {y1:.4f}); {len(nodes)} intersections "
        f"read in {time.perf_counter() - t0:.2f} s; origin ({lon:.6f}, {lat:.6f})"
    )
    # 5 origins and 5 targets: the intersections nearest the centre, shuffled (fixed seed),
    # so the table stays within one town for both extracts.
    near = sorted(nodes, key=lambda p: (p[0] - lon) ** 2 + (p[1] - lat) ** 2)[:200]
    rng = random.Random(3)
    picks = rng.sample(near, 10)
    sources, targets = picks[:5], picks[5:]
    far = max(near, key=lambda p: (p[0] - lon) ** 2 + (p[1] - lat) ** 2)

    valhalla = Valhalla(pbf, rebuild=rebuild)
    car = Osrm(pbf, "car", rebuild=rebuild)
    car_mld = Osrm(pbf, "car", algorithm="MLD")  # same files, MLD query algorithm
    foot = Osrm(pbf, "foot", rebuild=rebuild)
    print(f"valhalla {valhalla.version}: {built(valhalla)}  -> {valhalla.dir}")
    print(f"osrm {car.version} car : {built(car)}  -> {car.dir}")
    print(f"osrm {foot.version} foot: {built(foot)}  -> {foot.dir}")

    # Valhalla's default denoise=1 keeps only each band's outer ring (holes dropped too);
    # denoise=0 keeps holes and islands: the fair comparison with network-true polygons.
    for denoise in (1.0, 0.0):
        drive = valhalla.isochrone(lon, lat, [5, 8, 12], "auto", denoise=denoise)
        walk = valhalla.isochrone(lon, lat, [5], "pedestrian", denoise=denoise)
        for label, bands in (("drive", drive), ("walk", walk)):
            for band_min, geom in bands:
                print(
                    f"valhalla denoise={denoise:.0f} {label:5s} {band_min:4.0f} min: "
                    f"{area_km2(geom):8.3f} km²  ({geom.geom_type}, {holes(geom)} holes)"
                )

    rv = valhalla.route(lon, lat, *far, "auto")
    rc = car.route(lon, lat, *far)
    rf = foot.route(lon, lat, *far)
    rw = valhalla.route(lon, lat, *far, "pedestrian")
    print(f"route to ({far[0]:.5f}, {far[1]:.5f}):")
    for mode, (v_s, v_m, _), (o_s, o_m), osrm_name in (
        ("drive", rv, rc, "car "),
        ("walk", rw, rf, "foot"),
    ):
        print(
            f"  {mode:5s}  valhalla {v_s:7.1f} s {v_m:7.0f} m | "
            f"osrm {osrm_name} {o_s:7.1f} s {o_m:7.0f} m"
        )

    mv = valhalla.matrix(sources, targets, "auto")
    mo = car.table(sources, targets)
    print("5x5 drive table, s (valhalla | osrm car):")
    for row_v, row_o in zip(mv, mo, strict=True):
        print(
            "  "
            + " ".join(f"{x:6.0f}" for x in row_v)
            + "  | "
            + " ".join(f"{x:6.1f}" for x in row_o)
        )

    # In-process per-call latency. Valhalla's binding takes and returns JSON strings: "raw"
    # is the C++ call alone (request pre-serialised), the method adds json.loads + shapely.
    iso_req = json.dumps(
        {
            "locations": [{"lon": lon, "lat": lat}],
            "costing": "auto",
            "contours": [{"time": 5.0}, {"time": 8.0}, {"time": 12.0}],
            "polygons": True,
            "denoise": 1.0,
        }
    )
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("valhalla status (call floor, str)", lambda: valhalla.raw("status", "")),
        ("valhalla isochrone drive 5/8/12 raw", lambda: valhalla.raw("isochrone", iso_req)),
        ("valhalla isochrone drive 5/8/12", lambda: valhalla.isochrone(lon, lat, [5, 8, 12])),
        ("valhalla isochrone walk 5", lambda: valhalla.isochrone(lon, lat, [5], "pedestrian")),
        ("valhalla route drive", lambda: valhalla.route(lon, lat, *far)),
        ("valhalla matrix 5x5 drive", lambda: valhalla.matrix(sources, targets)),
        ("osrm car route", lambda: car.route(lon, lat, *far)),
        ("osrm car table 5x5", lambda: car.table(sources, targets)),
        ("osrm car route (MLD)", lambda: car_mld.route(lon, lat, *far)),
        ("osrm car table 5x5 (MLD)", lambda: car_mld.table(sources, targets)),
        ("osrm foot route", lambda: foot.route(lon, lat, *far)),
    ]
    print(f"latency over {repeat} calls, ms (median / p95):")
    for label, fn in calls:
        p50, p95 = median_ms(fn, repeat)
        print(f"  {label:38s} {p50:8.3f} / {p95:8.3f}")
    size = len(valhalla.raw("isochrone", iso_req))
    print(f"  (valhalla isochrone response: {size} bytes of JSON text)")

    # The benchmark's measure: one call per random origin (intersections, fixed seed).
    origins = random.Random(7).sample(nodes, min(repeat, len(nodes)))
    runs: list[tuple[str, Costing, list[float]]] = [
        ("drive 5/8/12", "auto", [5, 8, 12]),
        ("walk 5", "pedestrian", [5]),
    ]
    for label, costing, minutes in runs:
        times: list[float] = []
        areas: list[float] = []
        for x, y in origins:
            t0 = time.perf_counter()
            bands = valhalla.isochrone(x, y, minutes, costing)
            times.append((time.perf_counter() - t0) * 1000)
            areas.append(area_km2(bands[0][1]))
        times.sort()
        print(
            f"valhalla isochrone {label} over {len(origins)} random origins: "
            f"p50 {statistics.median(times):.2f} ms, p95 {times[int(0.95 * len(times))]:.2f} ms;"
            f" first-band area p50 {statistics.median(areas):.3f} km²"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pbf", nargs="*", type=Path, default=DEFAULT_PBFS)
    ap.add_argument("--rebuild", action="store_true", help="rebuild anchors even if cached")
    ap.add_argument("--repeat", type=int, default=30, help="timed calls per measurement")
    args = ap.parse_args()
    try:
        for pbf in args.pbf:
            smoke(pbf, rebuild=args.rebuild, repeat=args.repeat)
    except AnchorEnvironmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"\npython {sys.version.split()[0]} ({sys.executable}); {SETUP_HINT.split(',')[0]} "
        "if this interpreter lacks the anchors"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
