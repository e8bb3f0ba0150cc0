package storepg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ListQueues returns every queue holding a run that waits to start: the
// pipelines' own by name, then the backfills' by ID.
func (s *Store) ListQueues(ctx context.Context) ([]store.Queue, error) {
	rows, err := s.pool.Query(ctx, listQueuesSQL)
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", mapErr(err))
	}
	qs, err := collect(rows, func(row pgx.Row) (store.Queue, error) {
		var q store.Queue
		err := row.Scan(&q.Pipeline, &q.BackfillID)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", mapErr(err))
	}
	return qs, nil
}

// ListQueued returns the runs of f's queue that wait to start, oldest first.
func (s *Store) ListQueued(ctx context.Context, f store.QueueFilter) ([]record.Run, error) {
	q, key := listQueuedPipelineSQL, any(f.Pipeline)
	if f.BackfillID != 0 {
		q, key = listQueuedBackfillSQL, f.BackfillID
	}
	rows, err := s.pool.Query(ctx, q, key, string(f.Trigger), f.AfterID, limit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list queued runs: %w", mapErr(err))
	}
	runs, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list queued runs: %w", mapErr(err))
	}
	return runs, nil
}

// CountWaiting counts the runs that wait to start.
func (s *Store) CountWaiting(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM runs WHERE state IN ('queued', 'waiting_upstream')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count waiting runs: %w", mapErr(err))
	}
	return n, nil
}
