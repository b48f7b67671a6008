-- Vector tile layers become rows (issue #13, one definition of each thing). The one tile
-- function, rc.tile(layer, z, x, y), is written from these rows by rc._tile_generate() at the
-- end of sql/functions/tiles.sql (so on every migrate, after the migrations that change them),
-- and gis/tiles.py reads its TileJSON and OGC metadata (property names and types, min zooms,
-- public or not, max-age) from the same rows. The per-layer functions rc.tile_<layer> go.
--
-- rc.tile_layer: what /tiles/{name} serves (or, not public, only a route behind a role).
-- rc.tile_vector_layer: the MVT layers inside its tiles, in order. A source is a table or a view
-- in schema rc; computed properties (road kinds, people per km², AED cell counts) are columns
-- of the views in sql/functions/tiles.sql. Only identifiers live here, never SQL text: they are
-- quoted with format('%I'), and rc.tile_layer_problems() checks them before rc.tile is written.
-- To add or change a layer: a new migration that inserts or updates rows (and its view, if any).

CREATE TABLE rc.tile_layer (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    position     smallint NOT NULL UNIQUE,
    title        text     NOT NULL,
    description  text     NOT NULL,
    public       boolean  NOT NULL,
    max_age_s    integer  NOT NULL CHECK (max_age_s > 0)
);
COMMENT ON TABLE rc.tile_layer IS
    'Vector tile layers: rc.tile(name, z, x, y); public ones at /tiles/{name}';
COMMENT ON COLUMN rc.tile_layer.public IS
    'Served at /tiles to anyone; false: only through a route behind a role (population)';
COMMENT ON COLUMN rc.tile_layer.max_age_s IS 'Cache-Control max-age of its tiles';

CREATE TABLE rc.tile_vector_layer (
    tile_layer       text     NOT NULL REFERENCES rc.tile_layer ON DELETE CASCADE,
    name             text     NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    position         smallint NOT NULL,
    description      text     NOT NULL,
    source           text     NOT NULL,
    geom_column      text     NOT NULL DEFAULT 'geom',
    id_column        text,
    properties       text[]   NOT NULL,
    minzoom          smallint NOT NULL DEFAULT 0 CHECK (minzoom BETWEEN 0 AND 22),
    minzoom_column   text,
    order_column     text,
    buffer           smallint NOT NULL DEFAULT 64 CHECK (buffer BETWEEN 0 AND 4096),
    simplify_maxzoom smallint CHECK (simplify_maxzoom BETWEEN 0 AND 22),
    keep_collapsed   boolean  NOT NULL DEFAULT false,
    cells_below      smallint CHECK (cells_below BETWEEN 1 AND 22),
    cell_properties  text[]   NOT NULL DEFAULT '{}',
    PRIMARY KEY (tile_layer, name),
    UNIQUE (tile_layer, position),
    CHECK ((cells_below IS NULL) = (cell_properties = '{}'))
);
COMMENT ON TABLE rc.tile_vector_layer IS
    'The MVT layers of each tile layer, in tile order (position): what rc.tile selects';
COMMENT ON COLUMN rc.tile_vector_layer.source IS 'A table or view in schema rc';
COMMENT ON COLUMN rc.tile_vector_layer.id_column IS 'The MVT feature id; NULL: none';
COMMENT ON COLUMN rc.tile_vector_layer.properties IS 'Columns of source, as feature properties';
COMMENT ON COLUMN rc.tile_vector_layer.minzoom IS 'Tiles below this zoom leave the layer out';
COMMENT ON COLUMN rc.tile_vector_layer.minzoom_column IS
    'Leaves out the rows whose value in this column is above the tile''s zoom';
COMMENT ON COLUMN rc.tile_vector_layer.order_column IS
    'Rows in this order, so the feature cap keeps the same ones; NULL: any order';
COMMENT ON COLUMN rc.tile_vector_layer.buffer IS
    'Tile units (of 4096) around the tile that its features reach into';
COMMENT ON COLUMN rc.tile_vector_layer.simplify_maxzoom IS
    'Geometries simplified to one tile unit up to this zoom; NULL: never';
COMMENT ON COLUMN rc.tile_vector_layer.keep_collapsed IS
    'ST_Simplify''s preserveCollapsed: polygons smaller than the tolerance stay';
COMMENT ON COLUMN rc.tile_vector_layer.cells_below IS
    'Below this zoom: one point per 64x64-unit cell (points only), with cell_properties summed';
COMMENT ON COLUMN rc.tile_vector_layer.cell_properties IS
    'Integer columns of source summed per cell, below cells_below';

INSERT INTO rc.tile_layer (name, position, title, description, public, max_age_s) VALUES
    ('aeds', 1, 'AEDs', 'Automated external defibrillators with status and opening hours',
     true, 30),  -- a faulty AED must disappear from maps quickly
    ('stations', 2, 'Ambulance stations', 'Stations ambulances leave from', true, 300),
    ('hospitals', 3, 'Hospitals', 'Hospitals patients are taken to', true, 300),
    ('drone_pads', 4, 'Drone pads', 'Pads drones carrying AEDs take off from', true, 300),
    ('training_sites', 5, 'Training sites', 'Where first-aid training is given', true, 300),
    ('districts', 6, 'Districts', 'Areas planners report coverage for', true, 3600),
    ('road_edges', 7, 'Road network', 'Road segments with travel times per mode (seconds; '
     'negative: closed in that direction)', true, 3600),
    ('basemap', 8, 'Basemap', 'Roads by kind and districts, for a background map (no water: '
     'the database holds no water areas)', true, 3600),
    -- Not public: for the planner view, behind the analyst role (api/planning.py).
    ('population', 9, 'Population', 'Where people live: raster cells or zones with their '
     'people and density', false, 3600);

INSERT INTO rc.tile_vector_layer (tile_layer, name, position, description, source, id_column,
                                  properties, order_column, cells_below, cell_properties)
VALUES ('aeds', 'aeds', 1, 'One point per AED from zoom 12; below, one point per 64x64-unit '
        'cell with point_count and ready_count (ids and names only from zoom 12)', 'aed_tile',
        'id', '{id, name, status, access, opening_hours, indoor, level, location_text, '
        'point_count}', 'id', 12, '{point_count, ready_count}');

INSERT INTO rc.tile_vector_layer (tile_layer, name, position, description, source, id_column,
                                  properties, order_column) VALUES
    ('stations', 'stations', 1, 'Stations ambulances leave from', 'station', 'id',
     '{id, name, ref, address}', 'id'),
    ('hospitals', 'hospitals', 1, 'Hospitals patients are taken to', 'hospital', 'id',
     '{id, name}', 'id'),
    ('drone_pads', 'drone_pads', 1, 'Pads drones carrying AEDs take off from', 'drone_pad',
     'id', '{id, name, status, range_km, cruise_speed_kmh}', 'id'),
    ('training_sites', 'training_sites', 1, 'Where first-aid training is given',
     'training_site', 'id', '{id, name, address}', 'id');

INSERT INTO rc.tile_vector_layer (tile_layer, name, position, description, source, id_column,
                                  properties, minzoom, minzoom_column, order_column, buffer,
                                  simplify_maxzoom, keep_collapsed) VALUES
    ('districts', 'districts', 1, 'District polygons, simplified to one tile unit', 'district',
     'id', '{id, code, name, kind}', 0, NULL, 'id', 64, 22, true),
    ('road_edges', 'road_edges', 1, 'Highways from zoom 5, primary 8, secondary 10, tertiary '
     '11, residential 13, service roads and paths 14', 'road_edge_tile', 'id',
     '{id, osm_way_id, road_class, name, length_m, maxspeed_kmh, cost_drive_s, '
     'reverse_cost_drive_s, cost_walk_s, reverse_cost_walk_s, cost_bike_s, '
     'reverse_cost_bike_s, island_drive, island_walk, island_bike}',
     0, 'minzoom', NULL, 64, 13, false),
    ('basemap', 'districts', 1, 'District polygons', 'district', NULL, '{name, kind}',
     0, NULL, NULL, 64, 22, true),
    ('basemap', 'roads', 2, 'Roads by kind: highway, major, medium, minor, path',
     'road_edge_tile', NULL, '{kind, road_class, name}', 5, 'minzoom', NULL, 64, 13, false),
    ('population', 'population', 1, 'Cells or zones from zoom 10, simplified to one tile unit',
     'population_tile', 'id', '{id, people, people_per_km2}', 10, NULL, 'id', 16, 22, true);

-- sql/functions/tiles.sql no longer makes these; rc.tile('<layer>', z, x, y) replaces them.
DROP FUNCTION IF EXISTS rc.tile_aeds(integer, integer, integer),
    rc.tile_stations(integer, integer, integer), rc.tile_hospitals(integer, integer, integer),
    rc.tile_drone_pads(integer, integer, integer),
    rc.tile_training_sites(integer, integer, integer),
    rc.tile_districts(integer, integer, integer), rc.tile_road_edges(integer, integer, integer),
    rc.tile_basemap(integer, integer, integer), rc.tile_population(integer, integer, integer);
