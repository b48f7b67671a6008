-- The training network for the public: enrol in a course online, the site records who
-- attended, and an attended course becomes the volunteer's training record. Names and
-- phones are personal data: never public, never an analyst's.

CREATE TABLE rc.enrolment (
    id            serial PRIMARY KEY,
    session_id    integer NOT NULL REFERENCES rc.training_session (id) ON DELETE CASCADE,
    name          text NOT NULL,
    phone         text NOT NULL,
    volunteer_id  integer REFERENCES rc.volunteer (id) ON DELETE SET NULL,
    status        text NOT NULL DEFAULT 'enrolled'
                  CHECK (status IN ('enrolled', 'cancelled', 'attended', 'absent')),
    enrolled_at   timestamptz NOT NULL DEFAULT now(),
    attended_at   timestamptz,
    UNIQUE (session_id, phone)
);
COMMENT ON TABLE rc.enrolment IS
    'Sign-ups for training sessions; personal data, read by admins only';
CREATE INDEX enrolment_session_idx ON rc.enrolment (session_id) WHERE status <> 'cancelled';
