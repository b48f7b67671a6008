-- What a loaded city holds, in one call: the facts behind `rescuecircle status` and
-- GET /api/status (which features can run, and what each lacks).

CREATE OR REPLACE FUNCTION rc.readiness(fresh_s double precision DEFAULT 900)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'network', (SELECT jsonb_build_object(
                        'source', n.source, 'imported_at', n.imported_at,
                        'extent', CASE WHEN n.bbox IS NULL THEN NULL ELSE jsonb_build_array(
                            ST_XMin(n.bbox), ST_YMin(n.bbox), ST_XMax(n.bbox), ST_YMax(n.bbox))
                            END)
                    FROM rc.network n ORDER BY n.id DESC LIMIT 1),
        'edges', (SELECT jsonb_object_agg(s.mode, s.edge_count) FROM rc.network_size() s),
        'island_edges', (SELECT jsonb_build_object(
                             'drive', count(*) FILTER (WHERE island_drive),
                             'walk', count(*) FILTER (WHERE island_walk),
                             'bike', count(*) FILTER (WHERE island_bike))
                         FROM rc.road_edge),
        'aeds', (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (
                     SELECT status, count(*) AS n FROM rc.aed GROUP BY status) a),
        'ambulances', (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (
                           SELECT status, count(*) AS n FROM rc.ambulance GROUP BY status) a),
        'stations', (SELECT count(*) FROM rc.station),
        'hospitals', (SELECT count(*) FROM rc.hospital),
        'drone_pads', (SELECT count(*) FROM rc.drone_pad),
        'volunteers', (SELECT count(*) FROM rc.volunteer WHERE status = 'active'),
        'volunteers_with_fresh_positions', (
            SELECT count(*) FROM rc.volunteer_position_latest p
            JOIN rc.volunteer v ON v.id = p.volunteer_id AND v.status = 'active'
            WHERE p.observed_at > now() - make_interval(secs => fresh_s)),
        'districts', (SELECT coalesce(jsonb_object_agg(kind || ' (' || kind_basis || ')', n),
                                      '{}')
                      FROM (SELECT kind, kind_basis, count(*) AS n FROM rc.district
                            GROUP BY kind, kind_basis) d),
        'population', (SELECT sum(population) FROM rc.population));
$$;
COMMENT ON FUNCTION rc.readiness(double precision) IS
    'The loaded network, registries and planning inputs as counts (status readiness report)';
