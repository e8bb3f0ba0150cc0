-- For the server: backfills, pipeline pause state, the waiting_upstream run
-- state (a new value of runs.state; nothing to change) and the indexes the
-- scheduler, upstream checks and recovery query.
--
-- Apply's run update sets state, started_at, finished_at and error; an index
-- on those columns costs each such update an index write (a page). Only the
-- partial indexes runs_active and runs_succeeded_cover involve state, and
-- the engine updates a run only when its state changes (about twice a run),
-- never in the per-task batches.

CREATE TABLE backfills (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline    TEXT    NOT NULL,
    env         TEXT    NOT NULL DEFAULT '',
    range_start INTEGER, -- the first interval's start
    range_end   INTEGER, -- the last interval's end
    parallelism INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX backfills_pipeline_id ON backfills (pipeline, id DESC);

-- NULL for a run outside any backfill.
ALTER TABLE runs ADD COLUMN backfill_id INTEGER REFERENCES backfills (id) ON DELETE SET NULL;

-- A scheduled interval runs once: a second schedule run for the same
-- (pipeline, env, interval_start) is a conflict. Runs of other triggers
-- (manual, backfill, ...) for that interval are not constrained, and NULL
-- interval starts never collide.
CREATE UNIQUE INDEX runs_schedule_interval ON runs (pipeline, env, interval_start)
    WHERE trigger_type = 'schedule';

-- The scheduler's cursor: the latest interval of a trigger per pipeline and env.
CREATE INDEX runs_pipeline_env_trigger_interval ON runs (pipeline, env, trigger_type, interval_start);

-- ListRuns by pipeline and trigger, newest first: a rare trigger (manual
-- among hourly schedule runs) would otherwise cost a walk over most of the
-- pipeline's runs.
CREATE INDEX runs_pipeline_trigger_id ON runs (pipeline, trigger_type, id DESC);

-- FindCoveringRun: succeeded runs whose interval covers a given one. Led by
-- interval_end, as checks are mostly for recent intervals (few runs end
-- later), with interval_start for the other bound. Apply touches it only
-- when a run becomes succeeded or stops being so.
CREATE INDEX runs_succeeded_cover ON runs (pipeline, env, interval_end, interval_start)
    WHERE state = 'succeeded';

-- A backfill's runs.
CREATE INDEX runs_backfill_id ON runs (backfill_id) WHERE backfill_id IS NOT NULL;

-- Recovery and "what is in flight": runs not yet final. Few rows, whatever
-- the table's size. SQLite uses a partial index only when the query's WHERE
-- implies the index's, so ListRuns repeats this IN list when it filters on
-- these states.
CREATE INDEX runs_active ON runs (state) WHERE state IN ('queued', 'waiting_upstream', 'running');

CREATE TABLE pipeline_states (
    pipeline   TEXT    PRIMARY KEY,
    paused     INTEGER NOT NULL DEFAULT 0, -- 0 or 1
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
