-- Jobs whose server stopped: every job records the runner (one server process) running it and
-- when that runner last showed it was alive. An unfinished job whose runner has been silent
-- for longer than the server's job_stale_s is failed with a message, not left 'running'.

ALTER TABLE rc.job
    ADD COLUMN runner       text,
    ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX job_unfinished_idx ON rc.job (heartbeat_at) WHERE finished_at IS NULL;
