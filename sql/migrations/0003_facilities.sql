-- Facilities: ambulance stations and their ambulances, hospitals, AEDs, drone pads, training sites.
-- Rows that came from OpenStreetMap keep osm_type/osm_id so a re-import updates them in place.

CREATE TABLE rc.station (
    id          serial PRIMARY KEY,
    name        text,
    ref         text,
    address     text,
    osm_type    char(1) CHECK (osm_type IN ('n', 'w', 'r')),
    osm_id      bigint,
    source      text NOT NULL DEFAULT 'manual',
    geom        geometry(Point, 4326) NOT NULL,
    UNIQUE (osm_type, osm_id)
);
CREATE INDEX station_geom_idx ON rc.station USING gist (geom);

CREATE TABLE rc.ambulance (
    id          serial PRIMARY KEY,
    station_id  integer NOT NULL REFERENCES rc.station (id) ON DELETE CASCADE,
    call_sign   text NOT NULL UNIQUE,
    status      text NOT NULL DEFAULT 'available'
                CHECK (status IN ('available', 'busy', 'out_of_service'))
);

CREATE TABLE rc.hospital (
    id          serial PRIMARY KEY,
    name        text,
    osm_type    char(1) CHECK (osm_type IN ('n', 'w', 'r')),
    osm_id      bigint,
    source      text NOT NULL DEFAULT 'manual',
    geom        geometry(Point, 4326) NOT NULL,
    UNIQUE (osm_type, osm_id)
);
CREATE INDEX hospital_geom_idx ON rc.hospital USING gist (geom);

CREATE TABLE rc.aed (
    id                  serial PRIMARY KEY,
    ref                 text,
    name                text,
    brand               text,
    model               text,
    serial              text,
    owner               text,
    contact             text,
    phone               text,
    address             text,
    location_text       text,                     -- OSM defibrillator:location
    indoor              boolean,
    level               text,
    opening_hours       text,                     -- OSM opening_hours syntax, as given
    access              text,                     -- OSM access: yes, customers, private, ...
    status              text NOT NULL DEFAULT 'ready'
                        CHECK (status IN ('ready', 'fault', 'in_use', 'out_of_service', 'missing')),
    battery_expires_on  date,
    pads_expire_on      date,
    last_inspected_at   timestamptz,
    photo_ref           text,
    osm_type            char(1) CHECK (osm_type IN ('n', 'w', 'r')),
    osm_id              bigint,
    source              text NOT NULL DEFAULT 'manual',
    updated_at          timestamptz NOT NULL DEFAULT now(),
    geom                geometry(Point, 4326) NOT NULL,
    UNIQUE (osm_type, osm_id)
);
COMMENT ON TABLE rc.aed IS 'Automated external defibrillators with registry status';
CREATE INDEX aed_geom_idx ON rc.aed USING gist (geom);
CREATE INDEX aed_serial_idx ON rc.aed (serial);

CREATE TABLE rc.drone_pad (
    id                serial PRIMARY KEY,
    name              text NOT NULL,
    status            text NOT NULL DEFAULT 'ready'
                      CHECK (status IN ('ready', 'busy', 'out_of_service')),
    range_km          real NOT NULL DEFAULT 8 CHECK (range_km > 0),
    cruise_speed_kmh  real NOT NULL DEFAULT 60 CHECK (cruise_speed_kmh > 0),
    source            text NOT NULL DEFAULT 'manual',
    geom              geometry(Point, 4326) NOT NULL
);
CREATE INDEX drone_pad_geom_idx ON rc.drone_pad USING gist (geom);

CREATE TABLE rc.training_site (
    id       serial PRIMARY KEY,
    name     text NOT NULL,
    address  text,
    source   text NOT NULL DEFAULT 'manual',
    geom     geometry(Point, 4326) NOT NULL
);
CREATE INDEX training_site_geom_idx ON rc.training_site USING gist (geom);
