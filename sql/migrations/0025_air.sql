-- Air medical rescue: helipads and landing points where a helicopter can set down, and the
-- air-ambulance bases it flies from, with how it flies. A public layer (OGC collection
-- helipads): landing sites are planning data, not personal data.

CREATE TABLE rc.helipad (
    id                serial PRIMARY KEY,
    name              text NOT NULL,
    ref               text,
    kind              text NOT NULL DEFAULT 'helipad'
                      CHECK (kind IN ('helipad', 'landing_point', 'air_base')),
    status            text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'out_of_service')),
    helicopters       integer NOT NULL DEFAULT 0 CHECK (helicopters >= 0),
    spin_up_s         real CHECK (spin_up_s >= 0),
    cruise_speed_kmh  real CHECK (cruise_speed_kmh > 0),
    range_km          real CHECK (range_km > 0),
    source            text NOT NULL DEFAULT 'manual',
    geom              geometry(Point, 4326) NOT NULL
);
COMMENT ON TABLE rc.helipad IS
    'Helipads (at hospitals or elsewhere), landing points and air-ambulance bases';
COMMENT ON COLUMN rc.helipad.kind IS
    'helipad: a built pad; landing_point: a place cleared for landings (a sports ground); air_base: where helicopters wait';
COMMENT ON COLUMN rc.helipad.helicopters IS 'Helicopters stationed here (air bases)';
COMMENT ON COLUMN rc.helipad.spin_up_s IS 'Alert to airborne; NULL: the default of routing/air.py';
CREATE INDEX helipad_geom_idx ON rc.helipad USING gist (geom);
CREATE UNIQUE INDEX helipad_ref_idx ON rc.helipad (source, ref) WHERE ref IS NOT NULL;
