"""The migration chain runs from an empty database and records its version."""

import pytest
from sqlalchemy import inspect, text

from gis.migrate import MigrationError, migrate, migrations, schema_version


def test_chain_from_empty_database(make_database):
    engine = make_database("migrations")
    assert schema_version(engine) == len(migrations())
    tables = set(inspect(engine).get_table_names(schema="rc"))
    assert {
        "road_edge", "road_vertex", "network", "station", "ambulance", "hospital", "aed",
        "drone_pad", "training_site", "volunteer", "volunteer_position", "incident",
        "dispatch", "population", "district", "api_token", "migration",
    } <= tables


def test_migrate_twice_applies_nothing(make_database):
    engine = make_database("migrations")
    assert migrate(engine) == []


def test_changed_migration_is_refused(make_database):
    engine = make_database("migrations")
    with engine.begin() as conn:
        conn.execute(text("UPDATE rc.migration SET sha256 = 'edited' WHERE version = 2"))
    try:
        with pytest.raises(MigrationError, match="0002_network.sql changed"):
            migrate(engine)
    finally:
        with engine.begin() as conn:
            conn.execute(text(
                "UPDATE rc.migration SET sha256 = :s WHERE version = 2"),
                {"s": migrations()[1].sha256})


def test_migration_numbers_are_contiguous():
    versions = [m.version for m in migrations()]
    assert versions == list(range(1, len(versions) + 1))
