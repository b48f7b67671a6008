"""Districts and population from a city's own files (issue #14, item 3): any vector format and
CRS, points and rasters, bad features rejected with their reason and nothing half-loaded, and
urban/rural derived from where people live when the file does not say."""

import json
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from sqlalchemy import Engine, text

from cli.main import main
from formats.areas import FieldNames
from rescuecircle.errors import InvalidInput
from services.areas import import_districts, import_population
from services.context import Context
from tests.conftest import app_settings


@pytest.fixture
def engine(make_database) -> Engine:
    return make_database("areas")


@pytest.fixture
def context(engine) -> Context:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.district; DELETE FROM rc.population"))
    return Context.from_settings(app_settings(engine), engine=engine)


def districts(engine: Engine) -> dict[str, tuple[str, str, float | None]]:
    with engine.connect() as conn:
        return {r.name: (r.kind, r.kind_basis, r.population) for r in conn.execute(text(
            "SELECT name, kind, kind_basis, population FROM rc.district"))}


def people(engine: Engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(text(
            "SELECT coalesce(sum(population), 0) FROM rc.population")).scalar_one())


def square(lon: float, lat: float, side: float = 0.02) -> list:
    return [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side],
             [lon, lat]]]


def geojson(path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g} for p, g in features]}))
    return path


def test_bad_districts_are_rejected_with_reasons_and_strict_loads_nothing(context, engine,
                                                                         tmp_path):
    path = geojson(tmp_path / "d.geojson", [
        ({"name": "Centre", "kind": "urban", "code": "C"},
         {"type": "Polygon", "coordinates": square(0, 0)}),
        ({"name": None, "kind": "urban", "code": "X"},
         {"type": "Polygon", "coordinates": square(1, 1)}),
        ({"name": "Suburb", "kind": "suburban", "code": "S"},
         {"type": "Polygon", "coordinates": square(2, 2)}),
        ({"name": "Road", "kind": "rural", "code": "R"},
         {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
        ({"name": "Again", "kind": "rural", "code": "C"},
         {"type": "Polygon", "coordinates": square(3, 3)}),
    ])
    fields = FieldNames("name", "code", "kind")
    with pytest.raises(InvalidInput, match="4 features rejected, nothing loaded"):
        import_districts(context, path, fields, strict=True)
    assert districts(engine) == {}
    report = import_districts(context, path, fields)
    assert [(r.label, r.reason) for r in report.rejected] == [
        ("feature 2", "missing name"),
        ("feature 3", "kind 'suburban' is not urban or rural"),
        ("feature 4", "a district must be a polygon, not a LineString"),
        ("feature 5", "duplicate code C (as feature 1)")]
    assert districts(engine) == {"Centre": ("urban", "given", None)}
    with pytest.raises(InvalidInput, match="no field 'nom' for the name"):
        import_districts(context, path, FieldNames("nom"))


def test_districts_in_a_projected_crs_and_kinds_from_density(context, engine, tmp_path):
    """A GeoPackage in UTM: one dense district (2,000 people per km²) and one sparse; with no
    population loaded both wait as 'default' urban, and the population file classifies them."""
    utm = "EPSG:32650"  # Shenzhen's UTM zone
    x0, y0 = 200_000.0, 2_500_000.0
    outlines = [shapely.box(x0, y0, x0 + 3000, y0 + 3000),
                shapely.box(x0 + 5000, y0, x0 + 8000, y0 + 3000)]
    path = tmp_path / "districts.gpkg"
    pyogrio.raw.write(path, np.array([shapely.to_wkb(o) for o in outlines], dtype=object),
                      [np.array(["Dense", "Sparse"], dtype=object)], ["name"],
                      geometry_type="Polygon", crs=utm, driver="GPKG")
    report = import_districts(context, path, FieldNames("name"))
    assert "2 districts have no kind and nothing to derive it from" in str(report)
    assert districts(engine) == {"Dense": ("urban", "default", None),
                                 "Sparse": ("urban", "default", None)}
    with engine.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) "
                                     "FROM rc.district WHERE name = 'Dense'")).one()
    assert 114 < lon < 115 and 22 < lat < 23  # reprojected from UTM to WGS84
    # 100 m grid of points in both districts: 20 people each in Dense, 1 in Sparse
    xs, ys = np.meshgrid(np.arange(50, 3000, 100.0), np.arange(50, 3000, 100.0))
    from pyproj import Transformer
    to_wgs84 = Transformer.from_crs(utm, "EPSG:4326", always_xy=True)
    rows = ["lon,lat,people"]
    for dx, count in ((0, 20), (5000, 1)):
        plon, plat = to_wgs84.transform(x0 + dx + xs.ravel(), y0 + ys.ravel())
        rows += [f"{a},{b},{count}" for a, b in zip(plon, plat, strict=True)]
    (tmp_path / "people.csv").write_text("\n".join(rows))
    report = import_population(context, tmp_path / "people.csv", count_field="people")
    assert report.loaded == 1800 and report.people == pytest.approx(900 * 21)
    assert districts(engine) == {"Dense": ("urban", "density", None),
                                 "Sparse": ("rural", "density", None)}
    with engine.connect() as conn:  # each point stands for its 100 m cell
        area = conn.execute(text("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY "
                                 "ST_Area(geom::geography)) FROM rc.population")).scalar_one()
    assert area == pytest.approx(10_000, rel=0.02)


def test_a_raster_in_web_mercator_and_a_bad_count_field(context, engine, tmp_path):
    path = tmp_path / "people.tif"
    cells = np.array([[10, 0], [5, 20]], dtype=np.float32)
    with rasterio.open(path, "w", driver="GTiff", height=2, width=2, count=1, dtype="float32",
                       crs="EPSG:3857", transform=from_origin(12_700_000, 2_580_000, 100,
                                                              100)) as out:
        out.write(cells, 1)
    report = import_population(context, path)
    assert report.people == pytest.approx(35) and people(engine) == pytest.approx(35)
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("lon,lat,people\n114.0,22.5,-3\n114.0,22.5,lots\n,,4\n")
    with pytest.raises(InvalidInput, match="nothing to load") as failed:
        import_population(context, csv_path, count_field="people")
    assert "people '-3' must be a count of 0 or more" in str(failed.value)
    assert "people 'lots' is not a number" in str(failed.value)
    assert "missing geometry" in str(failed.value)
    assert people(engine) == pytest.approx(35)  # the raster's people are still there


@pytest.mark.realdata
def test_shenzhen_districts_and_traffic_zones_from_the_cli(engine, context, shared_data,
                                                           monkeypatch, capsys):
    """The city's own files: district outlines without kinds, and traffic zones whose people
    are in a separate table. Shenzhen counts itself wholly urban since 2004, and by the Degree
    of Urbanisation every district, the Dapeng peninsula's towns included, is."""
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    folder = shared_data / "shenzhen"
    main(["import", "districts", str(folder / "boundaries" / "districts_wgs84.json"),
          "--name-field", "qh"])
    main(["import", "population", str(folder / "taz_polygons_wgs84.geojson"),
          "--table", str(folder / "taz_attributes.csv"), "--key", "name=小区编号",
          "--count", "人口（人）"])
    out = capsys.readouterr().out
    assert "10 districts loaded" in out and "440 areas loaded (9,347,176 people)" in out
    assert "51 rejected" in out and "missing 人口（人）" in out
    found = districts(engine)
    assert len(found) == 10
    assert {(kind, basis) for kind, basis, _ in found.values()} == {("urban", "density")}


def test_outside_every_district_the_people_around_decide_the_standard(context, engine,
                                                                       tmp_path):
    """No districts loaded: a point in a square kilometre of 300 people or more is urban (the
    8-minute ambulance standard), one among fewer rural (12), and with no population at all
    every place is urban, as before."""
    def kind(lon: float, lat: float) -> str:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT rc.area_kind(:x, :y)"),
                                    {"x": lon, "y": lat}).scalar_one())

    assert kind(114.05, 22.55) == "urban"  # nothing loaded
    rows = ["lon,lat,people"]
    for i in range(10):  # 100 m apart: 40 people each in town, 1 each in the country
        for j in range(10):
            rows.append(f"{114.05 + i * 0.00097},{22.55 + j * 0.0009},40")
            rows.append(f"{114.25 + i * 0.00097},{22.55 + j * 0.0009},1")
    (tmp_path / "people.csv").write_text("\n".join(rows))
    import_population(context, tmp_path / "people.csv", count_field="people")
    assert kind(114.0545, 22.554) == "urban"
    assert kind(114.2545, 22.554) == "rural"
    assert kind(114.60, 22.554) == "rural"  # nobody lives there
