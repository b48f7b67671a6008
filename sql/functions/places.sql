-- Place search: streets of the network and named facilities (migration 0012_places).

-- Rebuild rc.street from rc.road_edge: pieces of one name within 300 m of each other form one
-- street; its point is the middle of its longest piece. Called by every import.
CREATE OR REPLACE FUNCTION rc.refresh_streets() RETURNS integer
LANGUAGE sql AS $$
    DELETE FROM rc.street;
    WITH named AS (
        SELECT name, geom, length_m,
               ST_ClusterDBSCAN(ST_Transform(geom, 3857), eps := 300, minpoints := 1)
                   OVER (PARTITION BY name) AS town
        FROM rc.road_edge
        WHERE name IS NOT NULL AND btrim(name) <> ''
    ), inserted AS (
        INSERT INTO rc.street (name, length_m, geom)
        SELECT name, sum(length_m),
               ST_LineInterpolatePoint((array_agg(geom ORDER BY length_m DESC))[1], 0.5)
        FROM named
        GROUP BY name, town
        RETURNING 1
    )
    SELECT count(*)::integer FROM inserted;
$$;

-- Places whose name (or address) holds the words of q, best first: a name starting with q,
-- then the closest trigram match, then the nearest to (near_lon, near_lat) when given.
-- AEDs whose access is private or no are not places anyone can be sent to: left out.
CREATE OR REPLACE FUNCTION rc.search_places(
    q text, near_lon double precision DEFAULT NULL, near_lat double precision DEFAULT NULL,
    max_results integer DEFAULT 10)
RETURNS TABLE (kind text, id bigint, name text, detail text, lon double precision,
               lat double precision)
LANGUAGE sql STABLE AS $$
    WITH needle AS (SELECT lower(btrim(q)) AS q),
    candidates AS (
        SELECT 'street'::text AS kind, s.id, s.name, NULL::text AS detail, s.geom
        FROM rc.street s, needle n WHERE lower(s.name) LIKE '%' || n.q || '%'
            OR lower(s.name) % n.q
        UNION ALL
        SELECT 'hospital', h.id, h.name, NULL, h.geom FROM rc.hospital h, needle n
        WHERE h.name IS NOT NULL AND lower(h.name) LIKE '%' || n.q || '%'
        UNION ALL
        SELECT 'station', st.id, st.name, st.address, st.geom FROM rc.station st, needle n
        WHERE st.name IS NOT NULL AND (lower(st.name) LIKE '%' || n.q || '%'
            OR lower(coalesce(st.address, '')) LIKE '%' || n.q || '%')
        UNION ALL
        SELECT 'aed', a.id, a.name, a.address, a.geom FROM rc.aed a, needle n
        WHERE coalesce(a.access, 'yes') NOT IN ('private', 'no')
            AND (lower(coalesce(a.name, '')) LIKE '%' || n.q || '%'
                 OR lower(coalesce(a.address, '')) LIKE '%' || n.q || '%')
        UNION ALL
        SELECT 'training_site', t.id, t.name, t.address, t.geom FROM rc.training_site t, needle n
        WHERE lower(t.name) LIKE '%' || n.q || '%'
            OR lower(coalesce(t.address, '')) LIKE '%' || n.q || '%'
    )
    SELECT c.kind, c.id, coalesce(c.name, c.detail), c.detail, ST_X(c.geom), ST_Y(c.geom)
    FROM candidates c, needle n
    ORDER BY (lower(coalesce(c.name, '')) LIKE n.q || '%') DESC,
             similarity(lower(coalesce(c.name, c.detail, '')), n.q) DESC,
             CASE WHEN near_lon IS NULL OR near_lat IS NULL THEN 0
                  ELSE ST_Distance(c.geom::geography,
                                   ST_SetSRID(ST_MakePoint(near_lon, near_lat), 4326)::geography)
             END,
             c.kind, c.id
    LIMIT max_results;
$$;
