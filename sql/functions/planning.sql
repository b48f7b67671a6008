-- Planning inputs, read once per KPI table or coverage run (issue 7).

CREATE OR REPLACE FUNCTION rc.planning_stations()
RETURNS TABLE (id integer, lon double precision, lat double precision, kind text,
               ambulances integer, negative_pressure integer)
LANGUAGE sql STABLE AS $$
    SELECT s.id, ST_X(s.geom), ST_Y(s.geom), s.kind,
           count(a.id)::integer,
           count(a.id) FILTER (WHERE a.kind = 'negative_pressure')::integer
    FROM rc.station s
    LEFT JOIN rc.ambulance a ON a.station_id = s.id AND a.status <> 'out_of_service'
    GROUP BY s.id
    ORDER BY s.id;
$$;
COMMENT ON FUNCTION rc.planning_stations() IS
    'Stations and posts (SRID 4326 lon/lat) with their kind (ambulance, fire, sentinel, mobile), the ambulances based there that are in service, and how many of those are negative-pressure ambulances';

CREATE OR REPLACE FUNCTION rc.planning_aeds(at timestamptz)
RETURNS TABLE (id integer, lon double precision, lat double precision, available boolean,
               usable boolean)
-- plpgsql: its body is checked when run, after registry.sql (applied later) has defined
-- rc.aed_available_at and rc._aed_unusable_reason.
LANGUAGE plpgsql STABLE AS $$
DECLARE
    local_day date := rc._local_time(at, NULL)::date;
BEGIN
    RETURN QUERY
    SELECT a.id, ST_X(a.geom), ST_Y(a.geom), rc.aed_available_at(a.id, at),
           rc._aed_unusable_reason(a, local_day) IS NULL
    FROM rc.aed a
    ORDER BY a.id;
END;
$$;
COMMENT ON FUNCTION rc.planning_aeds(timestamptz) IS
    'Every registered AED (SRID 4326 lon/lat), whether rc.aed_available_at accepts it at at, and whether it is a public, usable device that day (ready, in date, public access: rc._aed_unusable_reason)';

CREATE OR REPLACE FUNCTION rc.planning_drone_pads()
RETURNS TABLE (id integer, lon double precision, lat double precision,
               range_km double precision, cruise_speed_kmh double precision)
LANGUAGE sql STABLE AS $$
    SELECT p.id, ST_X(p.geom), ST_Y(p.geom), p.range_km, p.cruise_speed_kmh
    FROM rc.drone_pad p
    WHERE p.status <> 'out_of_service'
    ORDER BY p.id;
$$;
COMMENT ON FUNCTION rc.planning_drone_pads() IS
    'Drone pads in service (SRID 4326 lon/lat) with their range and cruise speed';

-- Where calls came from, for siting weighted by demand: stored incidents received in
-- [start, finish) (NULL: unbounded) whose category is one of categories (NULL: any), without
-- cancelled calls and false alarms, which are no demand for a responder.
CREATE OR REPLACE FUNCTION rc.planning_incidents(start timestamptz, finish timestamptz,
                                                 categories text[])
RETURNS TABLE (id integer, lon double precision, lat double precision, category text)
LANGUAGE sql STABLE AS $$
    SELECT i.id, ST_X(i.geom), ST_Y(i.geom), i.category
    FROM rc.incident i
    WHERE (start IS NULL OR i.reported_at >= start)
      AND (finish IS NULL OR i.reported_at < finish)
      AND (categories IS NULL OR i.category = ANY (categories))
      AND i.status <> 'cancelled'
      AND i.outcome IS DISTINCT FROM 'false_alarm'
    ORDER BY i.id;
$$;
COMMENT ON FUNCTION rc.planning_incidents(timestamptz, timestamptz, text[]) IS
    'Incidents received in [start, finish) (NULL: unbounded) of the given categories (NULL: any), SRID 4326 lon/lat, without cancelled calls and false alarms: demand for siting';

CREATE OR REPLACE FUNCTION rc.planning_districts()
RETURNS TABLE (id integer, name text, kind text, wkb bytea)
LANGUAGE sql STABLE AS $$
    SELECT d.id, d.name, d.kind, ST_AsBinary(d.geom) FROM rc.district d ORDER BY d.id;
$$;
COMMENT ON FUNCTION rc.planning_districts() IS
    'Districts with their kind (urban/rural) and outline as WKB (SRID 4326)';

-- Where volunteers are, for planners deciding where to recruit and train: active volunteers
-- counted by their latest position since `since`, in hexagons about cell_m across (Web
-- Mercator scaled by the latitude of the data), WGS84. Cells holding fewer than min_count
-- volunteers are left out, so no cell points at one person.
CREATE OR REPLACE FUNCTION rc.volunteer_density(
    cell_m double precision, min_count integer, since timestamptz)
RETURNS TABLE (volunteers integer, wkb bytea)
LANGUAGE sql STABLE AS $$
    WITH latest AS (
        SELECT p.volunteer_id, ST_Transform(p.geom, 3857) AS xy, ST_Y(p.geom) AS lat
        FROM rc.volunteer_position_latest p
        JOIN rc.volunteer v ON v.id = p.volunteer_id
        WHERE v.status = 'active' AND p.observed_at >= since
    ), scale AS (
        -- hexagon "size" is the circumradius; across the flats a hexagon is size * sqrt(3)
        SELECT cell_m / sqrt(3) / cos(radians(avg(lat))) AS size FROM latest
    ), placed AS (   -- one hexagon per volunteer, even on a shared edge
        SELECT DISTINCT ON (l.volunteer_id) l.volunteer_id, h.i, h.j, h.geom
        FROM latest l, scale s, LATERAL ST_HexagonGrid(s.size, l.xy) h
        WHERE ST_Intersects(h.geom, l.xy)
        ORDER BY l.volunteer_id, h.i, h.j
    )
    SELECT count(*)::integer, ST_AsBinary(ST_Transform((array_agg(geom))[1], 4326))
    FROM placed
    GROUP BY i, j
    HAVING count(*) >= min_count
    ORDER BY count(*) DESC, i, j;
$$;

CREATE OR REPLACE FUNCTION rc.planning_aed_venues()
RETURNS TABLE (id integer, name text, kind text, lon double precision, lat double precision,
               outline bytea)
LANGUAGE sql STABLE AS $$
    SELECT v.id, v.name, v.kind, ST_X(v.geom), ST_Y(v.geom), ST_AsBinary(v.outline)
    FROM rc.aed_venue v
    ORDER BY v.id;
$$;
COMMENT ON FUNCTION rc.planning_aed_venues() IS
    'Venues that must have an AED (SRID 4326 lon/lat) with their outline as WKB where mapped as an area';
