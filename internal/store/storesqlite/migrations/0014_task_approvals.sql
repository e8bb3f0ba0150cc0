-- Who started a run: nobody may approve an approval task of a run they
-- started. '' for Gantry's own runs (a schedule, an upstream).
ALTER TABLE runs ADD COLUMN triggered_by TEXT NOT NULL DEFAULT '';

-- The question an approval task's attempt asks (one per attempt), and the
-- decisions people gave on it, one per person. Times are unix microseconds
-- in UTC; NULL stands for the zero time.
CREATE TABLE task_approvals (
    attempt_id INTEGER PRIMARY KEY REFERENCES task_attempts (id),
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    task       TEXT    NOT NULL,
    required   INTEGER NOT NULL,
    approvers  TEXT    NOT NULL DEFAULT '[]',
    guards     TEXT    NOT NULL DEFAULT '[]',
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    deadline   INTEGER NOT NULL,
    decided_at INTEGER,
    reason     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX task_approvals_run ON task_approvals (run_id, task);
CREATE INDEX task_approvals_waiting ON task_approvals (attempt_id) WHERE state = 'waiting';

CREATE TABLE task_decisions (
    attempt_id INTEGER NOT NULL REFERENCES task_approvals (attempt_id),
    actor      TEXT    NOT NULL,
    approve    INTEGER NOT NULL,
    comment    TEXT    NOT NULL DEFAULT '',
    at         INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, actor)
) WITHOUT ROWID;
