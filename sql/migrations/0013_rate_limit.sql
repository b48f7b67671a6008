-- Rate limits shared by every server process: hits per limit ("bucket"), client address and
-- fixed window. Unlogged: counts are worth nothing after a crash, and need no WAL.

CREATE UNLOGGED TABLE rc.rate_hit (
    bucket     text    NOT NULL,
    client     text    NOT NULL,
    window_no  bigint  NOT NULL,       -- floor(epoch seconds / window length)
    hits       integer NOT NULL,
    PRIMARY KEY (bucket, client, window_no)
);
COMMENT ON TABLE rc.rate_hit IS
    'Rate-limit counters shared by all server processes (public computations, fault reports)';
