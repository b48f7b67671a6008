-- The zone local times are read in (opening hours, expiry dates by the local day): the one
-- definition, used by every SQL function given no zone and read by the app (gis.network_locale)
-- for "today", "this year" and /health.

CREATE OR REPLACE FUNCTION rc.local_zone(OUT zone text, OUT zone_from text, OUT country text)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(s.setting, n.timezone, 'UTC'),
           CASE WHEN s.setting IS NOT NULL THEN 'RC_TIMEZONE'
                WHEN n.timezone IS NOT NULL THEN 'network'
                WHEN n.id IS NULL THEN 'UTC: no network loaded'
                ELSE 'UTC: the loaded network has no time zone' END,
           n.country::text
    FROM (SELECT nullif(current_setting('rc.timezone', true), '') AS setting) s
    LEFT JOIN LATERAL (SELECT id, timezone, country FROM rc.network
                       ORDER BY id DESC LIMIT 1) n ON true;
$$;
COMMENT ON FUNCTION rc.local_zone() IS
    'The time zone local times are read in and where it came from: RC_TIMEZONE (the app sets '
    'it as the connection''s rc.timezone), else the loaded network''s zone, else UTC (and why); '
    'with the loaded network''s country';
