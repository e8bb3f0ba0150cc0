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

// defaultLimit is the page size when a filter's Limit is 0; a negative Limit
// means no limit.
const defaultLimit = 50

// CreateRun inserts r and its tasks, in state pending, in one transaction and
// sets r.ID. A zero r.CreatedAt is set to now, an empty r.State to queued. A
// second schedule run for the same pipeline, env and interval start is
// store.ErrConflict (the unique index runs_schedule_interval); r.BackfillID,
// when set, must name a backfill (store.ErrNotFound otherwise).
func (s *Store) CreateRun(ctx context.Context, r *record.Run, tasks []string) error {
	run := *r
	if run.CreatedAt.IsZero() {
		run.CreatedAt = now()
	}
	if run.State == "" {
		run.State = record.RunQueued
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return insertRun(ctx, tx, &run, tasks)
	})
	if err != nil {
		return fmt.Errorf("create run: %w", mapErr(err))
	}
	r.ID, r.CreatedAt, r.State = run.ID, run.CreatedAt, run.State
	return nil
}

// insertRun inserts run, whose defaults are set, and one pending RunTask per
// name in tasks within tx, and sets run.ID.
func insertRun(ctx context.Context, tx pgx.Tx, run *record.Run, tasks []string) error {
	params, err := paramsArg(run.Params)
	if err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, insertRunSQL, run.Pipeline, run.Env, run.Revision,
		timeArg(run.IntervalStart), timeArg(run.IntervalEnd), string(run.Trigger),
		string(run.State), params, timeArg(run.CreatedAt), timeArg(run.StartedAt),
		timeArg(run.FinishedAt), run.Error, idArg(run.BackfillID)).Scan(&run.ID); err != nil {
		return err
	}
	if len(tasks) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, insertRunTasksSQL, run.ID, tasks, string(record.TaskPending),
		timeArg(run.CreatedAt))
	return err
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
	q, args := listRunsQuery(f)
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

// activeStatesSQL is the WHERE clause of the partial index runs_active. When
// ListRuns asks for runs in these states only, it adds this term, redundant
// but for the planner: it cannot tell that state = ANY($n) implies it when
// it plans for any $n (a generic plan).
const activeStatesSQL = `state IN ('queued', 'waiting_upstream', 'running')`

// listRunsQuery is the query ListRuns runs for f, and its arguments.
func listRunsQuery(f store.RunFilter) (string, []any) {
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
		if allActive(f.States) {
			where = append(where, activeStatesSQL)
		}
	}
	if f.Trigger != "" {
		arg("trigger_type = $%d", string(f.Trigger))
	}
	if f.Env != nil {
		arg("env = $%d", *f.Env)
	}
	if f.Revision != "" {
		arg("revision = $%d", f.Revision)
	}
	if f.BackfillID != 0 {
		arg("backfill_id = $%d", f.BackfillID)
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
	q += " ORDER BY id DESC"
	if f.Limit >= 0 {
		args = append(args, limit(f.Limit))
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	return q, args
}

// allActive reports whether every state in states is one runs_active holds.
func allActive(states []record.RunState) bool {
	for _, st := range states {
		switch st {
		case record.RunQueued, record.RunWaiting, record.RunRunning:
		default:
			return false
		}
	}
	return true
}

// FindCoveringRun returns the newest succeeded run of pipeline in env whose
// interval covers [start, end), or store.ErrNotFound.
func (s *Store) FindCoveringRun(ctx context.Context, pipeline, env string, start, end time.Time) (record.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, findCoveringRunSQL, pipeline, env,
		timeArg(end), timeArg(start)))
	if err != nil {
		return record.Run{}, fmt.Errorf("find run of %s covering [%s, %s): %w", pipeline,
			start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), mapErr(err))
	}
	return r, nil
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
	var backfill *int64
	if err := row.Scan(&r.ID, &r.Pipeline, &r.Env, &r.Revision, &start, &end,
		&trigger, &state, &params, &created, &started, &finished, &r.Error,
		&backfill); err != nil {
		return record.Run{}, err
	}
	if backfill != nil {
		r.BackfillID = *backfill
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
