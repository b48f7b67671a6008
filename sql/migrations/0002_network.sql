-- The road network, ready for pgRouting: one row per segment between two intersections.
-- Costs are travel times in seconds per mode; a negative cost means the mode may not use the
-- edge in that direction (pgRouting's convention), so one-way streets are reverse_cost < 0.

CREATE TABLE rc.network (
    id            serial PRIMARY KEY,
    source        text        NOT NULL,             -- file name or 'demo'
    synthetic     boolean     NOT NULL DEFAULT false,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    edge_count    integer     NOT NULL DEFAULT 0,
    vertex_count  integer     NOT NULL DEFAULT 0,
    bbox          geometry(Polygon, 4326)
);
COMMENT ON TABLE rc.network IS 'One row per network import; the newest row describes the loaded network';

CREATE TABLE rc.road_vertex (
    id    bigint PRIMARY KEY,                       -- the OSM node id
    geom  geometry(Point, 4326) NOT NULL
);
CREATE INDEX road_vertex_geom_idx ON rc.road_vertex USING gist (geom);

CREATE TABLE rc.road_edge (
    id                    bigint PRIMARY KEY,
    osm_way_id            bigint,
    source                bigint NOT NULL REFERENCES rc.road_vertex (id),
    target                bigint NOT NULL REFERENCES rc.road_vertex (id),
    road_class            text   NOT NULL,
    name                  text,
    length_m              double precision NOT NULL CHECK (length_m >= 0),
    maxspeed_kmh          real,                     -- as tagged, NULL when untagged or unparsable
    speed_drive_kmh       real   NOT NULL,
    speed_walk_kmh        real   NOT NULL,
    speed_bike_kmh        real   NOT NULL,
    cost_drive_s          double precision NOT NULL,
    reverse_cost_drive_s  double precision NOT NULL,
    cost_walk_s           double precision NOT NULL,
    reverse_cost_walk_s   double precision NOT NULL,
    cost_bike_s           double precision NOT NULL,
    reverse_cost_bike_s   double precision NOT NULL,
    island_drive          boolean NOT NULL DEFAULT false,  -- outside the largest component
    island_walk           boolean NOT NULL DEFAULT false,
    island_bike           boolean NOT NULL DEFAULT false,
    geom                  geometry(LineString, 4326) NOT NULL
);
COMMENT ON TABLE rc.road_edge IS 'Road segments between intersections; cost_<mode>_s < 0 means closed to that mode';
CREATE INDEX road_edge_geom_idx ON rc.road_edge USING gist (geom);
CREATE INDEX road_edge_source_idx ON rc.road_edge (source);
CREATE INDEX road_edge_target_idx ON rc.road_edge (target);
CREATE INDEX road_edge_osm_way_idx ON rc.road_edge (osm_way_id);
