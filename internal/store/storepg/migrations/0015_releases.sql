-- What each run of a delivery pipeline shipped into an environment.
CREATE TABLE releases (
    id           bigserial   PRIMARY KEY,
    pipeline     text        NOT NULL,
    env          text        NOT NULL,
    run_id       bigint      NOT NULL UNIQUE REFERENCES runs (id),
    revision     text        NOT NULL DEFAULT '',
    kind         text        NOT NULL,
    succeeded    boolean     NOT NULL,
    params       text        NOT NULL DEFAULT '{}',
    outputs      text        NOT NULL DEFAULT '[]',
    approved_by  text        NOT NULL DEFAULT '[]',
    triggered_by text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    rollback_to  bigint      REFERENCES releases (id)
);
CREATE INDEX releases_pipeline_env_id ON releases (pipeline, env, id DESC);

-- A run that ships an earlier release again names it.
ALTER TABLE runs ADD COLUMN rollback_to bigint NOT NULL DEFAULT 0;
