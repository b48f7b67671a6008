-- The day partitions of rc.volunteer_position (migration 0033): made ahead, filled from the
-- default partition, and dropped after the retention period.

CREATE OR REPLACE FUNCTION rc._volunteer_position_partition(day date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    name text := format('volunteer_position_p%s', to_char(day, 'YYYYMMDD'));
BEGIN
    IF to_regclass(format('rc.%I', name)) IS NOT NULL THEN
        RETURN 0;
    END IF;
    -- CREATE then ATTACH: attaching locks the parent only against other schema changes, so
    -- writers and readers go on while a day is added.
    EXECUTE format('CREATE TABLE rc.%I (LIKE rc.volunteer_position INCLUDING DEFAULTS '
                   'INCLUDING CONSTRAINTS)', name);
    EXECUTE format('ALTER TABLE rc.volunteer_position ATTACH PARTITION rc.%I '
                   'FOR VALUES FROM (%L) TO (%L)', name,
                   day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
    RETURN 1;
EXCEPTION WHEN check_violation THEN
    -- A writer committed rows of that day to the default partition meanwhile: the day is
    -- left (its table undone with this block) for the next round, which moves them.
    RETURN 0;
END;
$$;
COMMENT ON FUNCTION rc._volunteer_position_partition(date) IS
    'Adds the partition of one UTC day to rc.volunteer_position unless it exists; 1 if added';

CREATE OR REPLACE FUNCTION rc.volunteer_position_partitions(ahead_days integer DEFAULT 3)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    added integer := 0;
    day date;
    strays integer;
BEGIN
    IF ahead_days < 0 OR ahead_days > 60 THEN
        RAISE EXCEPTION 'ahead_days = % is outside the allowed range 0 to 60', ahead_days
            USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('rc.volunteer_position_partitions'));
    -- Rows that fell outside every day partition move into their own day's partition. DELETE,
    -- not TRUNCATE: a reader that began before this commits still sees them where they were.
    CREATE TEMP TABLE _position_strays (LIKE rc.volunteer_position) ON COMMIT DROP;
    WITH moved AS (DELETE FROM rc.volunteer_position_default RETURNING *)
    INSERT INTO _position_strays SELECT * FROM moved;
    GET DIAGNOSTICS strays = ROW_COUNT;
    FOR day IN
        SELECT generate_series(today - 1, today + ahead_days, interval '1 day')::date
        UNION
        SELECT DISTINCT (observed_at AT TIME ZONE 'UTC')::date FROM _position_strays
    LOOP
        added := added + rc._volunteer_position_partition(day);
    END LOOP;
    IF strays > 0 THEN
        INSERT INTO rc.volunteer_position SELECT * FROM _position_strays;
    END IF;
    DROP TABLE _position_strays;
    RETURN added;
END;
$$;
COMMENT ON FUNCTION rc.volunteer_position_partitions(integer) IS
    'Makes the day partitions of rc.volunteer_position from yesterday to ahead_days ahead (UTC), and moves rows out of the default partition into their days; how many partitions were added';

CREATE OR REPLACE FUNCTION rc.volunteer_position_retain(keep_days integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    cutoff timestamptz := now() - make_interval(days => keep_days);
    dropped integer := 0;
    part record;
BEGIN
    IF keep_days < 1 OR keep_days > 3660 THEN
        RAISE EXCEPTION 'keep_days = % is outside the allowed range 1 to 3660', keep_days
            USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('rc.volunteer_position_partitions'));
    FOR part IN
        SELECT c.oid::regclass AS name
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'rc.volunteer_position'::regclass
          AND c.relname ~ '^volunteer_position_p[0-9]{8}$'
          AND (to_date(substr(c.relname, 21), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
              <= cutoff
    LOOP
        EXECUTE format('DROP TABLE %s', part.name);
        dropped := dropped + 1;
    END LOOP;
    DELETE FROM rc.volunteer_position_default WHERE observed_at < cutoff;
    -- A volunteer silent for longer than that has no position left to be latest.
    DELETE FROM rc.volunteer_position_latest WHERE observed_at < cutoff;
    RETURN dropped;
END;
$$;
COMMENT ON FUNCTION rc.volunteer_position_retain(integer) IS
    'Drops the day partitions of rc.volunteer_position wholly older than keep_days, and older rows of the default partition and of rc.volunteer_position_latest; how many partitions were dropped';
