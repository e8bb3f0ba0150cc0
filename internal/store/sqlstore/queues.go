package sqlstore

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The WHERE clauses of the partial indexes runs_queued_pipeline and
// runs_queued_backfill (migration 0007), repeated by every query that
// names them: a planner uses a partial index only for a query whose WHERE
// it can prove implies the index's (SQLite: contains it; PostgreSQL cannot
// prove that a generic plan's state = ANY($n) does).
const (
	queuedPipelineSQL = `state IN ('queued', 'waiting_upstream') AND backfill_id IS NULL`
	queuedBackfillSQL = `state IN ('queued', 'waiting_upstream') AND backfill_id IS NOT NULL`
)

// QueueSQL is the dispatcher's queries in a dialect, built once.
type QueueSQL struct {
	// Queues finds the distinct keys of both indexes by skipping from one
	// to the next (a loose index scan): one search per queue, instead of a
	// walk over every waiting run. No arguments.
	Queues string
	// Pipeline and Backfill are the heads of one queue: arguments pipeline
	// or backfill ID, trigger ("" for any) twice, after ID, limit.
	Pipeline, Backfill string
	// CountWaiting counts both indexes' entries.
	CountWaiting string
}

func queueSQL(d Dialect) QueueSQL {
	byPipeline := "runs" + d.IndexHint("runs_queued_pipeline") + " WHERE " + queuedPipelineSQL
	byBackfill := "runs" + d.IndexHint("runs_queued_backfill") + " WHERE " + queuedBackfillSQL
	return QueueSQL{
		Queues: `WITH RECURSIVE
	p(name) AS (
		SELECT (SELECT pipeline FROM ` + byPipeline + ` ORDER BY pipeline LIMIT 1)
		UNION ALL
		SELECT (SELECT pipeline FROM ` + byPipeline + ` AND pipeline > p.name ORDER BY pipeline LIMIT 1)
		FROM p WHERE p.name IS NOT NULL
	),
	b(id) AS (
		SELECT (SELECT backfill_id FROM ` + byBackfill + ` ORDER BY backfill_id LIMIT 1)
		UNION ALL
		SELECT (SELECT backfill_id FROM ` + byBackfill + ` AND backfill_id > b.id ORDER BY backfill_id LIMIT 1)
		FROM b WHERE b.id IS NOT NULL
	)
SELECT name, 0 FROM p WHERE name IS NOT NULL
UNION ALL
SELECT '', id FROM b WHERE id IS NOT NULL`,
		Pipeline: `SELECT ` + runColumns + ` FROM ` + byPipeline +
			` AND pipeline = ? AND (? = '' OR trigger_type = ?) AND id > ? ORDER BY id LIMIT ?`,
		Backfill: `SELECT ` + runColumns + ` FROM ` + byBackfill +
			` AND backfill_id = ? AND (? = '' OR trigger_type = ?) AND id > ? ORDER BY id LIMIT ?`,
		CountWaiting: `SELECT (SELECT count(*) FROM ` + byPipeline + `) + (SELECT count(*) FROM ` + byBackfill + `)`,
	}
}

// QueueSQL is the text of the dispatcher's queries (with ? placeholders;
// exported for the drivers' query-plan tests).
func (s *Store) QueueSQL() QueueSQL { return s.queues }

// ListQueues returns every queue holding a run that waits to start: the
// pipelines' own by name, then the backfills' by ID.
func (s *Store) ListQueues(ctx context.Context) ([]store.Queue, error) {
	rows, err := s.db.Query(ctx, s.queues.Queues)
	qs, err := Collect(rows, err, func(sc Scanner) (store.Queue, error) {
		var q store.Queue
		err := sc.Scan(&q.Pipeline, &q.BackfillID)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	return qs, nil
}

// ListQueued returns the runs of f's queue that wait to start, oldest first.
func (s *Store) ListQueued(ctx context.Context, f store.QueueFilter) ([]record.Run, error) {
	q, key := s.queues.Pipeline, any(f.Pipeline)
	if f.BackfillID != 0 {
		q, key = s.queues.Backfill, f.BackfillID
	}
	trig := string(f.Trigger)
	rows, err := s.db.Query(ctx, q, key, trig, trig, f.AfterID, Limit(f.Limit))
	runs, err := Collect(rows, err, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list queued runs: %w", err)
	}
	return runs, nil
}

// CountWaiting counts the runs that wait to start.
func (s *Store) CountWaiting(ctx context.Context) (int, error) {
	var n int
	if err := s.db.Row(ctx, s.queues.CountWaiting).Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting runs: %w", err)
	}
	return n, nil
}
