-- The deploy lifecycle: revisions and their files, deployments, approvals,
-- API tokens and the append-only audit log. Times are unix microseconds in
-- UTC; NULL stands for the zero time.

-- File contents, by sha256: gantry.yaml and unchanged scripts are shared by
-- many revisions and kept once.
CREATE TABLE revision_blobs (
    sha256  TEXT PRIMARY KEY,
    content BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE revisions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT, -- order of creation
    hash           TEXT    NOT NULL UNIQUE,
    pipeline       TEXT    NOT NULL,
    created_by     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    message        TEXT    NOT NULL DEFAULT '',
    check_summary  TEXT    NOT NULL DEFAULT '',
    staging_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL, -- NULL for 0
    staging_state  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX revisions_pipeline_id ON revisions (pipeline, id DESC);
CREATE INDEX revisions_staging_run_id ON revisions (staging_run_id) WHERE staging_run_id IS NOT NULL;

-- Blobs are never deleted, so revision_files needs no index on sha256 for
-- its foreign key.
CREATE TABLE revision_files (
    revision_id INTEGER NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT    NOT NULL REFERENCES revision_blobs (sha256),
    context     INTEGER NOT NULL DEFAULT 0, -- 1: stored, not hashed
    PRIMARY KEY (revision_id, path)
) WITHOUT ROWID;

CREATE TABLE deployments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline     TEXT    NOT NULL,
    env          TEXT    NOT NULL,
    revision     TEXT    NOT NULL REFERENCES revisions (hash),
    state        TEXT    NOT NULL,
    risk         TEXT    NOT NULL DEFAULT '',
    gates        TEXT,   -- JSON array; NULL for none
    approvals    INTEGER NOT NULL DEFAULT 0,
    approvers    TEXT,   -- JSON array; NULL for none
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    activated_at INTEGER,
    ended_at     INTEGER,
    previous     TEXT    NOT NULL DEFAULT '',
    message      TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT ''
);
-- At most one active deployment per (pipeline, env), whoever activates.
CREATE UNIQUE INDEX deployments_one_active ON deployments (pipeline, env) WHERE state = 'active';
CREATE INDEX deployments_pipeline_env_id ON deployments (pipeline, env, id DESC);
CREATE INDEX deployments_revision ON deployments (revision);

CREATE TABLE approvals (
    deployment_id INTEGER NOT NULL REFERENCES deployments (id),
    approver      TEXT    NOT NULL,
    comment       TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, approver)
) WITHOUT ROWID;

-- Only the sha256 of a token is kept; its plaintext is shown once.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    username   TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    hash       TEXT    NOT NULL UNIQUE,
    created_by TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    pipeline      TEXT    NOT NULL DEFAULT '',
    env           TEXT    NOT NULL DEFAULT '',
    revision      TEXT    NOT NULL DEFAULT '',
    deployment_id INTEGER, -- NULL for none
    reason        TEXT    NOT NULL DEFAULT '',
    detail        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_pipeline_id ON audit_events (pipeline, id);
CREATE INDEX audit_events_at ON audit_events (at);

-- The audit log is append-only, whatever a client does.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
