-- Place search for people who cannot or will not share their location: street names of the
-- loaded network (one row per name and town: a "Main Street" in two towns is two places) and
-- the names and addresses of facilities, matched by trigrams (pg_trgm, part of PostgreSQL).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE rc.street (
    id        bigserial PRIMARY KEY,
    name      text      NOT NULL,
    length_m  double precision NOT NULL,
    geom      geometry(Point, 4326) NOT NULL      -- on the street: its longest piece's middle
);
COMMENT ON TABLE rc.street IS
    'Named streets of the loaded network, one per name and town; rebuilt by every import';
CREATE INDEX street_name_trgm_idx ON rc.street USING gin (lower(name) gin_trgm_ops);
