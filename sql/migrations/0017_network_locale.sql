-- Where the loaded network is: its IANA time zone (opening hours and "today" are read in it
-- unless RC_TIMEZONE says otherwise) and its ISO 3166 country (public holidays), both found
-- by the OSM import from the network's roads. Networks imported before this migration get
-- them from their bounding box on the next `rescuecircle db migrate` (gis.network_locale).
--
-- Stations keep what they are: an ambulance station, or a fire station loaded as a
-- co-located ambulance post (`rescuecircle import osm FILE --stations-from ambulance,fire`).

ALTER TABLE rc.network
    ADD COLUMN timezone text,
    ADD COLUMN country  char(2) CHECK (country ~ '^[A-Z]{2}$');
COMMENT ON COLUMN rc.network.timezone IS
    'IANA time zone most of the network''s roads lie in (NULL: not known)';
COMMENT ON COLUMN rc.network.country IS
    'ISO 3166-1 alpha-2 country of that time zone, from the tz database''s zone.tab (NULL: at sea or not known)';

ALTER TABLE rc.station
    ADD COLUMN kind text NOT NULL DEFAULT 'ambulance' CHECK (kind IN ('ambulance', 'fire'));
COMMENT ON COLUMN rc.station.kind IS
    'ambulance: an ambulance station (OSM emergency=ambulance_station, or a registry); '
    'fire: a fire station (OSM amenity=fire_station) taken as a co-located ambulance post';
