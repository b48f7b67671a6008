-- Candidates for one dispatch, near the patient and available at the given time.
-- plpgsql so the bodies are checked when called, not when this file is applied (they use
-- registry functions applied from another file).

CREATE OR REPLACE FUNCTION rc._search_box(lon double precision, lat double precision,
                                            radius_m double precision)
RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- A degree box holding the circle, so the GiST index on geom narrows the search before
    -- the distance is computed (1 degree of latitude >= 110,574 m).
    SELECT ST_Expand(ST_SetSRID(ST_MakePoint(lon, lat), 4326),
                     radius_m / (110574.0 * greatest(cos(radians(least(abs(lat), 89.0))), 0.01)));
$$;
COMMENT ON FUNCTION rc._search_box(double precision, double precision, double precision) IS
    'A 4326 box containing the circle of radius_m around (lon, lat), for index searches';

CREATE OR REPLACE FUNCTION rc.ground_m(lon1 double precision, lat1 double precision,
                                       lon2 double precision, lat2 double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- Metres per degree of latitude and of longitude at the pair's mean latitude (WGS84
    -- ellipsoid series): within 0.005 % of the geodesic up to 50 km apart, without the
    -- geography cast and spheroid iteration per row (4x faster over the dispatch candidates).
    SELECT sqrt(((lon2 - lon1) * (111412.84 * cos(radians((lat1 + lat2) / 2))
                                  - 93.5 * cos(3 * radians((lat1 + lat2) / 2))))^2
                + ((lat2 - lat1) * (111132.92 - 559.82 * cos(2 * radians((lat1 + lat2) / 2))
                                    + 1.175 * cos(4 * radians((lat1 + lat2) / 2))))^2);
$$;
COMMENT ON FUNCTION rc.ground_m(double precision, double precision, double precision,
    double precision) IS
    'Straight-line metres between two WGS84 points up to 50 km apart (within 0.005 % of the geodesic): for ranking and radius tests over many rows';

CREATE OR REPLACE FUNCTION rc.level_floor(level text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(substring(level FROM '^\s*(-?[0-9]{1,3})')::integer, 0);
$$;
COMMENT ON FUNCTION rc.level_floor(text) IS
    'The floor of an OSM level value: its first whole number (level=-1 a basement, 2;3 the 2nd), 0 without one';

CREATE OR REPLACE FUNCTION rc._claimed_units(kind text, for_incident integer)
RETURNS TABLE (unit_id integer)
LANGUAGE sql STABLE AS $$
    -- A plain query the planner inlines: over many candidates, NOT EXISTS on it is one anti
    -- join, where _claimed_elsewhere per row runs a query per row.
    SELECT c.unit_id FROM rc.assignment c
    WHERE c.unit_kind = kind AND c.released_at IS NULL
      AND c.incident_id IS DISTINCT FROM for_incident;
$$;
COMMENT ON FUNCTION rc._claimed_units(text, integer) IS
    'The units of a kind sent to an active incident other than for_incident';

CREATE OR REPLACE FUNCTION rc._claimed_elsewhere(kind text, unit integer, for_incident integer)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM rc._claimed_units(kind, for_incident) c
                   WHERE c.unit_id = unit);
$$;
COMMENT ON FUNCTION rc._claimed_elsewhere(text, integer, integer) IS
    'Whether the unit is sent to an active incident other than for_incident';

CREATE OR REPLACE FUNCTION rc._claimed_by(kind text, unit integer, incident integer)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM rc.assignment c
                   WHERE c.unit_kind = kind AND c.unit_id = unit AND c.released_at IS NULL
                     AND c.incident_id = incident);
$$;
COMMENT ON FUNCTION rc._claimed_by(text, integer, integer) IS
    'Whether the unit is sent to the given incident';

CREATE OR REPLACE FUNCTION rc.dispatch_volunteers(
    lon double precision, lat double precision, radius_m double precision,
    at timestamptz, max_age_s double precision, for_incident integer DEFAULT NULL,
    max_count integer DEFAULT NULL)
RETURNS TABLE (id integer, vlon double precision, vlat double precision, level text,
               observed_at timestamptz)
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    today date := (at AT TIME ZONE (SELECT z.zone FROM rc.local_zone() z))::date;
    -- A plan for now reads each volunteer's latest position; one for a past moment (a test
    -- pinned to a date, a replay) reads the history of that moment's freshness window.
    live boolean := at >= now() - interval '1 minute';
    box geometry := rc._search_box(lon, lat, radius_m);
BEGIN
    IF radius_m <= 0 OR radius_m > 50000 THEN
        RAISE EXCEPTION 'radius_m = % is outside the allowed range 0 to 50000', radius_m
            USING ERRCODE = '22023';
    END IF;
    IF max_count < 1 THEN
        RAISE EXCEPTION 'max_count = % is outside the allowed range 1 or more', max_count
            USING ERRCODE = '22023';
    END IF;
    -- Each volunteer's position at `at` (a position seen after it is not where they were
    -- then, beyond the 5 minutes a phone's clock may run ahead), fresh and near the patient;
    -- the nearest max_count in a straight line, those already sent to for_incident first.
    RETURN QUERY
    WITH seen AS (
        SELECT p.volunteer_id, p.geom, p.observed_at
        FROM rc.volunteer_position_latest p
        WHERE live AND p.geom && box
          AND p.observed_at BETWEEN at - make_interval(secs => max_age_s)
                                AND at + interval '5 minutes'
        UNION ALL
        SELECT h.volunteer_id, h.geom, h.observed_at
        FROM (SELECT DISTINCT ON (vp.volunteer_id) vp.volunteer_id, vp.geom, vp.observed_at
              FROM rc.volunteer_position vp
              WHERE NOT live
                AND vp.observed_at BETWEEN at - make_interval(secs => max_age_s)
                                       AND at + interval '5 minutes'
              ORDER BY vp.volunteer_id, vp.observed_at DESC) h
        WHERE h.geom && box)
    SELECT v.id, ST_X(s.geom), ST_Y(s.geom), v.level, s.observed_at
    FROM seen s
    JOIN rc.volunteer v ON v.id = s.volunteer_id
    WHERE v.availability = 'available' AND v.status = 'active'
      AND (v.certified_until IS NULL OR v.certified_until >= today)
      AND NOT EXISTS (SELECT 1 FROM rc._claimed_units('volunteer', for_incident) c
                      WHERE c.unit_id = v.id)
      AND rc.ground_m(lon, lat, ST_X(s.geom), ST_Y(s.geom)) <= radius_m
    ORDER BY for_incident IS NOT NULL AND rc._claimed_by('volunteer', v.id, for_incident) DESC,
             rc.ground_m(lon, lat, ST_X(s.geom), ST_Y(s.geom)), v.id
    LIMIT max_count;
END;
$$;
COMMENT ON FUNCTION rc.dispatch_volunteers(double precision, double precision, double precision,
    timestamptz, double precision, integer, integer) IS
    'Approved, available volunteers with a valid certificate, not sent to an incident other than for_incident, whose position at the given time (the latest, for a plan for now) is not older than max_age_s and within radius_m: the nearest max_count (NULL: all), those sent to for_incident first';

CREATE OR REPLACE FUNCTION rc.dispatch_aeds(
    lon double precision, lat double precision, radius_m double precision, at timestamptz,
    for_incident integer DEFAULT NULL)
RETURNS TABLE (id integer, alon double precision, alat double precision, floor integer)
LANGUAGE plpgsql STABLE SET jit = off AS $$
BEGIN
    RETURN QUERY
    SELECT near.id, ST_X(near.geom), ST_Y(near.geom),
           rc.level_floor(near.level)
    FROM (SELECT a.id, a.geom, a.level FROM rc.aed a
          WHERE a.geom && rc._search_box(lon, lat, radius_m)
            AND rc.ground_m(lon, lat, ST_X(a.geom), ST_Y(a.geom)) <= radius_m
          OFFSET 0) near                         -- distance first, availability on the few left
    WHERE rc.aed_available_at(near.id, at)
      AND NOT rc._claimed_elsewhere('aed', near.id, for_incident);
END;
$$;
COMMENT ON FUNCTION rc.dispatch_aeds(double precision, double precision, double precision,
    timestamptz, integer) IS
    'AEDs within radius_m that are available at the given time and not sent to an incident other than for_incident, with their floor (the first number of OSM level, 0 without one)';

CREATE OR REPLACE FUNCTION rc.dispatch_ambulances(
    lon double precision, lat double precision, radius_m double precision, at timestamptz,
    max_age_s double precision, for_incident integer DEFAULT NULL)
RETURNS TABLE (id integer, station_id integer, call_sign text, kind text,
               alon double precision, alat double precision, live boolean)
LANGUAGE sql STABLE AS $$
    WITH fleet AS (
        SELECT a.id, a.station_id, a.call_sign, a.kind,
               coalesce(p.geom, s.geom) AS geom, p.geom IS NOT NULL AS live
        FROM rc.ambulance a
        JOIN rc.station s ON s.id = a.station_id
        LEFT JOIN LATERAL (
            SELECT ap.geom FROM rc.ambulance_position ap
            WHERE ap.ambulance_id = a.id AND ap.observed_at <= at
              AND ap.observed_at > at - make_interval(secs => max_age_s)
            ORDER BY ap.observed_at DESC LIMIT 1) p ON true
        WHERE (a.status = 'available' AND NOT rc._claimed_elsewhere('ambulance', a.id, NULL))
           OR (for_incident IS NOT NULL AND rc._claimed_by('ambulance', a.id, for_incident)))
    SELECT f.id, f.station_id, f.call_sign, f.kind, ST_X(f.geom), ST_Y(f.geom), f.live
    FROM fleet f
    WHERE rc.ground_m(lon, lat, ST_X(f.geom), ST_Y(f.geom)) <= radius_m;
$$;
COMMENT ON FUNCTION rc.dispatch_ambulances(double precision, double precision,
    double precision, timestamptz, double precision, integer)
    IS 'Available ambulances not sent anywhere (and the one already sent to for_incident) within radius_m: at their live position when one is at most max_age_s old at the given time, else at their station (live = false)';

CREATE OR REPLACE FUNCTION rc.dispatch_pads(lon double precision, lat double precision,
                                            for_incident integer DEFAULT NULL)
RETURNS TABLE (id integer, plon double precision, plat double precision,
               range_km real, cruise_speed_kmh real)
LANGUAGE sql STABLE AS $$
    SELECT d.id, ST_X(d.geom), ST_Y(d.geom), d.range_km, d.cruise_speed_kmh
    FROM rc.drone_pad d
    WHERE d.status = 'ready' AND NOT rc._claimed_elsewhere('drone_pad', d.id, for_incident)
      AND rc.ground_m(lon, lat, ST_X(d.geom), ST_Y(d.geom)) <= d.range_km * 1000;
$$;
COMMENT ON FUNCTION rc.dispatch_pads(double precision, double precision, integer) IS
    'Ready drone pads whose drone can reach the point and is not flying to an incident other than for_incident';

CREATE OR REPLACE FUNCTION rc.area_kind(lon double precision, lat double precision)
RETURNS text
LANGUAGE sql STABLE AS $$
    WITH here AS (
        SELECT ST_Buffer(ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography,
                         564.19)::geometry AS km2)   -- a disc of 1 km2 round the point
    SELECT coalesce(
        (SELECT d.kind FROM rc.district d
         WHERE ST_Intersects(d.geom, ST_SetSRID(ST_MakePoint(lon, lat), 4326))
         ORDER BY d.kind = 'urban' DESC LIMIT 1),
        (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM rc.population) THEN NULL
                     WHEN coalesce(sum(p.population
                                       * ST_Area(ST_Intersection(p.geom, h.km2)::geography)
                                       / nullif(ST_Area(p.geom::geography), 0)), 0) >= 300
                     THEN 'urban' ELSE 'rural' END
         FROM here h LEFT JOIN rc.population p ON ST_Intersects(p.geom, h.km2)),
        'urban');
$$;
COMMENT ON FUNCTION rc.area_kind(double precision, double precision) IS
    'urban or rural: the kind of district the point lies in; outside every district, urban when the square kilometre round it holds 300 people or more (the Degree of Urbanisation''s urban-cluster density), rural when fewer; urban when no population is loaded either';
