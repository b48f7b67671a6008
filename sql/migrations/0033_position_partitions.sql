-- Positions at rate (issue 18): 100,000 volunteers reporting every 30 s are 3,300 rows a second.
--
-- * rc.volunteer_position (the history) becomes range-partitioned by observed_at, one partition
--   per UTC day (rc.volunteer_position_pYYYYMMDD), so retention drops whole days instead of
--   deleting rows. The partitions are made ahead by rc.volunteer_position_partitions
--   (sql/functions/positions.sql) at every migrate, by the server's maintenance and by
--   `rescuecircle positions maintain`; rc.volunteer_position_default takes what falls outside
--   them, so a write never fails for a missing day (the next maintenance moves it out).
-- * The history keeps only the indexes its readers need: the primary key (a position by id)
--   and (volunteer_id, observed_at) for a volunteer's track and the cascade when a volunteer
--   is deleted. Nothing searches it by place any more: its GiST index is gone.
-- * rc.volunteer_position_latest holds each volunteer's newest position; an AFTER INSERT
--   statement trigger upserts it from every insert into the history, in the same statement,
--   and only when the row is newer. Every reader of "where is the volunteer now" (dispatch,
--   readiness, the density map, the simulator) reads it instead of scanning the history.
-- The stored positions are moved over, none lost; the ids keep their sequence.

ALTER TABLE rc.volunteer_position RENAME TO volunteer_position_0004;
ALTER INDEX rc.volunteer_position_pkey RENAME TO volunteer_position_0004_pkey;
ALTER SEQUENCE rc.volunteer_position_id_seq OWNED BY NONE;

CREATE TABLE rc.volunteer_position (
    id            bigint NOT NULL DEFAULT nextval('rc.volunteer_position_id_seq'),
    volunteer_id  integer NOT NULL REFERENCES rc.volunteer (id) ON DELETE CASCADE,
    observed_at   timestamptz NOT NULL DEFAULT now(),
    accuracy_m    real CHECK (accuracy_m >= 0),
    geom          geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (id, observed_at)
) PARTITION BY RANGE (observed_at);
ALTER SEQUENCE rc.volunteer_position_id_seq OWNED BY rc.volunteer_position.id;
COMMENT ON TABLE rc.volunteer_position IS
    'Volunteers'' reported positions (personal data), one partition per UTC day, dropped after RC_POSITION_RETENTION_DAYS; append-only';
CREATE INDEX volunteer_position_track_idx ON rc.volunteer_position (volunteer_id, observed_at);
CREATE TABLE rc.volunteer_position_default PARTITION OF rc.volunteer_position DEFAULT;

CREATE TABLE rc.volunteer_position_latest (
    volunteer_id  integer PRIMARY KEY REFERENCES rc.volunteer (id) ON DELETE CASCADE,
    position_id   bigint NOT NULL,
    observed_at   timestamptz NOT NULL,
    accuracy_m    real,
    geom          geometry(Point, 4326) NOT NULL
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02,
        autovacuum_analyze_scale_factor = 0.05);
COMMENT ON TABLE rc.volunteer_position_latest IS
    'Each volunteer''s newest position (personal data), kept by a trigger on rc.volunteer_position; what dispatch reads';
CREATE INDEX volunteer_position_latest_geom_idx ON rc.volunteer_position_latest USING gist (geom);

CREATE FUNCTION rc._volunteer_position_latest()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- In volunteer order, so concurrent batches lock the rows they share in one order.
    INSERT INTO rc.volunteer_position_latest AS l
        (volunteer_id, position_id, observed_at, accuracy_m, geom)
    SELECT DISTINCT ON (s.volunteer_id) s.volunteer_id, s.id, s.observed_at, s.accuracy_m,
           s.geom
    FROM stored s
    ORDER BY s.volunteer_id, s.observed_at DESC, s.id DESC
    ON CONFLICT (volunteer_id) DO UPDATE
    SET position_id = EXCLUDED.position_id, observed_at = EXCLUDED.observed_at,
        accuracy_m = EXCLUDED.accuracy_m, geom = EXCLUDED.geom
    WHERE (EXCLUDED.observed_at, EXCLUDED.position_id) > (l.observed_at, l.position_id);
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION rc._volunteer_position_latest() IS
    'Keeps rc.volunteer_position_latest: each volunteer''s newest stored position';

INSERT INTO rc.volunteer_position (id, volunteer_id, observed_at, accuracy_m, geom)
SELECT id, volunteer_id, observed_at, accuracy_m, geom FROM rc.volunteer_position_0004;

CREATE TRIGGER volunteer_position_latest AFTER INSERT ON rc.volunteer_position
    REFERENCING NEW TABLE AS stored
    FOR EACH STATEMENT EXECUTE FUNCTION rc._volunteer_position_latest();

INSERT INTO rc.volunteer_position_latest (volunteer_id, position_id, observed_at, accuracy_m, geom)
SELECT DISTINCT ON (volunteer_id) volunteer_id, id, observed_at, accuracy_m, geom
FROM rc.volunteer_position
ORDER BY volunteer_id, observed_at DESC, id DESC;

DROP TABLE rc.volunteer_position_0004;

-- Dispatch takes the nearest volunteers only (sql/functions/dispatch.sql re-creates the
-- function with max_count).
DROP FUNCTION IF EXISTS rc.dispatch_volunteers(double precision, double precision,
    double precision, timestamptz, double precision, integer);

-- The volunteer app gateway: may write any volunteer's positions, and read nothing.
ALTER TABLE rc.api_token DROP CONSTRAINT api_token_role_check;
ALTER TABLE rc.api_token ADD CONSTRAINT api_token_role_check
    CHECK (role IN ('public', 'volunteer', 'owner', 'gateway', 'dispatcher', 'analyst', 'admin'));
