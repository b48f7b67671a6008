-- People and decisions: volunteers (personal data), their positions, incidents, dispatches.
-- None of these tables is ever published as a public collection.

CREATE TABLE rc.volunteer (
    id               serial PRIMARY KEY,
    name             text NOT NULL,
    phone            text,
    level            text NOT NULL DEFAULT 'junior'
                     CHECK (level IN ('emergency_responder', 'junior', 'senior')),
    availability     text NOT NULL DEFAULT 'off_duty'
                     CHECK (availability IN ('available', 'busy', 'off_duty')),
    certified_until  date,
    source           text NOT NULL DEFAULT 'manual',
    created_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rc.volunteer IS 'Trained volunteers; personal data, readable by dispatch and admin roles only';

CREATE TABLE rc.volunteer_position (
    id            bigserial PRIMARY KEY,
    volunteer_id  integer NOT NULL REFERENCES rc.volunteer (id) ON DELETE CASCADE,
    observed_at   timestamptz NOT NULL DEFAULT now(),
    accuracy_m    real CHECK (accuracy_m >= 0),
    geom          geometry(Point, 4326) NOT NULL
);
CREATE INDEX volunteer_position_latest_idx ON rc.volunteer_position (volunteer_id, observed_at DESC);
CREATE INDEX volunteer_position_geom_idx ON rc.volunteer_position USING gist (geom);

CREATE TABLE rc.incident (
    id           serial PRIMARY KEY,
    reported_at  timestamptz NOT NULL DEFAULT now(),
    category     text,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    input_crs    text NOT NULL DEFAULT 'wgs84' CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
    geom         geometry(Point, 4326) NOT NULL
);
CREATE INDEX incident_geom_idx ON rc.incident USING gist (geom);

CREATE TABLE rc.dispatch (
    id           serial PRIMARY KEY,
    incident_id  integer NOT NULL REFERENCES rc.incident (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    plan         jsonb NOT NULL
);
CREATE INDEX dispatch_incident_idx ON rc.dispatch (incident_id);
