-- Times are timestamptz (microsecond precision); NULL stands for the zero time.

CREATE TABLE runs (
    id             bigserial   PRIMARY KEY,
    pipeline       text        NOT NULL,
    env            text        NOT NULL DEFAULT '',
    revision       text        NOT NULL DEFAULT '',
    interval_start timestamptz,
    interval_end   timestamptz,
    trigger_type   text        NOT NULL,
    state          text        NOT NULL,
    params         jsonb,      -- NULL for a nil map
    created_at     timestamptz NOT NULL,
    started_at     timestamptz,
    finished_at    timestamptz,
    error          text        NOT NULL DEFAULT ''
);
CREATE INDEX runs_pipeline_id ON runs (pipeline, id DESC);

CREATE TABLE run_tasks (
    run_id       bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task         text        NOT NULL,
    position     integer     NOT NULL, -- order of creation
    state        text        NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    next_attempt timestamptz,
    updated_at   timestamptz,
    PRIMARY KEY (run_id, task)
);

CREATE TABLE task_attempts (
    id          bigserial   PRIMARY KEY,
    run_id      bigint      NOT NULL,
    task        text        NOT NULL,
    attempt     integer     NOT NULL,
    state       text        NOT NULL,
    queued_at   timestamptz,
    started_at  timestamptz,
    finished_at timestamptz,
    pid         integer     NOT NULL DEFAULT 0,
    exit_code   integer     NOT NULL DEFAULT 0,
    signal      text        NOT NULL DEFAULT '',
    peak_memory bigint      NOT NULL DEFAULT 0,
    cpu_time_ns bigint      NOT NULL DEFAULT 0,
    log_path    text        NOT NULL DEFAULT '',
    outputs     jsonb,      -- array of {"key","value"}; NULL for a nil slice
    error       text        NOT NULL DEFAULT '',
    UNIQUE (run_id, task, attempt),
    FOREIGN KEY (run_id, task) REFERENCES run_tasks (run_id, task) ON DELETE CASCADE
);
-- The unique index serves listing a run's attempts.

CREATE TABLE dead_letters (
    id          bigserial   PRIMARY KEY,
    run_id      bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    pipeline    text        NOT NULL,
    task        text        NOT NULL,
    attempt_id  bigint      REFERENCES task_attempts (id) ON DELETE SET NULL, -- NULL for 0
    attempts    integer     NOT NULL DEFAULT 0,
    error       text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    replayed_at timestamptz,
    replayed_by text        NOT NULL DEFAULT ''
);
CREATE INDEX dead_letters_pipeline_id ON dead_letters (pipeline, id DESC);
CREATE INDEX dead_letters_run_id ON dead_letters (run_id);
CREATE INDEX dead_letters_attempt_id ON dead_letters (attempt_id);
