-- Loading the demo city's registry data (demo_extras.json), each from one JSON array so a
-- whole layer goes in with one statement. Rows of source 'demo' are replaced; rows that came
-- from elsewhere are left alone.

CREATE OR REPLACE FUNCTION rc._demo_aed_registry(registry jsonb)
RETURNS integer LANGUAGE sql AS $$
    WITH updated AS (
        UPDATE rc.aed a
        SET status = r.value ->> 'status',
            battery_expires_on = (r.value ->> 'battery_expires_on')::date,
            pads_expire_on = (r.value ->> 'pads_expire_on')::date,
            last_inspected_at = (r.value ->> 'last_inspected_at')::timestamptz,
            updated_at = now()
        FROM jsonb_each(registry) r
        WHERE a.ref = r.key
        RETURNING 1)
    SELECT count(*)::integer FROM updated;
$$;

CREATE OR REPLACE FUNCTION rc._demo_ambulances(ambulances jsonb)
RETURNS integer LANGUAGE sql AS $$
    WITH rows AS (
        INSERT INTO rc.ambulance (station_id, call_sign, status)
        SELECT s.id, a ->> 'call_sign', a ->> 'status'
        FROM jsonb_each(ambulances) st
        JOIN rc.station s ON s.ref = st.key
        CROSS JOIN jsonb_array_elements(st.value) a
        ON CONFLICT (call_sign) DO UPDATE
            SET station_id = EXCLUDED.station_id, status = EXCLUDED.status
        RETURNING 1)
    SELECT count(*)::integer FROM rows;
$$;

CREATE OR REPLACE FUNCTION rc._demo_points(layer text, items jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    loaded integer;
BEGIN
    IF layer = 'drone_pad' THEN
        DELETE FROM rc.drone_pad WHERE source = 'demo';
        INSERT INTO rc.drone_pad (name, range_km, cruise_speed_kmh, source, geom)
        SELECT i ->> 'name', (i ->> 'range_km')::real, (i ->> 'cruise_speed_kmh')::real, 'demo',
               ST_SetSRID(ST_MakePoint((i ->> 'lon')::float8, (i ->> 'lat')::float8), 4326)
        FROM jsonb_array_elements(items) i;
    ELSIF layer = 'training_site' THEN
        DELETE FROM rc.training_site WHERE source = 'demo';
        INSERT INTO rc.training_site (name, source, geom)
        SELECT i ->> 'name', 'demo',
               ST_SetSRID(ST_MakePoint((i ->> 'lon')::float8, (i ->> 'lat')::float8), 4326)
        FROM jsonb_array_elements(items) i;
    ELSIF layer = 'district' THEN
        DELETE FROM rc.district WHERE source = 'demo';
        INSERT INTO rc.district (code, name, kind, source, geom)
        SELECT i ->> 'code', i ->> 'name', i ->> 'kind', 'demo',
               ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(i -> 'geometry'), 4326))
        FROM jsonb_array_elements(items) i;
    ELSIF layer = 'volunteer' THEN
        DELETE FROM rc.volunteer WHERE source = 'demo';
        WITH v AS (
            INSERT INTO rc.volunteer (name, level, availability, source)
            SELECT i ->> 'name', i ->> 'level', i ->> 'availability', 'demo'
            FROM jsonb_array_elements(items) WITH ORDINALITY AS e (i, n)
            ORDER BY n
            RETURNING id, name)
        INSERT INTO rc.volunteer_position (volunteer_id, accuracy_m, geom)
        SELECT v.id, (i ->> 'accuracy_m')::real,
               ST_SetSRID(ST_MakePoint((i ->> 'lon')::float8, (i ->> 'lat')::float8), 4326)
        FROM v JOIN jsonb_array_elements(items) i ON i ->> 'name' = v.name;
    ELSE
        RAISE EXCEPTION 'unknown demo layer %', layer USING ERRCODE = '22023';
    END IF;
    SELECT jsonb_array_length(items) INTO loaded;
    RETURN loaded;
END;
$$;

CREATE OR REPLACE FUNCTION rc._demo_hospitals_and_air()
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    main_id integer;
    loaded integer;
BEGIN
    -- The demo's hospitals all take ambulances; the first is the tertiary centre with a chest
    -- pain and stroke unit, a rooftop helipad and the city's air-ambulance base beside it, so
    -- plans name destinations and the air rescue indicators have something to count.
    SELECT min(id) INTO main_id FROM rc.hospital;
    UPDATE rc.hospital SET emergency = true,
        grade = CASE WHEN id = main_id THEN '3a' ELSE '2' END,
        capabilities = CASE WHEN id = main_id THEN ARRAY['chest_pain', 'stroke', 'trauma']
                       ELSE ARRAY[]::text[] END,
        helipad = (id = main_id);
    DELETE FROM rc.helipad WHERE source = 'demo';
    INSERT INTO rc.helipad (name, kind, helicopters, source, geom)
    SELECT coalesce(h.name, 'Hospital') || ' ' || k.label, k.kind, k.helicopters, 'demo',
           ST_Translate(h.geom, k.dx, 0)
    FROM rc.hospital h,
         (VALUES ('helipad', 'helipad', 0, 0.0), ('air base', 'air_base', 1, 0.002))
             AS k (label, kind, helicopters, dx)
    WHERE h.id = main_id;
    GET DIAGNOSTICS loaded = ROW_COUNT;
    RETURN loaded;
END;
$$;
COMMENT ON FUNCTION rc._demo_hospitals_and_air() IS
    'Demo loader helper: emergency departments, a tertiary centre with its capabilities, its helipad and an air base';
