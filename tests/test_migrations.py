"""The migration chain runs from an empty database and records its version."""

import pytest
from geoalchemy2 import Geometry
from sqlalchemy import inspect, text

from gis.migrate import MigrationError, migrate, migrations, schema_version
from gis.models import Base


def test_chain_from_empty_database(make_database):
    engine = make_database("migrations")
    assert schema_version(engine) == migrations()[-1].version
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


def test_migration_numbers_are_unique_and_increasing():
    versions = [m.version for m in migrations()]
    assert versions == sorted(set(versions)) and versions[0] == 1


def test_a_migration_missing_from_the_checkout_is_refused(make_database):
    engine = make_database("migrations")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rc.migration (version, name, sha256) VALUES (9999, 'future', 'x')"))
    try:
        with pytest.raises(MigrationError, match="9999 applied"):
            migrate(engine)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rc.migration WHERE version = 9999"))


def test_models_match_the_migrated_schema(make_database):
    """Every geoalchemy2 model has exactly its table's columns, nullability and geometry."""
    engine = make_database("migrations")
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        reflected = {c["name"]: c for c in inspector.get_columns(table.name, schema="rc")}
        assert set(reflected) == set(table.columns.keys()), table.name
        for column in table.columns:
            assert reflected[column.name]["nullable"] == column.nullable, (
                table.name, column.name)
            if isinstance(column.type, Geometry):
                found = reflected[column.name]["type"]
                assert (found.geometry_type, found.srid) == (
                    column.type.geometry_type, column.type.srid), (table.name, column.name)
    migrated = set(inspector.get_table_names(schema="rc")) - {"migration"}
    assert migrated == {t.name for t in Base.metadata.sorted_tables}


def test_migrate_on_a_missing_database_says_run_db_init(make_database, monkeypatch, capsys):
    from cli.main import main

    make_database("migrations_cluster")  # the local cluster is up; this database is not there
    monkeypatch.delenv("RC_DATABASE_URL", raising=False)
    monkeypatch.setenv("RC_DB_NAME", "rc_test_never_created")
    with pytest.raises(SystemExit) as exited:
        main(["db", "migrate"])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == ('rescuecircle: database "rc_test_never_created" does not exist: '
                   "run `rescuecircle db init`")
