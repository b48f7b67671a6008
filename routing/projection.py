"""A local metric projection for one network: transverse Mercator centred on it.

Distances, snapping and travel-time grids are computed in metres; within a city-sized area the
scale error of a centred transverse Mercator is far below a metre per kilometre.
"""

from dataclasses import dataclass, field

import numpy as np
from pyproj import CRS, Transformer


@dataclass(frozen=True)
class LocalProjection:
    """Forward (lon/lat -> x/y metres) and inverse transforms around a centre point."""

    lon0: float
    lat0: float
    crs: CRS = field(init=False, repr=False)
    _forward: Transformer = field(init=False, repr=False)
    _inverse: Transformer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        crs = CRS.from_proj4(
            f"+proj=tmerc +lat_0={self.lat0:.7f} +lon_0={self.lon0:.7f} +k=1 "
            "+x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
        )
        object.__setattr__(self, "crs", crs)
        object.__setattr__(self, "_forward", Transformer.from_crs(4326, crs, always_xy=True))
        object.__setattr__(self, "_inverse", Transformer.from_crs(crs, 4326, always_xy=True))

    def to_xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project WGS84 degrees to local metres."""
        x, y = self._forward.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unproject local metres to WGS84 degrees."""
        lon, lat = self._inverse.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon), np.asarray(lat)
