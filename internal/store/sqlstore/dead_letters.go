package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	deadLetterColumns = `id, run_id, pipeline, task, attempt_id, attempts, error,
		created_at, replayed_at, replayed_by`

	getDeadLetterSQL = `SELECT ` + deadLetterColumns + ` FROM dead_letters WHERE id = ?`

	// MarkReplayedSQL marks dead letter id replayed unless it was already:
	// arguments at, by, id. DeadLetterExistsSQL (argument id) tells, when it
	// changed no row, a missing dead letter from a replayed one.
	MarkReplayedSQL = `UPDATE dead_letters SET replayed_at = ?, replayed_by = ?
		WHERE id = ? AND replayed_at IS NULL`
	DeadLetterExistsSQL = `SELECT 1 FROM dead_letters WHERE id = ?`
)

// ListDeadLetters returns the dead letters f selects, newest first.
func (s *Store) ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error) {
	var w Where
	if f.Pipeline != "" {
		w.Add("pipeline = ?", f.Pipeline)
	}
	if f.Env != nil {
		w.Add("run_id IN (SELECT id FROM runs WHERE env = ?)", *f.Env)
	}
	if f.Unreplayed {
		w.Term("replayed_at IS NULL")
	}
	q, args := w.Query("SELECT "+deadLetterColumns+" FROM dead_letters", "id DESC", max(f.Limit, 0))
	rows, err := s.db.Query(ctx, q, args...)
	dls, err := Collect(rows, err, scanDeadLetter)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return dls, nil
}

// GetDeadLetter returns one dead letter, or store.ErrNotFound.
func (s *Store) GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error) {
	d, err := scanDeadLetter(s.db.Row(ctx, getDeadLetterSQL, id))
	if err != nil {
		return record.DeadLetter{}, fmt.Errorf("get dead letter %d: %w", id, err)
	}
	return d, nil
}

// MarkDeadLetterReplayed records that by replayed dead letter id at at (now
// when zero): store.ErrNotFound when there is no such dead letter,
// store.ErrConflict when it was already replayed.
func (s *Store) MarkDeadLetterReplayed(ctx context.Context, id int64, by string, at time.Time) error {
	return s.Apply(ctx, &store.Batch{Replayed: &store.Replayed{DeadLetter: id, By: by, At: at}})
}

// markReplayed runs p's replay, if any, in tx.
func markReplayed(tx *Tx, p *Plan) error {
	st := p.Replay
	if st == nil {
		return nil
	}
	err := tx.ExecOne(st.SQL, st.Args...)
	if errors.Is(err, store.ErrNotFound) {
		var one int
		err = NotReplayed(tx.Row(DeadLetterExistsSQL, st.ReplayedID()).Scan(&one))
	}
	return st.Err(err)
}

// ReplayedID is the dead letter a replay step marks replayed (0 for
// another step): the argument of DeadLetterExistsSQL after a replay that
// changed no row.
func (st *Step) ReplayedID() int64 {
	if r, ok := st.of.(*store.Replayed); ok {
		return r.DeadLetter
	}
	return 0
}

// NotReplayed is why a replay changed no row, from the error (mapped) of
// scanning DeadLetterExistsSQL's row: store.ErrNotFound for no dead letter,
// store.ErrConflict for one replayed already.
func NotReplayed(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: already replayed", store.ErrConflict)
}

func scanDeadLetter(sc Scanner) (record.DeadLetter, error) {
	var d record.DeadLetter
	var attemptID ID
	var created, replayed Time
	if err := sc.Scan(&d.ID, &d.RunID, &d.Pipeline, &d.Task, &attemptID, &d.Attempts,
		&d.Error, &created, &replayed, &d.ReplayedBy); err != nil {
		return record.DeadLetter{}, err
	}
	d.AttemptID = attemptID.N
	d.CreatedAt, d.ReplayedAt = created.T, replayed.T
	return d, nil
}
