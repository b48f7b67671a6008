"""GCJ-02 / BD-09 <-> WGS84: round trips, agreement with an independent library, outside China."""

import numpy as np
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from formats import china_crs
from rescuecircle.errors import InvalidInput
from services import params

GEOD = Geod(ellps="WGS84")
CHINA_LON, CHINA_LAT = (73.7, 135.0), (18.0, 53.5)
SHENZHEN = (114.0579, 22.5431)


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(lon1, lat1, lon2, lat2)
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def china_grid(step_deg: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.arange(*CHINA_LON, step_deg), np.arange(*CHINA_LAT, step_deg))
    return lon.ravel(), lat.ravel()


@settings(max_examples=300, deadline=None)
@given(st.floats(*CHINA_LON), st.floats(*CHINA_LAT))
def test_round_trips_stay_under_half_a_metre(lon, lat):
    gcj = china_crs.wgs84_to_gcj02(lon, lat)
    assert distance_m(lon, lat, *china_crs.gcj02_to_wgs84(*gcj)) < 0.5
    bd = china_crs.wgs84_to_bd09(lon, lat)
    assert distance_m(lon, lat, *china_crs.bd09_to_wgs84(*bd)) < 0.5
    # and from the offset side: a GCJ-02 / BD-09 point back and forth
    assert distance_m(*gcj, *china_crs.wgs84_to_gcj02(*china_crs.gcj02_to_wgs84(*gcj))) < 0.5
    assert distance_m(*bd, *china_crs.wgs84_to_bd09(*china_crs.bd09_to_wgs84(*bd))) < 0.5


def test_grid_over_china_round_trips_in_one_call():
    lon, lat = china_grid(0.25)
    back = china_crs.gcj02_to_wgs84(*china_crs.wgs84_to_gcj02(lon, lat))
    assert distance_m(lon, lat, *back).max() < 0.01
    back = china_crs.bd09_to_wgs84(*china_crs.wgs84_to_bd09(lon, lat))
    assert distance_m(lon, lat, *back).max() < 0.01


def test_agrees_with_prcoords_within_half_a_metre():
    """prcoords is an independent implementation (pure Python, its own iterated inverse)."""
    lon, lat = china_grid(1.0)
    gcj_lon, gcj_lat = china_crs.wgs84_to_gcj02(lon, lat)
    theirs = np.array([prcoords.wgs_gcj((y, x), False) for x, y in zip(lon, lat, strict=True)])
    assert distance_m(gcj_lon, gcj_lat, theirs[:, 1], theirs[:, 0]).max() < 0.5
    ours = china_crs.gcj02_to_wgs84(gcj_lon, gcj_lat)
    theirs = np.array([prcoords.gcj_wgs_bored((y, x), False)
                       for x, y in zip(gcj_lon, gcj_lat, strict=True)])
    assert distance_m(*ours, theirs[:, 1], theirs[:, 0]).max() < 0.5
    bd = china_crs.wgs84_to_bd09(lon, lat)
    theirs = np.array([prcoords.bd_wgs_bored((y, x), False)
                       for x, y in zip(*bd, strict=True)])
    assert distance_m(lon, lat, theirs[:, 1], theirs[:, 0]).max() < 0.5


def test_shift_in_shenzhen_is_hundreds_of_metres():
    gcj = china_crs.wgs84_to_gcj02(*SHENZHEN)
    assert 400 < distance_m(*SHENZHEN, *gcj) < 700
    bd = china_crs.wgs84_to_bd09(*SHENZHEN)
    assert 900 < distance_m(*SHENZHEN, *bd) < 1300


@pytest.mark.parametrize("function", [
    china_crs.wgs84_to_gcj02, china_crs.gcj02_to_wgs84, china_crs.wgs84_to_bd09,
    china_crs.bd09_to_wgs84, china_crs.gcj02_to_bd09, china_crs.bd09_to_gcj02])
def test_points_outside_china_are_untouched(function):
    lon = np.array([6.9583, -74.006, 114.0579, 151.2093, 2.3522])
    lat = np.array([50.9413, 40.7128, 22.5431, -33.8688, 48.8566])
    out_lon, out_lat = function(lon, lat)
    outside = np.array([True, True, False, True, True])
    assert np.array_equal(out_lon[outside], lon[outside])
    assert np.array_equal(out_lat[outside], lat[outside])
    assert distance_m(out_lon[2], out_lat[2], lon[2], lat[2]) > 400  # Shenzhen moves


def test_shapes_are_kept_and_mismatches_refused():
    lon, lat = np.full((2, 3), SHENZHEN[0]), np.full((2, 3), SHENZHEN[1])
    out_lon, out_lat = china_crs.gcj02_to_wgs84(lon, lat)
    assert out_lon.shape == out_lat.shape == (2, 3)
    scalar_lon, _ = china_crs.to_wgs84(*SHENZHEN, "bd09")
    assert scalar_lon.shape == ()
    assert china_crs.to_wgs84(*SHENZHEN, "wgs84") == SHENZHEN
    with pytest.raises(ValueError, match="differ in shape"):
        china_crs.wgs84_to_gcj02([1.0, 2.0], [3.0])


def test_params_accept_the_three_systems():
    assert params.crs(None) == "wgs84"
    assert params.crs("GCJ02") == "gcj02"
    assert params.crs("bd09") == "bd09"
    with pytest.raises(InvalidInput, match="crs 'epsg:3857' is unknown; use one of wgs84, "
                                           "gcj02, bd09"):
        params.crs("epsg:3857")
    lon, lat = params.to_wgs84(*params.from_wgs84(*SHENZHEN, "gcj02"), "gcj02")
    assert distance_m(lon, lat, *SHENZHEN) < 0.01
    assert isinstance(lon, float)
