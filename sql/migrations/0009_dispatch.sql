-- Dispatch audit and drone no-fly zones.
-- Every plan is stored with what went in (inputs), what was looked at (candidates), what came
-- out (plan) and how long each step took, so a decision can be explained afterwards.

ALTER TABLE rc.dispatch
    ADD COLUMN inputs      jsonb   NOT NULL DEFAULT '{}',
    ADD COLUMN candidates  jsonb   NOT NULL DEFAULT '{}',
    ADD COLUMN timings_ms  jsonb   NOT NULL DEFAULT '{}',
    ADD COLUMN created_by  text,
    ADD COLUMN replan_of   integer REFERENCES rc.dispatch (id);
COMMENT ON TABLE rc.dispatch IS
    'Dispatch plans with their inputs, candidates and timings; dispatcher and admin only';

CREATE TABLE rc.no_fly_zone (
    id      serial PRIMARY KEY,
    name    text NOT NULL,
    source  text NOT NULL DEFAULT 'manual',
    geom    geometry(MultiPolygon, 4326) NOT NULL
);
COMMENT ON TABLE rc.no_fly_zone IS 'Areas drones must not fly over (airports, prisons, ...)';
CREATE INDEX no_fly_zone_geom_idx ON rc.no_fly_zone USING gist (geom);
