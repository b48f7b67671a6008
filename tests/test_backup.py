"""Operations commands: a backup round trip brings back exactly the saved rows; token revoke."""

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gis.backup import backup, restore
from gis.osm_import import import_osm
from gis.tokens import create_token, hash_token, lookup_token
from rescuecircle.database import libpq_url, sqlalchemy_url
from rescuecircle.errors import InvalidInput, Unavailable
from rescuecircle.settings import Settings

TOY = Path(__file__).parent / "data" / "toy_city.osm"
SNAPSHOT = {
    "edges": "SELECT count(*), sum(length_m)::numeric(12,3) FROM rc.road_edge",
    "vertices": "SELECT count(*) FROM rc.road_vertex",
    "aeds": "SELECT string_agg(name || ':' || status || ':' || ST_AsText(geom), ',' ORDER BY id) "
            "FROM rc.aed",
    "tokens": "SELECT string_agg(role || ':' || coalesce(label, '') || ':' || "
              "(revoked_at IS NULL)::text, ',' ORDER BY id) FROM rc.api_token",
    "version": "SELECT max(version) FROM rc.migration",
}


def snapshot(engine: Engine) -> dict[str, object]:
    """What the round trip must preserve: network, AEDs, tokens, schema version."""
    with engine.connect() as conn:
        return {key: tuple(conn.execute(text(sql)).one()) for key, sql in SNAPSHOT.items()}


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("reliab_backup")
    import_osm(engine, TOY)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.aed (name, status, geom) VALUES "
                          "('Backup AED', 'ready', ST_SetSRID(ST_MakePoint(0.001, 0.001), 4326))"))
    return engine


def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_round_trip_brings_back_the_saved_rows(engine, tmp_path):
    pg_bin_dir = Settings().pg_bin_dir
    token = create_token(engine, role="dispatcher", label="backup test")
    before = snapshot(engine)
    path = backup(url(engine), tmp_path / "rc.dump", pg_bin_dir=pg_bin_dir)
    assert path.stat().st_size > 0
    assert not (tmp_path / "rc.dump.partial").exists()

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.aed"))
        conn.execute(text("UPDATE rc.api_token SET revoked_at = now()"))
        conn.execute(text("DELETE FROM rc.road_edge WHERE id IN "
                          "(SELECT id FROM rc.road_edge ORDER BY id LIMIT 3)"))
        conn.execute(text("CREATE TABLE rc.after_backup (id int)"))
    assert snapshot(engine) != before
    assert lookup_token(engine, token) is None

    engine.dispose()  # the restore drops the schema; pooled sessions would hold its locks
    restore(url(engine), path, pg_bin_dir=pg_bin_dir)
    assert snapshot(engine) == before
    assert lookup_token(engine, token) is not None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('rc.after_backup')")).scalar() is None


def test_bad_file_leaves_the_database_unchanged(engine, tmp_path):
    before = snapshot(engine)
    bogus = tmp_path / "bogus.dump"
    bogus.write_bytes(b"PGDMP not really a dump")
    with pytest.raises(InvalidInput, match="bogus.dump"):
        restore(url(engine), bogus, pg_bin_dir=Settings().pg_bin_dir)
    with pytest.raises(InvalidInput, match="not found"):
        restore(url(engine), tmp_path / "missing.dump", pg_bin_dir=Settings().pg_bin_dir)
    assert snapshot(engine) == before


def test_cli_round_trip(engine, tmp_path, monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setenv("RC_DATABASE_URL", url(engine))
    path = tmp_path / "cli.dump"
    before = snapshot(engine)
    main(["db", "backup", str(path)])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rc.aed"))
    engine.dispose()
    main(["db", "restore", str(path)])
    assert "restored" in capsys.readouterr().out
    assert snapshot(engine) == before


def test_a_restore_that_fails_midway_changes_nothing(engine, settings, tmp_path):
    """The replay stops at a GRANT to a role that no longer exists: the old schema stays."""
    from localdb import cluster

    database = engine.url.database or ""
    with cluster.admin_connect(settings, database) as admin:
        admin.execute("DROP ROLE IF EXISTS reliab_ghost")
        admin.execute("CREATE ROLE reliab_ghost")
        admin.execute("GRANT SELECT ON rc.aed TO reliab_ghost")
    path = backup(url(engine), tmp_path / "ghost.dump", pg_bin_dir=settings.pg_bin_dir)
    with cluster.admin_connect(settings, database) as admin:
        admin.execute("REVOKE SELECT ON rc.aed FROM reliab_ghost")
        admin.execute("DROP ROLE reliab_ghost")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.aed (name, status, geom) VALUES ('after the dump', "
                          "'ready', ST_SetSRID(ST_MakePoint(0.002, 0.001), 4326))"))
    before = snapshot(engine)
    engine.dispose()
    with pytest.raises(Unavailable, match="database unchanged"):
        restore(url(engine), path, pg_bin_dir=settings.pg_bin_dir)
    assert snapshot(engine) == before


def test_cli_token_revoke(engine, monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setenv("RC_DATABASE_URL", url(engine))
    token = "-" + create_token(engine, role="analyst", label="to rotate")[1:]
    with engine.begin() as conn:  # a token may begin with "-"; this one does
        conn.execute(text("UPDATE rc.api_token SET token_hash = :h WHERE label = 'to rotate'"),
                     {"h": hash_token(token)})
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    main(["token", "revoke"])
    assert "revoked" in capsys.readouterr().out
    assert lookup_token(engine, token) is None
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "revoke"])
    assert exit_info.value.code == 2


def test_a_patroni_url_keeps_every_host_for_the_app_and_for_pg_dump():
    """A libpq multi-host URL becomes SQLAlchemy's spelling and back, the password left out of
    the URL pg_dump gets on its command line."""
    given = ("postgresql://rescuecircle:s%40cret@10.0.0.1:5432,10.0.0.2:5433/rc"
             "?target_session_attrs=read-write")
    app = sqlalchemy_url(given)
    assert app == ("postgresql+psycopg://rescuecircle:s%40cret@/rc?host=10.0.0.1%3A5432&"
                   "host=10.0.0.2%3A5433&target_session_attrs=read-write")
    assert sqlalchemy_url(app) == app
    assert libpq_url(app) == ("postgresql://rescuecircle@/rc?host=10.0.0.1%2C10.0.0.2&"
                              "port=5432%2C5433&target_session_attrs=read-write")
    assert libpq_url(sqlalchemy_url("postgresql://u:secret@h:5432/d")) == "postgresql://u@h:5432/d"
