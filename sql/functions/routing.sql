-- Routing in SQL on pgRouting: snapping, route, travel times, isochrone and a travel-time matrix,
-- callable from psql or QGIS's DB Manager. The in-memory engine (routing/) answers the same
-- questions faster; tests/test_routing_agreement.py shows both agree to the second.
--
-- Conventions (after pgRouting):
--   * A point is placed on the nearest edge its mode may use (rc.snap; an island edge only when the
--     connected network is not much farther away), at a fraction of the edge's
--     length from its source; pgr_withPoints* route from that fraction, with driving_side 'b' and
--     point side 'b': a point is reachable from either end of its edge *as the edge's costs
--     allow*, so a one-way street is entered and left only in its direction, like the engine.
--   * Times are seconds along the network from the snapped point. The walk between a point and its
--     road (rc.snap's distance_m, at 5 km/h in the engine) is not included.
--   * Edges SQL is built here from a whitelist of modes (rc._edges_sql); callers never pass SQL.
--   * Bad input raises SQLSTATE 22023 with a message naming the parameter, the value and the
--     allowed range; the API turns it into a 400.

-- -- validation helpers -------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION rc._invalid(parameter text, value text, allowed text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '22023',
        MESSAGE = format('%s = %s is not allowed; allowed: %s',
                         parameter, coalesce(value, 'NULL'), allowed);
END;
$$;
COMMENT ON FUNCTION rc._invalid(text, text, text) IS
    'Raise SQLSTATE 22023 naming a parameter, its value and the allowed range';

CREATE OR REPLACE FUNCTION rc._check_mode(mode text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF mode IS NULL OR mode NOT IN ('drive', 'walk', 'bike') THEN
        PERFORM rc._invalid('mode', quote_nullable(mode), 'drive, walk or bike');
    END IF;
END;
$$;
COMMENT ON FUNCTION rc._check_mode(text) IS
    'Raise 22023 unless mode is one of drive, walk, bike (the modes with cost columns)';

CREATE OR REPLACE FUNCTION rc._check_range(
    parameter text, value double precision, low double precision, high double precision)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- NaN compares greater than every number in PostgreSQL, so it fails the test too.
    IF value IS NULL OR NOT (value BETWEEN low AND high) THEN
        PERFORM rc._invalid(parameter, value::text, format('%s to %s', low, high));
    END IF;
END;
$$;
COMMENT ON FUNCTION rc._check_range(text, double precision, double precision, double precision) IS
    'Raise 22023 unless low <= value <= high (NULL and NaN fail)';

CREATE OR REPLACE FUNCTION rc._check_direction(direction text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF direction IS NULL OR direction NOT IN ('from', 'to') THEN
        PERFORM rc._invalid('direction', quote_nullable(direction),
                            'from (times from the point) or to (times to it)');
    END IF;
END;
$$;
COMMENT ON FUNCTION rc._check_direction(text) IS
    'Raise 22023 unless direction is from or to';

-- -- edges, costs and geometry helpers -----------------------------------------------------------

CREATE OR REPLACE FUNCTION rc._edges_sql(mode text, bbox geometry DEFAULT NULL,
                                         direction text DEFAULT 'from')
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    box geometry;
    restrict text := '';
    cost_column text := 'cost_' || mode || '_s';
    reverse_column text := 'reverse_cost_' || mode || '_s';
BEGIN
    PERFORM rc._check_mode(mode);
    PERFORM rc._check_direction(direction);
    IF bbox IS NOT NULL THEN
        IF ST_IsEmpty(bbox) THEN
            PERFORM rc._invalid('bbox', 'an empty geometry', 'a non-empty geometry in SRID 4326');
        END IF;
        IF ST_SRID(bbox) NOT IN (0, 4326) THEN
            PERFORM rc._invalid('bbox SRID', ST_SRID(bbox)::text, '4326 (or 0, read as 4326)');
        END IF;
        box := ST_Envelope(bbox);
        -- Numbers only: the text stays SQL we wrote, whatever geometry the caller passed.
        restrict := format(' AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)',
                           ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box));
    END IF;
    IF direction = 'to' THEN  -- the transposed graph: a search from a point gives times to it
        cost_column := 'reverse_cost_' || mode || '_s';
        reverse_column := 'cost_' || mode || '_s';
    END IF;
    RETURN format(
        'SELECT id, source, target, %1$I AS cost, %2$I AS reverse_cost FROM rc.road_edge '
        'WHERE (%1$I >= 0 OR %2$I >= 0)%3$s',
        cost_column, reverse_column, restrict);
END;
$$;
COMMENT ON FUNCTION rc._edges_sql(text, geometry, text) IS
    'pgRouting edges SQL (id, source, target, cost, reverse_cost in seconds) for one mode, '
    'optionally only edges whose box meets the envelope of bbox (pass ST_Expand(...) for a '
    'margin); direction to swaps cost and reverse_cost (the transposed graph, whose searches '
    'from a point give the times to it); built from a whitelist of modes, never from caller SQL';

CREATE OR REPLACE FUNCTION rc._at_vertex()
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 1e-9::double precision;
$$;
COMMENT ON FUNCTION rc._at_vertex() IS
    'Fractions this close to 0 or 1 are the edge''s end vertex (as in routing/network.py)';

CREATE OR REPLACE FUNCTION rc._points_sql(edge_ids bigint[], fractions double precision[])
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    -- Point k (1-based) gets pid k; pgRouting names it -k in its answers. Side 'b': reachable
    -- from both ends of the edge as far as the edge's own costs allow. Points at an end of their
    -- edge are left out: they are that vertex (rc._vid), and pgRouting 3.4 loses a point at
    -- fraction 0 or 1 (no path to or from it, and its edge cut off).
    SELECT format(
        'SELECT p.pid::bigint AS pid, p.edge_id, p.fraction, %L::char AS side '
        'FROM unnest(%L::bigint[], %L::double precision[]) WITH ORDINALITY '
        'AS p (edge_id, fraction, pid) WHERE p.fraction > %s AND p.fraction < 1 - %s',
        'b', edge_ids, fractions, rc._at_vertex(), rc._at_vertex());
$$;
COMMENT ON FUNCTION rc._points_sql(bigint[], double precision[]) IS
    'pgRouting points SQL (pid, edge_id, fraction, side b) for points 1..n inside their edges';

CREATE OR REPLACE FUNCTION rc._vid(pid integer, edge_id bigint, fraction double precision)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN fraction <= rc._at_vertex() THEN e.source
                WHEN fraction >= 1 - rc._at_vertex() THEN e.target
                ELSE -pid END
    FROM rc.road_edge e WHERE e.id = edge_id;
$$;
COMMENT ON FUNCTION rc._vid(integer, bigint, double precision) IS
    'What pgRouting starts or ends at for point pid: the vertex when the point is at an end of '
    'its edge, else -pid (a point of rc._points_sql)';

CREATE OR REPLACE FUNCTION rc._cost_s(e rc.road_edge, mode text)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE mode WHEN 'drive' THEN e.cost_drive_s WHEN 'walk' THEN e.cost_walk_s
                     WHEN 'bike' THEN e.cost_bike_s END;
$$;
COMMENT ON FUNCTION rc._cost_s(rc.road_edge, text) IS
    'Seconds from source to target for a mode (negative: closed that way)';

CREATE OR REPLACE FUNCTION rc._reverse_cost_s(e rc.road_edge, mode text)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE mode WHEN 'drive' THEN e.reverse_cost_drive_s WHEN 'walk' THEN e.reverse_cost_walk_s
                     WHEN 'bike' THEN e.reverse_cost_bike_s END;
$$;
COMMENT ON FUNCTION rc._reverse_cost_s(rc.road_edge, text) IS
    'Seconds from target to source for a mode (negative: closed that way)';

CREATE OR REPLACE FUNCTION rc._search_cost_s(e rc.road_edge, mode text, direction text)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE direction WHEN 'to' THEN rc._reverse_cost_s(e, mode) ELSE rc._cost_s(e, mode) END;
$$;
COMMENT ON FUNCTION rc._search_cost_s(rc.road_edge, text, text) IS
    'Seconds from source to target in the graph a search runs on (rc._edges_sql with the '
    'direction): the edge''s cost from a point, its reverse cost to it';

CREATE OR REPLACE FUNCTION rc._search_reverse_cost_s(e rc.road_edge, mode text, direction text)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE direction WHEN 'to' THEN rc._cost_s(e, mode) ELSE rc._reverse_cost_s(e, mode) END;
$$;
COMMENT ON FUNCTION rc._search_reverse_cost_s(rc.road_edge, text, text) IS
    'Seconds from target to source in the graph a search runs on (see rc._search_cost_s)';

CREATE OR REPLACE FUNCTION rc._island(e rc.road_edge, mode text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE mode WHEN 'drive' THEN e.island_drive WHEN 'walk' THEN e.island_walk
                     WHEN 'bike' THEN e.island_bike END;
$$;
COMMENT ON FUNCTION rc._island(rc.road_edge, text) IS
    'Whether the edge lies on a small piece of the mode''s network no road joins to the rest';

CREATE OR REPLACE FUNCTION rc._connected_preferred_within_m(island_m double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- ISLAND_SLACK_M = 50 and ISLAND_RATIO = 1.5 in routing/network.py
    SELECT greatest(island_m + 50, 1.5 * island_m);
$$;
COMMENT ON FUNCTION rc._connected_preferred_within_m(double precision) IS
    'How far the connected network may be and still win over an island edge island_m metres '
    'away (50 m more, or 1.5 times as far beyond 100 m), as routing.network snaps';

CREATE OR REPLACE FUNCTION rc._x_scale(line geometry)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- Metres per degree east over metres per degree north on the WGS84 ellipsoid at the line's
    -- mean latitude: N cos(lat) / M = cos(lat) (1 - e2 sin2(lat)) / (1 - e2).
    SELECT cos(radians(lat)) * (1 - 0.00669437999014 * sin(radians(lat)) ^ 2)
           / (1 - 0.00669437999014)
    FROM (SELECT (ST_YMin(line) + ST_YMax(line)) / 2 AS lat) AS mean;
$$;
COMMENT ON FUNCTION rc._x_scale(geometry) IS
    'How much longer a degree east is than a degree north at a line''s latitude (WGS84): '
    'longitude is scaled by it so that fractions along the line are fractions of its length, as '
    'costs are (and as the engine measures them in its metric projection)';

CREATE OR REPLACE FUNCTION rc._locate(line geometry, point geometry)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_LineLocatePoint(ST_Scale(line, rc._x_scale(line), 1),
                              ST_Scale(point, rc._x_scale(line), 1));
$$;
COMMENT ON FUNCTION rc._locate(geometry, geometry) IS
    'Fraction of a line''s length (not of its length in degrees) at the point nearest to point';

CREATE OR REPLACE FUNCTION rc._substring(line geometry, start_fraction double precision,
                                         end_fraction double precision)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The part of line between two fractions of its length, running start -> end; NULL when the
    -- two are equal (a step of no length). Fractions are by length, as rc._locate gives them.
    SELECT CASE
        WHEN start_fraction = end_fraction THEN NULL
        WHEN start_fraction = 0 AND end_fraction = 1 THEN line
        WHEN start_fraction = 1 AND end_fraction = 0 THEN ST_Reverse(line)
        ELSE (SELECT CASE WHEN start_fraction < end_fraction THEN piece ELSE ST_Reverse(piece) END
              FROM (SELECT ST_SetSRID(ST_Scale(ST_LineSubstring(
                          ST_Scale(line, rc._x_scale(line), 1),
                          least(start_fraction, end_fraction),
                          greatest(start_fraction, end_fraction)),
                      1 / rc._x_scale(line), 1), ST_SRID(line)) AS piece) AS scaled)
    END;
$$;
COMMENT ON FUNCTION rc._substring(geometry, double precision, double precision) IS
    'The piece of a line between two fractions of its length, oriented start -> end';

CREATE OR REPLACE FUNCTION rc._step_fractions(
    node bigint, next_node bigint, source bigint, target bigint,
    origin_fraction double precision, destination_fraction double precision,
    step_cost_s double precision, cost_s double precision, reverse_cost_s double precision,
    OUT start_fraction double precision, OUT end_fraction double precision)
LANGUAGE sql IMMUTABLE AS $$
    -- Where a route step enters and leaves its edge. Nodes -1 and -2 are the origin and the
    -- destination points; a vertex is fraction 0 at the source, 1 at the target. On a loop
    -- (source = target) the vertex is either end: the direction whose cost matches the step's
    -- decides.
    SELECT coalesce(a, CASE WHEN source <> target THEN CASE WHEN node = source THEN 0.0 ELSE 1.0 END
                            WHEN is_forward THEN 0.0 ELSE 1.0 END),
           coalesce(b, CASE WHEN source <> target THEN
                                 CASE WHEN next_node = target THEN 1.0 ELSE 0.0 END
                            WHEN is_forward THEN 1.0 ELSE 0.0 END)
    FROM (SELECT a, b,
                 CASE WHEN cost_s < 0 THEN false
                      WHEN reverse_cost_s < 0 THEN true
                      ELSE abs(abs(coalesce(b, 1) - coalesce(a, 0)) * cost_s - step_cost_s)
                           <= abs(abs(coalesce(a, 1) - coalesce(b, 0)) * reverse_cost_s
                                  - step_cost_s)
                 END AS is_forward
          FROM (SELECT CASE node WHEN -1 THEN origin_fraction
                                 WHEN -2 THEN destination_fraction END AS a,
                       CASE next_node WHEN -1 THEN origin_fraction
                                      WHEN -2 THEN destination_fraction END AS b) AS ends
         ) AS step;
$$;
COMMENT ON FUNCTION rc._step_fractions(bigint, bigint, bigint, bigint, double precision,
                                       double precision, double precision, double precision,
                                       double precision) IS
    'Fractions along its edge where a pgRouting route step starts and ends';

-- -- snapping ------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION rc._snap(
    lon double precision, lat double precision, mode text, max_snap_m double precision,
    lon_name text, lat_name text, point_name text)
RETURNS TABLE (edge_id bigint, fraction double precision, distance_m double precision)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    point geometry;
    best record;
    connected record;
    reach double precision;
BEGIN
    PERFORM rc._check_mode(mode);
    PERFORM rc._check_range(lon_name, lon, -180, 180);
    PERFORM rc._check_range(lat_name, lat, -90, 90);
    IF max_snap_m IS NULL OR NOT (max_snap_m > 0 AND max_snap_m <= 10000) THEN
        PERFORM rc._invalid('max_snap_m', max_snap_m::text, 'more than 0 up to 10000 (metres)');
    END IF;
    point := ST_SetSRID(ST_MakePoint(lon, lat), 4326);
    -- The nearest edge in degrees (KNN through the index) bounds the distance in metres; every
    -- edge nearer in metres lies within that bound converted back to degrees (a degree is at
    -- least 110 km north and 110 km x cos(lat) east), and metres on the spheroid pick among them.
    -- 10 m more allow for a geodesic straying from the straight line in degrees on long edges;
    -- no need to look beyond max_snap_m (the error then quotes the first edge's distance).
    SELECT e.id, e.geom, ST_Distance(e.geom::geography, point::geography) AS metres INTO best
    FROM rc.road_edge e
    WHERE rc._cost_s(e, _snap.mode) >= 0 OR rc._reverse_cost_s(e, _snap.mode) >= 0
    ORDER BY e.geom <-> point
    LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'P0002',
            MESSAGE = format('no road usable by mode %L is loaded: import a network first', mode);
    END IF;
    SELECT e.id, e.geom, rc._island(e, _snap.mode) AS island,
           ST_Distance(e.geom::geography, point::geography) AS metres
    INTO best
    FROM rc.road_edge e
    WHERE e.id = best.id
       OR ST_DWithin(e.geom, point,
                     (least(best.metres, max_snap_m) + 10)
                     / (110000 * cos(radians(least(abs(lat) + 1, 89)))))
          AND (rc._cost_s(e, _snap.mode) >= 0 OR rc._reverse_cost_s(e, _snap.mode) >= 0)
    ORDER BY metres, e.id
    LIMIT 1;
    IF best.metres > max_snap_m THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('%s = (%s, %s) is %s m from the nearest road usable by mode %L; '
                             'allowed: at most %s m from a road', point_name, lon, lat,
                             round(best.metres::numeric), mode, max_snap_m);
    END IF;
    IF best.island THEN
        -- The connected network wins when not much farther (rc._connected_preferred_within_m),
        -- as in routing.network: a point on an island can be routed nowhere.
        reach := least(rc._connected_preferred_within_m(best.metres), max_snap_m);
        SELECT e.id, e.geom, false AS island,
               ST_Distance(e.geom::geography, point::geography) AS metres
        INTO connected
        FROM rc.road_edge e
        WHERE ST_DWithin(e.geom, point,
                         (reach + 10) / (110000 * cos(radians(least(abs(lat) + 1, 89)))))
          AND (rc._cost_s(e, _snap.mode) >= 0 OR rc._reverse_cost_s(e, _snap.mode) >= 0)
          AND NOT rc._island(e, _snap.mode)
        ORDER BY metres, e.id
        LIMIT 1;
        IF FOUND AND connected.metres <= reach THEN
            best := connected;
        END IF;
    END IF;
    RETURN QUERY SELECT best.id, rc._locate(best.geom, point), best.metres;
END;
$$;
COMMENT ON FUNCTION rc._snap(double precision, double precision, text, double precision, text,
                             text, text) IS
    'rc.snap naming the coordinates (lon_name, lat_name) and the point in error messages';

CREATE OR REPLACE FUNCTION rc.snap(
    lon double precision, lat double precision, mode text DEFAULT 'drive',
    max_snap_m double precision DEFAULT 500)
RETURNS TABLE (edge_id bigint, fraction double precision, distance_m double precision)
LANGUAGE sql STABLE AS $$
    SELECT * FROM rc._snap(lon, lat, mode, max_snap_m, 'lon', 'lat', 'lon, lat');
$$;
COMMENT ON FUNCTION rc.snap(double precision, double precision, text, double precision) IS
    'The nearest edge the mode may use to (lon, lat) (WGS84), the fraction of its length from '
    'its source to the nearest point on it, and the distance in metres; 22023 when that road is '
    'more than max_snap_m (default 500, at most 10000) metres away. An island edge (island_<mode>) '
    'gives way to the connected network when that is at most 50 m farther, or 1.5 times as far '
    '(rc._connected_preferred_within_m), as the in-memory engine snaps';

-- -- route ---------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION rc.route(
    from_lon double precision, from_lat double precision,
    to_lon double precision, to_lat double precision,
    mode text DEFAULT 'drive')
RETURNS TABLE (seq integer, path_seq integer, node bigint, edge bigint,
               cost_s double precision, agg_cost_s double precision,
               geom geometry(LineString, 4326))
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    o record;
    d record;
BEGIN
    SELECT * INTO o FROM rc._snap(from_lon, from_lat, mode, 500, 'from_lon', 'from_lat',
                                'from_lon, from_lat');
    SELECT * INTO d FROM rc._snap(to_lon, to_lat, mode, 500, 'to_lon', 'to_lat', 'to_lon, to_lat');
    RETURN QUERY
    WITH path AS (
        SELECT p.seq, p.path_seq, p.node, p.edge, p.cost, p.agg_cost,
               lead(p.node) OVER (ORDER BY p.seq) AS next_node
        FROM pgr_withPoints(
            rc._edges_sql(route.mode),
            rc._points_sql(ARRAY[o.edge_id, d.edge_id], ARRAY[o.fraction, d.fraction]),
            rc._vid(1, o.edge_id, o.fraction), rc._vid(2, d.edge_id, d.fraction),
            directed => true, driving_side => 'b', details => false) AS p
        UNION ALL
        -- pgRouting finds no path from a vertex to itself; the route there is standing still.
        SELECT 1, 1, rc._vid(1, o.edge_id, o.fraction), -1, 0.0, 0.0, NULL
        WHERE rc._vid(1, o.edge_id, o.fraction) = rc._vid(2, d.edge_id, d.fraction)
          AND rc._vid(1, o.edge_id, o.fraction) > 0
    )
    SELECT path.seq, path.path_seq, path.node, path.edge, path.cost, path.agg_cost,
           rc._substring(e.geom, f.start_fraction, f.end_fraction)::geometry(LineString, 4326)
    FROM path
    LEFT JOIN rc.road_edge e ON e.id = path.edge
    LEFT JOIN LATERAL rc._step_fractions(
        path.node, path.next_node, e.source, e.target, o.fraction, d.fraction, path.cost,
        rc._cost_s(e, route.mode), rc._reverse_cost_s(e, route.mode)) AS f ON e.id IS NOT NULL
    ORDER BY path.seq;
END;
$$;
COMMENT ON FUNCTION rc.route(double precision, double precision, double precision,
                             double precision, text) IS
    'Fastest route between two WGS84 points for a mode (drive, walk, bike), pgr_withPoints from '
    'the snapped points: one row per step, pgRouting columns in seconds; node -1 is the origin '
    'and -2 the destination point, geom the piece of road the step covers (SRID 4326, NULL on '
    'the last row). One-way streets are respected. No rows when no route exists. Times exclude '
    'the walk from each point to its road (see rc.snap)';

-- -- travel times --------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION rc.travel_times(
    lon double precision, lat double precision, mode text DEFAULT 'drive',
    max_s double precision DEFAULT 720, direction text DEFAULT 'from')
RETURNS TABLE (node bigint, agg_cost_s double precision, geom geometry(Point, 4326))
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    o record;
BEGIN
    SELECT * INTO o FROM rc._snap(lon, lat, mode, 500, 'lon', 'lat', 'lon, lat');
    IF max_s IS NULL OR NOT (max_s > 0 AND max_s <= 7200) THEN
        PERFORM rc._invalid('max_s', max_s::text, 'more than 0 up to 7200 (seconds)');
    END IF;
    RETURN QUERY
    SELECT v.id, min(dd.agg_cost), v.geom
    FROM pgr_withPointsDD(
        rc._edges_sql(travel_times.mode, NULL, travel_times.direction),
        rc._points_sql(ARRAY[o.edge_id], ARRAY[o.fraction]),
        rc._vid(1, o.edge_id, o.fraction), max_s,
        directed => true, driving_side => 'b', details => false) AS dd
    JOIN rc.road_vertex v ON v.id = dd.node
    GROUP BY v.id, v.geom
    ORDER BY min(dd.agg_cost), v.id;
END;
$$;
COMMENT ON FUNCTION rc.travel_times(double precision, double precision, text, double precision,
                                    text) IS
    'Seconds from a WGS84 point (snapped to the road) to every road vertex reachable within max_s '
    '(default 720, at most 7200) by a mode, pgr_withPointsDD on the directed graph (one-way '
    'streets respected); direction to: seconds from every vertex that can reach the point within '
    'max_s to it (the same search on the transposed graph); node is the OSM node id, geom the '
    'vertex (SRID 4326)';

-- -- isochrone -----------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION rc._utm_srid(lon double precision, lat double precision)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN lat >= 0 THEN 32600 ELSE 32700 END
           + least(60, floor((lon + 180) / 6)::integer + 1);
$$;
COMMENT ON FUNCTION rc._utm_srid(double precision, double precision) IS
    'The WGS84 UTM zone (EPSG code) of a point, for buffers in metres';

CREATE OR REPLACE FUNCTION rc._band_minutes(band_minutes integer[])
RETURNS integer[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    value integer;
BEGIN
    IF band_minutes IS NULL OR cardinality(band_minutes) = 0 THEN
        PERFORM rc._invalid('band_minutes', coalesce(band_minutes::text, 'NULL'),
                            'a list of one or more values, each 1 to 60');
    END IF;
    FOREACH value IN ARRAY band_minutes LOOP
        IF value IS NULL OR NOT (value BETWEEN 1 AND 60) THEN
            PERFORM rc._invalid('band_minutes', coalesce(value::text, 'NULL'),
                                '1 to 60 (each value)');
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT b FROM unnest(band_minutes) AS b ORDER BY b);
END;
$$;
COMMENT ON FUNCTION rc._band_minutes(integer[]) IS
    'Band limits sorted and distinct; 22023 unless there is at least one and each is 1 to 60';

CREATE OR REPLACE FUNCTION rc._reach(
    edge_ids bigint[], fractions double precision[], mode text, bands integer[],
    direction text)
RETURNS TABLE (minutes integer, facility_index integer, area_km2 double precision,
               geom geometry(MultiPolygon, 4326))
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    buffer_m constant double precision := 50;  -- how far beside a reached road counts as reached
    vids bigint[];
    utm integer;
BEGIN
    PERFORM rc._check_direction(direction);
    vids := ARRAY(SELECT rc._vid(k, edge_ids[k], fractions[k])
                  FROM generate_subscripts(edge_ids, 1) AS k ORDER BY k);
    SELECT rc._utm_srid(ST_X(c), ST_Y(c)) INTO utm
    FROM (SELECT ST_Centroid(ST_Collect(e.geom)) AS c FROM rc.road_edge e
          WHERE e.id = ANY(edge_ids)) AS middle;
    RETURN QUERY
    WITH facility AS (
        SELECT k AS facility_index, vids[k] AS vid, e AS edge, fractions[k] AS fraction
        FROM generate_subscripts(edge_ids, 1) AS k JOIN rc.road_edge e ON e.id = edge_ids[k]
    ), reached AS (
        -- equicost: each vertex once, from the nearest facility (the first of several there)
        SELECT dd.node, dd.agg_cost AS time_s,
               (SELECT min(f.facility_index) FROM facility f WHERE f.vid = dd.start_vid)
                   AS facility_index
        FROM pgr_withPointsDD(
            rc._edges_sql(_reach.mode, NULL, _reach.direction),
            rc._points_sql(edge_ids, fractions),
            ARRAY(SELECT DISTINCT v FROM unnest(vids) AS v), bands[cardinality(bands)] * 60.0,
            directed => true, driving_side => 'b', details => false, equicost => true) AS dd
        WHERE dd.node >= 0
    ), band AS (
        SELECT b AS minutes, b * 60.0 AS limit_s FROM unnest(bands) AS b
    ), piece AS (
        -- Leaving a reached vertex along each edge the search may take, as far as the band
        -- allows (to a point: the edges that lead to the vertex, walked backwards).
        SELECT band.minutes, r.facility_index, e.geom, 0.0 AS f0,
               CASE WHEN rc._search_cost_s(e, _reach.mode, _reach.direction) = 0 THEN 1.0
                    ELSE least(1.0, (band.limit_s - r.time_s)
                                    / rc._search_cost_s(e, _reach.mode, _reach.direction))
               END AS f1
        FROM band JOIN reached r ON r.time_s <= band.limit_s
        JOIN rc.road_edge e ON e.source = r.node
        WHERE rc._search_cost_s(e, _reach.mode, _reach.direction) >= 0
        UNION ALL
        SELECT band.minutes, r.facility_index, e.geom, 1.0,
               CASE WHEN rc._search_reverse_cost_s(e, _reach.mode, _reach.direction) = 0 THEN 0.0
                    ELSE greatest(0.0, 1 - (band.limit_s - r.time_s)
                                  / rc._search_reverse_cost_s(e, _reach.mode, _reach.direction))
               END
        FROM band JOIN reached r ON r.time_s <= band.limit_s
        JOIN rc.road_edge e ON e.target = r.node
        WHERE rc._search_reverse_cost_s(e, _reach.mode, _reach.direction) >= 0
        UNION ALL
        -- Along each facility's own edge, each way the edge allows.
        SELECT band.minutes, f.facility_index, (f.edge).geom, f.fraction,
               CASE WHEN rc._search_cost_s(f.edge, _reach.mode, _reach.direction) = 0 THEN 1.0
                    ELSE least(1.0, f.fraction + band.limit_s
                                    / rc._search_cost_s(f.edge, _reach.mode, _reach.direction))
               END
        FROM band CROSS JOIN facility f
        WHERE rc._search_cost_s(f.edge, _reach.mode, _reach.direction) >= 0
        UNION ALL
        SELECT band.minutes, f.facility_index, (f.edge).geom, f.fraction,
               CASE WHEN rc._search_reverse_cost_s(f.edge, _reach.mode, _reach.direction) = 0
                    THEN 0.0
                    ELSE greatest(0.0, f.fraction - band.limit_s
                                  / rc._search_reverse_cost_s(f.edge, _reach.mode, _reach.direction))
               END
        FROM band CROSS JOIN facility f
        WHERE rc._search_reverse_cost_s(f.edge, _reach.mode, _reach.direction) >= 0
    ), area AS (
        -- Buffer each piece, then union: GEOS buffers one big MultiLineString 10-20x slower.
        SELECT band.minutes, f.facility_index,
               ST_Transform(ST_Union(ST_Buffer(
                   ST_Transform(rc._substring(piece.geom, piece.f0, piece.f1), utm),
                   buffer_m, 'quad_segs=4')), 4326) AS shape
        FROM band CROSS JOIN facility f
        LEFT JOIN piece ON piece.minutes = band.minutes AND piece.facility_index = f.facility_index
        GROUP BY band.minutes, f.facility_index
    )
    SELECT area.minutes, area.facility_index,
           coalesce(ST_Area(area.shape::geography) / 1e6, 0.0),
           coalesce(ST_Multi(ST_CollectionExtract(area.shape, 3)),
                    'SRID=4326;MULTIPOLYGON EMPTY'::geometry)::geometry(MultiPolygon, 4326)
    FROM area
    ORDER BY area.minutes, area.facility_index;
END;
$$;
COMMENT ON FUNCTION rc._reach(bigint[], double precision[], text, integer[], text) IS
    'The bands of rc.isochrone and rc.facility_isochrones for points already snapped (edge '
    'ids and fractions): per band and point (1-based facility_index), the roads reached first '
    'from that point, buffered by 50 m';

CREATE OR REPLACE FUNCTION rc.isochrone(
    lon double precision, lat double precision, mode text DEFAULT 'drive',
    band_minutes integer[] DEFAULT '{5,8,12}', direction text DEFAULT 'from')
RETURNS TABLE (minutes integer, area_km2 double precision, geom geometry(MultiPolygon, 4326))
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    o record;
    bands integer[];
BEGIN
    SELECT * INTO o FROM rc._snap(lon, lat, mode, 500, 'lon', 'lat', 'lon, lat');
    bands := rc._band_minutes(band_minutes);
    RETURN QUERY
    SELECT r.minutes, r.area_km2, r.geom
    FROM rc._reach(ARRAY[o.edge_id], ARRAY[o.fraction], mode, bands, direction) AS r
    ORDER BY r.minutes;
END;
$$;
COMMENT ON FUNCTION rc.isochrone(double precision, double precision, text, integer[], text) IS
    'Areas reachable from a WGS84 point (snapped to the road) within each of band_minutes (default '
    '{5,8,12}, each 1 to 60) by a mode; direction to: the areas from which the point is reached '
    'within each band (one-way streets taken the other way round). The roads reached (partial '
    'edges at the frontier, one-way streets respected, pgr_withPointsDD) buffered by 50 m, one '
    'MultiPolygon (SRID 4326) per band with its area in km2. An approximation for QGIS; the '
    'in-memory engine draws the precise one';

CREATE OR REPLACE FUNCTION rc.facility_isochrones(
    points geometry[], mode text DEFAULT 'drive', band_minutes integer[] DEFAULT '{5,8,12}',
    direction text DEFAULT 'from')
RETURNS TABLE (minutes integer, facility_index integer, area_km2 double precision,
               geom geometry(MultiPolygon, 4326))
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    edge_ids bigint[] := '{}';
    fractions double precision[] := '{}';
    point geometry;
    s record;
    bands integer[];
BEGIN
    PERFORM rc._check_mode(mode);
    IF coalesce(cardinality(points), 0) NOT BETWEEN 1 AND 100 THEN
        PERFORM rc._invalid('points', format('%s points', coalesce(cardinality(points), 0)),
                            '1 to 100 points');
    END IF;
    bands := rc._band_minutes(band_minutes);
    FOR k IN 1..cardinality(points) LOOP
        point := points[k];
        IF point IS NULL OR GeometryType(point) <> 'POINT' OR ST_IsEmpty(point)
           OR ST_SRID(point) NOT IN (0, 4326) THEN
            PERFORM rc._invalid(format('points[%s]', k), coalesce(ST_AsEWKT(point), 'NULL'),
                                'a point in SRID 4326 (lon, lat)');
        END IF;
        SELECT * INTO s FROM rc._snap(ST_X(point), ST_Y(point), mode, 500,
                                      format('points[%s] lon', k), format('points[%s] lat', k),
                                      format('points[%s]', k));
        edge_ids := edge_ids || s.edge_id;
        fractions := fractions || s.fraction;
    END LOOP;
    RETURN QUERY SELECT * FROM rc._reach(edge_ids, fractions, mode, bands, direction);
END;
$$;
COMMENT ON FUNCTION rc.facility_isochrones(geometry[], text, integer[], text) IS
    'Isochrones of several facilities at once (WGS84 points, 1 to 100, snapped to the road): per '
    'band (band_minutes, default {5,8,12}, each 1 to 60) and facility (1-based facility_index '
    'into points), the area reached within the band whose nearest facility it is (from it, or '
    'with direction to, towards it), one search from all of them (pgr_withPointsDD, equicost). '
    'The parts of a band together are the union of the facilities'' reach; as in rc.isochrone, '
    'roads are buffered by 50 m, so neighbouring parts overlap by up to that along their border';

-- -- travel-time matrix --------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION rc.travel_time_matrix(
    origins geometry[], destinations geometry[], mode text DEFAULT 'drive')
RETURNS TABLE (origin_index integer, destination_index integer, cost_s double precision)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    edge_ids bigint[] := '{}';
    fractions double precision[] := '{}';
    vids bigint[] := '{}';
    points geometry[];
    names text[] := ARRAY['origins', 'destinations'];
    point geometry;
    s record;
    n_origins integer := coalesce(cardinality(origins), 0);
    n_destinations integer := coalesce(cardinality(destinations), 0);
    k integer;
BEGIN
    PERFORM rc._check_mode(mode);
    IF n_origins NOT BETWEEN 1 AND 1000 THEN
        PERFORM rc._invalid('origins', format('%s points', n_origins), '1 to 1000 points');
    END IF;
    IF n_destinations NOT BETWEEN 1 AND 1000 THEN
        PERFORM rc._invalid('destinations', format('%s points', n_destinations),
                            '1 to 1000 points');
    END IF;
    FOR side IN 1..2 LOOP
        points := CASE side WHEN 1 THEN origins ELSE destinations END;
        FOR k IN 1..cardinality(points) LOOP
            point := points[k];
            IF point IS NULL OR GeometryType(point) <> 'POINT' OR ST_IsEmpty(point)
               OR ST_SRID(point) NOT IN (0, 4326) THEN
                PERFORM rc._invalid(format('%s[%s]', names[side], k),
                                    coalesce(ST_AsEWKT(point), 'NULL'),
                                    'a point in SRID 4326 (lon, lat)');
            END IF;
            SELECT * INTO s FROM rc._snap(
                ST_X(point), ST_Y(point), mode, 500,
                format('%s[%s] lon', names[side], k), format('%s[%s] lat', names[side], k),
                format('%s[%s]', names[side], k));
            edge_ids := edge_ids || s.edge_id;
            fractions := fractions || s.fraction;
            vids := vids || rc._vid(cardinality(edge_ids), s.edge_id, s.fraction);
        END LOOP;
    END LOOP;
    RETURN QUERY
    SELECT i, j, CASE WHEN vids[i] = vids[n_origins + j] THEN 0.0 ELSE c.agg_cost END
    FROM generate_series(1, n_origins) AS i
    CROSS JOIN generate_series(1, n_destinations) AS j
    LEFT JOIN pgr_withPointsCost(
            rc._edges_sql(travel_time_matrix.mode), rc._points_sql(edge_ids, fractions),
            vids[1:n_origins], vids[n_origins + 1:], directed => true, driving_side => 'b') AS c
        ON c.start_pid = vids[i] AND c.end_pid = vids[n_origins + j]
    ORDER BY i, j;
END;
$$;
COMMENT ON FUNCTION rc.travel_time_matrix(geometry[], geometry[], text) IS
    'Seconds from each origin to each destination (WGS84 points, 1 to 1000 each, snapped to the '
    'road) for a mode, pgr_withPointsCost on the directed graph; 1-based indexes into the two '
    'arrays; cost_s is NULL where no route exists and 0 from a point to itself';
