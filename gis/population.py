"""Population: loading rasters into rc.population, and reading it back as weighted points."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.transform
from sqlalchemy import Connection, Engine, text

from rescuecircle.errors import InvalidInput


@dataclass(frozen=True, eq=False)
class PopulationPoints:
    """People as weighted points (WGS84); ``version`` changes whenever rc.population does."""

    version: int
    lon: np.ndarray
    lat: np.ndarray
    people: np.ndarray


def population_version(engine: Engine) -> int:
    """The version of rc.population, bumped by a statement trigger on every write (migration
    0014, the tiles' mechanism): one indexed row, where counting the rows scanned them all
    and missed an update that kept their number."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT version FROM rc.tile_source_version WHERE source_table = 'population'"
        )).scalar_one())


def load_population_points(engine: Engine) -> PopulationPoints:
    """All population as weighted points (see ``rc.population_points``)."""
    version = population_version(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT lon, lat, people FROM rc.population_points()")).all()
    lon, lat, people = (np.array(column, np.float64) for column in zip(*rows, strict=True)) \
        if rows else (np.empty(0), np.empty(0), np.empty(0))
    return PopulationPoints(version, lon, lat, people)


def load_population_raster(conn: Connection, path: Path, *, source: str) -> float:
    """Replace the population of ``source`` with the cells of a GeoTIFF (people per cell).

    Cells become polygons in ``rc.population`` (empty cells are skipped), reprojected to WGS84
    when the raster is in another CRS. Returns the total loaded.
    """
    with rasterio.open(path) as raster:
        if raster.crs is None or raster.crs.to_epsg() is None:
            raise InvalidInput(f"{path.name}: the raster needs a CRS with an EPSG code")
        people = raster.read(1, masked=True).filled(0).astype(np.float64)
        transform, epsg = raster.transform, raster.crs.to_epsg()
    rows, cols = np.nonzero(people > 0)
    x0, y0 = rasterio.transform.xy(transform, rows, cols, offset="ul")
    x1, y1 = rasterio.transform.xy(transform, rows, cols, offset="lr")
    conn.execute(text("DELETE FROM rc.population WHERE source = :source"), {"source": source})
    conn.execute(text(
        "INSERT INTO rc.population (population, source, geom) "
        "SELECT p, :source, ST_Multi(ST_Transform(ST_MakeEnvelope("
        "least(a, c), least(b, d), greatest(a, c), greatest(b, d), :epsg), 4326)) "
        "FROM unnest(CAST(:p AS float8[]), CAST(:a AS float8[]), CAST(:b AS float8[]), "
        "CAST(:c AS float8[]), CAST(:d AS float8[])) AS t (p, a, b, c, d)"),
        {"source": source, "epsg": epsg, "p": people[rows, cols].tolist(),
         "a": np.asarray(x0).tolist(), "b": np.asarray(y0).tolist(),
         "c": np.asarray(x1).tolist(), "d": np.asarray(y1).tolist()})
    return float(people.sum())
