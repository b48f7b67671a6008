-- Asynchronous process jobs (OGC API - Processes): status, progress and the stored result.
-- A job is visible to the token that created it and to admins; finished jobs expire after the
-- server's job_ttl_s and are then deleted.

CREATE TABLE rc.job (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    process         text        NOT NULL,
    status          text        NOT NULL DEFAULT 'accepted'
                    CHECK (status IN ('accepted', 'running', 'successful', 'failed')),
    progress        smallint    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    owner_token_id  integer     NOT NULL REFERENCES rc.api_token (id) ON DELETE CASCADE,
    inputs          jsonb       NOT NULL DEFAULT '{}',
    result          jsonb,
    error           text
);
COMMENT ON TABLE rc.job IS
    'Asynchronous process jobs with their inputs and results; owner and admin only';
CREATE INDEX job_owner_idx ON rc.job (owner_token_id, created_at DESC);
