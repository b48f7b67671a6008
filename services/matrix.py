"""The travel-time and distance matrix: sources and targets in, seconds and metres out.

One use case behind the OGC process ``matrix``, ``POST /api/matrix`` and the openrouteservice
adapter. Up to ``MAX_POINTS`` sources by as many targets; beyond ``MAX_SYNC_CELLS`` pairs the
answer takes long enough (tens of seconds on a county) that it must be asked for as a job.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from rescuecircle.errors import InvalidInput
from routing.matrix import travel_matrix
from routing.network import Network
from routing.snap import Snap
from services import params
from services.context import Context
from services.routing import local_hour, snap_points

MAX_POINTS = 1000  # sources, and targets, of one matrix
MAX_SYNC_CELLS = 100_000  # pairs answered while the request waits; more only as a job
METRICS = ("duration", "distance")


@dataclass(frozen=True)
class MatrixRequest:
    """A validated matrix question (points in WGS84)."""

    sources: list[tuple[float, float]]
    targets: list[tuple[float, float]]
    mode: str
    metrics: list[str]
    depart_at: datetime | None = None

    @classmethod
    def parse(cls, inputs: dict[str, Any]) -> "MatrixRequest":
        """From a JSON object with ``sources``, ``targets`` (and ``crs``), ``mode``,
        ``metrics`` (duration, distance: both by default) and ``depart_at``."""
        crs = params.crs(inputs.get("crs"))
        sides = [[params.to_wgs84(lon, lat, crs)
                  for lon, lat in params.points(inputs.get(name), name, most=MAX_POINTS)]
                 for name in ("sources", "targets")]
        metrics = inputs.get("metrics", list(METRICS))
        if (not isinstance(metrics, list) or not metrics
                or any(metric not in METRICS for metric in metrics)):
            raise InvalidInput(f"metrics {metrics!r} must list one or both of duration, distance")
        return cls(sides[0], sides[1], params.mode(inputs.get("mode", "drive")),
                   sorted(set(metrics), key=METRICS.index),
                   params.depart_at(inputs.get("depart_at")))

    @property
    def cells(self) -> int:
        """Source-target pairs asked for."""
        return len(self.sources) * len(self.targets)

    def as_json(self) -> dict[str, Any]:
        """The request as JSON, for a job's stored inputs (``parse`` reads it back)."""
        found = asdict(self)
        found["depart_at"] = None if self.depart_at is None else self.depart_at.isoformat()
        return found


@dataclass(frozen=True, eq=False)
class MatrixAnswer:
    """Seconds and metres (NaN where no route), and where each point was placed."""

    durations_s: np.ndarray
    distances_m: np.ndarray | None
    sources: list[Snap]
    targets: list[Snap]
    network: Network


def check_synchronous(request: MatrixRequest) -> MatrixRequest:
    """The request, if small enough to answer while the caller waits; else InvalidInput."""
    if request.cells > MAX_SYNC_CELLS:
        raise InvalidInput(
            f"a matrix of {len(request.sources)} x {len(request.targets)} = {request.cells} "
            f"pairs is more than the {MAX_SYNC_CELLS} answered at once; ask for it as a job "
            "(header 'Prefer: respond-async', with a token)")
    return request


def matrix(context: Context, request: MatrixRequest) -> MatrixAnswer:
    """Every source to every target, in the network's one multi-source search per row."""
    network = context.networks.current()
    sources = snap_points(network, request.sources, request.mode, "sources")
    targets = snap_points(network, request.targets, request.mode, "targets")
    found = travel_matrix(network, sources, targets, request.mode,
                          hour=local_hour(context, request.depart_at),
                          lengths="distance" in request.metrics)
    durations = np.where(np.isfinite(found.time_s), found.time_s, np.nan)
    return MatrixAnswer(durations, found.length_m, sources, targets, network)


def matrix_json(request: MatrixRequest, answer: MatrixAnswer) -> dict[str, Any]:
    """The OGC answer: ``durations_s`` and ``distances_m`` rows per source (null: no route),
    and where each source and target was placed on the road."""
    body: dict[str, Any] = {"mode": request.mode}
    if "duration" in request.metrics:
        body["durations_s"] = rounded_rows(answer.durations_s, 1)
    if answer.distances_m is not None:
        body["distances_m"] = rounded_rows(answer.distances_m, 1)
    body["sources"] = placed(answer.network, answer.sources)
    body["targets"] = placed(answer.network, answer.targets)
    return body


def rounded_rows(values: np.ndarray, digits: int, scale: float = 1.0) -> list[list[float | None]]:
    """Rows of ``values / scale`` rounded, NaN as None (JSON null)."""
    rounded = np.round(values / scale, digits)
    return [[None if np.isnan(value) else value for value in row] for row in rounded.tolist()]


def placed(network: Network, snaps: list[Snap]) -> list[dict[str, Any]]:
    """Where each point was placed on the road (WGS84) and how far it was from it."""
    if not snaps:
        return []
    points = shapely.line_interpolate_point(
        network.geometry[[snap.edge for snap in snaps]], [snap.fraction for snap in snaps],
        normalized=True)
    xy = shapely.get_coordinates(points)
    lon, lat = network.projection.to_lonlat(xy[:, 0], xy[:, 1])
    return [{"location": [round(float(x), 6), round(float(y), 6)],
             "snapped_distance_m": round(snap.distance_m, 1)}
            for x, y, snap in zip(lon, lat, snaps, strict=True)]
