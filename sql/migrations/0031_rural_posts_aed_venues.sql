-- Rural standards and AED duty venues (issue 16, items 4 and 5).
--
-- Hangzhou's plan gives rural areas "fixed + mobile" sentinel posts beside the stations: a
-- fixed post (a village clinic, 村卫生室) and a mobile unit's standby point (a dock). Both are
-- rows of rc.station, told apart by their kind, so they import, map and export as stations do.

ALTER TABLE rc.station DROP CONSTRAINT station_kind_check;
ALTER TABLE rc.station ADD CONSTRAINT station_kind_check
    CHECK (kind IN ('ambulance', 'fire', 'sentinel', 'mobile'));
COMMENT ON COLUMN rc.station.kind IS
    'ambulance: an ambulance station (OSM emergency=ambulance_station, or a registry); '
    'fire: a fire station (OSM amenity=fire_station) taken as a co-located ambulance post; '
    'sentinel: a fixed rural sentinel post (a village clinic, 村卫生室); '
    'mobile: a mobile unit''s standby point (a dock)';

-- Places that must have an AED: Hangzhou requires one in every public place with more than
-- 3,000 visitors a day or more than 40,000 m2, and more on public transport. Found in OSM
-- (formats.venue_tags) or loaded from a list (`rescuecircle import aed-venues FILE`).
CREATE TABLE rc.aed_venue (
    id              serial PRIMARY KEY,
    name            text,
    kind            text NOT NULL DEFAULT 'listed'
                    CHECK (kind IN ('railway_station', 'subway_entrance', 'bus_station',
                                    'airport', 'stadium', 'sports_centre', 'mall', 'school',
                                    'university', 'large_building', 'listed')),
    daily_visitors  double precision CHECK (daily_visitors >= 0),
    floor_area_m2   double precision CHECK (floor_area_m2 >= 0),
    address         text,
    osm_type        char(1) CHECK (osm_type IN ('n', 'w', 'r')),
    osm_id          bigint,
    source          text NOT NULL DEFAULT 'manual',
    geom            geometry(Point, 4326) NOT NULL,
    outline         geometry(Polygon, 4326),
    UNIQUE (osm_type, osm_id)
);
COMMENT ON TABLE rc.aed_venue IS
    'Venues that must have an AED (Hangzhou: public places of more than 3,000 visitors a day or 40,000 m2, public transport)';
COMMENT ON COLUMN rc.aed_venue.kind IS
    'What makes it a duty venue: an OSM venue kind, large_building (floor area over 40,000 m2), or listed (an imported list)';
COMMENT ON COLUMN rc.aed_venue.floor_area_m2 IS
    'Floor area: given, or from OSM the footprint times building:levels (one level when not tagged)';
COMMENT ON COLUMN rc.aed_venue.geom IS
    'Where walking time is measured to: the venue''s node, or the centroid of its outline';
COMMENT ON COLUMN rc.aed_venue.outline IS
    'The venue''s area when mapped as one: an AED inside it serves the venue';
CREATE INDEX aed_venue_geom_idx ON rc.aed_venue USING gist (geom);

-- Functions whose results change shape (sql/functions/ re-creates them after this file):
-- planning reads each station's kind and whether each AED is a public, usable one.
DROP FUNCTION IF EXISTS rc.planning_stations();
DROP FUNCTION IF EXISTS rc.planning_aeds(timestamptz);
