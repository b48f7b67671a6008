-- Rate limits shared by every server process (migration 0013_rate_limit, api/rate_limit.py).

-- Count one hit of client in bucket and return the hits in the last window_s seconds,
-- estimated as a sliding window: this window's hits plus the previous window's, weighted by
-- how much of it still lies within window_s. Refused hits count too, so a flood stays refused.
-- at_s (epoch seconds) replaces the clock, for tests.
CREATE OR REPLACE FUNCTION rc.count_hit(
    p_bucket text, p_client text, p_window_s double precision,
    at_s double precision DEFAULT NULL)
RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    now_s double precision := coalesce(at_s, extract(epoch FROM clock_timestamp()));
    this_window bigint := floor(now_s / p_window_s);
    elapsed double precision := now_s / p_window_s - floor(now_s / p_window_s);
    this_hits integer;
    last_hits integer;
BEGIN
    INSERT INTO rc.rate_hit AS r (bucket, client, window_no, hits)
    VALUES (p_bucket, p_client, this_window, 1)
    ON CONFLICT (bucket, client, window_no) DO UPDATE SET hits = r.hits + 1
    RETURNING hits INTO this_hits;
    SELECT hits INTO last_hits FROM rc.rate_hit
    WHERE bucket = p_bucket AND client = p_client AND window_no = this_window - 1;
    IF random() < 0.01 THEN   -- now and then, forget every client's old windows
        DELETE FROM rc.rate_hit WHERE bucket = p_bucket AND window_no < this_window - 1;
    END IF;
    RETURN this_hits + coalesce(last_hits, 0) * (1 - elapsed);
END;
$$;
