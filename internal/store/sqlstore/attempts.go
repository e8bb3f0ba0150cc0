package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

const (
	attemptColumns = `id, run_id, task, attempt, state, queued_at, started_at,
		finished_at, pid, exit_code, signal, peak_memory, cpu_time_ns, log_path,
		outputs, output_errors, error`

	getAttemptSQL       = `SELECT ` + attemptColumns + ` FROM task_attempts WHERE id = ?`
	listAttemptsSQL     = `SELECT ` + attemptColumns + ` FROM task_attempts WHERE run_id = ? ORDER BY id`
	listTaskAttemptsSQL = `SELECT ` + attemptColumns + ` FROM task_attempts
		WHERE run_id = ? AND task = ? ORDER BY id`
)

// ListAttempts returns a run's attempts ordered by ID; task "" means all.
func (s *Store) ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error) {
	q, args := listAttemptsSQL, []any{runID}
	if task != "" {
		q, args = listTaskAttemptsSQL, append(args, task)
	}
	rows, err := s.db.Query(ctx, q, args...)
	as, err := Collect(rows, err, scanAttempt)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	return as, nil
}

// GetAttempt returns one attempt, or store.ErrNotFound.
func (s *Store) GetAttempt(ctx context.Context, id int64) (record.TaskAttempt, error) {
	a, err := scanAttempt(s.db.Row(ctx, getAttemptSQL, id))
	if err != nil {
		return record.TaskAttempt{}, fmt.Errorf("get attempt %d: %w", id, err)
	}
	return a, nil
}

func scanAttempt(sc Scanner) (record.TaskAttempt, error) {
	var a record.TaskAttempt
	var state string
	var queued, started, finished Time
	var cpu int64
	var outputs JSON[[]record.Output]
	var outErrs JSON[[]string]
	if err := sc.Scan(&a.ID, &a.RunID, &a.Task, &a.Attempt, &state, &queued,
		&started, &finished, &a.PID, &a.ExitCode, &a.Signal, &a.PeakMemory, &cpu,
		&a.LogPath, &outputs, &outErrs, &a.Error); err != nil {
		return record.TaskAttempt{}, err
	}
	a.State = record.TaskState(state)
	a.QueuedAt, a.StartedAt, a.FinishedAt = queued.T, started.T, finished.T
	a.CPUTime = time.Duration(cpu)
	a.Outputs, a.OutputErrors = outputs.V, outErrs.V
	return a, nil
}
