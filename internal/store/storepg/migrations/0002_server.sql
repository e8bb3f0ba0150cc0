-- For the server: backfills, pipeline pause state, the waiting_upstream run
-- state (a new value of runs.state; nothing to change) and the indexes the
-- scheduler, upstream checks and recovery query.
--
-- Apply updates runs.state, started_at, finished_at and error when a run
-- changes state. An update that changes a column an index involves (key or
-- predicate) cannot be HOT and writes an entry in every index of runs; only
-- runs_active and runs_succeeded_cover involve state, and state changes a
-- few times per run, not on every batch (an unchanged value keeps it HOT).

CREATE TABLE backfills (
    id          bigserial   PRIMARY KEY,
    pipeline    text        NOT NULL,
    env         text        NOT NULL DEFAULT '',
    range_start timestamptz, -- the first interval's start
    range_end   timestamptz, -- the last interval's end
    parallelism integer     NOT NULL DEFAULT 0,
    total       integer     NOT NULL DEFAULT 0,
    state       text        NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL DEFAULT ''
);
CREATE INDEX backfills_pipeline_id ON backfills (pipeline, id DESC);

-- NULL for a run outside any backfill.
ALTER TABLE runs ADD COLUMN backfill_id bigint REFERENCES backfills (id) ON DELETE SET NULL;

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
-- later), with interval_start for the other bound and id to pick the newest
-- without visiting the table.
CREATE INDEX runs_succeeded_cover ON runs (pipeline, env, interval_end, interval_start) INCLUDE (id)
    WHERE state = 'succeeded';

-- A backfill's runs, newest first.
CREATE INDEX runs_backfill_id ON runs (backfill_id, id DESC) WHERE backfill_id IS NOT NULL;

-- Recovery and "what is in flight": runs not yet final. Few rows, whatever
-- the table's size. ListRuns repeats this IN list when it filters on these
-- states, so that even a generic plan can use the index.
CREATE INDEX runs_active ON runs (state, id) WHERE state IN ('queued', 'waiting_upstream', 'running');

CREATE TABLE pipeline_states (
    pipeline   text        PRIMARY KEY,
    paused     boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    updated_by text        NOT NULL DEFAULT ''
);
