package storesqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// ListAttempts returns a run's attempts ordered by ID; task "" means all.
func (s *Store) ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error) {
	var rows *sql.Rows
	var err error
	if task == "" {
		rows, err = s.stmts.listAttempts.QueryContext(ctx, runID)
	} else {
		rows, err = s.stmts.listTaskAttempts.QueryContext(ctx, runID, task)
	}
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", mapErr(err))
	}
	as, err := collect(rows, scanAttempt)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", mapErr(err))
	}
	return as, nil
}

// GetAttempt returns one attempt, or store.ErrNotFound.
func (s *Store) GetAttempt(ctx context.Context, id int64) (record.TaskAttempt, error) {
	a, err := scanAttempt(s.stmts.getAttempt.QueryRowContext(ctx, id))
	if err != nil {
		return record.TaskAttempt{}, fmt.Errorf("get attempt %d: %w", id, mapErr(err))
	}
	return a, nil
}

func scanAttempt(sc scanner) (record.TaskAttempt, error) {
	var a record.TaskAttempt
	var state string
	var queued, started, finished sql.NullInt64
	var cpu int64
	var outputs, outErrs sql.NullString
	if err := sc.Scan(&a.ID, &a.RunID, &a.Task, &a.Attempt, &state, &queued,
		&started, &finished, &a.PID, &a.ExitCode, &a.Signal, &a.PeakMemory, &cpu,
		&a.LogPath, &outputs, &outErrs, &a.Error); err != nil {
		return record.TaskAttempt{}, err
	}
	a.State = record.TaskState(state)
	a.QueuedAt, a.StartedAt, a.FinishedAt = timeOf(queued), timeOf(started), timeOf(finished)
	a.CPUTime = time.Duration(cpu)
	var err error
	if a.Outputs, err = outputsOf(outputs); err != nil {
		return a, err
	}
	a.OutputErrors, err = outputErrorsOf(outErrs)
	return a, err
}
