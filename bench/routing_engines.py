"""Routing latency of rescuecircle against pgRouting, Valhalla and OSRM (issue 3, item 8).

One run measures, on each network, on the same random origins (fixed seed) and in the same
process, single-threaded, with ``time.perf_counter``:

* **isochrone 5/8/12 min, drive and walk** (walk is 5/8/12 too, three bands like drive):
  ours = exactly what the API does without HTTP: ``services.routing.isochrone_geojson``
  (snap, island check, ``routing.isochrone.network_time_grid``, ``bands``, back to lon/lat,
  GeoJSON mapping); pgRouting (a) = ``pgr_drivingDistance`` over the whole edge table from the
  nearest vertex to the largest band, then ``ST_ConcaveHull(0.3)`` of the reached vertices per
  band, in one statement; pgRouting (b) = the same with a bounding-box-restricted edges SQL
  (box = origin +- the largest band x the mode's top speed in ``rc.road_edge``, so no reachable
  edge is cut off); ``rc.isochrone`` (sql/functions/routing.sql: ``pgr_withPointsDD`` + the
  reached pieces of road buffered per band) on a few origins only, as it takes seconds;
  Valhalla = ``isochrone`` with ``denoise=0``, ``polygons=true``, ``auto``/``pedestrian``
  (walking at 5 km/h like ours), the raw JSON call (its complete answer, no parsing), and
  "Valhalla (defaults)": the same request without ``denoise`` (Valhalla's default 1 keeps only
  each band's largest ring), the issue-17 anchor.
* **route, drive, random OD pairs**: ours = snap both + ``Network.route`` (path and geometry);
  ``pgr_dijkstra`` between the nearest vertices, whole table and bbox-restricted (box = the OD
  envelope + max(2 km, half the OD distance), which can miss the best route: counted);
  ``rc.route`` (``pgr_withPoints``, whole table) when it exists; Valhalla route (raw JSON,
  ``directions_type=none``); OSRM CH and MLD (car, ``overview=false``: no geometry, a stricter
  anchor).
* **NxN travel-time table, drive** (``--table-size``, default 100): ours = 2N snaps +
  ``routing.matrix.travel_matrix`` (what the matrix process and ``/ors/v2/matrix`` run: with
  the graph's contraction hierarchy, built beforehand and reported as a one-off cost, as
  OSRM's and Valhalla's preprocessing are); Valhalla matrix; OSRM table CH and MLD;
  ``rc.travel_time_matrix`` (``pgr_withPointsCost``).

Origins are random vertices of edges the mode may use and that are not islands (so every
engine is asked about a point exactly on its network), in lon/lat. Each engine gets warm-up
calls first (ours builds its graphs and snapping grid on the first call). The calls of the
engines are interleaved origin by origin, so a load change hits all of them. One-off costs
are reported apart: loading the arrays from PostGIS, ``Network()``, the first graph per mode,
the snapping grid, the contraction hierarchy, the import, and Valhalla/OSRM build times (the
anchors are cached under bench/out: a cached build reports the time recorded when it was
built). OSRM CH is built only on ``--osrm-ch-networks`` (default futian, imperial: contracting
the generated grid cities took more than 5 minutes) and used elsewhere only when cached; MLD
runs everywhere. Random OD pairs span the whole network, so route and table work grows with
the network's diameter as well as its size.

Networks: ``futian``, ``imperial`` (../shared/data) and ``gen30k``, ``gen100k``, ``gen300k``
(``demo.sizes.generate_network_of_size``, generated once into bench/out/gen/<name>/). Each
network is imported once into its own scratch database ``rc_bench_routing_<name>``, reused
while the .pbf is unchanged (``--reimport`` forces it); ``migrate`` runs every time so the
``rc.*`` SQL functions follow the checkout.

Usage::

    bench/.venv/bin/python bench/routing_engines.py --networks futian,imperial
    bench/.venv/bin/python bench/routing_engines.py          # all five networks
        [--runs 50] [--runs-big 20] [--pgr-runs 50] [--pgr-runs-big 20] [--tables 10]
        [--table-size 100]
        [--seed 42] [--rc-isochrone-runs 3] [--osrm-ch-networks futian,imperial]
        [--profile imperial:isochrone-drive,gen300k:route] [--out bench/out/routing.md]

The report (markdown) is printed and written to ``--out``; raw timings go next to it as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import scratch
import shapely
from anchors import AnchorError, Osrm, Valhalla, area_km2
from sqlalchemy import Engine

from demo.sizes import generate_network_of_size
from gis.network_loader import load_network_arrays
from rescuecircle.database import local_url
from rescuecircle.errors import RescueCircleError
from rescuecircle.paths import PROJECT_ROOT
from rescuecircle.settings import Settings
from routing.hierarchy import hierarchy_of
from routing.isochrone import CELL_M, bands, edge_samples, spread_off_road
from routing.matrix import travel_matrix
from routing.network import Network
from services.routing import IsochroneRequest, bands_geojson, isochrone_geojson

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
DATA = PROJECT_ROOT.parent / "shared" / "data"
REAL = {
    "futian": DATA / "shenzhen" / "futian.osm.pbf",
    "imperial": DATA / "us-imperial" / "imperial.osm.pbf",
}
GENERATED = {"gen30k": 30_000, "gen100k": 100_000, "gen300k": 300_000}
ALL_NETWORKS = [*REAL, *GENERATED]
BIG_EDGES = 200_000  # networks at least this big use --runs-big
MINUTES = [5, 8, 12]
WALK_KMH = 5.0  # our walking speed; Valhalla is told the same
VALHALLA_COSTING = {"drive": "auto", "walk": "pedestrian"}
ISO_OPS = {"drive": "isochrone drive 5/8/12", "walk": "isochrone walk 5/8/12"}
ROUTE_OP = "route drive"
TABLE_OP = "table 100x100 drive"  # set from --table-size in main()
OURS = "ours"
LonLat = tuple[float, float]
RC_ISOCHRONE = "rc.isochrone (SQL function, whole table)"
VALHALLA_DEFAULTS = "Valhalla (defaults)"
# Measured while writing this benchmark (2 cores, load ~4): osrm-contract on gen30k was still in
# the first of its contraction passes after 6 min and was stopped; imperial (40k edges) takes 55 s.
CH_SKIPPED = "osrm-contract on gen30k did not finish its first pass in 6 min (killed)"


# --------------------------------------------------------------------------- measurements


@dataclass
class Samples:
    """Latencies (ms) of one engine on one operation, and how many calls failed."""

    ms: list[float] = field(default_factory=list)
    failed: int = 0
    timeouts: int = 0  # of the failed: cancelled by statement_timeout (pgRouting)
    errors: list[str] = field(default_factory=list)

    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else math.nan

    def p95(self) -> float:
        return float(np.percentile(self.ms, 95)) if self.ms else math.nan


@dataclass
class NetworkResult:
    """Everything measured on one network."""

    name: str
    edges: int = 0
    vertices: int = 0
    one_off: dict[str, str] = field(default_factory=dict)
    ops: dict[str, dict[str, Samples]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stages: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    load: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None

    def samples(self, op: str, engine: str) -> Samples:
        return self.ops.setdefault(op, {}).setdefault(engine, Samples())


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Milliseconds of one call and its result."""
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000.0, result


def measure(samples: Samples, call: Callable[[], Any]) -> Any:
    """Time ``call`` into ``samples``; a failure is counted, not timed, and returns None."""
    try:
        ms, result = timed(call)
    except (AnchorError, RescueCircleError, psycopg.Error, RuntimeError) as exc:
        samples.failed += 1
        if isinstance(exc, psycopg.errors.QueryCanceled):
            samples.timeouts += 1
        if len(samples.errors) < 3:
            samples.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        return None
    samples.ms.append(ms)
    return result


def seconds(started: float) -> float:
    return time.perf_counter() - started


# --------------------------------------------------------------------------- network setup


def pbf_of(name: str) -> Path:
    """The extract of a network; generated ones are made once into bench/out/gen/<name>/."""
    if name in REAL:
        return REAL[name]
    out = OUT / "gen" / name
    pbf = out / "demo_city.osm.pbf"
    if not pbf.exists():
        print(f"[{name}] generating a network of {GENERATED[name]:,} edges into {out}",
              file=sys.stderr)
        generate_network_of_size(out, target_edges=GENERATED[name])
    return pbf


def database(settings: Settings, name: str, pbf: Path, reimport: bool,
             result: NetworkResult) -> Engine:
    """The scratch database of a network, imported from ``pbf`` unless already done."""
    db = scratch.network_database(settings, f"rc_bench_routing_{name}", pbf, reimport=reimport,
                                  synthetic=name in GENERATED)
    if db.summary is None:
        result.one_off["import into PostGIS"] = db.how
    else:
        result.one_off["import into PostGIS (this run)"] = db.how
        print(f"[{name}] imported: {db.summary}", file=sys.stderr)
    return db.engine


def psycopg_url(settings: Settings, name: str) -> str:
    return local_url(settings, f"rc_bench_routing_{name}").replace(
        "postgresql+psycopg://", "postgresql://")


# --------------------------------------------------------------------------- origins


@dataclass(frozen=True)
class Origins:
    """Random non-island vertices a mode may use, as lon/lat, drawn with a fixed seed."""

    lonlat: np.ndarray  # (n, 2)

    def point(self, i: int) -> tuple[float, float]:
        return float(self.lonlat[i, 0]), float(self.lonlat[i, 1])


def vertex_lonlat(network: Network) -> np.ndarray:
    """lon/lat of every vertex index (from the WGS84 edge geometries' ends)."""
    lines = network.arrays.lines
    lonlat = np.empty((len(network.vertex_id), 2))
    lonlat[network.source] = lines.coords[lines.offsets[:-1]]
    lonlat[network.target] = lines.coords[lines.offsets[1:] - 1]
    return lonlat


def draw_origins(network: Network, lonlat: np.ndarray, mode: str, count: int,
                 rng: np.random.Generator) -> Origins:
    arrays = network.arrays
    usable = ((arrays.cost_s[mode] >= 0) | (arrays.reverse_cost_s[mode] >= 0)) \
        & ~arrays.island[mode]
    vertices = np.unique(np.concatenate([network.source[usable], network.target[usable]]))
    pick = rng.choice(vertices, size=count, replace=len(vertices) < count)
    return Origins(lonlat[pick])


# --------------------------------------------------------------------------- our engine


class Ours:
    """The in-memory engine, called as the API calls it."""

    def __init__(self, network: Network) -> None:
        self.network = network

    def isochrone(self, lon: float, lat: float, mode: str) -> dict[str, Any]:
        request = IsochroneRequest(lon, lat, mode, [float(m) for m in MINUTES], None)
        return isochrone_geojson(self.network, request, None)

    def route(self, a: LonLat, b: LonLat) -> float:
        net = self.network
        origin, destination = net.snap(*a, "drive"), net.snap(*b, "drive")
        return net.route(origin, destination, "drive").time_s

    def table(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Seconds from each source to each target (lon/lat rows), inf if unreachable."""
        net = self.network
        src = [net.snap(lon, lat, "drive") for lon, lat in sources]
        dst = [net.snap(lon, lat, "drive") for lon, lat in targets]
        return travel_matrix(net, src, dst, "drive").time_s

    def isochrone_stages(self, lon: float, lat: float, mode: str) -> dict[str, float]:
        """The same isochrone, stage by stage (ms): where our time goes."""
        net, limit_s, cell = self.network, max(MINUTES) * 60.0, CELL_M[mode]
        out: dict[str, float] = {}
        ms, snap = timed(lambda: net.snap(lon, lat, mode))
        out["snap"] = ms
        ms, result = timed(lambda: net.search_from(snap, mode, limit_s=limit_s))
        out["dijkstra (search_from)"] = ms
        ms, xyt = timed(lambda: edge_samples(net, [snap], mode, result.time_s, limit_s, None,
                                              cell / 2))
        out["edge samples"] = ms
        ms, grid = timed(lambda: spread_off_road(*xyt, limit_s=limit_s, cell_m=cell))
        out["grid + off-road spread"] = ms
        ms, found = timed(lambda: bands(grid, [float(m) for m in MINUTES]))
        out["bands (polygonise)"] = ms
        ms, _ = timed(lambda: bands_geojson(net, found))
        out["to lon/lat + GeoJSON"] = ms
        out["_reached_vertices"] = float(np.isfinite(result.time_s).sum())
        out["_samples"] = float(len(xyt[0]))
        out["_grid_cells"] = float(grid.time_s.size)
        return out


# --------------------------------------------------------------------------- pgRouting

_HULL_ISOCHRONE = """
WITH o AS (
    SELECT v.id FROM rc.road_vertex v
    ORDER BY v.geom <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) LIMIT 1
), dd AS (
    SELECT node, agg_cost FROM pgr_drivingDistance(%(edges)s, (SELECT id FROM o), %(limit_s)s,
                                                   directed => true)
)
SELECT b AS minutes, ST_AsGeoJSON(ST_ConcaveHull(ST_Collect(v.geom), 0.3)) AS geom
FROM unnest(%(bands)s::integer[]) AS b
JOIN dd ON dd.agg_cost <= b * 60.0
JOIN rc.road_vertex v ON v.id = dd.node
GROUP BY b ORDER BY b
"""

_DIJKSTRA_ROUTE = """
WITH o AS (
    SELECT id FROM rc.road_vertex
    ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%(lon1)s, %(lat1)s), 4326) LIMIT 1
), d AS (
    SELECT id FROM rc.road_vertex
    ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%(lon2)s, %(lat2)s), 4326) LIMIT 1
), p AS (
    SELECT * FROM pgr_dijkstra(%(edges)s, (SELECT id FROM o), (SELECT id FROM d),
                               directed => true)
)
SELECT p.seq, p.agg_cost, ST_AsGeoJSON(e.geom)
FROM p LEFT JOIN rc.road_edge e ON e.id = p.edge ORDER BY p.seq
"""


class Pgr:
    """pgRouting in the network's scratch database, over one autocommit connection."""

    def __init__(self, url: str, result: NetworkResult) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.timeout_ms = self.rc_isochrone_timeout_ms = 0
        self.has_isochrone = self._exists("rc.isochrone")
        self.has_route = self._exists("rc.route")
        self.has_matrix = self._exists("rc.travel_time_matrix")
        self.has_edges_sql = self._exists("rc._edges_sql")
        self.edges = {m: str(self._one("SELECT rc._edges_sql(%s)", (m,)))
                      if self.has_edges_sql else self._plain_edges(m)
                      for m in ("drive", "walk")}
        self.top_kmh = {m: float(self._one(f"SELECT max(speed_{m}_kmh) FROM rc.road_edge"))
                        for m in ("drive", "walk")}
        result.notes.append(
            "pgRouting isochrones (a)/(b): pgr_drivingDistance from the nearest vertex to the "
            "largest band, then ST_ConcaveHull(0.3) of the reached vertices per band; (b) "
            "restricts the edges SQL to origin +- largest band x the mode's top speed "
            f"({self.top_kmh['drive']:g} km/h drive, {self.top_kmh['walk']:g} km/h walk)")

    def _one(self, query: str, args: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(query, args).fetchone()
        return None if row is None else row[0]

    def _exists(self, name: str) -> bool:
        schema, proc = name.split(".")
        return bool(self._one(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.proname = %s", (schema, proc)))

    @staticmethod
    def _plain_edges(mode: str) -> str:
        return (f"SELECT id, source, target, cost_{mode}_s AS cost, reverse_cost_{mode}_s AS "
                f"reverse_cost FROM rc.road_edge WHERE cost_{mode}_s >= 0 OR "
                f"reverse_cost_{mode}_s >= 0")

    def box(self, lon: float, lat: float, reach_m: float) -> str:
        """EWKT of lon/lat +- reach_m (degrees scaled by latitude)."""
        dlat = reach_m / 111_320.0
        dlon = reach_m / (111_320.0 * max(0.05, math.cos(math.radians(lat))))
        return (f"SRID=4326;POLYGON(({lon - dlon} {lat - dlat},{lon + dlon} {lat - dlat},"
                f"{lon + dlon} {lat + dlat},{lon - dlon} {lat + dlat},{lon - dlon} {lat - dlat}))")

    def iso_reach_m(self, mode: str) -> float:
        return max(MINUTES) * 60.0 * self.top_kmh[mode] / 3.6

    def isochrone(self, lon: float, lat: float, mode: str, *, bbox: bool) -> list[Any]:
        """pgr_drivingDistance + concave hull per band, whole table or bbox edges."""
        box = self.box(lon, lat, self.iso_reach_m(mode)) if bbox else None
        return self.conn.execute(_HULL_ISOCHRONE, {
            "lon": lon, "lat": lat, "edges": self.edges_sql(mode, box),
            "limit_s": max(MINUTES) * 60.0, "bands": MINUTES}).fetchall()

    def rc_isochrone(self, lon: float, lat: float, mode: str) -> list[Any]:
        """The project's SQL function, whole table, under its own statement_timeout."""
        self.set_timeout(self.rc_isochrone_timeout_ms)
        try:
            return self.conn.execute(
                "SELECT minutes, area_km2, ST_AsGeoJSON(geom) FROM rc.isochrone(%s, %s, %s, %s)",
                (lon, lat, mode, MINUTES)).fetchall()
        finally:
            self.set_timeout(self.timeout_ms)

    def set_timeout(self, ms: int) -> None:
        """statement_timeout in ms for the calls that follow (0: none)."""
        self.conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(ms),))

    def route_box(self, a: tuple[float, float], b: tuple[float, float]) -> str:
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        coslat = math.cos(math.radians(mid[1]))
        dx_m = abs(a[0] - b[0]) * 111_320.0 * coslat
        dy_m = abs(a[1] - b[1]) * 111_320.0
        margin_m = max(2000.0, 0.5 * math.hypot(dx_m, dy_m))
        dlon = dx_m / 2 / (111_320.0 * coslat) + margin_m / (111_320.0 * coslat)
        dlat = dy_m / 2 / 111_320.0 + margin_m / 111_320.0
        lon, lat = mid
        return (f"SRID=4326;POLYGON(({lon - dlon} {lat - dlat},{lon + dlon} {lat - dlat},"
                f"{lon + dlon} {lat + dlat},{lon - dlon} {lat + dlat},{lon - dlon} {lat - dlat}))")

    def edges_sql(self, mode: str, box: str | None) -> str:
        """Edges SQL of a mode, whole table or only edges meeting ``box`` (EWKT)."""
        if box is None:
            return self.edges[mode]
        if self.has_edges_sql:
            return str(self._one("SELECT rc._edges_sql(%s, %s::geometry)", (mode, box)))
        return f"{self.edges[mode]} AND geom && ST_GeomFromEWKT('{box}')"

    def dijkstra(self, a: tuple[float, float], b: tuple[float, float], *,
                 bbox: bool) -> float:
        # Building the bbox edges SQL (one tiny query) is part of the bbox variant's cost.
        edges = self.edges_sql("drive", self.route_box(a, b) if bbox else None)
        rows = self.conn.execute(_DIJKSTRA_ROUTE, {
            "lon1": a[0], "lat1": a[1], "lon2": b[0], "lat2": b[1], "edges": edges}).fetchall()
        if not rows:
            raise RuntimeError("pgr_dijkstra: no route")
        return float(rows[-1][1])

    def with_points_route(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        rows = self.conn.execute(
            "SELECT seq, agg_cost_s, ST_AsGeoJSON(geom) FROM rc.route(%s, %s, %s, %s, 'drive')",
            (a[0], a[1], b[0], b[1])).fetchall()
        if not rows:
            raise RuntimeError("rc.route: no route")
        return float(rows[-1][1])

    def matrix(self, sources: np.ndarray, targets: np.ndarray) -> list[Any]:
        return self.conn.execute(
            "WITH s AS (SELECT array_agg(ST_SetSRID(ST_MakePoint(x, y), 4326) ORDER BY i) AS g "
            "           FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, i)),"
            " d AS (SELECT array_agg(ST_SetSRID(ST_MakePoint(x, y), 4326) ORDER BY i) AS g "
            "       FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, i)) "
            "SELECT m.* FROM s, d, rc.travel_time_matrix(s.g, d.g, 'drive') AS m",
            (list(sources[:, 0]), list(sources[:, 1]), list(targets[:, 0]),
             list(targets[:, 1]))).fetchall()


# --------------------------------------------------------------------------- anchors


def valhalla_isochrone_request(lon: float, lat: float, mode: str, *,
                               defaults: bool = False) -> str:
    """Our bands' request; ``defaults`` leaves ``denoise`` at Valhalla's default (1)."""
    request: dict[str, Any] = {
        "locations": [{"lon": lon, "lat": lat}],
        "costing": VALHALLA_COSTING[mode],
        "contours": [{"time": float(m)} for m in MINUTES],
        "polygons": True,
    }
    if not defaults:
        request["denoise"] = 0
    if mode == "walk":
        request["costing_options"] = {"pedestrian": {"walking_speed": WALK_KMH}}
    return json.dumps(request)


def valhalla_route_request(a: tuple[float, float], b: tuple[float, float]) -> str:
    return json.dumps({
        "locations": [{"lon": a[0], "lat": a[1]}, {"lon": b[0], "lat": b[1]}],
        "costing": "auto", "directions_type": "none", "units": "kilometers"})


def valhalla_matrix_request(sources: np.ndarray, targets: np.ndarray) -> str:
    return json.dumps({
        "sources": [{"lon": float(x), "lat": float(y)} for x, y in sources],
        "targets": [{"lon": float(x), "lat": float(y)} for x, y in targets],
        "costing": "auto", "verbose": False})


def valhalla_isochrone(valhalla: Valhalla, lon: float, lat: float, *, mode: str,
                       defaults: bool = False) -> str:
    return valhalla.raw("isochrone", valhalla_isochrone_request(lon, lat, mode,
                                                                defaults=defaults))


def valhalla_route(valhalla: Valhalla, a: LonLat, b: LonLat) -> str:
    return valhalla.raw("route", valhalla_route_request(a, b))


def valhalla_matrix(valhalla: Valhalla, sources: np.ndarray, targets: np.ndarray) -> str:
    return valhalla.raw("matrix", valhalla_matrix_request(sources, targets))


def osrm_route(osrm: Osrm, a: LonLat, b: LonLat) -> float:
    return osrm.route(a[0], a[1], b[0], b[1])[0]


def osrm_table(osrm: Osrm, sources: np.ndarray, targets: np.ndarray) -> Any:
    return osrm.table([(float(x), float(y)) for x, y in sources],
                      [(float(x), float(y)) for x, y in targets])


def built_text(anchor: Valhalla | Osrm, step: str = "build_s") -> str:
    record = anchor.build_record
    value = record.get(step)
    if value is None:
        return "not built"
    when = "built in this run" if anchor.build_s is not None else "cached; recorded build"
    return f"{float(value):.1f} s ({when})"


@dataclass
class Anchors:
    valhalla: Valhalla | None = None
    osrm_ch: Osrm | None = None
    osrm_mld: Osrm | None = None


def build_anchors(name: str, pbf: Path, edges: int, args: argparse.Namespace,
                  result: NetworkResult) -> Anchors:
    anchors = Anchors()
    try:
        started = time.perf_counter()
        anchors.valhalla = Valhalla(pbf, name=name)
        result.one_off["Valhalla tiles"] = built_text(anchors.valhalla)
        result.one_off["Valhalla Actor load (this run)"] = f"{seconds(started):.2f} s incl. build"
    except AnchorError as exc:
        result.notes.append(f"Valhalla unavailable: {exc}")
    try:
        anchors.osrm_mld = Osrm(pbf, "car", algorithm="MLD", name=name)
        result.one_off["OSRM car extract+partition+customize (MLD)"] = built_text(
            anchors.osrm_mld)
        ch_built = "contract_s" in anchors.osrm_mld.build_record
        if name in args.osrm_ch_networks or ch_built:
            anchors.osrm_ch = Osrm(pbf, "car", algorithm="CH", name=name)
            result.one_off["OSRM car contract (CH)"] = built_text(anchors.osrm_ch, "contract_s")
        else:
            result.one_off["OSRM car contract (CH)"] = (
                "not built (not in --osrm-ch-networks): " + CH_SKIPPED)
            result.notes.append("OSRM CH not built on this network: MLD only")
    except AnchorError as exc:
        result.notes.append(f"OSRM unavailable: {exc}")
    return anchors


# --------------------------------------------------------------------------- the run


def profile(call: Callable[[], Any], top: int = 15) -> str:
    """cProfile of ``call``: the ``top`` entries by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    start = text.find("   ncalls")
    return text[start:].rstrip() if start >= 0 else text.rstrip()


def bench_network(name: str, args: argparse.Namespace, settings: Settings) -> NetworkResult:
    result = NetworkResult(name)
    load_before = os.getloadavg()
    pbf = pbf_of(name)
    print(f"[{name}] database", file=sys.stderr)
    engine = database(settings, name, pbf, args.reimport, result)

    started = time.perf_counter()
    arrays = load_network_arrays(engine)
    result.one_off["load_network_arrays (PostGIS -> arrays)"] = f"{seconds(started):.2f} s"
    started = time.perf_counter()
    network = Network(arrays)
    result.one_off["Network() construction"] = f"{seconds(started):.2f} s"
    for mode in ("drive", "walk"):
        started = time.perf_counter()
        network.graph(mode)
        result.one_off[f"first graph build, {mode}"] = f"{seconds(started) * 1000:.0f} ms"
    started = time.perf_counter()
    network.grid()
    result.one_off["snapping grid (every mode)"] = f"{seconds(started) * 1000:.0f} ms"
    started = time.perf_counter()
    hierarchy_of(network.graph("drive"), wait=True)
    result.one_off["contraction hierarchy, drive (tables; built in the background on first "
                   "use)"] = f"{seconds(started):.2f} s"
    result.edges, result.vertices = len(arrays.edge_id), len(network.vertex_id)
    ours = Ours(network)

    anchors = build_anchors(name, pbf, result.edges, args, result)
    pgr = Pgr(psycopg_url(settings, name), result)

    big = result.edges >= BIG_EDGES
    runs = args.runs_big if big else args.runs
    pgr_runs = min(runs, args.pgr_runs_big if big else args.pgr_runs)
    rc_iso_runs = args.rc_isochrone_runs if result.edges <= args.rc_isochrone_max_edges else 0
    pgr.timeout_ms, pgr.rc_isochrone_timeout_ms = (
        args.pgr_timeout_s * 1000, args.rc_isochrone_timeout_s * 1000)
    pgr.set_timeout(pgr.timeout_ms)
    if pgr.has_isochrone:
        result.notes.append(
            f"{RC_ISOCHRONE}: sql/functions/routing.sql as migrated now (pgr_withPointsDD from "
            "the snapped point, reached pieces of road buffered 50 m per band); "
            + (f"{rc_iso_runs} origins per mode, statement_timeout "
               f"{args.rc_isochrone_timeout_s} s (a timeout counts as failed)" if rc_iso_runs
               else f"not run: {result.edges:,} edges > --rc-isochrone-max-edges "
               f"{args.rc_isochrone_max_edges:,}"))
    else:
        result.notes.append("rc.isochrone does not exist in this checkout")
    rng = np.random.default_rng(args.seed)
    lonlat = vertex_lonlat(network)
    warm = 3
    origins = {m: draw_origins(network, lonlat, m, runs + warm, rng) for m in ("drive", "walk")}
    pairs = draw_origins(network, lonlat, "drive", 2 * (runs + warm), rng)
    size = args.table_size
    tables = draw_origins(network, lonlat, "drive", 2 * size * (args.tables + 1), rng)
    result.notes.append(
        f"{runs} isochrone origins per mode and {runs} route pairs (pgRouting: the first "
        f"{pgr_runs} of them), {args.tables} tables (pgRouting: first "
        f"{min(args.tables, args.pgr_tables)}); seed {args.seed}; {warm} warm-up calls per "
        "engine on other origins")

    # ---- isochrones
    for mode in ("drive", "walk"):
        op = ISO_OPS[mode]
        print(f"[{name}] {op}: {runs} origins", file=sys.stderr)
        engines: list[tuple[str, Callable[[float, float], Any], int]] = [
            (OURS, partial(ours.isochrone, mode=mode), runs),
            ("pgRouting (a) whole table", partial(pgr.isochrone, mode=mode, bbox=False),
             pgr_runs),
            ("pgRouting (b) bbox edges", partial(pgr.isochrone, mode=mode, bbox=True),
             pgr_runs),
        ]
        if anchors.valhalla is not None:
            engines.append(("Valhalla", partial(valhalla_isochrone, anchors.valhalla, mode=mode),
                            runs))
            engines.append((VALHALLA_DEFAULTS, partial(
                valhalla_isochrone, anchors.valhalla, mode=mode, defaults=True), runs))
        if pgr.has_isochrone and rc_iso_runs:
            engines.append((RC_ISOCHRONE, partial(pgr.rc_isochrone, mode=mode), rc_iso_runs))
        for i in range(warm):
            for engine_name, iso_call, _ in engines:
                if engine_name == RC_ISOCHRONE:
                    continue  # seconds per call: no warm-up beyond the others'
                with contextlib.suppress(Exception):  # warm-up only
                    iso_call(*origins[mode].point(runs + i))
        areas: list[tuple[float, float]] = []
        for i in range(runs):
            lon, lat = origins[mode].point(i)
            got: dict[str, Any] = {}
            for engine_name, iso_call, limit in engines:
                if i < limit:
                    got[engine_name] = measure(result.samples(op, engine_name),
                                               partial(iso_call, lon, lat))
            if got.get(OURS) and got.get("Valhalla"):
                areas.append(_area_pair(got[OURS], got["Valhalla"]))
        if areas:
            ratio = [o / v for o, v in areas if v > 0]
            result.notes.append(
                f"{op}: 12-min band area ours / Valhalla (denoise 0), median "
                f"{statistics.median(ratio):.2f} (p10 {np.percentile(ratio, 10):.2f}, p90 "
                f"{np.percentile(ratio, 90):.2f}); ours median "
                f"{statistics.median(a for a, _ in areas):.2f} km²")
        stage_rows: dict[str, list[float]] = {}
        try:  # calls private stages of routing.isochrone: may break while it is being edited
            for i in range(min(runs, 20)):
                for key, value in ours.isochrone_stages(*origins[mode].point(i), mode).items():
                    stage_rows.setdefault(key, []).append(value)
            result.stages[mode] = stage_rows
        except Exception as exc:  # noqa: BLE001 - the breakdown is optional
            result.notes.append(f"{op}: no stage breakdown ({type(exc).__name__}: {exc})")

    # ---- routes
    print(f"[{name}] {ROUTE_OP}: {runs} pairs", file=sys.stderr)
    route_engines: list[tuple[str, Callable[[LonLat, LonLat], Any], int]] = [
        (OURS, ours.route, runs),
        ("pgr_dijkstra whole table", partial(pgr.dijkstra, bbox=False), pgr_runs),
        ("pgr_dijkstra bbox edges", partial(pgr.dijkstra, bbox=True), pgr_runs),
    ]
    if pgr.has_route:
        route_engines.append(("rc.route (pgr_withPoints, whole)", pgr.with_points_route,
                              pgr_runs))
    if anchors.valhalla is not None:
        route_engines.append(("Valhalla", partial(valhalla_route, anchors.valhalla), runs))
    for label, osrm in (("OSRM CH", anchors.osrm_ch), ("OSRM MLD", anchors.osrm_mld)):
        if osrm is not None:
            route_engines.append((label, partial(osrm_route, osrm), runs))
    for i in range(warm):
        a, b = pairs.point(2 * (runs + i)), pairs.point(2 * (runs + i) + 1)
        for _, route_call, _ in route_engines:
            with contextlib.suppress(Exception):  # warm-up only
                route_call(a, b)
    diffs: list[float] = []
    ratios_v: list[float] = []
    ratios_o: list[float] = []
    worse_bbox = 0
    for i in range(runs):
        a, b = pairs.point(2 * i), pairs.point(2 * i + 1)
        got = {}
        for engine_name, route_call, limit in route_engines:
            if i < limit:
                got[engine_name] = measure(result.samples(ROUTE_OP, engine_name),
                                           partial(route_call, a, b))
        t_ours, t_whole = got.get(OURS), got.get("pgr_dijkstra whole table")
        if t_ours is not None and t_whole is not None:
            diffs.append(abs(t_ours - t_whole))
            t_box = got.get("pgr_dijkstra bbox edges")
            if t_box is None or t_box > t_whole + 0.5:
                worse_bbox += 1
        if t_ours and got.get("Valhalla"):
            ratios_v.append(json.loads(got["Valhalla"])["trip"]["summary"]["time"] / t_ours)
        if t_ours and got.get("OSRM MLD") is not None:
            ratios_o.append(got["OSRM MLD"] / t_ours)
    if diffs:
        result.notes.append(
            f"{ROUTE_OP}: |ours - pgr_dijkstra| travel time median {statistics.median(diffs):.3f}"
            f" s, max {max(diffs):.3f} s over {len(diffs)} pairs (same edge costs); bbox "
            f"pgr_dijkstra slower or failed on {worse_bbox} of {len(diffs)}")
    if ratios_v or ratios_o:
        result.notes.append(
            f"{ROUTE_OP}: travel time / ours, median: Valhalla "
            f"{statistics.median(ratios_v) if ratios_v else math.nan:.2f}, OSRM "
            f"{statistics.median(ratios_o) if ratios_o else math.nan:.2f} (other speed models)")

    # ---- tables
    print(f"[{name}] {TABLE_OP}: {args.tables} tables", file=sys.stderr)
    table_engines: list[tuple[str, Callable[[np.ndarray, np.ndarray], Any], int]] = [
        (OURS, ours.table, args.tables),
    ]
    if pgr.has_matrix:
        table_engines.append(("rc.travel_time_matrix (pgr_withPointsCost)", pgr.matrix,
                              min(args.tables, args.pgr_tables)))
    if anchors.valhalla is not None:
        table_engines.append(("Valhalla matrix", partial(valhalla_matrix, anchors.valhalla),
                              args.tables))
    for label, osrm in (("OSRM CH table", anchors.osrm_ch), ("OSRM MLD table", anchors.osrm_mld)):
        if osrm is not None:
            table_engines.append((label, partial(osrm_table, osrm), args.tables))
    points = tables.lonlat.reshape(args.tables + 1, 2 * size, 2)
    for _, table_call, _ in table_engines:
        with contextlib.suppress(Exception):  # warm-up only
            table_call(points[-1, :size], points[-1, size:])
    for i in range(args.tables):
        for engine_name, table_call, limit in table_engines:
            if i < limit:
                measure(result.samples(TABLE_OP, engine_name),
                        partial(table_call, points[i, :size], points[i, size:]))

    # ---- profiles
    for target in args.profile:
        net_name, _, what = target.partition(":")
        if net_name != name:
            continue
        if what.startswith("isochrone-"):
            mode = what.removeprefix("isochrone-")
            result.profiles[what] = profile(partial(_isochrones, ours, origins[mode], mode, runs))
        elif what == "route":
            result.profiles[what] = profile(partial(_routes, ours, pairs, runs))
        elif what == "table":
            result.profiles[what] = profile(partial(_tables, ours, points, args.tables, size))

    pgr.conn.close()
    engine.dispose()
    result.load = (load_before, os.getloadavg())
    return result


def _isochrones(ours: Ours, origins: Origins, mode: str, runs: int) -> None:
    for i in range(runs):
        ours.isochrone(*origins.point(i), mode)


def _routes(ours: Ours, pairs: Origins, runs: int) -> None:
    for i in range(runs):
        with contextlib.suppress(RescueCircleError):
            ours.route(pairs.point(2 * i), pairs.point(2 * i + 1))


def _tables(ours: Ours, points: np.ndarray, count: int, size: int) -> None:
    for i in range(count):
        ours.table(points[i, :size], points[i, size:])


def _area_pair(ours_geojson: dict[str, Any], valhalla_json: str) -> tuple[float, float]:
    """Largest band's area (km²): ours as reported, Valhalla's polygon in an equal-area CRS."""
    top = max(MINUTES)
    mine = next(f["properties"]["area_km2"] for f in ours_geojson["features"]
                if f["properties"]["minutes"] == top)
    theirs = 0.0
    for feature in json.loads(valhalla_json)["features"]:
        if feature["properties"].get("contour") == top and feature["geometry"]["type"] in (
                "Polygon", "MultiPolygon"):
            geometry = shapely.geometry.shape(feature["geometry"])
            theirs = area_km2(geometry if geometry.is_valid else shapely.make_valid(geometry))
    return float(mine), theirs


# --------------------------------------------------------------------------- report


def fmt(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def report(results: list[NetworkResult], args: argparse.Namespace, argv: list[str],
           started: float, load_start: tuple[float, float, float]) -> str:
    lines = [
        "# Routing benchmark: rescuecircle vs pgRouting, Valhalla, OSRM",
        "",
        f"Command: `bench/.venv/bin/python bench/routing_engines.py {' '.join(argv)}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}  ",
        f"Load average (1/5/15 min) at start {_load(load_start)}, at end "
        f"{_load(os.getloadavg())}; other engineers may be running tests at the same time.  ",
        f"Total run time {seconds(started) / 60:.1f} min. Latencies in ms (time.perf_counter, "
        "in-process, single-threaded); ratio = engine p50 / ours p50 (above 1: we are faster).",
        "",
        "Ours = the API's code path without HTTP (isochrone: snap + search + grid + bands + "
        "GeoJSON mapping; route: 2 snaps + Network.route with geometry; table: 2N snaps + "
        "routing.matrix.travel_matrix over the contraction hierarchy). Valhalla = raw JSON "
        "call (isochrone denoise=0, or Valhalla's defaults where named so, polygons; route "
        "directions_type=none). OSRM route: overview=false (no geometry). pgRouting: one SQL "
        "statement per call over a local socket, result rows fetched.",
        "",
    ]
    for res in results:
        lines += [f"## {res.name}: {res.edges:,} edges, {res.vertices:,} vertices", ""]
        if res.load:
            lines += [f"Load average before / after: {_load(res.load[0])} / {_load(res.load[1])}",
                      ""]
        lines += ["| operation | engine | n | p50 ms | p95 ms | ratio p50 (engine / ours) |",
                  "| --- | --- | ---: | ---: | ---: | ---: |"]
        for op, engines in res.ops.items():
            base = engines.get(OURS, Samples()).p50()
            for engine_name, s in engines.items():
                ratio = s.p50() / base if base and not math.isnan(base) else math.nan
                n = f"{len(s.ms)}" + (f" ({s.failed} failed)" if s.failed else "")
                if s.timeouts:
                    n = f"{len(s.ms)} ({s.timeouts} timed out, {s.failed - s.timeouts} failed)"
                lines.append(f"| {op} | {engine_name} | {n} | {fmt(s.p50())} | {fmt(s.p95())} | "
                             f"{'-' if engine_name == OURS else fmt(ratio)} |")
        lines.append("")
        failures = [(op, e, s.errors) for op, es in res.ops.items() for e, s in es.items()
                    if s.errors]
        for op, engine_name, errors in failures:
            lines.append(f"- failures, {op} / {engine_name}: {'; '.join(errors)}")
        if failures:
            lines.append("")
        lines += ["One-off costs:", "", "| step | cost |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in res.one_off.items()]
        lines.append("")
        for mode, stages in res.stages.items():
            if not stages:
                continue
            lines += [f"Where our {mode} isochrone time goes (median of {len(stages['snap'])} "
                      "origins, stage by stage):", "",
                      "| stage | p50 ms | share |", "| --- | ---: | ---: |"]
            medians = {k: statistics.median(v) for k, v in stages.items()}
            total = sum(v for k, v in medians.items() if not k.startswith("_"))
            for key, value in medians.items():
                if key.startswith("_"):
                    continue
                lines.append(f"| {key} | {fmt(value)} | {100 * value / total:.0f}% |")
            lines.append(f"| (reached vertices / edge samples / grid cells, p50) | "
                         f"{medians['_reached_vertices']:,.0f} / {medians['_samples']:,.0f} / "
                         f"{medians['_grid_cells']:,.0f} | |")
            lines.append("")
        if res.notes:
            lines += ["Notes:", ""] + [f"- {note}" for note in res.notes] + [""]
        for what, text in res.profiles.items():
            lines += [f"cProfile, ours, {what} on {res.name} (top 15 by cumulative time):", "",
                      "```", text, "```", ""]

    lines += _summary(results)
    lines += _acceptance(results)
    lines += _growth(results)
    return "\n".join(lines) + "\n"


def _summary(results: list[NetworkResult]) -> list[str]:
    """One row per network: our p50 and each anchor's p50 / ours for the main operations."""
    columns = [(ISO_OPS["drive"], "Valhalla"), (ISO_OPS["drive"], "pgRouting (a) whole table"),
               (ISO_OPS["walk"], "Valhalla"), (ROUTE_OP, "Valhalla"), (ROUTE_OP, "OSRM MLD"),
               (ROUTE_OP, "pgr_dijkstra whole table"), (TABLE_OP, "Valhalla matrix"),
               (TABLE_OP, "OSRM MLD table")]
    short = {ISO_OPS["drive"]: "iso drive", ISO_OPS["walk"]: "iso walk", ROUTE_OP: "route",
             TABLE_OP: "table"}
    lines = ["## Summary: our p50 (ms) and engine p50 / ours p50", "",
             "| network | edges | ours iso drive | ours iso walk | ours route | ours table | "
             + " | ".join(f"{short[op]}: {e}" for op, e in columns) + " |",
             "| --- | ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in columns)
             + " |"]
    for res in results:
        ours = [res.ops.get(op, {}).get(OURS, Samples()).p50()
                for op in (ISO_OPS["drive"], ISO_OPS["walk"], ROUTE_OP, TABLE_OP)]
        ratios = []
        for op, engine_name in columns:
            base = res.ops.get(op, {}).get(OURS, Samples()).p50()
            value = res.ops.get(op, {}).get(engine_name, Samples()).p50()
            ratios.append(fmt(value / base) if base and not math.isnan(value) else "-")
        lines.append(f"| {res.name} | {res.edges:,} | " + " | ".join(fmt(v) for v in ours)
                     + " | " + " | ".join(ratios) + " |")
    return lines + ["", "Above 1: we are faster. Isochrones and routes on the same origins "
                    "per network; see each network's table for p95 and the other engines.", ""]


def _load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def _acceptance(results: list[NetworkResult]) -> list[str]:
    """Issue 17's speed targets on imperial, measured in this run."""
    lines = ["## Acceptance on imperial (issue 17): ours p50 against the anchors' p50", "",
             "| operation | ours p50 ms | anchor | anchor p50 ms | ours / anchor | target | "
             "verdict |", "| --- | ---: | --- | ---: | ---: | ---: | --- |"]
    res = next((r for r in results if r.name == "imperial"), None)
    if res is None:
        return lines[:2] + ["Not measured in this run (imperial missing).", ""]
    targets = [(ISO_OPS["drive"], VALHALLA_DEFAULTS, 0.35),
               (ISO_OPS["walk"], VALHALLA_DEFAULTS, 1.0),
               (TABLE_OP, "OSRM MLD table", 1.0)]
    for op, anchor, target in targets:
        engines = res.ops.get(op, {})
        if OURS not in engines or anchor not in engines:
            lines.append(f"| {op} | - | {anchor} | - | - | {target:.2f} | not measured |")
            continue
        ours, theirs = engines[OURS].p50(), engines[anchor].p50()
        verdict = "**MET**" if ours <= target * theirs else "**NOT MET**"
        lines.append(f"| {op} | {fmt(ours)} | {anchor} | {fmt(theirs)} | "
                     f"{ours / theirs:.2f} | {target:.2f} | {verdict} |")
    return lines + [""]


def _growth(results: list[NetworkResult]) -> list[str]:
    gen = [r for r in results if r.name in GENERATED]
    if len(gen) < 2:
        return []
    lines = ["## Cost growth with network size (generated networks, p50 ms)", "",
             "| operation | engine | " + " | ".join(f"{r.name} ({r.edges:,} edges)" for r in gen)
             + " | growth exponent |",
             "| --- | --- | " + " | ".join("---:" for _ in gen) + " | ---: |"]
    first, last = gen[0], gen[-1]
    for op in [*ISO_OPS.values(), ROUTE_OP, TABLE_OP]:
        engines: list[str] = []
        for r in gen:
            engines += [e for e in r.ops.get(op, {}) if e not in engines]
        for engine_name in engines:
            values = [r.ops.get(op, {}).get(engine_name, Samples()).p50() for r in gen]
            a = first.ops.get(op, {}).get(engine_name, Samples()).p50()
            b = last.ops.get(op, {}).get(engine_name, Samples()).p50()
            exponent = (math.log(b / a) / math.log(last.edges / first.edges)
                        if a and b and not (math.isnan(a) or math.isnan(b)) else math.nan)
            lines.append(f"| {op} | {engine_name} | " + " | ".join(fmt(v) for v in values)
                         + f" | {fmt(exponent) if not math.isnan(exponent) else '-'} |")
    lines += ["", "Growth exponent k: p50 ~ edges^k between the smallest and the largest "
              "generated network (0: flat, 1: linear).", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    global TABLE_OP
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", default=",".join(ALL_NETWORKS),
                        help=f"comma-separated, from {', '.join(ALL_NETWORKS)}")
    parser.add_argument("--runs", type=int, default=50,
                        help="isochrone origins per mode and route pairs (default 50)")
    parser.add_argument("--runs-big", type=int, default=20,
                        help=f"the same on networks of {BIG_EDGES:,}+ edges (default 20)")
    parser.add_argument("--pgr-runs", type=int, default=50,
                        help="pgRouting gets the first N of the origins (default 50)")
    parser.add_argument("--pgr-runs-big", type=int, default=20,
                        help=f"the same on networks of {BIG_EDGES:,}+ edges (default 20)")
    parser.add_argument("--tables", type=int, default=10, help="tables per engine (default 10)")
    parser.add_argument("--table-size", type=int, default=100,
                        help="sources = targets per table (default 100)")
    parser.add_argument("--pgr-tables", type=int, default=3,
                        help="tables for rc.travel_time_matrix (default 3)")
    parser.add_argument("--rc-isochrone-runs", type=int, default=3,
                        help="origins per mode for rc.isochrone, which takes seconds (default 3)")
    parser.add_argument("--rc-isochrone-max-edges", type=int, default=50_000,
                        help="run rc.isochrone only up to this size (default 50000)")
    parser.add_argument("--pgr-timeout-s", type=int, default=20,
                        help="statement_timeout of the pgRouting calls (default 20 s)")
    parser.add_argument("--rc-isochrone-timeout-s", type=int, default=45,
                        help="statement_timeout of rc.isochrone (default 45 s)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--osrm-ch-networks", default="futian,imperial",
                        help="networks where OSRM CH may be built (elsewhere only if cached; "
                        "default futian,imperial: CH contraction of the generated grids takes "
                        "more than 5 min)")
    parser.add_argument("--profile", default=None,
                        help="network:what pairs (what: isochrone-drive, isochrone-walk, route, "
                        "table); default imperial:isochrone-drive, imperial:route and the "
                        "largest network's isochrone-drive and route")
    parser.add_argument("--reimport", action="store_true",
                        help="re-import every network into its scratch database")
    parser.add_argument("--out", type=Path, default=OUT / "routing.md")
    args = parser.parse_args(argv)
    TABLE_OP = f"table {args.table_size}x{args.table_size} drive"
    networks = [n.strip() for n in args.networks.split(",") if n.strip()]
    args.osrm_ch_networks = [n.strip() for n in args.osrm_ch_networks.split(",") if n.strip()]
    unknown = [n for n in networks if n not in ALL_NETWORKS]
    if unknown:
        parser.error(f"unknown networks {unknown}; choose from {ALL_NETWORKS}")
    if args.profile is None:
        targets = ["imperial:isochrone-drive", "imperial:route"]
        largest = [n for n in ALL_NETWORKS if n in networks][-1]
        if largest != "imperial":
            targets += [f"{largest}:isochrone-drive", f"{largest}:route"]
        args.profile = targets
    else:
        args.profile = [p for p in args.profile.split(",") if p]

    settings = Settings()
    started, load_start = time.perf_counter(), os.getloadavg()
    results = []
    for name in networks:
        net_started = time.perf_counter()
        results.append(bench_network(name, args, settings))
        print(f"[{name}] done in {seconds(net_started):.0f} s", file=sys.stderr)
    text = report(results, args, argv, started, load_start)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    raw = {r.name: {"edges": r.edges, "ops": {op: {e: {"ms": s.ms, "failed": s.failed}
                                                     for e, s in es.items()}
                                               for op, es in r.ops.items()},
                    "one_off": r.one_off, "stages": r.stages}
           for r in results}
    args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1))
    print(f"written {args.out} and {args.out.with_suffix('.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
