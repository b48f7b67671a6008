"""The migration chain runs from an empty database and records its version; the schema it
makes is the one the code reads (``gis.catalogue``), and every public layer exports as such."""

import pyogrio
import pytest
from geoalchemy2 import Geometry
from sqlalchemy import inspect, text

from gis import catalogue
from gis.export import GEOMETRY_TYPES, KINDS, LAYER_TABLES, read_layer, write_layer
from gis.migrate import MigrationError, migrate, migrations, schema_version


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


def test_the_catalogue_is_what_sqlalchemy_reflects(make_database):
    """Every table's and view's columns, in order, with nullability and geometry type and
    SRID, as an independent reader (SQLAlchemy's reflection, geoalchemy2) finds them."""
    engine = make_database("migrations")
    inspector = inspect(engine)
    described = catalogue.tables(engine)
    assert set(described) == set(inspector.get_table_names(schema="rc")) | set(
        inspector.get_view_names(schema="rc"))  # the tile views (0020) are read like tables
    for name, table in described.items():
        reflected = inspector.get_columns(name, schema="rc")
        assert [c.name for c in table.columns] == [c["name"] for c in reflected], name
        for column, found in zip(table.columns, reflected, strict=True):
            assert column.nullable == found["nullable"], (name, column.name)
            if isinstance(found["type"], Geometry):
                assert (column.geometry_type, column.srid) == (
                    found["type"].geometry_type, found["type"].srid), (name, column.name)
            else:
                assert column.geometry_type is None, (name, column.name)


@pytest.mark.parametrize("layer", sorted(LAYER_TABLES))
def test_every_public_layer_exports_its_catalogue_columns(make_database, layer, tmp_path):
    """One geometry in WGS84 of a type the files take, every column's type one the export
    knows, and a file holding exactly the catalogue's other columns, in their order."""
    engine = make_database("migrations")
    table = catalogue.table(engine, LAYER_TABLES[layer])
    assert table.geometry.srid == 4326 and table.geometry.geometry_type in GEOMETRY_TYPES
    untyped = [(c.name, c.data_type) for c in table.attributes if c.data_type not in KINDS]
    assert untyped == [], "add the type to gis.export.KINDS: how is it written to a file?"
    data = read_layer(engine, layer)
    names = [c.name for c in table.attributes]
    assert list(data.columns) == names and "geom" not in names
    assert data.geometry_type == GEOMETRY_TYPES[table.geometry.geometry_type]
    info = pyogrio.read_info(write_layer(data, "gpkg", tmp_path / layer))
    assert list(info["fields"]) == names
    assert info["geometry_type"] == data.geometry_type and info["crs"] == "EPSG:4326"


def test_the_catalogue_is_read_again_for_a_new_schema_version(make_database):
    engine = make_database("migrations")
    assert "scratch" not in catalogue.tables(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rc.scratch (id integer NOT NULL, "
                          "geom geometry(LineString, 4326))"))
    try:
        assert "scratch" not in catalogue.tables(engine)  # kept for this schema version
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO rc.migration (version, name, sha256) "
                              "VALUES (9998, 'scratch', 'x')"))
        scratch = catalogue.table(engine, "scratch")
        assert [(c.name, c.data_type, c.nullable) for c in scratch.attributes] == [
            ("id", "integer", False)]
        assert (scratch.geometry.geometry_type, scratch.geometry.srid) == ("LINESTRING", 4326)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE rc.scratch"))
            conn.execute(text("DELETE FROM rc.migration WHERE version = 9998"))
    assert "scratch" not in catalogue.tables(engine)
    with pytest.raises(LookupError, match="rc.scratch does not exist"):
        catalogue.table(engine, "scratch")


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
