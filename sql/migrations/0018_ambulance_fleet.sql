-- The ambulance fleet as a real city has it: each ambulance's kind and equipment, where it came
-- from, its status changes and its live positions (both kept as history). Dispatch sends an
-- available ambulance from its fresh live position, else from its station.

ALTER TABLE rc.ambulance
    ADD COLUMN kind       text NOT NULL DEFAULT 'basic'
                          CHECK (kind IN ('basic', 'advanced', 'critical_care',
                                          'negative_pressure', 'neonatal', 'bariatric')),
    ADD COLUMN equipment  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN source     text NOT NULL DEFAULT 'manual';
COMMENT ON COLUMN rc.ambulance.kind IS
    'basic (BLS), advanced (ALS), critical_care, negative_pressure (infectious patients), neonatal, bariatric';
COMMENT ON COLUMN rc.ambulance.equipment IS 'e.g. {mechanical_cpr, ventilator}';

CREATE TABLE rc.ambulance_status_history (
    id            bigserial PRIMARY KEY,
    ambulance_id  integer NOT NULL REFERENCES rc.ambulance (id) ON DELETE CASCADE,
    old_status    text,
    new_status    text NOT NULL,
    reason        text,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    changed_by    text
);
COMMENT ON TABLE rc.ambulance_status_history IS
    'Every status an ambulance had, from the trigger rc._ambulance_status_logged';
CREATE INDEX ambulance_status_history_idx
    ON rc.ambulance_status_history (ambulance_id, changed_at DESC);

CREATE TABLE rc.ambulance_position (
    id            bigserial PRIMARY KEY,
    ambulance_id  integer NOT NULL REFERENCES rc.ambulance (id) ON DELETE CASCADE,
    observed_at   timestamptz NOT NULL DEFAULT now(),
    accuracy_m    real CHECK (accuracy_m >= 0),
    geom          geometry(Point, 4326) NOT NULL
);
CREATE INDEX ambulance_position_latest_idx
    ON rc.ambulance_position (ambulance_id, observed_at DESC);
COMMENT ON TABLE rc.ambulance_position IS
    'Live positions of ambulances (AVL), newest last; read by dispatch, never public';

-- Volunteers: when the certificate was issued, beside when it runs out.
ALTER TABLE rc.volunteer ADD COLUMN certified_on date;

-- Functions whose results change shape (sql/functions/ re-creates them after this file):
-- dispatch now picks ambulances, not stations; planning counts negative-pressure ones.
DROP FUNCTION IF EXISTS rc.dispatch_stations(double precision, double precision,
                                             double precision);
DROP FUNCTION IF EXISTS rc.planning_stations();
