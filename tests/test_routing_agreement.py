"""The in-memory engine (routing/) and pgRouting agree to the second on real networks.

Issue 3 asks for agreement within 1 s on at least 200 random origin-destination pairs per real
network. For each of Futian (Shenzhen) and Imperial County, and for driving and walking:

(a) vertex to vertex: the engine's Dijkstra against ``pgr_dijkstraCost`` (combinations form, one
    query for all pairs), reachability included: both find a route or neither does;
(b) point to point: random points part-way along random non-island edges (a tenth of them
    exactly at an end of their edge, which both sides must treat as the vertex) routed by
    ``Network.route`` against ``pgr_withPointsCost`` with the same fractions, as rc.route calls it
    (rc._points_sql, rc._vid, driving side 'b');
(c) the public SQL functions end to end on a sample: ``rc.route`` between WGS84 points and
    ``rc.travel_times`` from a point, against the engine snapping the same points itself;
(d) snapping beside islands: points round island edges, where the connected network may win
    over a nearer island edge, placed on the same edge by ``rc.snap`` and ``Network.snap``;
(e) searches *to* a vertex (the transposed graph) against ``pgr_drivingDistance`` with each
    edge's costs swapped, and the travel-time matrix (``routing.matrix``) against
    ``pgr_withPointsCost`` with the same fractions, from both of its sides.

Points are placed on edges without an off-network leg, and where the engine adds one (it walks
from the point to the road) the leg is taken off, as the SQL functions leave it out.
Statistics are printed (run with ``-s``) for docs/benchmarks.md.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, Row, text

from gis.network_loader import load_network_arrays
from gis.osm_import import import_osm
from rescuecircle.errors import NoRoute
from routing.graph import Seed
from routing.matrix import travel_matrix
from routing.network import Network
from routing.snap import Snap

pytestmark = pytest.mark.realdata

EXTRACTS = {"futian": "shenzhen/futian.osm.pbf", "imperial": "us-imperial/imperial.osm.pbf"}
MODES = ("drive", "walk")
PAIRS = 200
END_SHARE = 0.1  # points put exactly at an end of their edge
TOLERANCE_S = 1.0
SEED = 20240603
SAMPLE = 25  # rc.route calls per network and mode
ORIGINS = 4  # rc.travel_times calls per network and mode
LIMIT_S = 600.0
ISLAND_EDGES = 60  # island edges per network and mode with points round them
RINGS_M = (10.0, 23.0, 40.0, 80.0)  # the points' distances from their island edge
MIN_LEFT_ISLAND = 20  # points nearest an island edge that must go to the connected network


@dataclass(frozen=True)
class Loaded:
    """One imported extract: its database and the engine built from it."""

    name: str
    engine: Engine
    network: Network


@pytest.fixture(scope="module", params=sorted(EXTRACTS))
def loaded(request: pytest.FixtureRequest, make_database, shared_data: Path) -> Loaded:
    """Each extract imported once per module into its own database (agree_<name>)."""
    name = request.param
    engine = make_database(f"agree_{name}")
    import_osm(engine, shared_data / EXTRACTS[name])
    return Loaded(name, engine, Network(load_network_arrays(engine)))


def summary(label: str, engine_s: np.ndarray, sql_s: np.ndarray) -> str:
    """A one-line report of agreement over pairs (inf marks "no route")."""
    both = np.isfinite(engine_s) & np.isfinite(sql_s)
    differences = np.abs(engine_s[both] - sql_s[both])
    return (f"{label}: {len(engine_s)} pairs, {both.sum()} routed by both, "
            f"{(~np.isfinite(engine_s) & ~np.isfinite(sql_s)).sum()} by neither, "
            f"{(np.isfinite(engine_s) != np.isfinite(sql_s)).sum()} by one only; |difference| "
            f"max {differences.max(initial=0):.2e} s, "
            f"median {np.median(differences) if len(differences) else np.nan:.2e} s")


def assert_agree(label: str, engine_s: np.ndarray, sql_s: np.ndarray, *, routed: int) -> None:
    """Same reachability pair by pair, times within TOLERANCE_S, and enough routed pairs."""
    print(summary(label, engine_s, sql_s))
    one_sided = np.nonzero(np.isfinite(engine_s) != np.isfinite(sql_s))[0]
    assert not len(one_sided), f"{label}: reachability differs for pairs {one_sided[:10]}"
    both = np.isfinite(engine_s) & np.isfinite(sql_s)
    worst = np.abs(engine_s[both] - sql_s[both])
    assert worst.max(initial=0) <= TOLERANCE_S, (
        f"{label}: pairs {np.nonzero(both)[0][worst > TOLERANCE_S][:10]} differ by up to "
        f"{worst.max():.3f} s")
    assert both.sum() >= routed, f"{label}: only {both.sum()} pairs routed; the test proves little"


def usable(network: Network, mode: str) -> np.ndarray:
    """Edge indexes the mode may travel at least one way."""
    arrays = network.arrays
    return np.nonzero((arrays.cost_s[mode] >= 0) | (arrays.reverse_cost_s[mode] >= 0))[0]


def rng_for(loaded: Loaded, mode: str, part: str) -> np.random.Generator:
    """A fixed random stream per network, mode and part of the test."""
    return np.random.default_rng([SEED, sorted(EXTRACTS).index(loaded.name),
                                  MODES.index(mode), ord(part)])


# -- (a) vertex to vertex ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_vertex_to_vertex_agrees_with_pgr_dijkstra(loaded: Loaded, mode: str) -> None:
    network, rng = loaded.network, rng_for(loaded, mode, "a")
    edges = usable(network, mode)
    vertices = np.unique(np.concatenate([network.source[edges], network.target[edges]]))
    origins = rng.choice(vertices, PAIRS * 2)
    targets = rng.choice(vertices, PAIRS * 2)
    keep = np.nonzero(origins != targets)[0][:PAIRS]  # pgRouting leaves v -> v out
    origins, targets = origins[keep], targets[keep]
    assert len(origins) == PAIRS

    graph = network.graph(mode)
    engine_s = np.empty(PAIRS)
    for origin in np.unique(origins):
        times = graph.search([Seed(int(origin), 0.0)]).time_s
        at = origins == origin
        engine_s[at] = times[targets[at]]

    ids = network.vertex_id
    with loaded.engine.connect() as conn:
        found = conn.execute(text(
            "SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(rc._edges_sql(:mode), "
            "format('SELECT * FROM unnest(%L::bigint[], %L::bigint[]) AS c (source, target)', "
            "CAST(:sources AS bigint[]), CAST(:targets AS bigint[])))"),
            {"mode": mode, "sources": ids[origins].tolist(), "targets": ids[targets].tolist()}
        ).all()
    costs = {(row.start_vid, row.end_vid): row.agg_cost for row in found}
    sql_s = np.array([costs.get((int(ids[o]), int(ids[t])), np.inf)
                      for o, t in zip(origins, targets, strict=True)])
    assert_agree(f"{loaded.name} {mode} vertex-vertex", engine_s, sql_s, routed=PAIRS // 2)


def engine_route(network: Network, origin: Snap, destination: Snap, mode: str
                 ) -> tuple[float, float]:
    """The engine's route time without off-network legs and its length; (inf, inf) if none."""
    try:
        found = network.route(origin, destination, mode)
    except NoRoute:
        return np.inf, np.inf
    return found.time_s - origin.off_network_s - destination.off_network_s, found.length_m


def assert_pieces_chain(steps: Sequence[Row], label: str) -> float:
    """rc.route's step geometries join end to end; returns their length in metres."""
    pieces = [shapely.from_wkb(bytes(step.wkb)) for step in steps if step.wkb is not None]
    for before, after in zip(pieces, pieces[1:], strict=False):
        gap = shapely.distance(shapely.get_point(before, -1), shapely.get_point(after, 0))
        assert gap < 1e-9, f"{label}: route pieces do not join ({gap} deg apart)"
    return sum(step.length_m for step in steps if step.length_m is not None)


# -- (b) point to point with fractions ---------------------------------------------------------

def random_points(loaded: Loaded, mode: str, count: int, part: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Edge indexes and fractions of random points on non-island edges of the mode."""
    network, rng = loaded.network, rng_for(loaded, mode, part)
    edges = usable(network, mode)
    edges = edges[~network.arrays.island[mode][edges]]
    chosen = rng.choice(edges, count)
    fractions = rng.uniform(0.0, 1.0, count)
    at_end = rng.random(count) < END_SHARE
    fractions[at_end] = rng.integers(0, 2, at_end.sum()).astype(float)
    return chosen, fractions


@pytest.mark.parametrize("mode", MODES)
def test_point_to_point_agrees_with_pgr_with_points(loaded: Loaded, mode: str) -> None:
    network = loaded.network
    edges, fractions = random_points(loaded, mode, 2 * PAIRS, "b")
    snaps = [Snap(int(e), float(f), 0.0, 0.0, 0.0) for e, f in zip(edges, fractions, strict=True)]
    engine_s = np.array([engine_route(network, snaps[k], snaps[PAIRS + k], mode)[0]
                         for k in range(PAIRS)])

    edge_ids = network.arrays.edge_id[edges].tolist()
    with loaded.engine.connect() as conn:
        vids = conn.execute(text(
            "SELECT rc._vid(k::integer, e, f) AS vid FROM unnest(CAST(:edges AS bigint[]), "
            "CAST(:fractions AS double precision[])) WITH ORDINALITY AS p (e, f, k) ORDER BY k"),
            {"edges": edge_ids, "fractions": fractions.tolist()}).scalars().all()
        found = conn.execute(text(
            "SELECT start_pid, end_pid, agg_cost FROM pgr_withPointsCost(rc._edges_sql(:mode), "
            "rc._points_sql(CAST(:edges AS bigint[]), CAST(:fractions AS double precision[])), "
            "format('SELECT * FROM unnest(%L::bigint[], %L::bigint[]) AS c (source, target)', "
            "CAST(:sources AS bigint[]), CAST(:targets AS bigint[])), "
            "directed => true, driving_side => 'b')"),
            {"mode": mode, "edges": edge_ids, "fractions": fractions.tolist(),
             "sources": vids[:PAIRS], "targets": vids[PAIRS:]}).all()
    costs = {(row.start_pid, row.end_pid): row.agg_cost for row in found}
    sql_s = np.array([0.0 if vids[k] == vids[PAIRS + k]  # the same vertex: standing still
                      else costs.get((vids[k], vids[PAIRS + k]), np.inf) for k in range(PAIRS)])
    assert_agree(f"{loaded.name} {mode} point-point", engine_s, sql_s, routed=PAIRS // 2)


# -- (c) the public SQL functions end to end ---------------------------------------------------

def lonlat_on_edges(network: Network, edges: np.ndarray, fractions: np.ndarray
                    ) -> Iterator[tuple[float, float]]:
    """WGS84 points at fractions of the edges' lengths."""
    points = shapely.line_interpolate_point(network.geometry[edges], fractions, normalized=True)
    for point in points:
        lon, lat = network.projection.to_lonlat(np.array([point.x]), np.array([point.y]))
        yield float(lon[0]), float(lat[0])


@pytest.mark.parametrize("mode", MODES)
def test_sql_route_agrees_with_engine_route(loaded: Loaded, mode: str) -> None:
    network = loaded.network
    edges, fractions = random_points(loaded, mode, 2 * SAMPLE, "c")
    fractions = np.clip(fractions, 0.05, 0.95)  # inside the edge: no tie between edges to snap
    points = list(lonlat_on_edges(network, edges, fractions))
    engine_s, sql_s = np.empty(SAMPLE), np.empty(SAMPLE)
    with loaded.engine.connect() as conn:
        for k in range(SAMPLE):
            (x0, y0), (x1, y1) = points[k], points[SAMPLE + k]
            origin, destination = network.snap(x0, y0, mode), network.snap(x1, y1, mode)
            engine_s[k], length_m = engine_route(network, origin, destination, mode)
            steps = conn.execute(text(
                "SELECT agg_cost_s, ST_AsBinary(geom) AS wkb, ST_Length(geom::geography) "
                "AS length_m FROM rc.route(:x0, :y0, :x1, :y1, :mode) ORDER BY seq"),
                {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "mode": mode}).all()
            sql_s[k] = steps[-1].agg_cost_s if steps else np.inf
            if steps:
                sql_m = assert_pieces_chain(steps, f"{loaded.name} {mode} pair {k}")
                assert sql_m == pytest.approx(length_m, rel=1e-3, abs=0.5)
    assert_agree(f"{loaded.name} {mode} rc.route", engine_s, sql_s, routed=SAMPLE // 2)


@pytest.mark.parametrize("mode", MODES)
def test_sql_travel_times_agree_with_engine_search(loaded: Loaded, mode: str) -> None:
    network = loaded.network
    edges, fractions = random_points(loaded, mode, ORIGINS, "d")
    fractions = np.clip(fractions, 0.05, 0.95)
    compared = 0
    with loaded.engine.connect() as conn:
        for lon, lat in lonlat_on_edges(network, edges, fractions):
            snap = network.snap(lon, lat, mode)
            times = network.search_from(snap, mode, limit_s=LIMIT_S + snap.off_network_s).time_s
            engine = {int(network.vertex_id[i]): float(times[i]) - snap.off_network_s
                      for i in np.nonzero(np.isfinite(times))[0]}
            sql: dict[int, float] = dict(conn.execute(text(
                "SELECT node, agg_cost_s FROM rc.travel_times(:lon, :lat, :mode, :limit)"),
                {"lon": lon, "lat": lat, "mode": mode, "limit": LIMIT_S}).all())
            # Vertices a hair from the limit may fall on either side of it.
            inside = {v for v, t in engine.items() if t < LIMIT_S - TOLERANCE_S}
            assert inside <= set(sql), f"{loaded.name} {mode}: rc.travel_times misses vertices"
            assert {v for v, t in sql.items() if t < LIMIT_S - TOLERANCE_S} <= set(engine)
            worst = max((abs(sql[v] - engine[v]) for v in set(sql) & set(engine)), default=0.0)
            assert worst <= TOLERANCE_S, f"{loaded.name} {mode}: times differ by {worst:.3f} s"
            compared += len(set(sql) & set(engine))
    print(f"{loaded.name} {mode} rc.travel_times: {compared} vertex times compared")
    assert compared >= ORIGINS * 10


# -- (d) snapping beside islands ---------------------------------------------------------------

def points_round(network: Network, edges: np.ndarray, distance_m: float, count: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 points evenly spaced on the ring ``distance_m`` round each edge."""
    rings = shapely.get_exterior_ring(shapely.buffer(network.geometry[edges], distance_m))
    along = np.linspace(0, 1, count, endpoint=False)
    points = shapely.line_interpolate_point(np.repeat(rings, count), np.tile(along, len(edges)),
                                            normalized=True)
    return network.projection.to_lonlat(shapely.get_x(points), shapely.get_y(points))


@pytest.mark.parametrize("mode", MODES)
def test_snapping_beside_islands_agrees_with_rc_snap(loaded: Loaded, mode: str) -> None:
    network, rng = loaded.network, rng_for(loaded, mode, "e")
    edges = usable(network, mode)
    islands = edges[network.arrays.island[mode][edges]]
    chosen = rng.choice(islands, min(ISLAND_EDGES, len(islands)), replace=False)
    lon, lat = (np.concatenate(parts) for parts in zip(
        *(points_round(network, chosen, m, 3) for m in RINGS_M), strict=True))
    ours = network.snap_many(lon, lat, mode)
    with loaded.engine.connect() as conn:
        theirs = conn.execute(text(
            "SELECT s.edge_id, s.distance_m FROM unnest(CAST(:lon AS double precision[]), "
            "CAST(:lat AS double precision[])) WITH ORDINALITY AS p (lon, lat, k) "
            "CROSS JOIN LATERAL rc.snap(p.lon, p.lat, :mode) AS s ORDER BY p.k"),
            {"lon": lon.tolist(), "lat": lat.tolist(), "mode": mode}).all()
    nearest = edges[shapely.STRtree(network.geometry[edges]).query_nearest(
        shapely.points(*network.projection.to_xy(lon, lat)), all_matches=False)[1]]
    left_island = 0
    for k, (snap, row) in enumerate(zip(ours, theirs, strict=True)):
        assert snap is not None
        same = int(network.arrays.edge_id[snap.edge]) == row.edge_id
        # Two edges equally near (a shared vertex) may be picked either way.
        assert same or abs(snap.distance_m - row.distance_m) < 0.5, (
            f"{loaded.name} {mode}: point {k} ({lon[k]:.7f}, {lat[k]:.7f}) snaps to edge "
            f"{network.arrays.edge_id[snap.edge]} here, {row.edge_id} in SQL")
        left_island += bool(network.arrays.island[mode][nearest[k]]
                            and not network.arrays.island[mode][snap.edge])
    print(f"{loaded.name} {mode} snapping beside islands: {len(ours)} points, "
          f"{left_island} of them nearest an island but snapped to the connected network")
    assert left_island >= MIN_LEFT_ISLAND, "too few points test the island rule"


# -- (e) searches to a point, and the matrix -----------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_search_to_a_vertex_agrees_with_pgr_driving_distance_reversed(
        loaded: Loaded, mode: str) -> None:
    network, rng = loaded.network, rng_for(loaded, mode, "e")
    edges = usable(network, mode)
    reverse_graph = network.graph(mode, reverse=True)
    for vertex in rng.choice(np.unique(network.source[edges]), ORIGINS):
        times = reverse_graph.search([Seed(int(vertex), 0.0)], limit_s=LIMIT_S).time_s
        ours = {int(network.vertex_id[v]): times[v] for v in np.nonzero(times <= LIMIT_S)[0]}
        with loaded.engine.connect() as conn:
            theirs = dict(conn.execute(text(
                "SELECT node, agg_cost FROM pgr_drivingDistance(rc._edges_sql(:mode, NULL, 'to'), "
                ":vertex, :limit, true)"),
                {"mode": mode, "vertex": int(network.vertex_id[vertex]), "limit": LIMIT_S}).all())
        # a vertex right at the limit may fall on either side of it
        near_limit = {node for node, t in {**ours, **theirs}.items() if abs(t - LIMIT_S) < 1e-6}
        assert set(ours) - near_limit == set(theirs) - near_limit
        assert max(abs(ours[node] - theirs[node]) for node in set(ours) & set(theirs)) < 1.0


@pytest.mark.parametrize("mode", MODES)
def test_matrix_agrees_with_pgr_with_points_cost(loaded: Loaded, mode: str) -> None:
    # 12 points to 18 runs one search per row; 18 to 12 one per column on the transposed graph.
    network = loaded.network
    edges, fractions = random_points(loaded, mode, 30, "m")
    snaps = [Snap(int(e), float(f), 0.0, 0.0, 0.0) for e, f in zip(edges, fractions, strict=True)]
    edge_ids = network.arrays.edge_id[edges].tolist()
    with loaded.engine.connect() as conn:
        vids = conn.execute(text(
            "SELECT rc._vid(k::integer, e, f) AS vid FROM unnest(CAST(:edges AS bigint[]), "
            "CAST(:fractions AS double precision[])) WITH ORDINALITY AS p (e, f, k) ORDER BY k"),
            {"edges": edge_ids, "fractions": fractions.tolist()}).scalars().all()
        found = conn.execute(text(
            "SELECT start_pid, end_pid, agg_cost FROM pgr_withPointsCost(rc._edges_sql(:mode), "
            "rc._points_sql(CAST(:edges AS bigint[]), CAST(:fractions AS double precision[])), "
            "CAST(:vids AS bigint[]), CAST(:vids AS bigint[]), "
            "directed => true, driving_side => 'b')"),
            {"mode": mode, "edges": edge_ids, "fractions": fractions.tolist(),
             "vids": sorted(set(vids))}).all()
    costs = {(row.start_pid, row.end_pid): row.agg_cost for row in found}
    for rows, columns, label in ((range(12), range(12, 30), "rows"),
                                 (range(12, 30), range(12), "columns")):
        sql_s = np.array([[0.0 if vids[i] == vids[j] else costs.get((vids[i], vids[j]), np.inf)
                           for j in columns] for i in rows])
        matrix_s = travel_matrix(network, [snaps[i] for i in rows],
                                 [snaps[j] for j in columns], mode).time_s
        assert_agree(f"{loaded.name} {mode} matrix by {label}", matrix_s.ravel(), sql_s.ravel(),
                     routed=sql_s.size // 2)
