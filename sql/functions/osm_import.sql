-- OSM import helpers: upsert facilities found in an extract, keyed by (osm_type, osm_id).
-- Each takes a JSON array of objects {osm_type, osm_id, lon, lat, <columns>} and returns the
-- number of rows written. Only OSM-derived columns are updated on conflict, so registry fields
-- (AED status, inspection dates, ambulances of a station) survive a re-import.

CREATE OR REPLACE FUNCTION rc._osm_upsert_aeds(pois jsonb)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH written AS (
        INSERT INTO rc.aed AS a (osm_type, osm_id, source, name, ref, owner, phone, address,
                                 location_text, indoor, level, opening_hours, access, geom)
        SELECT p.osm_type, p.osm_id, 'osm', p.name, p.ref, p.owner, p.phone, p.address,
               p.location_text, p.indoor, p.level, p.opening_hours, p.access,
               ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
        FROM jsonb_to_recordset(pois) AS p (
            osm_type char(1), osm_id bigint, lon double precision, lat double precision,
            name text, ref text, owner text, phone text, address text, location_text text,
            indoor boolean, level text, opening_hours text, access text)
        ON CONFLICT (osm_type, osm_id) DO UPDATE SET
            name = EXCLUDED.name, ref = EXCLUDED.ref, owner = EXCLUDED.owner,
            phone = EXCLUDED.phone, address = EXCLUDED.address,
            location_text = EXCLUDED.location_text, indoor = EXCLUDED.indoor,
            level = EXCLUDED.level, opening_hours = EXCLUDED.opening_hours,
            access = EXCLUDED.access, geom = EXCLUDED.geom, updated_at = now()
        RETURNING 1
    )
    SELECT count(*)::integer FROM written;
$$;
COMMENT ON FUNCTION rc._osm_upsert_aeds(jsonb) IS
    'OSM import helper: insert or update AEDs (emergency=defibrillator) by osm_type/osm_id';

CREATE OR REPLACE FUNCTION rc._osm_upsert_hospitals(pois jsonb)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH written AS (
        INSERT INTO rc.hospital AS h (osm_type, osm_id, source, name, emergency, geom)
        SELECT p.osm_type, p.osm_id, 'osm', p.name, p.emergency,
               ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
        FROM jsonb_to_recordset(pois) AS p (
            osm_type char(1), osm_id bigint, lon double precision, lat double precision,
            name text, emergency boolean)
        ON CONFLICT (osm_type, osm_id) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom,
            emergency = coalesce(EXCLUDED.emergency, h.emergency)
        RETURNING 1
    )
    SELECT count(*)::integer FROM written;
$$;
COMMENT ON FUNCTION rc._osm_upsert_hospitals(jsonb) IS
    'OSM import helper: insert or update hospitals (amenity=hospital, healthcare=hospital; emergency=yes/no) by osm_type/osm_id';

CREATE OR REPLACE FUNCTION rc._osm_upsert_stations(pois jsonb)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH written AS (
        INSERT INTO rc.station AS s (osm_type, osm_id, source, kind, name, ref, address, geom)
        SELECT p.osm_type, p.osm_id, 'osm', p.kind, p.name, p.ref, p.address,
               ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
        FROM jsonb_to_recordset(pois) AS p (
            osm_type char(1), osm_id bigint, lon double precision, lat double precision,
            kind text, name text, ref text, address text)
        ON CONFLICT (osm_type, osm_id) DO UPDATE SET
            kind = EXCLUDED.kind, name = EXCLUDED.name, ref = EXCLUDED.ref,
            address = EXCLUDED.address, geom = EXCLUDED.geom
        RETURNING 1
    )
    SELECT count(*)::integer FROM written;
$$;
COMMENT ON FUNCTION rc._osm_upsert_stations(jsonb) IS
    'OSM import helper: insert or update stations by osm_type/osm_id: ambulance stations '
    '(emergency=ambulance_station, kind ambulance) and fire stations (amenity=fire_station, '
    'kind fire) as co-located ambulance posts';

CREATE OR REPLACE FUNCTION rc._osm_upsert_venues(pois jsonb)
RETURNS integer LANGUAGE sql VOLATILE AS $$
    WITH written AS (
        INSERT INTO rc.aed_venue AS v (osm_type, osm_id, source, kind, name, address,
                                       floor_area_m2, geom, outline)
        SELECT p.osm_type, p.osm_id, 'osm', p.kind, p.name, p.address, p.floor_area_m2,
               ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326),
               ST_SetSRID(ST_GeomFromWKB(decode(p.outline, 'hex')), 4326)
        FROM jsonb_to_recordset(pois) AS p (
            osm_type char(1), osm_id bigint, lon double precision, lat double precision,
            kind text, name text, address text, floor_area_m2 double precision, outline text)
        ON CONFLICT (osm_type, osm_id) DO UPDATE SET
            kind = EXCLUDED.kind, name = EXCLUDED.name, address = EXCLUDED.address,
            floor_area_m2 = EXCLUDED.floor_area_m2, geom = EXCLUDED.geom,
            outline = EXCLUDED.outline
        RETURNING 1
    )
    SELECT count(*)::integer FROM written;
$$;
COMMENT ON FUNCTION rc._osm_upsert_venues(jsonb) IS
    'OSM import helper: insert or update venues that must have an AED (formats.venue_tags: stations, metro entrances, airports, stadiums, malls, schools, buildings over 40,000 m2) by osm_type/osm_id';
