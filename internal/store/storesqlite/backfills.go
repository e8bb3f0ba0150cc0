package storesqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
)

// CreateBackfill inserts b and its runs, each with one pending RunTask per
// name in tasks, in one transaction. On success it sets b.ID and b.Total
// (len(runs)) and each run's ID and BackfillID; defaults are set as by
// CreateRun, and more: a zero b.CreatedAt is now, an empty b.State running, a
// zero run CreatedAt b.CreatedAt, an empty run Trigger backfill. Nothing is
// stored, or set, when one run cannot be (a schedule run whose interval is
// taken is store.ErrConflict).
func (s *Store) CreateBackfill(ctx context.Context, b *record.Backfill, runs []*record.Run, tasks []string) (err error) {
	bf := *b
	bf.Total = len(runs)
	if bf.CreatedAt.IsZero() {
		bf.CreatedAt = now()
	}
	if bf.State == "" {
		bf.State = record.BackfillRunning
	}
	rs := make([]record.Run, len(runs))
	for i, r := range runs {
		rs[i] = *r
		backfillRunDefaults(&rs[i], bf)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create backfill: %w", mapErr(err))
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	res, err := tx.StmtContext(ctx, s.stmts.insertBackfill).ExecContext(ctx, bf.Pipeline,
		bf.Env, timeArg(bf.From), timeArg(bf.To), bf.Parallel, bf.Total, string(bf.State),
		timeArg(bf.CreatedAt), bf.CreatedBy)
	if err != nil {
		return fmt.Errorf("create backfill: %w", mapErr(err))
	}
	if bf.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create backfill: %w", err)
	}
	for i := range rs {
		rs[i].BackfillID = bf.ID
		if err = s.insertRun(ctx, tx, &rs[i], tasks); err != nil {
			return fmt.Errorf("create backfill: run %d of %d: %w", i+1, len(rs), err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("create backfill: %w", mapErr(err))
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
	b, err := scanBackfill(s.stmts.getBackfill.QueryRowContext(ctx, id))
	if err != nil {
		return record.Backfill{}, fmt.Errorf("get backfill %d: %w", id, mapErr(err))
	}
	return b, nil
}

// ListBackfills returns backfills newest first; pipeline "" means all. A
// limit of 0 means 50, a negative one no limit.
func (s *Store) ListBackfills(ctx context.Context, pipeline string, n int) ([]record.Backfill, error) {
	q := "SELECT " + backfillColumns + " FROM backfills"
	var args []any
	if pipeline != "" {
		q += " WHERE pipeline = ?"
		args = append(args, pipeline)
	}
	q += " ORDER BY id DESC"
	if n >= 0 {
		q += " LIMIT ?"
		args = append(args, limit(n))
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list backfills: %w", mapErr(err))
	}
	bs, err := collect(rows, scanBackfill)
	if err != nil {
		return nil, fmt.Errorf("list backfills: %w", mapErr(err))
	}
	return bs, nil
}

// SetBackfillState changes a backfill's state, or returns store.ErrNotFound.
func (s *Store) SetBackfillState(ctx context.Context, id int64, st record.BackfillState) error {
	res, err := s.write.ExecContext(ctx, `UPDATE backfills SET state = ? WHERE id = ?`, string(st), id)
	if err := affectedOne(res, err); err != nil {
		return fmt.Errorf("set backfill %d state: %w", id, err)
	}
	return nil
}

func scanBackfill(sc scanner) (record.Backfill, error) {
	var b record.Backfill
	var state string
	var from, to, created sql.NullInt64
	if err := sc.Scan(&b.ID, &b.Pipeline, &b.Env, &from, &to, &b.Parallel, &b.Total,
		&state, &created, &b.CreatedBy); err != nil {
		return record.Backfill{}, err
	}
	b.State = record.BackfillState(state)
	b.From, b.To, b.CreatedAt = timeOf(from), timeOf(to), timeOf(created)
	return b, nil
}
