-- Areas: population (raster cells or zone polygons, both stored as polygons with a count) and
-- districts, the units planners report KPIs for.

CREATE TABLE rc.population (
    id          bigserial PRIMARY KEY,
    population  double precision NOT NULL CHECK (population >= 0),
    source      text NOT NULL,                   -- e.g. 'raster:population.tif', 'zones:taz.geojson'
    geom        geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX population_geom_idx ON rc.population USING gist (geom);

CREATE TABLE rc.district (
    id      serial PRIMARY KEY,
    code    text UNIQUE,
    name    text NOT NULL,
    kind    text NOT NULL DEFAULT 'urban' CHECK (kind IN ('urban', 'rural')),
    source  text NOT NULL DEFAULT 'manual',
    geom    geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX district_geom_idx ON rc.district USING gist (geom);
