"""China's offset coordinate systems: GCJ-02 and BD-09 to and from WGS84, vectorised.

Map providers in China publish coordinates in GCJ-02 (Tencent, Amap) or BD-09 (Baidu), which
lie 300-700 m off WGS84: an AED imported without conversion sits on the wrong street. The
forward formulas come from the ``coordTransform`` package (its C batch functions over numpy
buffers); the inverse directions refine the package's one-step approximation (metre-level)
with two fixed-point steps of the exact forward function, which brings them below a
millimetre. ``bench/china_crs.py`` measures this against the other libraries on PyPI.

Points outside China (the package's bounding box, 73.66-135.05 E, 3.86-53.55 N) come back
unchanged in every direction, BD-09 included. All functions take longitudes and latitudes in
degrees as array-likes of one shape and return float64 arrays of that shape.
"""

from collections.abc import Callable
from typing import Literal

import coordTransform
import numpy as np
from numpy.typing import ArrayLike, NDArray

Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[Crs, ...] = ("wgs84", "gcj02", "bd09")
Floats = NDArray[np.float64]
_Batch = Callable[[memoryview, memoryview], tuple[list[float], list[float]]]
# Each refinement step shrinks the error about a hundredfold (the offset changes slowly): over
# China the one-step inverse is off by up to 4.9 m, one step leaves 3 cm, two leave 0.2 mm.
REFINE_STEPS = 2


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Contiguous float64 copies of ``lon`` and ``lat``; ValueError when their shapes differ."""
    lon_deg = np.array(lon, dtype=np.float64)
    lat_deg = np.array(lat, dtype=np.float64)
    if lon_deg.shape != lat_deg.shape:
        raise ValueError(f"lon {lon_deg.shape} and lat {lat_deg.shape} differ in shape")
    return lon_deg, lat_deg


def _batch(function: _Batch, lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """Run one of coordTransform's batch functions over arrays of any shape."""
    flat_lon = np.ascontiguousarray(lon.ravel())
    flat_lat = np.ascontiguousarray(lat.ravel())
    out_lon, out_lat = function(memoryview(flat_lon), memoryview(flat_lat))
    return (np.asarray(out_lon, dtype=np.float64).reshape(lon.shape),
            np.asarray(out_lat, dtype=np.float64).reshape(lat.shape))


def _gcj(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    return _batch(coordTransform.wgs84_to_gcj02, lon, lat)


def _bd_from_gcj(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    return _batch(coordTransform.gcj02_to_bd09, lon, lat)


def _refine(forward: Callable[[Floats, Floats], tuple[Floats, Floats]], target_lon: Floats,
            target_lat: Floats, lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """Fixed-point steps ``x -= forward(x) - target`` from the estimate ``(lon, lat)``."""
    for _ in range(REFINE_STEPS):
        fwd_lon, fwd_lat = forward(lon, lat)
        lon = lon - (fwd_lon - target_lon)
        lat = lat - (fwd_lat - target_lat)
    return lon, lat


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the offset systems apply: where coordTransform's GCJ-02 moves the point.

    Asking the library, instead of copying its bounding box, keeps one definition of "China".
    """
    lon_deg, lat_deg = _arrays(lon, lat)
    gcj_lon, gcj_lat = _gcj(lon_deg, lat_deg)
    return (gcj_lon != lon_deg) | (gcj_lat != lat_deg)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """WGS84 -> GCJ-02 (the package's exact forward formula)."""
    return _gcj(*_arrays(lon, lat))


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """GCJ-02 -> WGS84: the one-step inverse, refined to well under a millimetre."""
    gcj_lon, gcj_lat = _arrays(lon, lat)
    first_lon, first_lat = _batch(coordTransform.gcj02_to_wgs84, gcj_lon, gcj_lat)
    return _refine(_gcj, gcj_lon, gcj_lat, first_lon, first_lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """GCJ-02 -> BD-09; unchanged outside China (the package would shift those too)."""
    gcj_lon, gcj_lat = _arrays(lon, lat)
    bd_lon, bd_lat = _bd_from_gcj(gcj_lon, gcj_lat)
    inside = in_china(gcj_lon, gcj_lat)
    return np.where(inside, bd_lon, gcj_lon), np.where(inside, bd_lat, gcj_lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """BD-09 -> GCJ-02: the package's approximate inverse, refined; unchanged outside China."""
    bd_lon, bd_lat = _arrays(lon, lat)
    first_lon, first_lat = _batch(coordTransform.bd09_to_gcj02, bd_lon, bd_lat)
    gcj_lon, gcj_lat = _refine(_bd_from_gcj, bd_lon, bd_lat, first_lon, first_lat)
    inside = in_china(bd_lon, bd_lat)
    return np.where(inside, gcj_lon, bd_lon), np.where(inside, gcj_lat, bd_lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """WGS84 -> BD-09, through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """BD-09 -> WGS84, through GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: Crs) -> tuple[Floats, Floats]:
    """Coordinates given in ``crs`` as WGS84 degrees."""
    if crs == "wgs84":
        return _arrays(lon, lat)
    return _TO_WGS84[crs](lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: Crs) -> tuple[Floats, Floats]:
    """WGS84 degrees as coordinates in ``crs`` (GCJ-02 for Chinese basemaps)."""
    if crs == "wgs84":
        return _arrays(lon, lat)
    return _FROM_WGS84[crs](lon, lat)
