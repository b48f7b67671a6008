"""Positions at rate (issue 18): a gateway's batches, each volunteer's latest position, the
history's day partitions and their retention, and the move of stored positions by 0033."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from cli.main import main
from gis.db import make_engine, run_sql_file
from gis.migrate import migrate, migrations
from gis.positions import drop_old_partitions, make_partitions
from gis.tokens import create_token
from localdb import cluster
from rescuecircle import database
from rescuecircle.paths import SQL_DIR
from tests.conftest import app_settings, client_for

BATCH = "/api/volunteers/positions"


@pytest.fixture(scope="module")
def engine(make_database) -> Engine:
    engine = make_database("position_rate")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.volunteer (id, name) "
                          "SELECT i, 'V' || i FROM generate_series(1, 6) i"))
    return engine


@pytest.fixture(scope="module")
def client(engine):
    return client_for(engine)


@pytest.fixture(scope="module")
def gateway(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(engine, role='gateway', label='app')}"}


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM rc.volunteer_position")).scalar_one())


def latest(engine: Engine, volunteer_id: int) -> tuple[float, float] | None:
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM rc.volunteer_position_latest "
            "WHERE volunteer_id = :v"), {"v": volunteer_id}).first()
    return None if row is None else (row[0], row[1])


def test_a_batch_is_stored_and_each_volunteers_newest_becomes_latest(client, engine, gateway):
    before = stored(engine)
    response = client.post(BATCH, headers=gateway, json={"positions": [
        {"volunteer_id": 1, "lon": 1.0, "lat": 1.0, "observed_at": ago(seconds=20)},
        {"volunteer_id": 2, "lon": 2.0, "lat": 2.0, "accuracy_m": 8},
        {"volunteer_id": 1, "lon": 1.5, "lat": 1.5, "observed_at": ago(seconds=10)},
        {"volunteer_id": 1, "lon": 1.2, "lat": 1.2, "observed_at": ago(seconds=30)}]})
    assert response.status_code == 201 and response.json == {"stored": 4}
    assert stored(engine) == before + 4
    assert latest(engine, 1) == (1.5, 1.5) and latest(engine, 2) == (2.0, 2.0)


def test_an_older_report_does_not_replace_a_newer_latest(client, engine, gateway):
    assert client.put("/api/volunteers/3/position", headers=gateway,
                      json={"lon": 3.0, "lat": 3.0, "observed_at": ago(minutes=1)}
                      ).status_code == 201
    before = stored(engine)
    response = client.post(BATCH, headers=gateway, json={"positions": [
        {"volunteer_id": 3, "lon": 3.3, "lat": 3.3, "observed_at": ago(minutes=5)}]})
    assert response.status_code == 201
    assert stored(engine) == before + 1           # kept in the history all the same
    assert latest(engine, 3) == (3.0, 3.0)


def test_bad_entries_are_400_named_by_index_and_nothing_is_stored(client, engine, gateway):
    before, was = stored(engine), latest(engine, 4)
    response = client.post(BATCH, headers=gateway, json={"positions": [
        {"volunteer_id": 4, "lon": 4.0, "lat": 4.0},
        {"volunteer_id": 4, "lon": 4.0, "lat": 95},
        {"volunteer_id": 4, "lon": 4.0, "lat": 4.0, "observed_at": ago(minutes=-30)},
        {"volunteer_id": 4, "lon": 4.0, "lat": 4.0, "observed_at": ago(hours=30)},
        {"volunteer_id": 4, "lon": 4.0, "lat": 4.0, "accuracy_m": -3},
        {"volunteer_id": "4", "lon": 4.0, "lat": 4.0}]})
    assert response.status_code == 400
    description = response.json["description"]
    for named in ("positions[1].lat", "positions[2].observed_at", "positions[3].observed_at",
                  "positions[4].accuracy_m", "positions[5].volunteer_id"):
        assert named in description
    assert "positions[0]" not in description
    unknown = client.post(BATCH, headers=gateway, json={"positions": [
        {"volunteer_id": 4, "lon": 4.0, "lat": 4.0},
        {"volunteer_id": 999, "lon": 4.0, "lat": 4.0}]})
    assert unknown.status_code == 404 and "999 (positions[1])" in unknown.json["description"]
    assert stored(engine) == before and latest(engine, 4) == was


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("public", 403), ("volunteer", 403),
                                              ("analyst", 403)])
def test_only_a_gateway_or_dispatch_may_post_a_batch(client, engine, role, status):
    token = role and create_token(engine, role=role, volunteer_id=5 if role == "volunteer"
                                  else None)
    before = stored(engine)
    response = client.post(BATCH, headers={"Authorization": f"Bearer {token}"} if token else {},
                           json={"positions": [{"volunteer_id": 5, "lon": 5.0, "lat": 5.0}]})
    assert response.status_code == status and stored(engine) == before


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/volunteers"), ("GET", "/api/volunteers/1"), ("GET", "/api/incidents"),
    ("POST", "/api/dispatch"), ("GET", "/api/planning/volunteer-density")])
def test_a_gateway_reads_no_personal_data(client, gateway, method, path):
    response = client.open(path, method=method, headers=gateway, json={"point": [1.0, 1.0]}
                           if method == "POST" else None)
    assert response.status_code == 403


def test_a_write_outside_every_day_partition_is_stored_and_gets_its_day(client, engine,
                                                                         gateway):
    today = datetime.now(UTC).strftime("%Y%m%d")
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE rc.volunteer_position_p{today}"))
    response = client.post(BATCH, headers=gateway, json={"positions": [
        {"volunteer_id": 6, "lon": 6.0, "lat": 6.0}]})
    assert response.status_code == 201 and latest(engine, 6) == (6.0, 6.0)
    with engine.connect() as conn:
        where = conn.execute(text(
            "SELECT tableoid::regclass::text FROM rc.volunteer_position "
            "WHERE volunteer_id = 6")).scalar_one()
    assert where == f"rc.volunteer_position_p{today}"


def test_old_days_go_into_their_partitions_and_retention_drops_them(engine):
    old = datetime.now(UTC) - timedelta(days=40)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.volunteer (id, name) VALUES (7, 'gone silent')"))
        conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
            "VALUES (7, :at, ST_SetSRID(ST_MakePoint(7, 7), 4326))"), {"at": old})
    assert make_partitions(engine) >= 1
    day = f"rc.volunteer_position_p{old:%Y%m%d}"
    with engine.connect() as conn:
        assert conn.execute(text(
            "SELECT tableoid::regclass::text FROM rc.volunteer_position WHERE volunteer_id = 7"
        )).scalar_one() == day
        ahead = conn.execute(text(
            "SELECT count(*) FROM pg_class WHERE relname = ANY(:names)"),
            {"names": [f"volunteer_position_p{datetime.now(UTC) + timedelta(days=d):%Y%m%d}"
                       for d in range(4)]}).scalar_one()
    assert ahead == 4
    assert latest(engine, 7) == (7.0, 7.0)
    assert drop_old_partitions(engine, keep_days=30) >= 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass(:t)"), {"t": day}).scalar() is None
        assert conn.execute(text("SELECT count(*) FROM rc.volunteer_position "
                                 "WHERE volunteer_id = 7")).scalar_one() == 0
    assert latest(engine, 7) is None and latest(engine, 1) is not None


def test_the_maintain_command_makes_days_and_keeps_the_retention(engine, monkeypatch, capsys):
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    monkeypatch.setenv("RC_POSITION_RETENTION_DAYS", "2")
    main(["positions", "maintain"])
    assert "dropped (kept 2 days)" in capsys.readouterr().out


def test_dispatch_reads_where_volunteers_are_now_or_were_then(engine):
    """Volunteer 20 was beside the patient 10 minutes ago and is 5 km away now; 21 was 5 km
    away and is beside the patient now. A plan for now sends 21; one for 10 minutes ago, 20."""
    near, far = ("ST_SetSRID(ST_MakePoint(50, 50), 4326)",
                 "ST_SetSRID(ST_MakePoint(50.05, 50), 4326)")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.volunteer (id, name, availability) "
                          "VALUES (20, 'moved away', 'available'), (21, 'came', 'available')"))
        conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) VALUES "
            f"(20, now() - interval '10 minutes', {near}), (20, now(), {far}), "
            f"(21, now() - interval '10 minutes', {far}), (21, now(), {near})"))

        def candidates(minutes_ago: int) -> list[int]:
            return list(conn.execute(text(
                "SELECT id FROM rc.dispatch_volunteers(50, 50, 2000, "
                "now() - make_interval(mins => :m), 120, NULL)"), {"m": minutes_ago}).scalars())

        assert candidates(0) == [21]
        assert candidates(10) == [20]


def test_dispatch_takes_the_nearest_volunteers_those_already_sent_first(engine):
    """Volunteers 30-34 east of a patient at 100, 200, ... 500 m: the nearest two come back,
    and one already sent to the incident comes first."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rc.volunteer (id, name, availability) "
                          "SELECT i, 'N' || i, 'available' FROM generate_series(30, 34) i"))
        conn.execute(text(
            "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
            "SELECT i, now() - interval '1 minute', "
            "       ST_SetSRID(ST_MakePoint(60 + (i - 29) * 0.0014, 40), 4326) "
            "FROM generate_series(30, 34) i"))
        incident = conn.execute(text(
            "INSERT INTO rc.incident (geom) VALUES (ST_SetSRID(ST_MakePoint(60, 40), 4326)) "
            "RETURNING id")).scalar_one()

        def nearest(count: int | None, for_incident: int | None = None) -> list[int]:
            return list(conn.execute(text(
                "SELECT id FROM rc.dispatch_volunteers(60, 40, 2000, now(), 900, :i, :n)"),
                {"i": for_incident, "n": count}).scalars())

        assert nearest(2) == [30, 31]
        assert sorted(nearest(None)) == [30, 31, 32, 33, 34]
        conn.execute(text("INSERT INTO rc.assignment (incident_id, unit_kind, unit_id) "
                          "VALUES (:i, 'volunteer', 34)"), {"i": incident})
        assert nearest(2, incident) == [34, 30]
        assert sorted(nearest(None)) == [30, 31, 32, 33]  # sent elsewhere for a new incident


@pytest.mark.parametrize("lat", [0.0, 22.5, 45.0, 60.0, 70.0])
def test_ground_metres_follow_the_geodesic_and_bound_the_radius(engine, lat):
    """rc.ground_m, the candidates' straight-line metres, is within 0.005 % of PostGIS's
    geodesic for points up to 50 km apart; a volunteer 1,990 m east is within 2 km, one
    2,010 m east is not."""
    with engine.connect() as conn:
        worst = conn.execute(text(
            "WITH p AS (SELECT 10 + (random() - 0.5) * 0.9 / cos(radians(:lat)) AS x, "
            "                  :lat + (random() - 0.5) * 0.9 AS y FROM generate_series(1, 500)) "
            "SELECT max(abs(rc.ground_m(10, :lat, x, y) / ST_Distance("
            "    ST_Point(10, :lat, 4326)::geography, ST_Point(x, y, 4326)::geography) - 1)) "
            "FROM p"), {"lat": lat}).scalar_one()
        east = conn.execute(text(
            "SELECT m, rc.ground_m(10, :lat, ST_X(q), ST_Y(q)) <= 2000 "
            "FROM unnest(ARRAY[1990, 2010]) m, LATERAL (SELECT ST_Project("
            "    ST_Point(10, :lat, 4326)::geography, m, pi() / 2)::geometry AS q) east "
            "ORDER BY m"), {"lat": lat}).all()
    assert worst < 5e-5
    assert [inside for _, inside in east] == [True, False]


def test_migration_0033_moves_the_stored_positions(settings):
    name = "rc_test_position_move"
    cluster.create_database(settings, name, replace=True)
    engine = make_engine(settings, database.local_url(settings, name))
    try:
        with engine.begin() as conn:                   # the schema as it was before 0033
            run_sql_file(conn, SQL_DIR / "idempotent" / "pre.sql")
            for migration in migrations():
                if migration.version < 33:
                    run_sql_file(conn, migration.path)
                    conn.execute(text("INSERT INTO rc.migration (version, name, sha256) "
                                      "VALUES (:v, :n, :s)"), {"v": migration.version,
                                                               "n": migration.name,
                                                               "s": migration.sha256})
            conn.execute(text("INSERT INTO rc.volunteer (id, name) VALUES (1, 'A'), (2, 'B')"))
            conn.execute(text(
                "INSERT INTO rc.volunteer_position (volunteer_id, observed_at, geom) "
                "VALUES (1, now() - interval '3 days', 'SRID=4326;POINT(1 1)'), "
                "(1, now() - interval '1 hour', 'SRID=4326;POINT(1 2)'), "
                "(2, now() - interval '2 days', 'SRID=4326;POINT(2 2)')"))
        migrate(engine)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT id, tableoid::regclass::text FROM rc.volunteer_position ORDER BY id"
            )).all()
            newest = dict(conn.execute(text(
                "SELECT volunteer_id, position_id FROM rc.volunteer_position_latest")).all())
            next_id = conn.execute(text(
                "INSERT INTO rc.volunteer_position (volunteer_id, geom) "
                "VALUES (2, 'SRID=4326;POINT(2 3)') RETURNING id")).scalar_one()
        assert [r.id for r in rows] == [1, 2, 3] and next_id == 4
        assert all(r.tableoid != "rc.volunteer_position_default" for r in rows)
        assert newest == {1: 2, 2: 3}
    finally:
        engine.dispose()
