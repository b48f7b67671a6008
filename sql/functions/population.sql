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
