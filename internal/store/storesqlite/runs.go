package storesqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

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
func (s *Store) CreateRun(ctx context.Context, r *record.Run, tasks []string) (err error) {
	run := *r
	if run.CreatedAt.IsZero() {
		run.CreatedAt = now()
	}
	if run.State == "" {
		run.State = record.RunQueued
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create run: %w", mapErr(err))
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = s.insertRun(ctx, tx, &run, tasks); err != nil {
		return fmt.Errorf("create run: %w", mapErr(err))
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("create run: %w", mapErr(err))
	}
	r.ID, r.CreatedAt, r.State = run.ID, run.CreatedAt, run.State
	return nil
}

// insertRun inserts run, whose defaults are set, and one pending RunTask per
// name in tasks within tx, and sets run.ID. Its errors are mapped.
func (s *Store) insertRun(ctx context.Context, tx *sql.Tx, run *record.Run, tasks []string) error {
	params, err := paramsArg(run.Params)
	if err != nil {
		return err
	}
	res, err := tx.StmtContext(ctx, s.stmts.insertRun).ExecContext(ctx,
		run.Pipeline, run.Env, run.Revision, timeArg(run.IntervalStart),
		timeArg(run.IntervalEnd), string(run.Trigger), string(run.State), params,
		timeArg(run.CreatedAt), timeArg(run.StartedAt), timeArg(run.FinishedAt), run.Error,
		idArg(run.BackfillID))
	if err != nil {
		return mapErr(err)
	}
	if run.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	insertTask := tx.StmtContext(ctx, s.stmts.insertRunTask)
	for i, task := range tasks {
		if _, err = insertTask.ExecContext(ctx, run.ID, task, i,
			string(record.TaskPending), timeArg(run.CreatedAt)); err != nil {
			return fmt.Errorf("task %q: %w", task, mapErr(err))
		}
	}
	return nil
}

// GetRun returns the run with that ID, or store.ErrNotFound.
func (s *Store) GetRun(ctx context.Context, id int64) (record.Run, error) {
	r, err := scanRun(s.stmts.getRun.QueryRowContext(ctx, id))
	if err != nil {
		return record.Run{}, fmt.Errorf("get run %d: %w", id, mapErr(err))
	}
	return r, nil
}

// ListRuns returns the runs f selects, newest first.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error) {
	q, args := listRunsQuery(f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", mapErr(err))
	}
	runs, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", mapErr(err))
	}
	return runs, nil
}

// activeStatesSQL is the WHERE clause of the partial index runs_active:
// SQLite uses a partial index only for a query whose WHERE contains the
// index's. When ListRuns asks for runs in these states only, it adds this
// term and names the index: however many runs a pipeline has, only the few
// in flight are read. Without INDEXED BY SQLite, knowing no statistics,
// walks the pipeline's runs through runs_pipeline_id instead.
const activeStatesSQL = `state IN ('queued', 'waiting_upstream', 'running')`

// listRunsQuery is the query ListRuns runs for f, and its arguments.
func listRunsQuery(f store.RunFilter) (string, []any) {
	var where []string
	var args []any
	from := "runs"
	if f.Pipeline != "" {
		where = append(where, "pipeline = ?")
		args = append(args, f.Pipeline)
	}
	if len(f.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
		if allActive(f.States) {
			// Redundant, but it lets the query use runs_active.
			where = append(where, activeStatesSQL)
			from += " INDEXED BY runs_active"
		}
	}
	if f.Trigger != "" {
		where = append(where, "trigger_type = ?")
		args = append(args, string(f.Trigger))
	}
	if f.Env != nil {
		where = append(where, "env = ?")
		args = append(args, *f.Env)
	}
	if f.Revision != "" {
		where = append(where, "revision = ?")
		args = append(args, f.Revision)
	}
	if f.BackfillID != 0 {
		where = append(where, "backfill_id = ?")
		args = append(args, f.BackfillID)
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, f.Since.UnixMicro())
	}
	q := "SELECT " + runColumns + " FROM " + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit >= 0 {
		q += " LIMIT ?"
		args = append(args, limit(f.Limit))
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

// findCoveringRunSQL selects the newest succeeded run of a pipeline in an env
// whose interval covers [start, end): arguments pipeline, env, end, start.
// Its state term is the WHERE of the partial index runs_succeeded_cover.
const findCoveringRunSQL = `SELECT ` + runColumns + ` FROM runs
	WHERE pipeline = ? AND env = ? AND state = 'succeeded'
		AND interval_end >= ? AND interval_start <= ?
	ORDER BY id DESC LIMIT 1`

// FindCoveringRun returns the newest succeeded run of pipeline in env whose
// interval covers [start, end), or store.ErrNotFound.
func (s *Store) FindCoveringRun(ctx context.Context, pipeline, env string, start, end time.Time) (record.Run, error) {
	r, err := scanRun(s.stmts.findCoveringRun.QueryRowContext(ctx, pipeline, env,
		timeArg(end), timeArg(start)))
	if err != nil {
		return record.Run{}, fmt.Errorf("find run of %s covering [%s, %s): %w", pipeline,
			start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), mapErr(err))
	}
	return r, nil
}

// ListRunTasks returns the run's tasks in the order they were created.
func (s *Store) ListRunTasks(ctx context.Context, runID int64) ([]record.RunTask, error) {
	rows, err := s.stmts.listRunTasks.QueryContext(ctx, runID)
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

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
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

func scanRun(sc scanner) (record.Run, error) {
	var r record.Run
	var trigger, state string
	var params sql.NullString
	var start, end, created, started, finished, backfill sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Pipeline, &r.Env, &r.Revision, &start, &end,
		&trigger, &state, &params, &created, &started, &finished, &r.Error,
		&backfill); err != nil {
		return record.Run{}, err
	}
	r.BackfillID = backfill.Int64
	r.Trigger, r.State = record.Trigger(trigger), record.RunState(state)
	r.IntervalStart, r.IntervalEnd = timeOf(start), timeOf(end)
	r.CreatedAt, r.StartedAt, r.FinishedAt = timeOf(created), timeOf(started), timeOf(finished)
	var err error
	r.Params, err = paramsOf(params)
	return r, err
}

func scanRunTask(sc scanner) (record.RunTask, error) {
	var t record.RunTask
	var state string
	var next, updated sql.NullInt64
	if err := sc.Scan(&t.RunID, &t.Task, &state, &t.Attempts, &next, &updated); err != nil {
		return record.RunTask{}, err
	}
	t.State = record.TaskState(state)
	t.NextAttempt, t.UpdatedAt = timeOf(next), timeOf(updated)
	return t, nil
}
