-- What each run of a delivery pipeline shipped into an environment.
-- Times are unix microseconds in UTC.
CREATE TABLE releases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline     TEXT    NOT NULL,
    env          TEXT    NOT NULL,
    run_id       INTEGER NOT NULL UNIQUE REFERENCES runs (id),
    revision     TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL,
    succeeded    INTEGER NOT NULL,
    params       TEXT    NOT NULL DEFAULT '{}',
    outputs      TEXT    NOT NULL DEFAULT '[]',
    approved_by  TEXT    NOT NULL DEFAULT '[]',
    triggered_by TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    rollback_to  INTEGER REFERENCES releases (id)
);
CREATE INDEX releases_pipeline_env_id ON releases (pipeline, env, id DESC);

-- A run that ships an earlier release again names it.
ALTER TABLE runs ADD COLUMN rollback_to INTEGER NOT NULL DEFAULT 0;
