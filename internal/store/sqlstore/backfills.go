package sqlstore

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
)

const (
	backfillColumns = `id, pipeline, env, range_start, range_end, parallelism, total,
		state, created_at, created_by`

	insertBackfillSQL = `INSERT INTO backfills (pipeline, env, range_start, range_end,
		parallelism, total, state, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	getBackfillSQL      = `SELECT ` + backfillColumns + ` FROM backfills WHERE id = ?`
	setBackfillStateSQL = `UPDATE backfills SET state = ? WHERE id = ?`
)

// CreateBackfill inserts b and its runs, each with one pending RunTask per
// name in tasks, in one transaction. On success it sets b.ID and b.Total
// (len(runs)) and each run's ID and BackfillID; defaults are set as by
// CreateRun, and more: a zero b.CreatedAt is now, an empty b.State running, a
// zero run CreatedAt b.CreatedAt, an empty run Trigger backfill. Nothing is
// stored, or set, when one run cannot be (a schedule run whose interval is
// taken is store.ErrConflict).
func (s *Store) CreateBackfill(ctx context.Context, b *record.Backfill, runs []*record.Run, tasks []string) error {
	bf := *b
	bf.Total = len(runs)
	if bf.CreatedAt.IsZero() {
		bf.CreatedAt = Now()
	}
	if bf.State == "" {
		bf.State = record.BackfillRunning
	}
	rs := make([]record.Run, len(runs))
	for i, r := range runs {
		rs[i] = *r
		backfillRunDefaults(&rs[i], bf)
	}
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		var err error
		if bf.ID, err = tx.Insert(insertBackfillSQL, bf.Pipeline, bf.Env, s.t(bf.From),
			s.t(bf.To), bf.Parallel, bf.Total, string(bf.State), s.t(bf.CreatedAt),
			bf.CreatedBy); err != nil {
			return err
		}
		for i := range rs {
			rs[i].BackfillID = bf.ID
			if err := s.insertRun(tx, &rs[i], tasks); err != nil {
				return fmt.Errorf("run %d of %d: %w", i+1, len(rs), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create backfill: %w", err)
	}
	*b = bf
	for i, r := range runs {
		*r = rs[i]
	}
	return nil
}

// backfillRunDefaults sets the defaults of a run created with backfill bf.
func backfillRunDefaults(r *record.Run, bf record.Backfill) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = bf.CreatedAt
	}
	if r.State == "" {
		r.State = record.RunQueued
	}
	if r.Trigger == "" {
		r.Trigger = record.TriggerBackfill
	}
}

// GetBackfill returns one backfill, or store.ErrNotFound.
func (s *Store) GetBackfill(ctx context.Context, id int64) (record.Backfill, error) {
	b, err := scanBackfill(s.db.Row(ctx, getBackfillSQL, id))
	if err != nil {
		return record.Backfill{}, fmt.Errorf("get backfill %d: %w", id, err)
	}
	return b, nil
}

// ListBackfills returns backfills newest first; pipeline "" means all. A
// limit of 0 means 50, a negative one no limit.
func (s *Store) ListBackfills(ctx context.Context, pipeline string, n int) ([]record.Backfill, error) {
	var w Where
	if pipeline != "" {
		w.Add("pipeline = ?", pipeline)
	}
	q, args := w.Query("SELECT "+backfillColumns+" FROM backfills", "id DESC", n)
	rows, err := s.db.Query(ctx, q, args...)
	bs, err := Collect(rows, err, scanBackfill)
	if err != nil {
		return nil, fmt.Errorf("list backfills: %w", err)
	}
	return bs, nil
}

// SetBackfillState changes a backfill's state, or returns store.ErrNotFound.
func (s *Store) SetBackfillState(ctx context.Context, id int64, st record.BackfillState) error {
	if err := AffectedOne(s.db.Exec(ctx, setBackfillStateSQL, string(st), id)); err != nil {
		return fmt.Errorf("set backfill %d state: %w", id, err)
	}
	return nil
}

func scanBackfill(sc Scanner) (record.Backfill, error) {
	var b record.Backfill
	var state string
	var from, to, created Time
	if err := sc.Scan(&b.ID, &b.Pipeline, &b.Env, &from, &to, &b.Parallel, &b.Total,
		&state, &created, &b.CreatedBy); err != nil {
		return record.Backfill{}, err
	}
	b.State = record.BackfillState(state)
	b.From, b.To, b.CreatedAt = from.T, to.T, created.T
	return b, nil
}
