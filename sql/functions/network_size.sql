-- Size of the loaded network per mode: edges usable in at least one direction, and vertices.
CREATE OR REPLACE FUNCTION rc.network_size()
RETURNS TABLE (mode text, edge_count bigint, length_km double precision)
LANGUAGE sql STABLE AS $$
    SELECT m.mode,
           count(e.id),
           coalesce(sum(e.length_m), 0) / 1000.0
    FROM (VALUES ('drive'), ('walk'), ('bike')) AS m (mode)
    LEFT JOIN rc.road_edge e ON CASE m.mode
        WHEN 'drive' THEN e.cost_drive_s >= 0 OR e.reverse_cost_drive_s >= 0
        WHEN 'walk'  THEN e.cost_walk_s  >= 0 OR e.reverse_cost_walk_s  >= 0
        ELSE              e.cost_bike_s  >= 0 OR e.reverse_cost_bike_s  >= 0 END
    GROUP BY m.mode
    ORDER BY m.mode;
$$;
COMMENT ON FUNCTION rc.network_size() IS
    'Edges usable by each mode (drive, walk, bike) in at least one direction, and their length';
