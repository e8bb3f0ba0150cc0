-- Leases: the leader lease says which process schedules, pages and runs
-- maintenance. token grows whenever the lease changes hands, and fenced
-- writes check it in their own transaction. Times are unix microseconds.
CREATE TABLE leases (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    token       INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL,
    renewed_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- Workers: every process that runs task attempts, with its last heartbeat.
CREATE TABLE workers (
    id           TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL,
    labels       TEXT    NOT NULL, -- JSON object
    slots        INTEGER NOT NULL,
    running      INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    state        TEXT    NOT NULL
);
