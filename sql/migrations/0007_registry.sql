-- AED registry and volunteer registry: parsed opening hours, status history, self-tests and
-- inspections, use records, public fault reports, an outbox of owner notifications; volunteer
-- approval, certificates, training and service records; training sessions.
-- Triggers and functions over these tables are in sql/functions/registry.sql.

-- Opening hours are parsed when written (gis/opening_hours.py): hours_state says how to read
-- them. 'none': no opening_hours given (no known restriction); 'pending': changed, not parsed
-- yet; 'always': 24/7; 'schedule': the rows of rc.aed_opening; 'malformed': unreadable.
ALTER TABLE rc.aed
    ADD COLUMN hours_state        text NOT NULL DEFAULT 'none'
                                  CHECK (hours_state IN ('none', 'pending', 'always', 'schedule',
                                                         'malformed')),
    ADD COLUMN hours_problems     text,
    ADD COLUMN battery_level_pct  real CHECK (battery_level_pct BETWEEN 0 AND 100),
    ADD COLUMN last_self_test_at  timestamptz;
-- Rows loaded before this migration: 24/7 needs no parser; the others wait for the next sync
-- (`rescuecircle aed sync-hours`, or any registry write).
UPDATE rc.aed SET hours_state = CASE WHEN trim(opening_hours) = '24/7' THEN 'always'
                                     ELSE 'pending' END
WHERE nullif(trim(opening_hours), '') IS NOT NULL;

CREATE TABLE rc.aed_opening (
    aed_id      integer  NOT NULL REFERENCES rc.aed (id) ON DELETE CASCADE,
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),   -- ISO: 1 Monday, 7 Sunday
    opens_min   smallint NOT NULL CHECK (opens_min >= 0 AND opens_min < 1440),
    closes_min  smallint NOT NULL CHECK (closes_min > opens_min AND closes_min <= 2880),
    PRIMARY KEY (aed_id, weekday, opens_min)
);
COMMENT ON TABLE rc.aed_opening IS
    'Weekly opening intervals of AEDs in local minutes since midnight; closes_min > 1440 runs into the next day';

CREATE TABLE rc.aed_status_history (
    id          bigserial PRIMARY KEY,
    aed_id      integer NOT NULL REFERENCES rc.aed (id) ON DELETE CASCADE,
    changed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    old_status  text,
    new_status  text NOT NULL,
    reason      text,
    changed_by  text NOT NULL
);
CREATE INDEX aed_status_history_aed_idx ON rc.aed_status_history (aed_id, changed_at DESC);
COMMENT ON TABLE rc.aed_status_history IS 'Every AED status change: when, from what to what, why and by whom';

CREATE TABLE rc.aed_check (
    id                  bigserial PRIMARY KEY,
    aed_id              integer NOT NULL REFERENCES rc.aed (id) ON DELETE CASCADE,
    kind                text NOT NULL CHECK (kind IN ('self_test', 'inspection')),
    checked_at          timestamptz NOT NULL,
    battery_level_pct   real CHECK (battery_level_pct BETWEEN 0 AND 100),
    battery_expires_on  date,
    pads_expire_on      date,
    error_codes         text[] NOT NULL DEFAULT '{}',
    outcome             text NOT NULL CHECK (outcome IN ('ok', 'fault')),
    problems            text[] NOT NULL DEFAULT '{}',
    note                text,
    checked_by          text NOT NULL,
    volunteer_id        integer REFERENCES rc.volunteer (id) ON DELETE SET NULL
);
CREATE INDEX aed_check_aed_idx ON rc.aed_check (aed_id, checked_at DESC);
COMMENT ON TABLE rc.aed_check IS 'Device self-tests (telemetry) and inspections on foot, with what the rules found';

CREATE TABLE rc.aed_report (
    id           bigserial PRIMARY KEY,
    aed_id       integer NOT NULL REFERENCES rc.aed (id) ON DELETE CASCADE,
    reported_at  timestamptz NOT NULL DEFAULT now(),
    problem      text NOT NULL
                 CHECK (problem IN ('missing', 'damaged', 'inaccessible', 'expired', 'other')),
    description  text,
    contact      text,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_by  bigint REFERENCES rc.aed_check (id) ON DELETE SET NULL
);
CREATE INDEX aed_report_open_idx ON rc.aed_report (aed_id) WHERE status = 'open';
COMMENT ON TABLE rc.aed_report IS 'Public fault reports (no login): the inspection queue';

CREATE TABLE rc.aed_use (
    id            bigserial PRIMARY KEY,
    aed_id        integer REFERENCES rc.aed (id) ON DELETE SET NULL,
    incident_id   integer REFERENCES rc.incident (id) ON DELETE SET NULL,
    used_at       timestamptz NOT NULL,
    volunteer_id  integer REFERENCES rc.volunteer (id) ON DELETE SET NULL,
    outcome       text NOT NULL
                  CHECK (outcome IN ('shock_delivered', 'no_shock_advised', 'pads_not_attached',
                                     'not_used')),
    note          text,
    recorded_by   text NOT NULL,
    geom          geometry(Point, 4326)
);
CREATE INDEX aed_use_aed_idx ON rc.aed_use (aed_id, used_at DESC);
COMMENT ON TABLE rc.aed_use IS 'Every use of an AED: when, where, by whom, outcome, incident';

CREATE TABLE rc.notification_outbox (
    id               bigserial PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    topic            text NOT NULL,
    event_key        text NOT NULL UNIQUE,                -- one notification per event
    aed_id           integer REFERENCES rc.aed (id) ON DELETE SET NULL,
    recipient        text,
    payload          jsonb NOT NULL,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    failed_at        timestamptz,
    last_error       text
);
CREATE INDEX notification_outbox_due_idx ON rc.notification_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
COMMENT ON TABLE rc.notification_outbox IS
    'Notifications to deliver (owner fault alerts); written in the transaction of the event, delivered with retries';

-- Volunteers: rows written before this migration, and by loaders that predate approval, are
-- approved volunteers ('active'); registrations through the API start 'pending'.
ALTER TABLE rc.volunteer
    ADD COLUMN status             text NOT NULL DEFAULT 'active'
                                  CHECK (status IN ('pending', 'active', 'suspended')),
    ADD COLUMN status_reason      text,
    ADD COLUMN status_changed_at  timestamptz,
    ADD COLUMN status_changed_by  text,
    ADD COLUMN certificate_no     text,
    ADD COLUMN ecert_id           uuid UNIQUE;
CREATE UNIQUE INDEX volunteer_certificate_idx ON rc.volunteer (certificate_no)
    WHERE certificate_no IS NOT NULL;

CREATE TABLE rc.training_record (
    id                serial PRIMARY KEY,
    volunteer_id      integer NOT NULL REFERENCES rc.volunteer (id) ON DELETE CASCADE,
    course            text NOT NULL,
    level             text CHECK (level IN ('emergency_responder', 'junior', 'senior')),
    completed_on      date NOT NULL,
    expires_on        date,
    certificate_no    text,
    training_site_id  integer REFERENCES rc.training_site (id) ON DELETE SET NULL
);
CREATE INDEX training_record_volunteer_idx ON rc.training_record (volunteer_id);

CREATE TABLE rc.volunteer_service (
    id            serial PRIMARY KEY,
    volunteer_id  integer NOT NULL REFERENCES rc.volunteer (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('rescue', 'duty', 'training_given')),
    started_at    timestamptz NOT NULL,
    duration_min  integer NOT NULL CHECK (duration_min >= 0),
    incident_id   integer REFERENCES rc.incident (id) ON DELETE SET NULL,
    note          text
);
CREATE INDEX volunteer_service_volunteer_idx ON rc.volunteer_service (volunteer_id);
COMMENT ON TABLE rc.volunteer_service IS 'Rescues attended and service hours: what promotion counts';

CREATE TABLE rc.training_session (
    id                serial PRIMARY KEY,
    training_site_id  integer NOT NULL REFERENCES rc.training_site (id) ON DELETE CASCADE,
    course            text NOT NULL,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    capacity          integer CHECK (capacity > 0),
    CHECK (ends_at > starts_at)
);
CREATE INDEX training_session_site_idx ON rc.training_session (training_site_id, starts_at);
COMMENT ON TABLE rc.training_session IS 'Public schedule of first-aid courses at training sites';
