-- Vector tiles (Mapbox Vector Tile, WebMercatorQuad): one function per public layer,
-- rc.tile_<layer>(z, x, y) -> bytea, plus rc.tile_basemap. Rows keep their id both as the
-- MVT feature id and as an `id` property (ST_AsMVT drops the id column from the properties).
-- Geometries are SRID 4326; the tile envelope is built in 3857 and transformed with INTEGER
-- SRIDs only (pygeoapi's stock provider passes the CRS as text to ST_Transform and is some
-- 600x slower). Candidates are found with the GiST index (`geom && box`), then clipped and
-- quantised by ST_AsMVTGeom.
--
-- At low zooms: roads are filtered by class (rc._road_minzoom), lines and polygons are
-- simplified to a tile unit, AEDs are aggregated into 64-unit grid cells below zoom 12, and no
-- tile carries more than rc._tile_cap() features per layer.
--
-- JIT is off in every tile function: PostgreSQL 15 compiles a plan whose cost passes
-- jit_above_cost (a low-zoom tile over 50,000 AEDs does) in 300-500 ms, far longer than the
-- query runs without it.
--
-- Cache invalidation: rc.tile_source_version (migration 0008) holds a version per source
-- table, bumped by statement triggers; gis/tiles.py puts it in every tile's ETag.

CREATE OR REPLACE FUNCTION rc._tile_envelope(z integer, x integer, y integer)
RETURNS geometry LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF z < 0 OR z > 22 THEN
        RAISE EXCEPTION 'z = % is outside the allowed range 0 to 22', z USING ERRCODE = '22023';
    END IF;
    IF x < 0 OR x >= (1 << z) THEN
        RAISE EXCEPTION 'x = % is outside the allowed range 0 to % at zoom %', x, (1 << z) - 1, z
            USING ERRCODE = '22023';
    END IF;
    IF y < 0 OR y >= (1 << z) THEN
        RAISE EXCEPTION 'y = % is outside the allowed range 0 to % at zoom %', y, (1 << z) - 1, z
            USING ERRCODE = '22023';
    END IF;
    RETURN ST_TileEnvelope(z, x, y);  -- EPSG:3857
END;
$$;
COMMENT ON FUNCTION rc._tile_envelope(integer, integer, integer) IS
    'The WebMercatorQuad tile z/x/y in EPSG:3857; 22023 when z is not 0-22 or x, y not 0-2^z-1';

-- The tile's envelope grown by `buffer` tile units (of 4096), in SRID 4326 for the GiST index.
CREATE OR REPLACE FUNCTION rc._tile_search_box(envelope geometry, buffer integer)
RETURNS geometry LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_Transform(
        ST_Expand(envelope, (ST_XMax(envelope) - ST_XMin(envelope)) * buffer / 4096.0), 4326);
$$;

-- One tile unit in metres of EPSG:3857: the simplification tolerance at that zoom.
CREATE OR REPLACE FUNCTION rc._tile_unit_m(envelope geometry)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (ST_XMax(envelope) - ST_XMin(envelope)) / 4096.0;
$$;

CREATE OR REPLACE FUNCTION rc._tile_cap()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 20000;  -- features per layer and tile; a safety net, zoom rules keep tiles smaller
$$;

CREATE OR REPLACE FUNCTION rc._road_minzoom(road_class text)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN road_class IN ('motorway', 'motorway_link', 'trunk', 'trunk_link') THEN 5
        WHEN road_class IN ('primary', 'primary_link') THEN 8
        WHEN road_class IN ('secondary', 'secondary_link') THEN 10
        WHEN road_class IN ('tertiary', 'tertiary_link') THEN 11
        WHEN road_class IN ('residential', 'unclassified', 'living_street', 'road') THEN 13
        ELSE 14  -- service, track, pedestrian, footway, path, steps, cycleway, ...
    END;
$$;
COMMENT ON FUNCTION rc._road_minzoom(text) IS 'The lowest zoom whose tiles carry this road class';

-- The basemap's coarser road classes, for styling.
CREATE OR REPLACE FUNCTION rc._road_kind(road_class text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN road_class IN ('motorway', 'motorway_link', 'trunk', 'trunk_link') THEN 'highway'
        WHEN road_class IN ('primary', 'primary_link', 'secondary', 'secondary_link') THEN 'major'
        WHEN road_class IN ('tertiary', 'tertiary_link') THEN 'medium'
        WHEN road_class IN ('footway', 'path', 'steps', 'pedestrian', 'cycleway', 'track',
                            'bridleway') THEN 'path'
        ELSE 'minor'
    END;
$$;

CREATE OR REPLACE FUNCTION rc.tile_aeds(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    n double precision := (1 << z);  -- tiles per row at zoom z
    tile bytea;
BEGIN
    IF z >= 12 THEN
        SELECT ST_AsMVT(t, 'aeds', 4096, 'geom', 'feature_id') INTO tile FROM (
            SELECT a.id AS feature_id, a.id, a.name, a.status, a.access, a.opening_hours,
                   a.indoor, a.level, a.location_text, 1 AS point_count,
                   ST_AsMVTGeom(ST_Transform(a.geom, 3857), envelope, 4096, 64, true) AS geom
            FROM rc.aed a
            WHERE a.geom && rc._tile_search_box(envelope, 64)
            ORDER BY a.id
            LIMIT rc._tile_cap()) t;
    ELSE
        -- Counted per cell of 64x64 units (at most 4,096 per tile), each AED in the one tile
        -- and cell its position falls in, so the counts of all tiles add up to the total. The
        -- cell is found with Web Mercator arithmetic on lon/lat: three times faster than
        -- ST_Transform + ST_AsMVTGeom on 50,000 points (46 against 148 ms).
        SELECT ST_AsMVT(t, 'aeds', 4096, 'geom') INTO tile FROM (
            SELECT count(*)::integer AS point_count,
                   (count(*) FILTER (WHERE p.status = 'ready'))::integer AS ready_count,
                   ST_MakePoint(p.cx * 64 + 32, p.cy * 64 + 32) AS geom
            FROM (
                SELECT a.status,
                       floor(((ST_X(a.geom) + 180) / 360 * n - x) * 64)::integer AS cx,
                       floor(((1 - asinh(tan(radians(ST_Y(a.geom)))) / pi()) / 2 * n - y)
                             * 64)::integer AS cy
                FROM rc.aed a
                WHERE a.geom && rc._tile_search_box(envelope, 0)) p
            WHERE p.cx BETWEEN 0 AND 63 AND p.cy BETWEEN 0 AND 63
            GROUP BY p.cx, p.cy) t;
    END IF;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_aeds(integer, integer, integer) IS
    'MVT layer aeds: one feature per AED from zoom 12, counts per 64-unit cell below';

CREATE OR REPLACE FUNCTION rc.tile_stations(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    tile bytea;
BEGIN
    SELECT ST_AsMVT(t, 'stations', 4096, 'geom', 'feature_id') INTO tile FROM (
        SELECT s.id AS feature_id, s.id, s.name, s.ref, s.address,
               ST_AsMVTGeom(ST_Transform(s.geom, 3857), envelope, 4096, 64, true) AS geom
        FROM rc.station s
        WHERE s.geom && rc._tile_search_box(envelope, 64)
        ORDER BY s.id
        LIMIT rc._tile_cap()) t;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_stations(integer, integer, integer) IS 'MVT layer stations';

CREATE OR REPLACE FUNCTION rc.tile_hospitals(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    tile bytea;
BEGIN
    SELECT ST_AsMVT(t, 'hospitals', 4096, 'geom', 'feature_id') INTO tile FROM (
        SELECT h.id AS feature_id, h.id, h.name,
               ST_AsMVTGeom(ST_Transform(h.geom, 3857), envelope, 4096, 64, true) AS geom
        FROM rc.hospital h
        WHERE h.geom && rc._tile_search_box(envelope, 64)
        ORDER BY h.id
        LIMIT rc._tile_cap()) t;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_hospitals(integer, integer, integer) IS 'MVT layer hospitals';

CREATE OR REPLACE FUNCTION rc.tile_drone_pads(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    tile bytea;
BEGIN
    SELECT ST_AsMVT(t, 'drone_pads', 4096, 'geom', 'feature_id') INTO tile FROM (
        SELECT d.id AS feature_id, d.id, d.name, d.status, d.range_km, d.cruise_speed_kmh,
               ST_AsMVTGeom(ST_Transform(d.geom, 3857), envelope, 4096, 64, true) AS geom
        FROM rc.drone_pad d
        WHERE d.geom && rc._tile_search_box(envelope, 64)
        ORDER BY d.id
        LIMIT rc._tile_cap()) t;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_drone_pads(integer, integer, integer) IS 'MVT layer drone_pads';

CREATE OR REPLACE FUNCTION rc.tile_training_sites(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    tile bytea;
BEGIN
    SELECT ST_AsMVT(t, 'training_sites', 4096, 'geom', 'feature_id') INTO tile FROM (
        SELECT s.id AS feature_id, s.id, s.name, s.address,
               ST_AsMVTGeom(ST_Transform(s.geom, 3857), envelope, 4096, 64, true) AS geom
        FROM rc.training_site s
        WHERE s.geom && rc._tile_search_box(envelope, 64)
        ORDER BY s.id
        LIMIT rc._tile_cap()) t;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_training_sites(integer, integer, integer) IS
    'MVT layer training_sites';

CREATE OR REPLACE FUNCTION rc.tile_districts(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    unit_m double precision := rc._tile_unit_m(envelope);
    tile bytea;
BEGIN
    SELECT ST_AsMVT(t, 'districts', 4096, 'geom', 'feature_id') INTO tile FROM (
        SELECT d.id AS feature_id, d.id, d.code, d.name, d.kind,
               ST_AsMVTGeom(ST_Simplify(ST_Transform(d.geom, 3857), unit_m, true),
                            envelope, 4096, 64, true) AS geom
        FROM rc.district d
        WHERE d.geom && rc._tile_search_box(envelope, 64)
        ORDER BY d.id
        LIMIT rc._tile_cap()) t;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_districts(integer, integer, integer) IS
    'MVT layer districts, simplified to one tile unit';

CREATE OR REPLACE FUNCTION rc.tile_road_edges(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    unit_m double precision := rc._tile_unit_m(envelope);
    tile bytea;
BEGIN
    SELECT ST_AsMVT(t, 'road_edges', 4096, 'geom', 'feature_id') INTO tile FROM (
        SELECT e.id AS feature_id, e.id, e.osm_way_id, e.road_class, e.name, e.length_m,
               e.maxspeed_kmh,
               e.cost_drive_s, e.reverse_cost_drive_s, e.cost_walk_s, e.reverse_cost_walk_s,
               e.cost_bike_s, e.reverse_cost_bike_s, e.island_drive, e.island_walk,
               e.island_bike,
               ST_AsMVTGeom(CASE WHEN z < 14 THEN ST_Simplify(ST_Transform(e.geom, 3857), unit_m)
                                 ELSE ST_Transform(e.geom, 3857) END,
                            envelope, 4096, 64, true) AS geom
        FROM rc.road_edge e
        WHERE e.geom && rc._tile_search_box(envelope, 64)
          AND rc._road_minzoom(e.road_class) <= z
        LIMIT rc._tile_cap()) t;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_road_edges(integer, integer, integer) IS
    'MVT layer road_edges with per-mode costs; classes by zoom (rc._road_minzoom)';

CREATE OR REPLACE FUNCTION rc.tile_basemap(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    unit_m double precision := rc._tile_unit_m(envelope);
    districts bytea;
    roads bytea;
BEGIN
    SELECT ST_AsMVT(t, 'districts', 4096, 'geom') INTO districts FROM (
        SELECT d.name, d.kind,
               ST_AsMVTGeom(ST_Simplify(ST_Transform(d.geom, 3857), unit_m, true),
                            envelope, 4096, 64, true) AS geom
        FROM rc.district d
        WHERE d.geom && rc._tile_search_box(envelope, 64)
        LIMIT rc._tile_cap()) t;
    SELECT ST_AsMVT(t, 'roads', 4096, 'geom') INTO roads FROM (
        SELECT rc._road_kind(e.road_class) AS kind, e.road_class, e.name,
               ST_AsMVTGeom(CASE WHEN z < 14 THEN ST_Simplify(ST_Transform(e.geom, 3857), unit_m)
                                 ELSE ST_Transform(e.geom, 3857) END,
                            envelope, 4096, 64, true) AS geom
        FROM rc.road_edge e
        WHERE e.geom && rc._tile_search_box(envelope, 64)
          AND rc._road_minzoom(e.road_class) <= z
        LIMIT rc._tile_cap()) t;
    -- MVT layers are independent protobuf messages: a tile of two layers is their concatenation.
    RETURN coalesce(districts, ''::bytea) || coalesce(roads, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_basemap(integer, integer, integer) IS
    'MVT basemap: layers districts and roads (kind: highway, major, medium, minor, path)';

-- Population from zoom 10: each raster cell or zone with its people and density (people per
-- km²), simplified to a tile unit; pieces smaller than a tile unit vanish in ST_AsMVTGeom.
CREATE OR REPLACE FUNCTION rc.tile_population(z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $$
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    unit_m double precision := rc._tile_unit_m(envelope);
    tile bytea;
BEGIN
    IF z < 10 THEN
        RETURN ''::bytea;
    END IF;
    SELECT ST_AsMVT(t, 'population', 4096, 'geom', 'feature_id') INTO tile FROM (
        SELECT p.id AS feature_id, p.id,
               round(p.population::numeric, 1)::double precision AS people,  -- numeric: text
               round(p.population / greatest(ST_Area(p.geom::geography) / 1e6, 1e-9))::integer
                   AS people_per_km2,
               ST_AsMVTGeom(ST_Simplify(ST_Transform(p.geom, 3857), unit_m, true),
                            envelope, 4096, 16, true) AS geom
        FROM rc.population p
        WHERE p.geom && rc._tile_search_box(envelope, 16) AND p.population > 0
        ORDER BY p.id
        LIMIT rc._tile_cap()) t;
    RETURN coalesce(tile, ''::bytea);
END;
$$;
COMMENT ON FUNCTION rc.tile_population(integer, integer, integer) IS
    'MVT layer population from zoom 10: people and people per km² per cell or zone';
