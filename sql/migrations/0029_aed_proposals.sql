-- The public proposes AEDs, and changes to them (moved, gone, wrong hours), with a photo;
-- proposals wait for moderation (an admin, or the owner for their own devices) and enter the
-- registry only when accepted. Photos are stored stripped of their metadata.

CREATE TABLE rc.photo (
    id          serial PRIMARY KEY,
    media_type  text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
    bytes       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE rc.photo IS
    'Photos of AEDs, stored without metadata; public only once their proposal is accepted';

CREATE TABLE rc.aed_proposal (
    id           serial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('new', 'moved', 'gone', 'wrong_hours', 'other')),
    aed_id       integer REFERENCES rc.aed (id) ON DELETE CASCADE,
    fields       jsonb NOT NULL DEFAULT '{}',
    photo_id     integer REFERENCES rc.photo (id) ON DELETE SET NULL,
    note         text,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz,
    decided_by   text,
    geom         geometry(Point, 4326),
    CHECK (kind = 'new' OR aed_id IS NOT NULL),       -- a new one gets its AED when accepted
    CHECK (kind NOT IN ('new', 'moved') OR geom IS NOT NULL)
);
COMMENT ON TABLE rc.aed_proposal IS
    'Proposals from the public: a new AED or a change to one, waiting for moderation';
CREATE INDEX aed_proposal_pending_idx ON rc.aed_proposal (created_at) WHERE status = 'pending';
