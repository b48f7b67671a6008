"""The binary COPY stream built in numpy: what PostgreSQL reads back is what was sent."""

from typing import cast

import numpy as np
import psycopg
import pytest
import shapely
from sqlalchemy import text

from gis import copy_binary


@pytest.fixture(scope="module")
def engine(make_database):
    return make_database("copy_binary")


def test_every_kind_of_column_and_null_round_trips(engine):
    rng = np.random.default_rng(3)
    rows = 2_345  # several chunks of 1,000 and a short last one
    ids = rng.integers(-2**62, 2**62, rows)
    costs = rng.normal(0, 1e6, rows)
    costs[::7] = -1.0
    speeds = rng.uniform(0, 130, rows).astype(np.float32)
    flags = rng.random(rows) < 0.3
    names = [None if i % 5 == 0 else "" if i % 11 == 0 else f"Straße {i} 路{i}"
             for i in range(rows)]
    lines = shapely.set_srid(shapely.linestrings(
        rng.uniform(113, 114, (rows, 3)), rng.uniform(22, 23, (rows, 3))), 4326)
    null_speed = rng.random(rows) < 0.2
    fields = [copy_binary.numbers(np.arange(rows), "bigint"),
              copy_binary.numbers(ids, "bigint"),
              copy_binary.numbers(costs, "double precision"),
              copy_binary.numbers(speeds, "real", null=null_speed),
              copy_binary.numbers(flags, "boolean"),
              copy_binary.varying(names),
              copy_binary.varying(shapely.to_wkb(lines, include_srid=True).tolist())]
    with engine.connect() as conn:
        conn.execute(text(
            "CREATE TEMP TABLE t (n bigint, id bigint, cost double precision, speed real, "
            "flag boolean, name text, geom geometry(LineString, 4326))"))
        raw = cast(psycopg.Connection, conn.connection.driver_connection)
        with raw.cursor() as cur, cur.copy("COPY t FROM STDIN (FORMAT BINARY)") as copy:
            for chunk in copy_binary.copy_chunks(fields, rows_per_chunk=1_000):
                copy.write(chunk)
        back = conn.execute(text(
            "SELECT id, cost, speed, flag, name, ST_AsBinary(geom) FROM t ORDER BY n")).all()
    assert len(back) == rows
    assert [r[0] for r in back] == ids.tolist()
    assert [r[1] for r in back] == costs.tolist()
    assert [r[2] is None for r in back] == null_speed.tolist()
    assert np.array_equal(np.array([r[2] for r in back if r[2] is not None], np.float32),
                          speeds[~null_speed])  # real: float4, exactly
    assert [r[3] for r in back] == flags.tolist()
    assert [r[4] for r in back] == names
    assert shapely.equals_exact(shapely.from_wkb([bytes(r[5]) for r in back]), lines, 0).all()


def test_fields_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="one value per row"):
        list(copy_binary.copy_chunks([copy_binary.numbers(np.arange(3), "bigint"),
                                      copy_binary.varying(["a", "b"])]))
