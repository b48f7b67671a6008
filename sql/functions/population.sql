-- People living inside an area, by areal weighting of rc.population (raster cells or zones):
-- a cell wholly inside counts whole, a cell cut by the boundary counts by its share of area.
CREATE OR REPLACE FUNCTION rc.population_within(area geometry)
RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(
        CASE WHEN ST_Within(p.geom, area) THEN p.population
             ELSE p.population * ST_Area(ST_Intersection(p.geom, area)) / nullif(ST_Area(p.geom), 0)
        END), 0)
    FROM rc.population p
    WHERE p.geom && area AND ST_Intersects(p.geom, area);
$$;
COMMENT ON FUNCTION rc.population_within(geometry) IS
    'Population inside an area (SRID 4326), areal-weighted from rc.population';

-- Population as weighted points for fast in-memory sums: a small cell becomes its centroid;
-- a larger polygon (a traffic zone) is cut by a square grid of about cell_m and each piece
-- becomes its centroid with the share of people its area holds (areal weighting).
CREATE OR REPLACE FUNCTION rc.population_points(cell_m double precision DEFAULT 100)
RETURNS TABLE (lon double precision, lat double precision, people double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH sized AS (
        SELECT p.geom, p.population, ST_Area(p.geom::geography) AS area_m2
        FROM rc.population p
        WHERE p.population > 0
    ), small AS (
        SELECT ST_Centroid(geom) AS point, population AS people
        FROM sized WHERE area_m2 <= 4 * cell_m * cell_m
    ), pieces AS (
        SELECT ST_Intersection(s.geom, g.geom) AS piece, s.population, s.area_m2
        FROM sized s
        CROSS JOIN LATERAL ST_SquareGrid(cell_m / 111320.0, s.geom) g
        WHERE s.area_m2 > 4 * cell_m * cell_m AND ST_Intersects(s.geom, g.geom)
    )
    SELECT ST_X(point), ST_Y(point), people FROM small
    UNION ALL
    SELECT ST_X(ST_Centroid(piece)), ST_Y(ST_Centroid(piece)),
           population * ST_Area(piece::geography) / area_m2
    FROM pieces
    WHERE NOT ST_IsEmpty(piece);
$$;
COMMENT ON FUNCTION rc.population_points(double precision) IS
    'Population as weighted points (cell centroids; zones split on a grid of about cell_m)';
