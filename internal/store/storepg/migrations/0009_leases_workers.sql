-- Leases: the leader lease says which process schedules, pages and runs
-- maintenance. token grows whenever the lease changes hands, and fenced
-- writes check it in their own transaction.
CREATE TABLE leases (
    name        text        PRIMARY KEY,
    holder      text        NOT NULL,
    token       bigint      NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Workers: every process that runs task attempts, with its last heartbeat.
CREATE TABLE workers (
    id           text        PRIMARY KEY,
    host         text        NOT NULL,
    labels       jsonb       NOT NULL,
    slots        integer     NOT NULL,
    running      integer     NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    state        text        NOT NULL
);
