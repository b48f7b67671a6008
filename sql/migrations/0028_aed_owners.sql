-- AED owners: the organisations that installed AEDs report and keep them up to date through
-- the platform (Shenzhen: "发动社会各类AED安装主体通过平台上报"). An owner token speaks for one
-- organisation and may change only that organisation's AEDs.

CREATE TABLE rc.organisation (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    contact     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rc.organisation IS 'Organisations that own AEDs (owner tokens speak for one)';

ALTER TABLE rc.aed ADD COLUMN organisation_id integer
    REFERENCES rc.organisation (id) ON DELETE SET NULL;
COMMENT ON COLUMN rc.aed.organisation_id IS
    'The organisation that owns the device and may change it; transferred by an admin';
CREATE INDEX aed_organisation_idx ON rc.aed (organisation_id);

ALTER TABLE rc.api_token DROP CONSTRAINT api_token_role_check;
ALTER TABLE rc.api_token ADD CONSTRAINT api_token_role_check
    CHECK (role IN ('public', 'volunteer', 'owner', 'dispatcher', 'analyst', 'admin'));
ALTER TABLE rc.api_token ADD COLUMN organisation_id integer
    REFERENCES rc.organisation (id) ON DELETE CASCADE;
ALTER TABLE rc.api_token ADD CONSTRAINT api_token_owner_organisation
    CHECK ((role = 'owner') = (organisation_id IS NOT NULL));
