-- Claims: task attempts offered to workers. A worker claims a queued one
-- under a lease it renews; token grows at each claiming and fences the
-- worker's renewals and result. Times are unix microseconds in UTC.
CREATE TABLE claims (
    attempt_id  INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL,
    task        TEXT    NOT NULL,
    pool        TEXT    NOT NULL,
    labels      TEXT    NOT NULL, -- JSON object the claiming worker's labels must include
    payload     BLOB    NOT NULL,
    state       TEXT    NOT NULL, -- queued, claimed, done, lost, cancelled
    worker      TEXT    NOT NULL,
    token       INTEGER NOT NULL,
    cancel      TEXT    NOT NULL,
    result      BLOB,
    queued_at   INTEGER NOT NULL,
    claimed_at  INTEGER,
    lease_until INTEGER
);
-- The line workers claim from, oldest first, and the leases to expire:
-- each holds only the claims in that state.
CREATE INDEX claims_queued ON claims (attempt_id) WHERE state = 'queued';
CREATE INDEX claims_leases ON claims (lease_until) WHERE state = 'claimed';
