-- The deploy lifecycle: revisions and their files, deployments, approvals,
-- API tokens and the append-only audit log.

-- File contents, by sha256: gantry.yaml and unchanged scripts are shared by
-- many revisions and kept once.
CREATE TABLE revision_blobs (
    sha256  text  PRIMARY KEY,
    content bytea NOT NULL
);

CREATE TABLE revisions (
    id             bigserial   PRIMARY KEY, -- order of creation
    hash           text        NOT NULL UNIQUE,
    pipeline       text        NOT NULL,
    created_by     text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    message        text        NOT NULL DEFAULT '',
    check_summary  text        NOT NULL DEFAULT '',
    staging_run_id bigint      REFERENCES runs (id) ON DELETE SET NULL, -- NULL for 0
    staging_state  text        NOT NULL DEFAULT ''
);
CREATE INDEX revisions_pipeline_id ON revisions (pipeline, id DESC);
CREATE INDEX revisions_staging_run_id ON revisions (staging_run_id) WHERE staging_run_id IS NOT NULL;

-- Blobs are never deleted, so revision_files needs no index on sha256 for
-- its foreign key.
CREATE TABLE revision_files (
    revision_id bigint  NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    path        text    NOT NULL,
    size        bigint  NOT NULL,
    sha256      text    NOT NULL REFERENCES revision_blobs (sha256),
    context     boolean NOT NULL DEFAULT false, -- stored, not hashed
    PRIMARY KEY (revision_id, path)
);

CREATE TABLE deployments (
    id           bigserial   PRIMARY KEY,
    pipeline     text        NOT NULL,
    env          text        NOT NULL,
    revision     text        NOT NULL REFERENCES revisions (hash),
    state        text        NOT NULL,
    risk         text        NOT NULL DEFAULT '',
    gates        jsonb,      -- NULL for none
    approvals    integer     NOT NULL DEFAULT 0,
    approvers    jsonb,      -- NULL for none
    created_by   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    activated_at timestamptz,
    ended_at     timestamptz,
    previous     text        NOT NULL DEFAULT '',
    message      text        NOT NULL DEFAULT '',
    reason       text        NOT NULL DEFAULT ''
);
-- At most one active deployment per (pipeline, env), whoever activates.
CREATE UNIQUE INDEX deployments_one_active ON deployments (pipeline, env) WHERE state = 'active';
CREATE INDEX deployments_pipeline_env_id ON deployments (pipeline, env, id DESC);
CREATE INDEX deployments_revision ON deployments (revision);

CREATE TABLE approvals (
    deployment_id bigint      NOT NULL REFERENCES deployments (id),
    approver      text        NOT NULL,
    comment       text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, approver)
);

-- Only the sha256 of a token is kept; its plaintext is shown once.
CREATE TABLE api_tokens (
    id         bigserial   PRIMARY KEY,
    username   text        NOT NULL,
    role       text        NOT NULL,
    hash       text        NOT NULL UNIQUE,
    created_by text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_by text        NOT NULL DEFAULT ''
);

CREATE TABLE audit_events (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL,
    actor         text        NOT NULL,
    action        text        NOT NULL,
    pipeline      text        NOT NULL DEFAULT '',
    env           text        NOT NULL DEFAULT '',
    revision      text        NOT NULL DEFAULT '',
    deployment_id bigint,     -- NULL for none
    reason        text        NOT NULL DEFAULT '',
    detail        text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_pipeline_id ON audit_events (pipeline, id);
CREATE INDEX audit_events_at ON audit_events (at);

-- The audit log is append-only, whatever a client does.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
