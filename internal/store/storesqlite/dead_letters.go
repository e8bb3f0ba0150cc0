package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ListDeadLetters returns the dead letters f selects, newest first.
func (s *Store) ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error) {
	var where []string
	var args []any
	if f.Pipeline != "" {
		where = append(where, "pipeline = ?")
		args = append(args, f.Pipeline)
	}
	if f.Env != nil {
		where = append(where, "run_id IN (SELECT id FROM runs WHERE env = ?)")
		args = append(args, *f.Env)
	}
	if f.Unreplayed {
		where = append(where, "replayed_at IS NULL")
	}
	q := "SELECT " + deadLetterColumns + " FROM dead_letters"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit(f.Limit))
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", mapErr(err))
	}
	dls, err := collect(rows, scanDeadLetter)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", mapErr(err))
	}
	return dls, nil
}

// GetDeadLetter returns one dead letter, or store.ErrNotFound.
func (s *Store) GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error) {
	d, err := scanDeadLetter(s.stmts.getDeadLetter.QueryRowContext(ctx, id))
	if err != nil {
		return record.DeadLetter{}, fmt.Errorf("get dead letter %d: %w", id, mapErr(err))
	}
	return d, nil
}

// MarkDeadLetterReplayed records that by replayed dead letter id at at (now
// when zero): store.ErrNotFound when there is no such dead letter,
// store.ErrConflict when it was already replayed.
func (s *Store) MarkDeadLetterReplayed(ctx context.Context, id int64, by string, at time.Time) error {
	return s.Apply(ctx, &store.Batch{Replayed: &store.Replayed{DeadLetter: id, By: by, At: at}})
}

// markReplayed marks a dead letter replayed within tx.
func (s *Store) markReplayed(ctx context.Context, tx *sql.Tx, r *store.Replayed) error {
	id, at := r.DeadLetter, r.At
	if at.IsZero() {
		at = now()
	}
	res, err := tx.StmtContext(ctx, s.stmts.markReplayed).ExecContext(ctx, at.UnixMicro(), r.By, id)
	if err != nil {
		return fmt.Errorf("mark dead letter %d replayed: %w", id, mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("mark dead letter %d replayed: %w", id, err)
	} else if n == 1 {
		return nil
	}
	// Nothing changed: tell a missing dead letter from a replayed one.
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM dead_letters WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("mark dead letter %d replayed: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("mark dead letter %d replayed: %w", id, mapErr(err))
	}
	return fmt.Errorf("mark dead letter %d replayed: %w: already replayed", id, store.ErrConflict)
}

func scanDeadLetter(sc scanner) (record.DeadLetter, error) {
	var d record.DeadLetter
	var attemptID, created, replayed sql.NullInt64
	if err := sc.Scan(&d.ID, &d.RunID, &d.Pipeline, &d.Task, &attemptID, &d.Attempts,
		&d.Error, &created, &replayed, &d.ReplayedBy); err != nil {
		return record.DeadLetter{}, err
	}
	d.AttemptID = attemptID.Int64
	d.CreatedAt, d.ReplayedAt = timeOf(created), timeOf(replayed)
	return d, nil
}
