"""Choose the GCJ-02 / BD-09 library: inverse accuracy and speed over a million points.

For each candidate on PyPI that installs on Python 3.12, the script converts the same random
WGS84 points spread over China's bounding box (seeded) forward to GCJ-02 and BD-09 with the
candidate's own forward function, back with its inverse, and reports the round-trip error
(metres, haversine) and the time per direction. A Cologne point checks that points outside
China stay untouched. ``rescuecircle`` is ``formats.china_crs`` (coordTransform's C batch functions
with a refined inverse), the implementation the project uses.

Usage, in an environment with the candidates (they are not project dependencies)::

    python -m venv /tmp/crsbench
    /tmp/crsbench/bin/pip install numpy coordtransform eviltransform prcoords \\
        geocoordinates-rs pybind11-coordtransform
    PYTHONPATH=. /tmp/crsbench/bin/python bench/china_crs.py [--points 1000000]

``prcoords-typed`` is not a candidate: every release requires Python >= 3.14.
"""

import argparse
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Convert = Callable[[Floats, Floats], tuple[Floats, Floats]]
EARTH_RADIUS_M = 6_371_008.8
CHINA_BOX = (73.7, 18.0, 135.0, 53.5)  # west, south, east, north (degrees)
COLOGNE = (6.9583, 50.9413)


@dataclass(frozen=True)
class Candidate:
    """A library's two directions for one offset system, as array functions."""

    name: str
    system: str
    forward: Convert
    inverse: Convert
    note: str = ""


def scalar(function: Callable[[float, float], tuple[float, float]]) -> Convert:
    """Wrap a per-point (lon, lat) -> (lon, lat) function as an array function (a Python loop)."""

    def run(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
        out = np.array([function(x, y) for x, y in zip(lon.tolist(), lat.tolist(), strict=True)])
        return out[:, 0], out[:, 1]

    return run


def latlon(function: Callable[[float, float], tuple[float, float]]) -> Callable[
        [float, float], tuple[float, float]]:
    """Adapt a (lat, lon) -> (lat, lon) function to (lon, lat) order."""

    def run(lon: float, lat: float) -> tuple[float, float]:
        out_lat, out_lon = function(lat, lon)
        return out_lon, out_lat

    return run


def rescuecircle() -> list[Candidate]:
    from formats import china_crs as c

    return [Candidate("rescuecircle", "gcj02", c.wgs84_to_gcj02, c.gcj02_to_wgs84,
                      "coordTransform C batch + 2 fixed-point steps"),
            Candidate("rescuecircle", "bd09", c.wgs84_to_bd09, c.bd09_to_wgs84,
                      "coordTransform C batch + 2 fixed-point steps")]


def coord_transform() -> list[Candidate]:
    import coordTransform as ct

    def batch(function: Callable[..., tuple[list[float], list[float]]]) -> Convert:
        def run(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
            out_lon, out_lat = function(memoryview(lon), memoryview(lat))
            return np.asarray(out_lon), np.asarray(out_lat)
        return run

    note = f"C batch={ct.HAS_C_EXTENSION}, one-step inverse"
    return [Candidate("coordTransform", "gcj02", batch(ct.wgs84_to_gcj02),
                      batch(ct.gcj02_to_wgs84), note),
            Candidate("coordTransform", "bd09", batch(ct.wgs84_to_bd09),
                      batch(ct.bd09_to_wgs84), note + "; shifts points outside China in BD-09")]


def evil_transform() -> list[Candidate]:
    import eviltransform as et

    return [Candidate("eviltransform", "gcj02", scalar(latlon(et.wgs2gcj)),
                      scalar(latlon(et.gcj2wgs_exact)), "scalar, bisection inverse"),
            Candidate("eviltransform (rough)", "gcj02", scalar(latlon(et.wgs2gcj)),
                      scalar(latlon(et.gcj2wgs)), "scalar, one-step inverse"),
            Candidate("eviltransform", "bd09", scalar(latlon(et.wgs2bd)),
                      scalar(latlon(et.bd2wgs)), "scalar, one-step inverse")]


def pr_coords() -> list[Candidate]:
    import prcoords as pc

    def wrap(function: Callable[..., tuple[float, float]]) -> Convert:
        return scalar(latlon(lambda lat, lon: tuple(function((lat, lon)))))

    warnings.filterwarnings("ignore", "Non-Chinese coords", UserWarning, "prcoords")
    return [Candidate("prcoords", "gcj02", wrap(pc.wgs_gcj), wrap(pc.gcj_wgs_bored),
                      "scalar, iterated inverse; warns on each point outside China"),
            Candidate("prcoords", "bd09", wrap(pc.wgs_bd), wrap(pc.bd_wgs_bored),
                      "scalar, iterated inverse")]


def geocoordinates_rs() -> list[Candidate]:
    import geocoordinates_ffi as gc

    def to_gcj(lon: float, lat: float) -> tuple[float, float]:
        p = gc.wgs84_to_gcj02(gc.Wgs84(lat=lat, lon=lon))
        return p.lon, p.lat

    def from_gcj(lon: float, lat: float) -> tuple[float, float]:
        p = gc.gcj02_to_wgs84_refined(gc.Gcj02(lat=lat, lon=lon))
        return p.lon, p.lat

    def to_bd(lon: float, lat: float) -> tuple[float, float]:
        p = gc.wgs84_to_bd09(gc.Wgs84(lat=lat, lon=lon))
        return p.lon, p.lat

    def from_bd(lon: float, lat: float) -> tuple[float, float]:
        p = gc.bd09_to_wgs84_refined(gc.Bd09(lat=lat, lon=lon))
        return p.lon, p.lat

    return [Candidate("geocoordinates-rs", "gcj02", scalar(to_gcj), scalar(from_gcj),
                      "Rust via UniFFI, one call per point"),
            Candidate("geocoordinates-rs", "bd09", scalar(to_bd), scalar(from_bd),
                      "Rust via UniFFI, one call per point")]


def pybind11_coordtransform() -> list[Candidate]:
    import pybind11_coordtransform as pb

    def nx2(function: Callable[[Floats], Floats]) -> Convert:
        def run(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
            out = function(np.column_stack([lon, lat]))
            return out[:, 0], out[:, 1]
        return run

    return [Candidate("pybind11-coordtransform", "gcj02", nx2(pb.wgs84_to_gcj02_Nx2),
                      nx2(pb.gcj02_to_wgs84_Nx2),
                      "C++ Nx2, one-step inverse; decides 'outside China' for the whole "
                      "batch from its first point; no BD-09 batch")]


LOADERS = (rescuecircle, coord_transform, evil_transform, pr_coords, geocoordinates_rs,
           pybind11_coordtransform)


def haversine_m(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> Floats:
    """Great-circle distance in metres (plenty for errors of centimetres to metres)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h))


def timed(function: Convert, lon: Floats, lat: Floats) -> tuple[Floats, Floats, float]:
    started = time.perf_counter()
    out_lon, out_lat = function(lon, lat)
    return np.asarray(out_lon), np.asarray(out_lat), time.perf_counter() - started


def measure(candidate: Candidate, lon: Floats, lat: Floats) -> dict[str, str]:
    """One table row: times, round-trip error and the outside-China check."""
    fwd_lon, fwd_lat, fwd_s = timed(candidate.forward, lon, lat)
    back_lon, back_lat, inv_s = timed(candidate.inverse, fwd_lon, fwd_lat)
    error_m = haversine_m(lon, lat, back_lon, back_lat)
    outside = np.array([COLOGNE[0]]), np.array([COLOGNE[1]])
    moved = [haversine_m(*outside, *np.asarray(f(*outside)))[0]
             for f in (candidate.forward, candidate.inverse)]
    return {
        "library": candidate.name, "system": candidate.system,
        "forward s": f"{fwd_s:.2f}", "inverse s": f"{inv_s:.2f}",
        "max error m": f"{error_m.max():.2g}", "p99 error m": f"{np.percentile(error_m, 99):.2g}",
        "Cologne moved m": f"{max(moved):.0f}", "notes": candidate.note,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20201101)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    west, south, east, north = CHINA_BOX
    lon = rng.uniform(west, east, args.points)
    lat = rng.uniform(south, north, args.points)
    rows = []
    for loader in LOADERS:
        try:
            candidates = loader()
        except ImportError as exc:
            print(f"skipped {loader.__name__}: {exc}")
            continue
        for candidate in candidates:
            rows.append(measure(candidate, lon, lat))
            print(" | ".join(rows[-1].values()), flush=True)
    print(f"\n{args.points:,} points, Python {platform.python_version()}\n")
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(row.values()) + " |")


if __name__ == "__main__":
    main()
