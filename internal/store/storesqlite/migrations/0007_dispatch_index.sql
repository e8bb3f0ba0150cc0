-- The dispatcher's queues: runs waiting to start (queued or
-- waiting_upstream), a pipeline's own by pipeline, a backfill's by
-- backfill, each oldest first. With them a wake reads the heads of the
-- queues that have room, however many runs wait behind them, and finds
-- the queues themselves by skipping from one key to the next.
--
-- A run is in at most one of them, and only while it waits: Apply's update
-- that starts it removes it, one index write (about a page), once a run.
-- SQLite uses a partial index only when the query repeats its WHERE, so
-- the queries (runs.go) do, and name the index.
CREATE INDEX runs_queued_pipeline ON runs (pipeline, id)
    WHERE state IN ('queued', 'waiting_upstream') AND backfill_id IS NULL;
CREATE INDEX runs_queued_backfill ON runs (backfill_id, id)
    WHERE state IN ('queued', 'waiting_upstream') AND backfill_id IS NOT NULL;
