package storesqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
)

// defaultLimit is the page size when a filter's Limit is 0; a negative Limit
// means no limit.
const defaultLimit = 50

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

// activeStatesSQL is the WHERE clause of the partial index runs_active:
// SQLite uses a partial index only for a query whose WHERE contains the
// index's. When ListRuns asks for runs in these states only, it adds this
// term and names the index: however many runs a pipeline has, only the few
// in flight are read. Without INDEXED BY SQLite, knowing no statistics,
// walks the pipeline's runs through runs_pipeline_id instead.
const activeStatesSQL = `state IN ('queued', 'waiting_upstream', 'running')`

// findCoveringRunSQL selects the newest succeeded run of a pipeline in an env
// whose interval covers [start, end): arguments pipeline, env, end, start.
// Its state term is the WHERE of the partial index runs_succeeded_cover.
const findCoveringRunSQL = `SELECT ` + runColumns + ` FROM runs
	WHERE pipeline = ? AND env = ? AND state = 'succeeded'
		AND interval_end >= ? AND interval_start <= ?
	ORDER BY id DESC LIMIT 1`

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
