"""Loading the demo city: a synthetic network plus registry data, all in one transaction."""

import pytest
from sqlalchemy import Engine, text

from gis.demo_load import load_demo_city
from gis.osm_import import import_osm
from rescuecircle.paths import PROJECT_ROOT

TOY_CITY = PROJECT_ROOT / "tests" / "data" / "toy_city.osm"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("demo")
    load_demo_city(engine)
    return engine


def scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_network_is_marked_synthetic(engine):
    assert scalar(engine, "SELECT synthetic FROM rc.network ORDER BY id DESC LIMIT 1") is True
    assert scalar(engine, "SELECT count(*) FROM rc.road_edge") > 5000


def test_registry_data_is_loaded(engine):
    assert scalar(engine, "SELECT count(*) FROM rc.aed") == 150
    assert scalar(engine, "SELECT count(DISTINCT status) FROM rc.aed") >= 3
    assert scalar(engine, "SELECT count(*) FROM rc.aed WHERE pads_expire_on IS NULL") == 0
    assert scalar(engine, "SELECT count(*) FROM rc.ambulance") == 16
    assert scalar(engine, "SELECT count(*) FROM rc.drone_pad") == 4
    assert scalar(engine, "SELECT count(*) FROM rc.training_site") == 5
    assert scalar(engine, "SELECT count(*) FROM rc.district") == 6
    assert scalar(engine, "SELECT count(DISTINCT volunteer_id) FROM rc.volunteer_position") == 300
    # A Chinese city: China's public holidays, and office AEDs closed on them.
    assert scalar(engine, "SELECT count(*) FROM rc.public_holiday WHERE source = 'holidays:CN' "
                          "AND extract(month FROM day) = 10 AND extract(day FROM day) = 1") == 2
    assert scalar(engine, "SELECT count(*) FROM rc.aed WHERE hours_holiday") > 20


def test_population_total_matches_the_raster(engine):
    total = scalar(engine, "SELECT sum(population) FROM rc.population")
    assert total == pytest.approx(671_858, rel=0.001)
    points = scalar(engine, "SELECT sum(people) FROM rc.population_points()")
    assert points == pytest.approx(total, rel=1e-6)


def test_reloading_replaces_instead_of_duplicating(engine):
    load_demo_city(engine)
    assert scalar(engine, "SELECT count(*) FROM rc.volunteer") == 300
    assert scalar(engine, "SELECT count(*) FROM rc.district") == 6
    assert scalar(engine, "SELECT count(*) FROM rc.aed") == 150


def test_failure_in_the_same_transaction_keeps_the_previous_city(engine):
    edges = scalar(engine, "SELECT count(*) FROM rc.road_edge")

    def fail(conn):
        raise RuntimeError("registry data broken")

    with pytest.raises(RuntimeError):
        import_osm(engine, TOY_CITY, also=fail)
    assert scalar(engine, "SELECT count(*) FROM rc.road_edge") == edges
    assert scalar(engine, "SELECT synthetic FROM rc.network ORDER BY id DESC LIMIT 1") is True
