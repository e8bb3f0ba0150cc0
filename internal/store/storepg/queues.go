package storepg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// The dispatcher's reads, which every worker polls, run on pgx itself, as
// before sqlstore: through database/sql each query took about twice as long
// (BenchmarkDispatchPoll). Their texts and the run scanner are sqlstore's.
type queueSQL struct{ queues, pipeline, backfill, countWaiting string }

func numberQueues(q sqlstore.QueueSQL) queueSQL {
	return queueSQL{queues: sqlstore.Number(q.Queues), pipeline: sqlstore.Number(q.Pipeline),
		backfill: sqlstore.Number(q.Backfill), countWaiting: sqlstore.Number(q.CountWaiting)}
}

// ListQueues returns every queue holding a run that waits to start: the
// pipelines' own by name, then the backfills' by ID.
func (s *Store) ListQueues(ctx context.Context) ([]store.Queue, error) {
	rows, err := s.pool.Query(ctx, s.queues.queues)
	if err == nil {
		var qs []store.Queue // nil when there is none, as from sqlstore
		qs, err = pgx.AppendRows(qs, rows, func(row pgx.CollectableRow) (store.Queue, error) {
			var q store.Queue
			err := row.Scan(&q.Pipeline, &q.BackfillID)
			return q, err
		})
		if err == nil {
			return qs, nil
		}
	}
	return nil, fmt.Errorf("list queues: %w", mapErr(err))
}

// ListQueued returns the runs of f's queue that wait to start, oldest first.
func (s *Store) ListQueued(ctx context.Context, f store.QueueFilter) ([]record.Run, error) {
	q, key := s.queues.pipeline, any(f.Pipeline)
	if f.BackfillID != 0 {
		q, key = s.queues.backfill, f.BackfillID
	}
	trig := string(f.Trigger)
	rows, err := s.pool.Query(ctx, q, key, trig, trig, f.AfterID, sqlstore.Limit(f.Limit))
	if err == nil {
		var runs []record.Run
		runs, err = pgx.AppendRows(runs, rows, func(row pgx.CollectableRow) (record.Run, error) {
			return sqlstore.ScanRun(row)
		})
		if err == nil {
			return runs, nil
		}
	}
	return nil, fmt.Errorf("list queued runs: %w", mapErr(err))
}

// CountWaiting counts the runs that wait to start.
func (s *Store) CountWaiting(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, s.queues.countWaiting).Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting runs: %w", mapErr(err))
	}
	return n, nil
}
