"""routing.motion: where a traveller is along a route after a while, checked by hand on
polylines along the equator (0.001 degree of longitude there is 111.2 m)."""

import pytest

from routing.motion import Trip, step_m

EAST = [(0.0, 0.0), (0.001, 0.0), (0.003, 0.0)]     # 111.2 m, then 222.4 m more


def test_a_step_on_the_equator_is_its_arc():
    assert step_m((0.0, 0.0), (0.001, 0.0)) == pytest.approx(111.195, abs=0.01)
    assert step_m((0.0, 0.0), (0.0, 0.001)) == pytest.approx(111.195, abs=0.01)


def test_the_traveller_moves_at_an_even_pace_over_the_route_time():
    trip = Trip.of(EAST, duration_s=300.0)
    assert trip.position_at(0.0) == (0.0, 0.0)
    assert trip.position_at(100.0) == pytest.approx((0.001, 0.0))   # a third: the bend
    assert trip.position_at(200.0) == pytest.approx((0.002, 0.0))   # inside the second piece
    assert not trip.done(299.9)
    assert trip.done(300.0)


def test_before_the_start_and_after_the_end_the_traveller_stays_put():
    trip = Trip.of(EAST, duration_s=60.0)
    assert trip.position_at(-5.0) == (0.0, 0.0)
    assert trip.position_at(1e6) == (0.003, 0.0)


def test_joined_legs_are_travelled_one_after_the_other():
    to_aed = Trip.of([(0.0, 0.0), (0.001, 0.0)], duration_s=80.0)
    onward = Trip.of([(0.001, 0.0), (0.001, 0.001)], duration_s=20.0)
    trip = Trip.joined([to_aed, onward])
    assert trip.duration_s == 100.0
    assert trip.position_at(40.0) == pytest.approx((0.0005, 0.0))   # its own pace
    assert trip.position_at(80.0) == pytest.approx((0.001, 0.0))    # at the AED
    assert trip.position_at(90.0) == pytest.approx((0.001, 0.0005))
    assert trip.position_at(100.0) == (0.001, 0.001)


def test_a_standing_trip_is_already_there_and_bad_trips_are_refused():
    assert Trip.of([(1.0, 2.0)], duration_s=0.0).position_at(0.0) == (1.0, 2.0)
    with pytest.raises(ValueError, match="at least one point"):
        Trip.of([], duration_s=1.0)
    with pytest.raises(ValueError, match="duration_s"):
        Trip.of(EAST, duration_s=-1.0)
    with pytest.raises(ValueError, match="at least one leg"):
        Trip.joined([])
