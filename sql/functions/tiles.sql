-- Vector tiles (Mapbox Vector Tile, WebMercatorQuad): one function, rc.tile(layer, z, x, y),
-- makes the tiles of every layer. Layers are rows of rc.tile_layer and rc.tile_vector_layer
-- (migration 0020); at the end of this file, which every migrate runs after the migrations,
-- rc._tile_generate() checks the rows (rc.tile_layer_problems) and writes rc.tile from them:
-- one CASE branch per layer, its queries built from the rows' identifiers with format('%I')
-- (rc._tile_query). gis/tiles.py reads the same rows (rc.tile_catalogue) for TileJSON and OGC
-- metadata. A layer name from a request is only ever compared with the names in rc.tile; an
-- unknown one raises 22023, like a z/x/y outside the tile matrix set (rc._tile_envelope).
--
-- Rows keep their id both as the MVT feature id and as an `id` property (ST_AsMVT drops the id
-- column from the properties). Geometries are SRID 4326; the tile envelope is built in 3857 and
-- transformed with INTEGER SRIDs only (pygeoapi's stock provider passes the CRS as text to
-- ST_Transform and is some 600x slower). Candidates are found with the GiST index
-- (`geom && box`), then clipped and quantised by ST_AsMVTGeom.
--
-- At low zooms: roads are filtered by class (rc._road_minzoom, a column of rc.road_edge_tile),
-- lines and polygons are simplified to a tile unit, AEDs are aggregated into 64-unit grid cells
-- below zoom 12, and no tile carries more than rc._tile_cap() features per layer.
--
-- JIT is off in rc.tile: PostgreSQL 15 compiles a plan whose cost passes
-- jit_above_cost (a low-zoom tile over 50,000 AEDs does) in 300-500 ms, far longer than the
-- query runs without it.
--
-- Cache invalidation: rc.tile_source_version (migration 0008) holds a version per source
-- table, bumped by statement triggers; gis/tiles.py puts it in every tile's ETag, with a digest
-- of the layer's rows and of this file.

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


-- Sources with computed properties. Views are inlined by the planner: the GiST index on the
-- table is used as before, and computed columns are evaluated for the rows a tile keeps only.
-- CREATE OR REPLACE VIEW may only append columns: drop the view first to change one.

-- AEDs: point_count 1 (as the cells below zoom 12 have it) and ready_count 0/1, summed per cell.
CREATE OR REPLACE VIEW rc.aed_tile AS
SELECT a.id, a.name, a.status, a.access, a.opening_hours, a.indoor, a.level, a.location_text,
       1 AS point_count, (a.status = 'ready')::integer AS ready_count, a.geom
FROM rc.aed a;
COMMENT ON VIEW rc.aed_tile IS 'The public columns of rc.aed for tiles, with cell counts';

-- Roads with their basemap kind and the lowest zoom whose tiles carry them.
CREATE OR REPLACE VIEW rc.road_edge_tile AS
SELECT e.id, e.osm_way_id, e.road_class, e.name, e.length_m, e.maxspeed_kmh,
       e.cost_drive_s, e.reverse_cost_drive_s, e.cost_walk_s, e.reverse_cost_walk_s,
       e.cost_bike_s, e.reverse_cost_bike_s, e.island_drive, e.island_walk, e.island_bike,
       rc._road_kind(e.road_class) AS kind, rc._road_minzoom(e.road_class) AS minzoom, e.geom
FROM rc.road_edge e;
COMMENT ON VIEW rc.road_edge_tile IS 'rc.road_edge for tiles: kind and minzoom by road class';

-- Each populated raster cell or zone with its people and density (people per km²).
CREATE OR REPLACE VIEW rc.population_tile AS
SELECT p.id,
       round(p.population::numeric, 1)::double precision AS people,  -- numeric is text in MVT
       round(p.population / greatest(ST_Area(p.geom::geography) / 1e6, 1e-9))::integer
           AS people_per_km2,
       p.geom
FROM rc.population p
WHERE p.population > 0;
COMMENT ON VIEW rc.population_tile IS 'Populated cells or zones with people and people per km²';

-- What ST_AsMVT makes of a column type, as TileJSON names it: numbers, booleans, and text for
-- everything else (numeric included: ST_AsMVT writes it as a string).
CREATE OR REPLACE FUNCTION rc._tile_value_type(type regtype)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
                      'real'::regtype, 'double precision'::regtype) THEN 'Number'
        WHEN type = 'boolean'::regtype THEN 'Boolean'
        ELSE 'String'
    END;
$$;

-- The relations a source reads: itself when it is a table, else those its view's rule names.
CREATE OR REPLACE FUNCTION rc._tile_source_relations(source regclass)
RETURNS regclass[] LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.relkind IN ('r', 'p') THEN ARRAY[source]
           ELSE ARRAY(SELECT DISTINCT d.refobjid::regclass
                      FROM pg_rewrite r
                      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                       AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> source
                      WHERE r.ev_class = source) END
    FROM pg_class c WHERE c.oid = source;
$$;

-- The tile layers as gis/tiles.py serves their metadata: one row per MVT layer, in tile order,
-- with its properties' TileJSON types (from the source's column types), the tables whose
-- versions its tiles' ETags carry, and a digest of its rows (a changed row changes the ETags).
CREATE OR REPLACE FUNCTION rc.tile_catalogue()
RETURNS TABLE (tile_layer text, title text, description text, public boolean, max_age_s integer,
               vector_layer text, vector_description text, minzoom integer, fields json,
               sources text[], definition text)
LANGUAGE sql STABLE AS $$
    SELECT l.name, l.title, l.description, l.public, l.max_age_s, v.name, v.description,
           v.minzoom,
           (SELECT json_object_agg(f.name, f.type ORDER BY f.n) FROM (
                SELECT DISTINCT ON (p.name) p.name, p.n,
                       rc._tile_value_type(a.atttypid::regtype) AS type
                FROM unnest(v.properties || v.cell_properties) WITH ORDINALITY p(name, n)
                LEFT JOIN pg_attribute a
                       ON a.attrelid = to_regclass(format('rc.%I', v.source))
                      AND a.attname = p.name AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY p.name, p.n) f),
           ARRAY(SELECT c.relname::text
                 FROM unnest(rc._tile_source_relations(to_regclass(format('rc.%I', v.source))))
                      s(relation)
                 JOIN pg_class c ON c.oid = s.relation ORDER BY c.relname),
           md5(l::text || v::text)
    FROM rc.tile_layer l
    JOIN rc.tile_vector_layer v ON v.tile_layer = l.name
    ORDER BY l.position, v.position;
$$;
COMMENT ON FUNCTION rc.tile_catalogue() IS
    'The MVT layers of every tile layer with property types, source tables and a digest';

-- Everything wrong with the rows of rc.tile_layer and rc.tile_vector_layer; rc._tile_generate()
-- writes no rc.tile while there is any, so a migration adding a bad layer fails `migrate`.
-- Besides names that do not resolve: a source may read only tables that carry a tile version
-- (rc.tile_source_version, whose triggers make ETags change with the data), never a table of
-- volunteers, incidents (their events, alerts, claims), dispatches, reports, jobs or tokens, and a layer reading rc.population
-- is never public.
CREATE OR REPLACE FUNCTION rc.tile_layer_problems()
RETURNS SETOF text LANGUAGE plpgsql STABLE AS $$
DECLARE
    personal CONSTANT text[] := ARRAY['volunteer', 'volunteer_position', 'volunteer_service',
        'training_record', 'enrolment', 'incident', 'incident_event', 'alert', 'assignment',
        'dispatch', 'api_token', 'aed_report', 'job'];
    part rc.tile_vector_layer;
    label text;
    source regclass;
    rel regclass;
    is_public boolean;
    col text;
    tbl text;
BEGIN
    RETURN QUERY SELECT format('tile layer %s has no vector layers', l.name)
        FROM rc.tile_layer l
        WHERE NOT EXISTS (SELECT 1 FROM rc.tile_vector_layer v WHERE v.tile_layer = l.name);
    FOR part IN SELECT * FROM rc.tile_vector_layer ORDER BY tile_layer, position LOOP
        label := part.tile_layer || '.' || part.name;
        source := to_regclass(format('rc.%I', part.source));
        IF source IS NULL THEN
            RETURN NEXT format('%s: source rc.%I does not exist', label, part.source);
            CONTINUE;
        END IF;
        FOREACH col IN ARRAY part.properties || part.cell_properties
                || array_remove(ARRAY[part.geom_column, part.id_column, part.minzoom_column,
                                      part.order_column], NULL) LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = source
                           AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) THEN
                RETURN NEXT format('%s: %s has no column %I', label, source, col);
            END IF;
        END LOOP;
        IF part.properties && ARRAY['geom', 'feature_id']
           OR part.cell_properties && ARRAY['geom', 'cx', 'cy'] THEN
            RETURN NEXT format('%s: geom, feature_id, cx and cy are not property names', label);
        END IF;
        IF cardinality(part.properties) <> (SELECT count(DISTINCT p) FROM unnest(part.properties) p)
        THEN
            RETURN NEXT format('%s: a property is listed twice', label);
        END IF;
        IF (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = source
            AND a.attname = part.geom_column) IS DISTINCT FROM 'geometry'::regtype THEN
            RETURN NEXT format('%s: %I is not a geometry column', label, part.geom_column);
        ELSIF part.cells_below IS NOT NULL AND (
              SELECT postgis_typmod_type(a.atttypmod) FROM pg_attribute a
              WHERE a.attrelid = source AND a.attname = part.geom_column) <> 'Point' THEN
            RETURN NEXT format('%s: cells need a Point geometry column', label);
        END IF;
        IF EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = source
                   AND a.attname = ANY(part.cell_properties || part.minzoom_column)
                   AND a.atttypid NOT IN ('smallint'::regtype, 'integer'::regtype)) THEN
            RETURN NEXT format('%s: cell properties and minzoom_column are integers', label);
        END IF;
        SELECT l.public INTO is_public FROM rc.tile_layer l WHERE l.name = part.tile_layer;
        FOREACH rel IN ARRAY rc._tile_source_relations(source) LOOP
            IF (SELECT c.relkind FROM pg_class c WHERE c.oid = rel) NOT IN ('r', 'p') THEN
                RETURN NEXT format('%s: %s reads %s, which is no table', label, source, rel);
            ELSIF (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.oid = rel) <> 'rc' THEN
                RETURN NEXT format('%s: %s is not in schema rc', label, rel);
            ELSE
                tbl := (SELECT c.relname FROM pg_class c WHERE c.oid = rel);
                IF tbl = ANY(personal) OR tbl LIKE 'volunteer\_position\_%' THEN
                    RETURN NEXT format('%s: %s holds personal data and is never tiled', label,
                                       rel);
                ELSIF NOT EXISTS (SELECT 1 FROM rc.tile_source_version t
                                  WHERE t.source_table = tbl) THEN
                    RETURN NEXT format('%s: %s has no row in rc.tile_source_version (and no '
                                       'version trigger)', label, rel);
                END IF;
                IF tbl = 'population' AND is_public THEN
                    RETURN NEXT format('%s: population is never public', label);
                END IF;
            END IF;
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION rc.tile_layer_problems() IS
    'What is wrong with the tile layer rows (empty when nothing); checked on every migrate';

-- The query making one MVT layer, from the row's identifiers only (format %I), as it stands in
-- the body of rc.tile: it reads rc.tile's variables z, x, y, envelope (3857), unit_m (one tile
-- unit in metres) and n (tiles per row, 2^z). `cells`: the query below cells_below.
CREATE OR REPLACE FUNCTION rc._tile_query(layer rc.tile_vector_layer, cells boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    geom text := format('s.%I', layer.geom_column);
    row_filter text := CASE WHEN layer.minzoom_column IS NULL THEN ''
                            ELSE format(E'\n              AND s.%I <= z', layer.minzoom_column)
                       END;
    shape text := format('ST_Transform(%s, 3857)', geom);
BEGIN
    IF cells THEN
        -- Counted per cell of 64x64 units (at most 4,096 per tile), each row in the one tile
        -- and cell its position falls in, so the sums of all tiles add up to the totals. The
        -- cell is found with Web Mercator arithmetic on lon/lat: three times faster than
        -- ST_Transform + ST_AsMVTGeom on 50,000 points (46 against 148 ms).
        RETURN format($q$SELECT ST_AsMVT(t, %L, 4096, 'geom') FROM (
            SELECT %s,
                   ST_MakePoint(p.cx * 64 + 32, p.cy * 64 + 32) AS geom
            FROM (
                SELECT %s,
                       floor(((ST_X(%s) + 180) / 360 * n - x) * 64)::integer AS cx,
                       floor(((1 - asinh(tan(radians(ST_Y(%s)))) / pi()) / 2 * n - y)
                             * 64)::integer AS cy
                FROM rc.%I s
                WHERE %s && rc._tile_search_box(envelope, 0)%s) p
            WHERE p.cx BETWEEN 0 AND 63 AND p.cy BETWEEN 0 AND 63
            GROUP BY p.cx, p.cy) t$q$,
            layer.name,
            (SELECT string_agg(format('sum(p.%1$I)::integer AS %1$I', u.c), ', ' ORDER BY u.n)
             FROM unnest(layer.cell_properties) WITH ORDINALITY u(c, n)),
            (SELECT string_agg(format('s.%I', u.c), ', ' ORDER BY u.n)
             FROM unnest(layer.cell_properties) WITH ORDINALITY u(c, n)),
            geom, geom, layer.source, geom, row_filter);
    END IF;
    IF layer.simplify_maxzoom >= 22 THEN
        shape := format('ST_Simplify(%s, unit_m, %s)', shape, layer.keep_collapsed::text);
    ELSIF layer.simplify_maxzoom IS NOT NULL THEN
        shape := format('CASE WHEN z <= %s THEN ST_Simplify(%s, unit_m, %s) ELSE %s END',
                        layer.simplify_maxzoom, shape, layer.keep_collapsed::text, shape);
    END IF;
    RETURN format($q$SELECT ST_AsMVT(t, %L, 4096, 'geom'%s) FROM (
            SELECT %s
                   ST_AsMVTGeom(%s, envelope, 4096, %s, true) AS geom
            FROM rc.%I s
            WHERE %s && rc._tile_search_box(envelope, %s)%s%s
            LIMIT rc._tile_cap()) t$q$,
        layer.name,
        CASE WHEN layer.id_column IS NULL THEN '' ELSE ', ''feature_id''' END,
        (SELECT string_agg(u.c || ',', ' ' ORDER BY u.n) FROM unnest(
            CASE WHEN layer.id_column IS NULL THEN '{}'::text[]
                 ELSE ARRAY[format('s.%I AS feature_id', layer.id_column)] END
            || ARRAY(SELECT format('s.%I', p.p)
                     FROM unnest(layer.properties) WITH ORDINALITY p(p, n) ORDER BY p.n)
         ) WITH ORDINALITY u(c, n)),
        shape, layer.buffer, layer.source, geom, layer.buffer, row_filter,
        CASE WHEN layer.order_column IS NULL THEN ''
             ELSE format(E'\n            ORDER BY s.%I', layer.order_column) END);
END;
$$;
COMMENT ON FUNCTION rc._tile_query(rc.tile_vector_layer, boolean) IS
    'The SQL of one MVT layer in rc.tile, built with format(%I) from the layer''s row';

-- (Re)write rc.tile from the rows: one CASE branch per tile layer, each with the static
-- queries of its MVT layers. Static, not built and EXECUTE'd per tile: PL/pgSQL keeps a plan
-- per statement, while a query built per tile is planned on every call, which made tiles of
-- the demo city half as slow again at the median (1.07 against 0.66 ms, p95 the same;
-- bench/tile_latency.py, docs/benchmarks.md). Run at the end of every migrate (below), after
-- the migrations that change the rows; refuses rows rc.tile_layer_problems() finds fault with.
CREATE OR REPLACE FUNCTION rc._tile_generate()
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    problems text;
    layer record;
    part rc.tile_vector_layer;
    branches text := '';
    body text;
BEGIN
    SELECT string_agg(p, '; ') INTO problems FROM rc.tile_layer_problems() p;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'rc.tile_layer: %', problems USING ERRCODE = '23514';
    END IF;
    FOR layer IN SELECT l.name FROM rc.tile_layer l ORDER BY l.position LOOP
        branches := branches || format($t$
        WHEN %L THEN$t$, layer.name);
        FOR part IN SELECT * FROM rc.tile_vector_layer v WHERE v.tile_layer = layer.name
                    ORDER BY v.position LOOP
            IF part.cells_below IS NULL THEN
                body := format($t$
            tile := tile || coalesce((%s), ''::bytea);$t$, rc._tile_query(part, false));
            ELSE
                body := format($t$
            IF z < %s THEN
                tile := tile || coalesce((%s), ''::bytea);
            ELSE
                tile := tile || coalesce((%s), ''::bytea);
            END IF;$t$, part.cells_below, rc._tile_query(part, true), rc._tile_query(part, false));
            END IF;
            IF part.minzoom > 0 THEN
                body := format($t$
            IF z >= %s THEN%s
            END IF;$t$, part.minzoom, body);
            END IF;
            branches := branches || body;
        END LOOP;
    END LOOP;
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION rc.tile(layer text, z integer, x integer, y integer)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE SET jit = off AS $body$
-- Written by rc._tile_generate() from rc.tile_layer and rc.tile_vector_layer: do not edit.
DECLARE
    envelope geometry := rc._tile_envelope(z, x, y);
    unit_m double precision := rc._tile_unit_m(envelope);
    n double precision := (1 << z);
    tile bytea := ''::bytea;
BEGIN
    CASE layer%s
        ELSE
            RAISE EXCEPTION 'tile layer %% does not exist', coalesce(quote_literal(layer), 'NULL')
                USING ERRCODE = '22023', HINT = 'the tile layers are the rows of rc.tile_layer';
    END CASE;
    RETURN tile;  -- several MVT layers: their concatenation (each is a protobuf message)
END;
$body$
$f$, branches);
    COMMENT ON FUNCTION rc.tile(text, integer, integer, integer) IS
        'MVT tile z/x/y of a layer of rc.tile_layer; 22023 for an unknown layer or a bad z/x/y';
END;
$$;
COMMENT ON FUNCTION rc._tile_generate() IS
    'Writes rc.tile from the rows of rc.tile_layer and rc.tile_vector_layer; run by migrate';

SELECT rc._tile_generate();
