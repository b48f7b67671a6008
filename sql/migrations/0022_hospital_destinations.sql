-- Hospitals as destinations: what each one can treat, so a plan proposes where the patient
-- goes (the nearest emergency department able to treat the call's category), and the
-- destination gets an arrival pre-notice when the ambulance starts transporting.

ALTER TABLE rc.hospital
    ADD COLUMN grade              text,
    ADD COLUMN emergency          boolean,
    ADD COLUMN capabilities       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN helipad            boolean,
    ADD COLUMN prenotice_contact  text,
    ADD COLUMN ref                text;
COMMENT ON COLUMN rc.hospital.grade IS
    'The hospital''s grade as the deployment''s health authority gives it (China: 一级/二级/三级 as 1, 2, 3, with 甲/乙 as a, b: 3a), free text';
COMMENT ON COLUMN rc.hospital.emergency IS
    'Has an emergency department open to ambulances (OSM emergency=yes); NULL unknown: never chosen as a destination';
COMMENT ON COLUMN rc.hospital.capabilities IS
    'What it can treat, from rc.hospital_capability: {chest_pain, stroke, trauma, ...}';
COMMENT ON COLUMN rc.hospital.prenotice_contact IS
    'Where arrival pre-notices go (an address the notification gateway understands)';
CREATE UNIQUE INDEX hospital_ref_idx ON rc.hospital (source, ref) WHERE ref IS NOT NULL;

CREATE TABLE rc.hospital_capability (
    name         text PRIMARY KEY,
    description  text NOT NULL
);
COMMENT ON TABLE rc.hospital_capability IS
    'The capabilities a hospital may have; deployments add their own rows';
INSERT INTO rc.hospital_capability VALUES
    ('chest_pain', 'Chest pain centre: primary PCI for heart attacks, post-arrest care'),
    ('stroke', 'Stroke centre: thrombolysis and thrombectomy'),
    ('trauma', 'Trauma centre'),
    ('paediatric', 'Paediatric emergency care'),
    ('maternity', 'Obstetric emergencies'),
    ('burns', 'Burns unit');

-- Which capability each call category needs at its destination (NULL: any emergency department).
ALTER TABLE rc.dispatch_grade ADD COLUMN destination_capability text
    REFERENCES rc.hospital_capability (name);
UPDATE rc.dispatch_grade SET destination_capability = CASE category
    WHEN 'cardiac_arrest' THEN 'chest_pain'
    WHEN 'chest_pain' THEN 'chest_pain'
    WHEN 'stroke' THEN 'stroke'
    WHEN 'trauma' THEN 'trauma'
    WHEN 'severe_bleeding' THEN 'trauma'
    END;

ALTER TABLE rc.incident ADD COLUMN destination_hospital_id integer
    REFERENCES rc.hospital (id) ON DELETE SET NULL;
COMMENT ON COLUMN rc.incident.destination_hospital_id IS
    'Where the patient goes: the plan''s proposal, or the hospital the crew reported when transporting';

ALTER TABLE rc.notification_outbox ADD COLUMN hospital_id integer
    REFERENCES rc.hospital (id) ON DELETE SET NULL;
