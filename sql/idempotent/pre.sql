-- Re-run before every migrate: the table that records which migrations are applied.
CREATE SCHEMA IF NOT EXISTS rc;
CREATE TABLE IF NOT EXISTS rc.migration (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    sha256      text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rc.migration IS 'Applied schema migrations; max(version) is the schema version';
