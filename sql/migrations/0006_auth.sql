-- API tokens: only a SHA-256 hash of each token is stored; the token is shown once, at creation.

CREATE TABLE rc.api_token (
    id            serial PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    role          text NOT NULL
                  CHECK (role IN ('public', 'volunteer', 'dispatcher', 'analyst', 'admin')),
    label         text,
    volunteer_id  integer REFERENCES rc.volunteer (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
COMMENT ON TABLE rc.api_token IS 'Bearer tokens, stored hashed; role decides what a request may read or write';
