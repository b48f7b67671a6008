"""City-wide coverage layers on a small lattice (no database): one multi-source search per layer
must equal the cell-wise earliest of the facilities' own isochrones."""

import numpy as np
import pytest
import shapely

from rescuecircle.errors import NoRoute
from routing.arrays import MODES, NetworkArrays
from routing.coverage import (
    coverage_layer,
    drone_coverage_grid,
    earliest,
    gaps,
    network_coverage_grid,
    time_at,
)
from routing.drone import DroneSpec
from routing.isochrone import PeopleXY, bands, edge_notes, network_time_grid
from routing.network import Network

SIDE = 15  # vertices per side, 0.001 degrees (about 111 m) apart, 10 s per edge both ways


def lattice() -> Network:
    """A SIDE x SIDE street grid near the equator; the street along row 3 is one way east."""
    ids = np.arange(SIDE * SIDE).reshape(SIDE, SIDE)
    pairs = [(ids[r, c], ids[r, c + 1]) for r in range(SIDE) for c in range(SIDE - 1)]
    pairs += [(ids[r, c], ids[r + 1, c]) for r in range(SIDE - 1) for c in range(SIDE)]
    source = np.array([p[0] for p in pairs])
    target = np.array([p[1] for p in pairs])
    lonlat = np.column_stack([(ids % SIDE).ravel() * 0.001, (ids // SIDE).ravel() * 0.001])
    geometry = shapely.linestrings(np.stack([lonlat[source], lonlat[target]], axis=1))
    forward = np.full(len(pairs), 10.0)
    reverse = np.where((source // SIDE == 3) & (target // SIDE == 3), -1.0, 10.0)
    arrays = NetworkArrays.from_shapely(
        network_id=1, edge_id=np.arange(len(pairs)) + 1, source=source + 1, target=target + 1,
        length_m=shapely.length(geometry) * 111_320,
        road_class=np.array(["residential"] * len(pairs), dtype=object),
        cost_s={m: forward for m in MODES}, reverse_cost_s={m: reverse for m in MODES},
        island={m: np.zeros(len(pairs), bool) for m in MODES}, geometry=geometry)
    return Network(arrays)


POINTS = [(0.0021, 0.0032), (0.0113, 0.0100), (0.0060, 0.0005)]


def test_one_search_equals_the_earliest_of_single_isochrones():
    network = lattice()
    snaps = [network.snap(lon, lat, "drive") for lon, lat in POINTS]
    together = network_coverage_grid(network, snaps, "drive", limit_s=70, cell_m=25)
    singles = [network_time_grid(network, s, "drive", limit_s=70, cell_m=25) for s in snaps]
    height, width = together.time_s.shape
    xx, yy = np.meshgrid(together.transform.c + (np.arange(width) + 0.5) * 25,
                         together.transform.f - (np.arange(height) + 0.5) * 25)
    expected = np.min([time_at(g, xx.ravel(), yy.ravel()) for g in singles], axis=0)
    got = together.time_s.ravel()
    assert np.array_equal(np.isfinite(got), np.isfinite(expected))
    finite = np.isfinite(got)
    assert finite.sum() > 500
    np.testing.assert_allclose(got[finite], expected[finite], atol=1e-9)


def test_bands_count_people_reached_in_time():
    network = lattice()
    snap = network.snap(0.007, 0.007, "drive")
    grid = network_coverage_grid(network, [snap], "drive", limit_s=120, cell_m=25)
    x, y = network.projection.to_xy(np.array([0.007, 0.0075, 0.014]),
                                    np.array([0.007, 0.007, 0.014]))
    people = PeopleXY(x, y, np.array([100.0, 10.0, 1.0]))
    layer = coverage_layer("stations", grid, [1, 2], population=people, facilities_used=1)
    # The station's own point at once; 55 m along the street within a minute; the far
    # corner (about 1.5 km by road) in neither band.
    assert [b.people for b in layer.bands] == [110.0, 110.0]
    assert layer.bands[0].area_km2 < layer.bands[1].area_km2


def test_one_way_street_is_respected():
    network = lattice()
    west = network.snap(0.0, 0.003, "drive")  # on the one-way row, at its west end
    east = network.snap(0.014, 0.003, "drive")
    grid_w = network_coverage_grid(network, [west], "drive", limit_s=600, cell_m=25)
    grid_e = network_coverage_grid(network, [east], "drive", limit_s=600, cell_m=25)
    # Eastwards along the row: 14 edges; westwards it must leave the row (two more edges).
    # (a 25 m cell also holds samples of the side street, up to 12.5 m from the corner).
    east_s = time_at(grid_w, np.array([east.x]), np.array([east.y]))[0]
    west_s = time_at(grid_e, np.array([west.x]), np.array([west.y]))[0]
    assert east_s == pytest.approx(140, abs=1.5)
    assert west_s == pytest.approx(160, abs=1.5)


def test_a_layer_without_usable_facilities_is_no_route():
    network = lattice()
    with pytest.raises(NoRoute):
        network_coverage_grid(network, [], "drive", limit_s=60)


def test_drone_layer_is_the_nearest_pad_flight():
    spec = DroneSpec(cruise_speed_kmh=36.0, takeoff_s=10, landing_s=10, range_km=2)
    pads = np.array([[0.0, 0.0], [3000.0, 0.0]])
    grid = drone_coverage_grid(pads, spec, limit_s=300, cell_m=50)
    probe_x, probe_y = np.array([1000.0, 2400.0, 1500.0]), np.array([25.0, 25.0, 25.0])
    times = time_at(grid, probe_x, probe_y)
    centre_x = np.floor(probe_x / 50) * 50 + 25  # the cell centre the time was computed at
    expected = 20 + np.minimum(np.hypot(centre_x, 25), np.hypot(centre_x - 3000, 25)) / 10
    np.testing.assert_allclose(times, expected)
    zone = shapely.box(400, -100, 600, 100)
    blocked = drone_coverage_grid(pads, spec, limit_s=300, cell_m=50, no_fly=[zone])
    # Behind the zone from the first pad and beyond the second pad's range.
    assert np.isinf(time_at(blocked, np.array([800.0]), np.array([25.0]))[0])
    assert np.isfinite(time_at(grid, np.array([800.0]), np.array([25.0]))[0])


def test_earliest_takes_the_first_arrival_per_cell():
    spec = DroneSpec(cruise_speed_kmh=36.0, takeoff_s=0, landing_s=0, range_km=5)
    a = drone_coverage_grid(np.array([[0.0, 0.0]]), spec, limit_s=200, cell_m=50)
    b = drone_coverage_grid(np.array([[1000.0, 0.0]]), spec, limit_s=200, cell_m=50)
    both = earliest([a, b], cell_m=50)
    probe = np.array([25.0, 975.0, 1825.0]), np.array([25.0, 25.0, 25.0])
    np.testing.assert_allclose(time_at(both, *probe),
                               np.minimum(time_at(a, *probe), time_at(b, *probe)))


def test_a_band_that_reaches_the_edge_of_the_network_is_truncated():
    # From the centre vertex (7, 7) the nearest edge of the lattice is 7 edges (70 s) away:
    # the 1-minute band stays inside, the 2-minute band reaches the edge with 50 s left.
    network = lattice()
    assert network.edge_vertices.sum() == 4 * (SIDE - 1)  # the lattice's rim
    snap = network.snap(0.007, 0.007, "drive")
    grid = network_coverage_grid(network, [snap], "drive", limit_s=120, cell_m=25)
    assert grid.edge is not None and grid.edge.time_s == pytest.approx(70)
    rim_middles = {(0.007, 0.0), (0.0, 0.007), (0.014, 0.007), (0.007, 0.014)}
    assert (round(grid.edge.lon, 6), round(grid.edge.lat, 6)) in rim_middles
    one, two = coverage_layer("stations", grid, [1, 2], population=None,
                              facilities_used=1).bands
    assert (one.truncated, two.truncated) == (False, True)
    [note] = edge_notes(grid, [two, one])
    assert note.startswith("the 2-minute band reaches the edge of the loaded road network at")
    assert "after 1.2 minutes" in note
    # The circle (earliest of walk and flight) is as truncated as its network part.
    spec = DroneSpec(cruise_speed_kmh=36.0, takeoff_s=0, landing_s=0, range_km=5)
    flight = drone_coverage_grid(np.array([[snap.x, snap.y]]), spec, limit_s=120, cell_m=25)
    assert flight.edge is None
    assert earliest([flight, grid], cell_m=25).edge == grid.edge
    inside = network_coverage_grid(network, [snap], "drive", limit_s=60, cell_m=25)
    assert inside.edge is None and edge_notes(inside, bands(inside, [1])) == []


def test_gaps_are_the_most_populated_unreached_areas():
    spec = DroneSpec(cruise_speed_kmh=36.0, takeoff_s=0, landing_s=0, range_km=5)
    grid = drone_coverage_grid(np.array([[0.0, 0.0]]), spec, limit_s=100, cell_m=50)  # 1 km
    people = PeopleXY(np.array([100.0, 3000.0, 3100.0, -4000.0]),
                      np.array([10.0, 10.0, 10.0, 10.0]), np.array([50.0, 20.0, 30.0, 10.0]))
    found = gaps(people, time_at(grid, people.x, people.y) <= 100, cell_m=250, top=5)
    assert [g.people for g in found] == [50.0, 10.0]
    assert found[0].geometry.contains(shapely.Point(3050, 10))
    assert found[0].area_km2 == pytest.approx(0.0625)  # both in one 250 m cell
