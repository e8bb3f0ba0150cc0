package storepg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const defaultLimit = 50

// CreateRun inserts r and its tasks, in state pending, in one transaction and
// sets r.ID. A zero r.CreatedAt is set to now, an empty r.State to queued.
func (s *Store) CreateRun(ctx context.Context, r *record.Run, tasks []string) error {
	run := *r
	if run.CreatedAt.IsZero() {
		run.CreatedAt = now()
	}
	if run.State == "" {
		run.State = record.RunQueued
	}
	params, err := paramsArg(run.Params)
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, insertRunSQL, run.Pipeline, run.Env, run.Revision,
			timeArg(run.IntervalStart), timeArg(run.IntervalEnd), string(run.Trigger),
			string(run.State), params, timeArg(run.CreatedAt), timeArg(run.StartedAt),
			timeArg(run.FinishedAt), run.Error).Scan(&run.ID); err != nil {
			return err
		}
		if len(tasks) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, insertRunTasksSQL, run.ID, tasks, string(record.TaskPending),
			timeArg(run.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create run: %w", mapErr(err))
	}
	r.ID, r.CreatedAt, r.State = run.ID, run.CreatedAt, run.State
	return nil
}

// GetRun returns the run with that ID, or store.ErrNotFound.
func (s *Store) GetRun(ctx context.Context, id int64) (record.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, getRunSQL, id))
	if err != nil {
		return record.Run{}, fmt.Errorf("get run %d: %w", id, mapErr(err))
	}
	return r, nil
}

// ListRuns returns the runs f selects, newest first.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error) {
	var where []string
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Pipeline != "" {
		arg("pipeline = $%d", f.Pipeline)
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		arg("state = ANY($%d)", states)
	}
	if f.BeforeID > 0 {
		arg("id < $%d", f.BeforeID)
	}
	if !f.Since.IsZero() {
		arg("created_at >= $%d", timeArg(f.Since))
	}
	q := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit(f.Limit))
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", mapErr(err))
	}
	runs, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", mapErr(err))
	}
	return runs, nil
}

// ListRunTasks returns the run's tasks in the order they were created.
func (s *Store) ListRunTasks(ctx context.Context, runID int64) ([]record.RunTask, error) {
	rows, err := s.pool.Query(ctx, listRunTasksSQL, runID)
	if err != nil {
		return nil, fmt.Errorf("list run tasks: %w", mapErr(err))
	}
	tasks, err := collect(rows, scanRunTask)
	if err != nil {
		return nil, fmt.Errorf("list run tasks: %w", mapErr(err))
	}
	return tasks, nil
}

func limit(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return n
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanRun(row pgx.Row) (record.Run, error) {
	var r record.Run
	var trigger, state string
	var params []byte
	var start, end, created, started, finished *time.Time
	if err := row.Scan(&r.ID, &r.Pipeline, &r.Env, &r.Revision, &start, &end,
		&trigger, &state, &params, &created, &started, &finished, &r.Error); err != nil {
		return record.Run{}, err
	}
	r.Trigger, r.State = record.Trigger(trigger), record.RunState(state)
	r.IntervalStart, r.IntervalEnd = timeOf(start), timeOf(end)
	r.CreatedAt, r.StartedAt, r.FinishedAt = timeOf(created), timeOf(started), timeOf(finished)
	var err error
	r.Params, err = paramsOf(params)
	return r, err
}

func scanRunTask(row pgx.Row) (record.RunTask, error) {
	var t record.RunTask
	var state string
	var next, updated *time.Time
	if err := row.Scan(&t.RunID, &t.Task, &state, &t.Attempts, &next, &updated); err != nil {
		return record.RunTask{}, err
	}
	t.State = record.TaskState(state)
	t.NextAttempt, t.UpdatedAt = timeOf(next), timeOf(updated)
	return t, nil
}
