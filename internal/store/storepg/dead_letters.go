package storepg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ListDeadLetters returns the dead letters f selects, newest first.
func (s *Store) ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error) {
	var where []string
	var args []any
	if f.Pipeline != "" {
		args = append(args, f.Pipeline)
		where = append(where, fmt.Sprintf("pipeline = $%d", len(args)))
	}
	if f.Env != nil {
		args = append(args, *f.Env)
		where = append(where, fmt.Sprintf("run_id IN (SELECT id FROM runs WHERE env = $%d)", len(args)))
	}
	if f.Unreplayed {
		where = append(where, "replayed_at IS NULL")
	}
	q := "SELECT " + deadLetterColumns + " FROM dead_letters"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit(f.Limit))
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
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
	d, err := scanDeadLetter(s.pool.QueryRow(ctx, getDeadLetterSQL, id))
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
func markReplayed(ctx context.Context, tx pgx.Tx, r *store.Replayed) error {
	id, at := r.DeadLetter, r.At
	if at.IsZero() {
		at = now()
	}
	tag, err := tx.Exec(ctx, markReplayedSQL, timeArg(at), r.By, id)
	if err != nil {
		return fmt.Errorf("mark dead letter %d replayed: %w", id, mapErr(err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Nothing changed: tell a missing dead letter from a replayed one.
	var one int32
	err = tx.QueryRow(ctx, `SELECT 1 FROM dead_letters WHERE id = $1`, id).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("mark dead letter %d replayed: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("mark dead letter %d replayed: %w", id, mapErr(err))
	}
	return fmt.Errorf("mark dead letter %d replayed: %w: already replayed", id, store.ErrConflict)
}

func scanDeadLetter(row pgx.Row) (record.DeadLetter, error) {
	var d record.DeadLetter
	var attemptID *int64
	var attempts int32
	var created, replayed *time.Time
	if err := row.Scan(&d.ID, &d.RunID, &d.Pipeline, &d.Task, &attemptID, &attempts,
		&d.Error, &created, &replayed, &d.ReplayedBy); err != nil {
		return record.DeadLetter{}, err
	}
	if attemptID != nil {
		d.AttemptID = *attemptID
	}
	d.Attempts = int(attempts)
	d.CreatedAt, d.ReplayedAt = timeOf(created), timeOf(replayed)
	return d, nil
}
