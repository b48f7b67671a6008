-- The live dispatch loop: what happens after a plan. Responders are alerted and accept,
-- decline or time out; every unit sent is claimed so no other incident gets it; every step is
-- an event, numbered per incident so a live view can resume where it left off; incidents close
-- with an outcome. Graded dispatch says which categories get volunteers, a runner, a drone.

ALTER TABLE rc.incident
    ADD COLUMN answered_at  timestamptz,
    ADD COLUMN floor        integer CHECK (floor BETWEEN -10 AND 200),
    ADD COLUMN closed_at    timestamptz,
    ADD COLUMN outcome      text CHECK (outcome IN (
                                'transported', 'treated_on_scene', 'refused', 'dead_on_scene',
                                'false_alarm', 'cancelled')),
    ADD COLUMN rosc         boolean,
    ADD COLUMN event_seq    integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN rc.incident.reported_at IS 'When the call was received';
COMMENT ON COLUMN rc.incident.answered_at IS 'When the call was answered (the call-taking system''s time)';
COMMENT ON COLUMN rc.incident.floor IS 'The patient''s floor (0 the ground floor), for the vertical access delay';
COMMENT ON COLUMN rc.incident.rosc IS 'Return of spontaneous circulation at hand-over (cardiac arrests)';
COMMENT ON COLUMN rc.incident.event_seq IS 'The number of the incident''s latest event';
CREATE INDEX incident_open_idx ON rc.incident (id) WHERE status = 'open';

CREATE TABLE rc.incident_event (
    incident_id  integer NOT NULL REFERENCES rc.incident (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    at           timestamptz NOT NULL,
    kind         text NOT NULL CHECK (kind IN (
                     'call_received', 'call_answered', 'plan_sent', 'alerted', 'accepted',
                     'declined', 'timed_out', 'withdrawn', 'position', 'en_route', 'on_scene',
                     'aed_collected', 'aed_at_patient', 'dispatched', 'transporting',
                     'at_hospital', 'handed_over', 'released', 'closed')),
    unit_kind    text CHECK (unit_kind IN ('volunteer', 'ambulance', 'aed', 'drone_pad')),
    unit_id      integer,
    data         jsonb NOT NULL DEFAULT '{}',
    created_by   text,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, seq)
);
COMMENT ON TABLE rc.incident_event IS
    'Every step of an incident, numbered 1, 2, ... per incident in commit order (rc.incident_event_add); personal data: dispatch and admin only';
CREATE INDEX incident_event_kind_idx ON rc.incident_event (kind, at);

CREATE TABLE rc.assignment (
    id              serial PRIMARY KEY,
    incident_id     integer NOT NULL REFERENCES rc.incident (id) ON DELETE CASCADE,
    unit_kind       text NOT NULL CHECK (unit_kind IN ('volunteer', 'ambulance', 'aed', 'drone_pad')),
    unit_id         integer NOT NULL,
    claimed_at      timestamptz NOT NULL DEFAULT now(),
    released_at     timestamptz,
    release_reason  text
);
COMMENT ON TABLE rc.assignment IS
    'Who and what is sent to an incident: a unit holds at most one active claim (released_at IS NULL)';
CREATE UNIQUE INDEX assignment_active_unit_idx ON rc.assignment (unit_kind, unit_id)
    WHERE released_at IS NULL;
CREATE INDEX assignment_incident_idx ON rc.assignment (incident_id) WHERE released_at IS NULL;

CREATE TABLE rc.alert (
    id                serial PRIMARY KEY,
    incident_id       integer NOT NULL REFERENCES rc.incident (id) ON DELETE CASCADE,
    dispatch_id       integer NOT NULL REFERENCES rc.dispatch (id) ON DELETE CASCADE,
    volunteer_id      integer NOT NULL REFERENCES rc.volunteer (id) ON DELETE CASCADE,
    task              text NOT NULL CHECK (task IN ('respond', 'fetch_aed')),
    aed_id            integer REFERENCES rc.aed (id) ON DELETE SET NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN (
                          'pending', 'accepted', 'declined', 'timed_out', 'withdrawn',
                          'arrived', 'stood_down')),
    alerted_at        timestamptz NOT NULL DEFAULT now(),
    deadline_at       timestamptz NOT NULL,
    answered_at       timestamptz,
    aed_collected_at  timestamptz,
    arrived_at        timestamptz,
    eta_s             real,
    leg               jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE rc.alert IS
    'An alert to one volunteer for one incident, with the route they were given; personal data';
COMMENT ON COLUMN rc.alert.leg IS 'The plan''s leg for this volunteer: eta_s and routes (GeoJSON)';
CREATE INDEX alert_due_idx ON rc.alert (deadline_at) WHERE status = 'pending';
CREATE INDEX alert_volunteer_idx ON rc.alert (volunteer_id, id DESC);
CREATE INDEX alert_incident_idx ON rc.alert (incident_id);

CREATE TABLE rc.dispatch_grade (
    category     text PRIMARY KEY,
    volunteers   boolean NOT NULL,
    aed_runner   boolean NOT NULL,
    drone        boolean NOT NULL,
    description  text NOT NULL
);
COMMENT ON TABLE rc.dispatch_grade IS
    'Graded dispatch: which call categories get volunteers, an AED runner and a drone besides the ambulance';
INSERT INTO rc.dispatch_grade VALUES
    ('cardiac_arrest', true, true, true, 'Cardiac arrest, or unconscious and not breathing normally'),
    ('drowning', true, true, true, 'Drowning: treated as a cardiac arrest until shown otherwise'),
    ('choking', true, false, false, 'Choking adult or child: volunteers for back blows and thrusts'),
    ('severe_bleeding', true, false, false, 'Catastrophic bleeding: volunteers for pressure and tourniquet'),
    ('unconscious', true, true, false, 'Unconscious, breathing: volunteers and an AED in case it stops'),
    ('chest_pain', false, false, false, 'Chest pain: ambulance only'),
    ('stroke', false, false, false, 'Suspected stroke: ambulance only'),
    ('breathing_problem', false, false, false, 'Breathing problems: ambulance only'),
    ('trauma', false, false, false, 'Injury without catastrophic bleeding: ambulance only'),
    ('other', false, false, false, 'Every other call: ambulance only');

-- Ambulances report where they are in a mission; 'busy' stays for manual use.
ALTER TABLE rc.ambulance DROP CONSTRAINT ambulance_status_check;
ALTER TABLE rc.ambulance ADD CONSTRAINT ambulance_status_check CHECK (status IN (
    'available', 'dispatched', 'en_route', 'on_scene', 'transporting', 'at_hospital', 'busy',
    'out_of_service'));

-- Candidate functions now skip units claimed by another incident (sql/functions re-creates them).
DROP FUNCTION IF EXISTS rc.dispatch_volunteers(double precision, double precision,
    double precision, timestamptz, double precision);
DROP FUNCTION IF EXISTS rc.dispatch_aeds(double precision, double precision, double precision,
    timestamptz);
DROP FUNCTION IF EXISTS rc.dispatch_ambulances(double precision, double precision,
    double precision, timestamptz, double precision);
DROP FUNCTION IF EXISTS rc.dispatch_pads(double precision, double precision);
