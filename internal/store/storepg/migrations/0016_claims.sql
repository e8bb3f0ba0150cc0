-- Claims: task attempts offered to workers. A worker claims a queued one
-- under a lease it renews; token grows at each claiming and fences the
-- worker's renewals and result.
CREATE TABLE claims (
    attempt_id  bigint      PRIMARY KEY,
    run_id      bigint      NOT NULL,
    task        text        NOT NULL,
    pool        text        NOT NULL,
    labels      jsonb       NOT NULL, -- the claiming worker's labels must include these
    payload     bytea       NOT NULL,
    state       text        NOT NULL, -- queued, claimed, done, lost, cancelled
    worker      text        NOT NULL,
    token       bigint      NOT NULL,
    cancel      text        NOT NULL,
    result      bytea,
    queued_at   timestamptz NOT NULL,
    claimed_at  timestamptz,
    lease_until timestamptz
);
-- The line workers claim from, oldest first, and the leases to expire:
-- each holds only the claims in that state.
CREATE INDEX claims_queued ON claims (attempt_id) WHERE state = 'queued';
CREATE INDEX claims_leases ON claims (lease_until) WHERE state = 'claimed';
