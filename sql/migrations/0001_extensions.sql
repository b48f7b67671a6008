-- Extensions and our schema. PostGIS for geometry, pgRouting for SQL-side routing.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgrouting;
CREATE SCHEMA IF NOT EXISTS rc;
COMMENT ON SCHEMA rc IS 'rescuecircle: road network, facilities, people and decisions of the 5-minute rescue circle';
