"""Drone flight times, range and no-fly shadows (pure geometry, checked by hand)."""

import numpy as np
import pytest
from shapely import box

from rescuecircle.errors import InvalidInput, NoRoute
from routing.drone import DroneSpec, drone_time_grid, flight_time_s
from routing.isochrone import TimeGrid, bands

SPEC = DroneSpec(cruise_speed_kmh=72.0, takeoff_s=20.0, landing_s=10.0, range_km=5.0)  # 20 m/s


def test_flight_time_is_overhead_plus_cruise():
    assert flight_time_s((0, 0), (3000, 4000), SPEC) == pytest.approx(30 + 5000 / 20)


def test_beyond_range_and_through_a_zone_are_no_route():
    with pytest.raises(NoRoute, match="beyond the drone's range"):
        flight_time_s((0, 0), (6000, 0), SPEC)
    with pytest.raises(NoRoute, match="no-fly"):
        flight_time_s((0, 0), (2000, 0), SPEC, no_fly=[box(900, -100, 1100, 100)])


def test_grid_disk_area_matches_the_reach():
    grid = drone_time_grid((0, 0), SPEC, limit_s=130, cell_m=20)  # (130 - 30) s * 20 m/s = 2 km
    area_km2 = bands(grid, [130 / 60])[0].area_km2
    assert area_km2 == pytest.approx(np.pi * 2.0**2, rel=0.03)


def reached(grid: TimeGrid, x: float, y: float) -> bool:
    """Whether the cell holding local point (x, y) is reached."""
    row = int((grid.transform.f - y) / grid.cell_m)
    col = int((x - grid.transform.c) / grid.cell_m)
    return bool(np.isfinite(grid.time_s[row, col]))


def test_no_fly_zone_casts_a_shadow():
    zone = box(500, -200, 700, 200)
    grid = drone_time_grid((0, 0), SPEC, limit_s=200, cell_m=20, no_fly=[zone])
    assert reached(grid, 300, 0)        # in front of the zone
    assert not reached(grid, 600, 0)    # inside
    assert not reached(grid, 1500, 0)   # behind it
    assert reached(grid, 1500, 1000)    # beside the shadow


def test_a_long_zone_close_by_shadows_everything_behind_it():
    # A wall 100 m east of the pad, 4 km long: it spans nearly half the horizon, so every
    # point east of it must be out of reach (the corners pushed out alone left them open).
    wall = box(100, -2000, 120, 2000)
    grid = drone_time_grid((0, 0), SPEC, limit_s=200, cell_m=20, no_fly=[wall])
    assert reached(grid, -1500, 0) and reached(grid, 60, 1500)    # the pad's side
    for y in (-1500, -500, 0, 500, 1500):
        assert not reached(grid, 1500, y), y
    assert not reached(grid, 2500, 0)


def test_absurd_drone_parameters_are_refused():
    with pytest.raises(InvalidInput, match="cruise_speed_kmh"):
        DroneSpec(cruise_speed_kmh=0)
    with pytest.raises(InvalidInput, match="range_km"):
        DroneSpec(range_km=500)
