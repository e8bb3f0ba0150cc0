-- Times are unix microseconds in UTC; NULL stands for the zero time.
-- AUTOINCREMENT keeps an ID from ever being handed out twice: attempt IDs are
-- given to tasks as idempotency keys.

CREATE TABLE runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline       TEXT    NOT NULL,
    env            TEXT    NOT NULL DEFAULT '',
    revision       TEXT    NOT NULL DEFAULT '',
    interval_start INTEGER,
    interval_end   INTEGER,
    trigger_type   TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    params         TEXT,    -- JSON object; NULL for a nil map
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    finished_at    INTEGER,
    error          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX runs_pipeline_id ON runs (pipeline, id DESC);

CREATE TABLE run_tasks (
    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task         TEXT    NOT NULL,
    position     INTEGER NOT NULL, -- order of creation
    state        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER,
    updated_at   INTEGER,
    PRIMARY KEY (run_id, task)
) WITHOUT ROWID;

CREATE TABLE task_attempts (
    id          INTEGER PRIMARY KEY, -- see below: no AUTOINCREMENT on the hot path
    run_id      INTEGER NOT NULL,
    task        TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    queued_at   INTEGER,
    started_at  INTEGER,
    finished_at INTEGER,
    pid         INTEGER NOT NULL DEFAULT 0,
    exit_code   INTEGER NOT NULL DEFAULT 0,
    signal      TEXT    NOT NULL DEFAULT '',
    peak_memory INTEGER NOT NULL DEFAULT 0,
    cpu_time_ns INTEGER NOT NULL DEFAULT 0,
    log_path    TEXT    NOT NULL DEFAULT '',
    outputs     TEXT,   -- JSON array of {"key","value"}; NULL for a nil slice
    error       TEXT    NOT NULL DEFAULT '',
    UNIQUE (run_id, task, attempt),
    FOREIGN KEY (run_id, task) REFERENCES run_tasks (run_id, task) ON DELETE CASCADE
);
-- The unique index serves listing a run's attempts; a second index on
-- (run_id, id) would cost a page write on every insert, the hot path.
-- So would AUTOINCREMENT (its sqlite_sequence row): without it SQLite hands
-- out max(id)+1, which repeats an ID only if the newest attempts are
-- deleted, and Gantry only ever deletes the oldest.

CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    pipeline    TEXT    NOT NULL,
    task        TEXT    NOT NULL,
    attempt_id  INTEGER REFERENCES task_attempts (id) ON DELETE SET NULL, -- NULL for 0
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    replayed_at INTEGER,
    replayed_by TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX dead_letters_pipeline_id ON dead_letters (pipeline, id DESC);
CREATE INDEX dead_letters_run_id ON dead_letters (run_id);
CREATE INDEX dead_letters_attempt_id ON dead_letters (attempt_id);
