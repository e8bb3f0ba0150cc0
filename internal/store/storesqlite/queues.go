package storesqlite

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The WHERE clauses of the partial indexes runs_queued_pipeline and
// runs_queued_backfill (migration 0007), repeated by every query that
// names them: SQLite uses a partial index only for a query whose WHERE
// contains the index's.
const (
	queuedPipelineSQL = `state IN ('queued', 'waiting_upstream') AND backfill_id IS NULL`
	queuedBackfillSQL = `state IN ('queued', 'waiting_upstream') AND backfill_id IS NOT NULL`
)

// listQueuesSQL finds the distinct keys of both indexes by skipping from
// one to the next (a loose index scan): one search per queue, instead of a
// walk over every waiting run.
const listQueuesSQL = `WITH RECURSIVE
	p(name) AS (
		SELECT (SELECT pipeline FROM runs INDEXED BY runs_queued_pipeline
			WHERE ` + queuedPipelineSQL + ` ORDER BY pipeline LIMIT 1)
		UNION ALL
		SELECT (SELECT pipeline FROM runs INDEXED BY runs_queued_pipeline
			WHERE ` + queuedPipelineSQL + ` AND pipeline > p.name ORDER BY pipeline LIMIT 1)
		FROM p WHERE p.name IS NOT NULL
	),
	b(id) AS (
		SELECT (SELECT backfill_id FROM runs INDEXED BY runs_queued_backfill
			WHERE ` + queuedBackfillSQL + ` ORDER BY backfill_id LIMIT 1)
		UNION ALL
		SELECT (SELECT backfill_id FROM runs INDEXED BY runs_queued_backfill
			WHERE ` + queuedBackfillSQL + ` AND backfill_id > b.id ORDER BY backfill_id LIMIT 1)
		FROM b WHERE b.id IS NOT NULL
	)
SELECT name, 0 FROM p WHERE name IS NOT NULL
UNION ALL
SELECT '', id FROM b WHERE id IS NOT NULL`

// The heads of one queue: arguments pipeline or backfill ID, trigger (""
// for any) twice, after ID, limit.
const (
	listQueuedPipelineSQL = `SELECT ` + runColumns + ` FROM runs INDEXED BY runs_queued_pipeline
		WHERE ` + queuedPipelineSQL + ` AND pipeline = ? AND (? = '' OR trigger_type = ?) AND id > ?
		ORDER BY id LIMIT ?`
	listQueuedBackfillSQL = `SELECT ` + runColumns + ` FROM runs INDEXED BY runs_queued_backfill
		WHERE ` + queuedBackfillSQL + ` AND backfill_id = ? AND (? = '' OR trigger_type = ?) AND id > ?
		ORDER BY id LIMIT ?`
)

// ListQueues returns every queue holding a run that waits to start: the
// pipelines' own by name, then the backfills' by ID.
func (s *Store) ListQueues(ctx context.Context) ([]store.Queue, error) {
	rows, err := s.stmts.listQueues.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", mapErr(err))
	}
	qs, err := collect(rows, func(sc scanner) (store.Queue, error) {
		var q store.Queue
		err := sc.Scan(&q.Pipeline, &q.BackfillID)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", mapErr(err))
	}
	return qs, nil
}

// ListQueued returns the runs of f's queue that wait to start, oldest first.
func (s *Store) ListQueued(ctx context.Context, f store.QueueFilter) ([]record.Run, error) {
	st, key := s.stmts.listQueuedPipeline, any(f.Pipeline)
	if f.BackfillID != 0 {
		st, key = s.stmts.listQueuedBackfill, f.BackfillID
	}
	trig := string(f.Trigger)
	rows, err := st.QueryContext(ctx, key, trig, trig, f.AfterID, limit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list queued runs: %w", mapErr(err))
	}
	runs, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list queued runs: %w", mapErr(err))
	}
	return runs, nil
}

// countWaitingSQL counts both partial indexes' entries.
const countWaitingSQL = `SELECT (SELECT count(*) FROM runs INDEXED BY runs_queued_pipeline WHERE ` + queuedPipelineSQL + `)
	+ (SELECT count(*) FROM runs INDEXED BY runs_queued_backfill WHERE ` + queuedBackfillSQL + `)`

// CountWaiting counts the runs that wait to start.
func (s *Store) CountWaiting(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, countWaitingSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting runs: %w", mapErr(err))
	}
	return n, nil
}
