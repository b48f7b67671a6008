"""Benchmark anchors: Valhalla (PyPI ``pyvalhalla``) and OSRM (PyPI ``osrm-bindings``).

Both are built from the same ``.osm.pbf`` that rescuecircle imports, cached under
``bench/out/`` and queried in-process. They live only in the benchmark environment
``bench/.venv`` (``bench/setup-env.sh``), never in the runtime dependencies.

    >>> from anchors import Osrm, Valhalla, area_km2, network_centre_node
    >>> pbf = "/work/shared/data/shenzhen/futian.osm.pbf"
    >>> lon, lat = network_centre_node(pbf)                      # (114.019935, 22.53312)
    >>> v = Valhalla(pbf)                                        # builds once, then cached
    >>> bands = v.isochrone(lon, lat, [5, 8, 12], costing="auto")  # [(5.0, Polygon), ...]
    >>> round(area_km2(bands[0][1]), 2)
    9.85
    >>> time_s, length_m = Osrm(pbf, profile="car").route(lon, lat, 114.02524, 22.53349)

Units: seconds, metres, WGS84 lon/lat; areas in km² from an equal-area projection centred
on the geometry. See bench/README.md for the caveats (isochrone grid, speeds, snapping).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
SETUP_HINT = "run bench/setup-env.sh, then use bench/.venv/bin/python"

Costing = Literal["auto", "pedestrian", "bicycle"]
Profile = Literal["car", "foot", "bicycle"]
LonLat = tuple[float, float]

_STAMP = ".built.json"  # written last: a directory without it is an unfinished build


class AnchorEnvironmentError(RuntimeError):
    """The benchmark environment is missing or incomplete (wrong interpreter, no wheel)."""


class AnchorError(RuntimeError):
    """An anchor failed to build, or refused a request (no route, point off the network)."""


def _require(module: str, dist: str) -> ModuleType:
    try:
        return import_module(module)
    except ImportError as exc:
        raise AnchorEnvironmentError(
            f"{dist} is not importable from {sys.executable} ({exc}); {SETUP_HINT}"
        ) from exc


def _np() -> ModuleType:
    return _require("numpy", "numpy")


def _shapely() -> ModuleType:
    return _require("shapely", "shapely")


# --------------------------------------------------------------------------- cache helpers


def _source_stamp(pbf: Path, **extra: Any) -> dict[str, Any]:
    st = pbf.stat()
    return {"pbf": str(pbf), "size": st.st_size, "mtime_ns": st.st_mtime_ns, **extra}


def _is_built(out: Path, stamp: dict[str, Any]) -> bool:
    try:
        built = json.loads((out / _STAMP).read_text())
    except (OSError, ValueError):
        return False
    return {k: built.get(k) for k in stamp} == stamp


def _build_dir(out: Path) -> Path:
    """A fresh scratch directory next to ``out``; renamed onto ``out`` when the build is done."""
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def _publish(tmp: Path, out: Path, stamp: dict[str, Any], seconds: float) -> None:
    (tmp / _STAMP).write_text(json.dumps({**stamp, "build_s": round(seconds, 3)}, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def _run(cmd: Sequence[str | Path], log: Path) -> None:
    """Run one build step, appending its output to ``log``; raise with the log's tail."""
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(map(str, cmd))}\n")
        fh.flush()
        proc = subprocess.run([str(c) for c in cmd], stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise AnchorError(f"{Path(cmd[0]).name} exited {proc.returncode}; see {log}:\n{tail}")


def _package_dir(module: ModuleType) -> Path:
    """Where an installed package lives (its wheel ships the native tools under it)."""
    return Path(str(module.__file__)).resolve().parent


def _pbf(path: str | Path) -> Path:
    pbf = Path(path).resolve()
    if not pbf.is_file():
        raise FileNotFoundError(f"pbf not found: {pbf}")
    return pbf


def _name(pbf: Path, name: str | None) -> str:
    return name or pbf.name.removesuffix(".pbf").removesuffix(".osm")


# --------------------------------------------------------------------------- Valhalla


class Valhalla:
    """Valhalla 3.x in-process (``valhalla.Actor``) over tiles built from one .osm.pbf.

    Tiles go to ``bench/out/valhalla/<name>/tiles`` with the config next to them
    (``valhalla.json``); they are rebuilt only when missing, unfinished or built from a
    different pbf (size/mtime), or when ``rebuild=True``. ``build_s`` is the build time in
    seconds, ``None`` when the cache was used.

    The tile builder is the ``valhalla_build_tiles`` executable bundled in the wheel
    (``valhalla/bin``); it is called directly, because the wheel's console-script wrapper
    only finds it when the venv's ``bin`` is on PATH.
    """

    COSTINGS: tuple[str, ...] = ("auto", "pedestrian", "bicycle")

    def __init__(
        self,
        pbf: str | Path,
        *,
        name: str | None = None,
        out_dir: str | Path | None = None,
        rebuild: bool = False,
        threads: int = 2,
    ) -> None:
        self._valhalla = _require("valhalla", "pyvalhalla")
        self.pbf = _pbf(pbf)
        self.name = _name(self.pbf, name)
        self.dir = Path(out_dir or OUT_DIR / "valhalla") / self.name
        self.tile_dir = self.dir / "tiles"
        self.config_path = self.dir / "valhalla.json"
        self.version: str = self._valhalla.__version__
        self.build_s: float | None = None

        stamp = _source_stamp(self.pbf, pyvalhalla=self.version)
        if rebuild or not _is_built(self.dir, stamp):
            self.build_s = self._build(stamp, threads)
        self.build_record: dict[str, Any] = json.loads((self.dir / _STAMP).read_text())
        # Pass the config as a path: a dict would make the wheel write a temp file per Actor.
        self.actor = self._valhalla.Actor(str(self.config_path))

    # ---- build

    def _config(self, tile_dir: Path) -> dict[str, Any]:
        cfg: dict[str, Any] = self._valhalla.get_config(tile_extract="", tile_dir=tile_dir)
        # The defaults point at /data/valhalla/... side databases we do not have: without
        # admin and timezone databases no country access overrides and no time zones.
        for key in (
            "admin",
            "timezone",
            "landmarks",
            "traffic_extract",
            "transit_dir",
            "transit_feeds_dir",
        ):
            cfg["mjolnir"][key] = ""
        cfg["additional_data"]["elevation"] = ""
        cfg["logging"] = {"type": "", "color": False}  # quiet in-process actor
        limits = cfg["service_limits"]
        limits["isochrone"]["max_contours"] = 8  # default 4; our API allows more bands
        for costing in self.COSTINGS:  # room for benchmark-sized tables
            limits[costing]["max_matrix_location_pairs"] = 250_000
        return cfg

    def _build(self, stamp: dict[str, Any], threads: int) -> float:
        tmp = _build_dir(self.dir)
        tiles = tmp / "tiles"
        tiles.mkdir()
        cfg = self._config(tiles)
        build_cfg = tmp / "build.json"
        build_cfg.write_text(json.dumps({**cfg, "logging": {"type": "std_out", "color": False}}))
        exe = _package_dir(self._valhalla) / "bin" / "valhalla_build_tiles"
        t0 = time.perf_counter()
        _run([exe, "-c", build_cfg, "-j", str(threads), self.pbf], tmp / "build.log")
        seconds = time.perf_counter() - t0
        if not any(tiles.rglob("*.gph")):
            raise AnchorError(
                f"valhalla_build_tiles wrote no tiles for {self.pbf}; see {tmp / 'build.log'}"
            )
        cfg["mjolnir"]["tile_dir"] = str(self.tile_dir)  # where it will live after the rename
        (tmp / "valhalla.json").write_text(json.dumps(cfg, indent=1))
        build_cfg.unlink()
        _publish(tmp, self.dir, stamp, seconds)
        return seconds

    # ---- queries

    def raw(self, action: str, request: str) -> str:
        """One Valhalla action as the binding offers it: JSON text in, JSON text out.

        ``action`` is the ``Actor`` method name (``isochrone``, ``route``, ``matrix``,
        ``status``...). This is the C++ call alone; ``valhalla.Actor``'s dict convenience
        only adds ``json.dumps``/``json.loads`` around it, as :meth:`_call` does.
        """
        method = getattr(self._valhalla._valhalla._Actor, action)
        try:
            return str(method(self.actor, request))
        except self._valhalla.ValhallaError as exc:
            raise AnchorError(f"valhalla {action}: {exc}") from exc

    def _call(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.raw(action, json.dumps(request)))
        return result

    def _check_costing(self, costing: str) -> None:
        if costing not in self.COSTINGS:
            raise ValueError(f"costing must be one of {self.COSTINGS}, got {costing!r}")

    def isochrone(
        self,
        lon: float,
        lat: float,
        minutes: Sequence[float],
        costing: Costing = "auto",
        *,
        denoise: float = 1.0,
        generalize_m: float | None = None,
        fix_invalid: bool = True,
        costing_options: dict[str, Any] | None = None,
    ) -> list[tuple[float, Any]]:
        """Reachable area from (lon, lat) for each band, ascending: ``[(minutes, geometry)]``.

        Geometries are shapely Polygon/MultiPolygon in WGS84, each band including the inner
        ones. ``denoise`` (0-1, Valhalla's default 1 keeps only the largest ring per band) and
        ``generalize_m`` (Douglas-Peucker tolerance; Valhalla's default is a quarter of its
        grid cell) are passed through. Any ``denoise`` above 0 also drops the holes (they are
        rings smaller than the outer one): use ``denoise=0`` to keep unreachable blocks out of
        the area. Generalised rings can self-intersect; with ``fix_invalid`` such geometries
        go through ``shapely.make_valid``. ``costing_options`` is Valhalla's, e.g.
        ``{"pedestrian": {"walking_speed": 5.0}}`` (km/h).
        """
        self._check_costing(costing)
        if not minutes:
            raise ValueError("minutes must not be empty")
        request: dict[str, Any] = {
            "locations": [{"lon": lon, "lat": lat}],
            "costing": costing,
            "contours": [{"time": float(m)} for m in sorted(minutes)],
            "polygons": True,
            "denoise": denoise,
        }
        if generalize_m is not None:
            request["generalize"] = generalize_m
        if costing_options:
            request["costing_options"] = costing_options
        shapely = _shapely()
        bands = []
        for feature in self._call("isochrone", request)["features"]:
            if feature["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
                continue  # show_locations points, if ever asked for
            geom = shapely.geometry.shape(feature["geometry"])
            if fix_invalid and not geom.is_valid:
                geom = shapely.make_valid(geom)
            bands.append((float(feature["properties"]["contour"]), geom))
        return sorted(bands, key=lambda band: band[0])

    def route(
        self,
        lon1: float,
        lat1: float,
        lon2: float,
        lat2: float,
        costing: Costing = "auto",
        *,
        costing_options: dict[str, Any] | None = None,
    ) -> tuple[float, float, Any]:
        """Fastest route: ``(time_s, length_m, LineString)`` (lon/lat, polyline6 decoded)."""
        self._check_costing(costing)
        trip = self._call(
            "route",
            {
                "locations": [{"lon": lon1, "lat": lat1}, {"lon": lon2, "lat": lat2}],
                "costing": costing,
                "costing_options": costing_options or {},
                "directions_type": "none",  # no narrative: cheaper, and we only want the summary
                "units": "kilometers",
            },
        )["trip"]
        coords: list[tuple[float, float]] = []
        for leg in trip["legs"]:
            coords.extend(self._valhalla._valhalla.decode_polyline(leg["shape"], 6, "lnglat"))
        line = _shapely().LineString(coords)
        return float(trip["summary"]["time"]), float(trip["summary"]["length"]) * 1000.0, line

    def matrix(
        self,
        sources: Sequence[LonLat],
        targets: Sequence[LonLat],
        costing: Costing = "auto",
        *,
        costing_options: dict[str, Any] | None = None,
    ) -> Any:
        """Travel times (s) as ``np.ndarray[len(sources), len(targets)]``; NaN if unreachable.

        Valhalla's matrix reports whole seconds (its concise ``verbose: false`` form).
        """
        self._check_costing(costing)
        res = self._call(
            "matrix",
            {  # HTTP name: sources_to_targets
                "sources": [{"lon": x, "lat": y} for x, y in sources],
                "targets": [{"lon": x, "lat": y} for x, y in targets],
                "costing": costing,
                "costing_options": costing_options or {},
                "verbose": False,
            },
        )
        durations = res["sources_to_targets"]["durations"]
        np = _np()
        return np.array(
            [[np.nan if d is None else d for d in row] for row in durations], dtype=float
        )


# --------------------------------------------------------------------------- OSRM


class Osrm:
    """OSRM in-process (``osrm.OSRM``) over data prepared from one .osm.pbf and a profile.

    Preparation uses the executables bundled in the wheel (``osrm/bin``: the bindings expose
    no in-process extract): ``osrm-extract`` with the wheel's ``<profile>.lua``, then
    ``osrm-partition`` + ``osrm-customize`` (MLD), all into
    ``bench/out/osrm/<name>-<profile>/``; ``osrm-contract`` (CH) is added on top the first
    time ``algorithm="CH"`` is asked for, so one directory serves both algorithms. Contract
    must run after partition: partitioning renumbers the graph and deletes an older
    ``.hsgr``. CH queries are the fastest; CH preparation is the slow step (about a minute
    for imperial on 2 cores). Cached like :class:`Valhalla`; ``build_s`` is the preparation
    time of this call, ``None`` when nothing had to be built.
    """

    PROFILES: tuple[str, ...] = ("car", "foot", "bicycle")

    def __init__(
        self,
        pbf: str | Path,
        profile: Profile = "car",
        *,
        algorithm: Literal["CH", "MLD"] = "CH",
        name: str | None = None,
        out_dir: str | Path | None = None,
        rebuild: bool = False,
        threads: int = 2,
    ) -> None:
        if profile not in self.PROFILES:
            raise ValueError(f"profile must be one of {self.PROFILES}, got {profile!r}")
        if algorithm not in ("CH", "MLD"):
            raise ValueError(f"algorithm must be 'CH' or 'MLD', got {algorithm!r}")
        self._osrm = _require("osrm", "osrm-bindings")
        from importlib.metadata import version

        self.version = version("osrm-bindings")
        self.pbf = _pbf(pbf)
        self.name = _name(self.pbf, name)
        self.profile = profile
        self.algorithm = algorithm
        self.dir = Path(out_dir or OUT_DIR / "osrm") / f"{self.name}-{profile}"
        self.base = self.dir / f"{self.name}.osrm"
        self.build_s: float | None = None

        stamp = _source_stamp(self.pbf, osrm_bindings=self.version, profile=profile)
        pkg = _package_dir(self._osrm)
        self._bin, self._lua = pkg / "bin", pkg / "share" / "profiles" / f"{profile}.lua"
        if rebuild or not _is_built(self.dir, stamp):
            self.build_s = self._build(stamp, threads)
        self.build_record: dict[str, Any] = json.loads((self.dir / _STAMP).read_text())
        if algorithm == "CH" and "contract_s" not in self.build_record:
            contract_s = self._contract(threads)
            self.build_s = (self.build_s or 0.0) + contract_s
        try:
            # use_shared_memory=False: load the files into this process (no osrm-datastore).
            self.engine = self._osrm.OSRM(
                storage_config=str(self.base), algorithm=algorithm, use_shared_memory=False
            )
        except RuntimeError as exc:
            raise AnchorError(f"osrm: cannot load {self.base} ({algorithm}): {exc}") from exc

    def _build(self, stamp: dict[str, Any], threads: int) -> float:
        """extract + partition + customize (MLD) into a scratch dir, then publish it."""
        tmp = _build_dir(self.dir)
        base, log, j = tmp / self.name, tmp / "build.log", str(threads)
        t0 = time.perf_counter()
        _run([self._bin / "osrm-extract", "-p", self._lua, "-t", j, "-o", base, self.pbf], log)
        _run([self._bin / "osrm-partition", "-t", j, f"{base}.osrm"], log)
        _run([self._bin / "osrm-customize", "-t", j, f"{base}.osrm"], log)
        seconds = time.perf_counter() - t0
        _publish(tmp, self.dir, stamp, seconds)
        return seconds

    def _contract(self, threads: int) -> float:
        """contract (CH) in place; recorded in the build stamp once it has succeeded."""
        t0 = time.perf_counter()
        _run([self._bin / "osrm-contract", "-t", str(threads), self.base], self.dir / "build.log")
        seconds = time.perf_counter() - t0
        self.build_record["contract_s"] = round(seconds, 3)
        (self.dir / _STAMP).write_text(json.dumps(self.build_record, indent=1))
        return seconds

    @staticmethod
    def _coords(points: Sequence[LonLat]) -> list[tuple[float, float]]:
        return [(float(x), float(y)) for x, y in points]  # converted to osrm.Coordinate

    def route(self, lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
        """Fastest route by the profile's weight: ``(time_s, length_m)``."""
        params = self._osrm.RouteParameters(
            coordinates=self._coords([(lon1, lat1), (lon2, lat2)]), overview="false"
        )
        try:
            res = self.engine.Route(params)
        except RuntimeError as exc:
            raise AnchorError(f"osrm route: {exc}") from exc
        best = res["routes"][0]
        return float(best["duration"]), float(best["distance"])

    def table(self, sources: Sequence[LonLat], targets: Sequence[LonLat]) -> Any:
        """Travel times (s) as ``np.ndarray[len(sources), len(targets)]``; NaN if unreachable."""
        n = len(sources)
        params = self._osrm.TableParameters(
            coordinates=self._coords([*sources, *targets]),
            sources=list(range(n)),
            destinations=list(range(n, n + len(targets))),
            annotations=["duration"],
        )
        try:
            res = self.engine.Table(params)
        except RuntimeError as exc:
            raise AnchorError(f"osrm table: {exc}") from exc
        np = _np()
        return np.array(
            [[np.nan if d is None else float(d) for d in row] for row in res["durations"]],
            dtype=float,
        )


# --------------------------------------------------------------------------- geometry helpers


def area_km2(geom: Any) -> float:
    """Area of a WGS84 geometry in km², in a Lambert equal-area projection at its centroid."""
    if geom.is_empty:
        return 0.0
    pyproj = _require("pyproj", "pyproj")
    shapely_ops = _require("shapely.ops", "shapely")
    c = geom.centroid
    laea = pyproj.CRS.from_proj4(f"+proj=laea +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m")
    to_m = pyproj.Transformer.from_crs("EPSG:4326", laea, always_xy=True).transform
    return float(shapely_ops.transform(to_m, geom).area) / 1e6


DRIVABLE = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "living_street",
    }
)


def network_nodes(
    pbf: str | Path, *, highways: frozenset[str] = DRIVABLE
) -> tuple[list[LonLat], tuple[float, float, float, float]]:
    """Intersections of a pbf's road network and the network's bbox (minx, miny, maxx, maxy).

    An intersection is a node shared by at least two ``highways`` ways (a way's ends count as
    uses too), so it lies on the network and is drivable. Origins picked from these are
    "snapped" for every engine alike.
    """
    osmium = _require("osmium", "osmium")
    uses: dict[int, int] = {}
    where: dict[int, LonLat] = {}
    reader = osmium.FileProcessor(str(_pbf(pbf)), osmium.osm.NODE | osmium.osm.WAY)
    for way in reader.with_locations():
        if way.tags.get("highway") not in highways:
            continue
        for node in way.nodes:
            if node.location.valid():
                uses[node.ref] = uses.get(node.ref, 0) + 1
                where[node.ref] = (node.location.lon, node.location.lat)
    if not where:
        raise AnchorError(f"no {sorted(highways)} ways in {pbf}")
    xs = [p[0] for p in where.values()]
    ys = [p[1] for p in where.values()]
    nodes = [where[ref] for ref, n in uses.items() if n >= 2] or list(where.values())
    return nodes, (min(xs), min(ys), max(xs), max(ys))


def network_centre_node(pbf: str | Path, *, highways: frozenset[str] = DRIVABLE) -> LonLat:
    """The intersection (see :func:`network_nodes`) nearest the centre of the network's bbox."""
    nodes, (x0, y0, x1, y1) = network_nodes(pbf, highways=highways)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return min(nodes, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2)
