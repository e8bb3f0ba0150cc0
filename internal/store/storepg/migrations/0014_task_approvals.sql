-- Who started a run: nobody may approve an approval task of a run they
-- started. '' for Gantry's own runs (a schedule, an upstream).
ALTER TABLE runs ADD COLUMN triggered_by text NOT NULL DEFAULT '';

-- The question an approval task's attempt asks (one per attempt), and the
-- decisions people gave on it, one per person.
CREATE TABLE task_approvals (
    attempt_id bigint      PRIMARY KEY REFERENCES task_attempts (id),
    run_id     bigint      NOT NULL REFERENCES runs (id),
    task       text        NOT NULL,
    required   integer     NOT NULL,
    approvers  text        NOT NULL DEFAULT '[]',
    guards     text        NOT NULL DEFAULT '[]',
    state      text        NOT NULL,
    created_at timestamptz NOT NULL,
    deadline   timestamptz NOT NULL,
    decided_at timestamptz,
    reason     text        NOT NULL DEFAULT ''
);
CREATE INDEX task_approvals_run ON task_approvals (run_id, task);
CREATE INDEX task_approvals_waiting ON task_approvals (attempt_id) WHERE state = 'waiting';

CREATE TABLE task_decisions (
    attempt_id bigint      NOT NULL REFERENCES task_approvals (attempt_id),
    actor      text        NOT NULL,
    approve    boolean     NOT NULL,
    comment    text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    PRIMARY KEY (attempt_id, actor)
);
