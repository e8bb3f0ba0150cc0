package storepg

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
)

// defaultLimit is the page size when a filter's Limit is 0; a negative Limit
// means no limit.
const defaultLimit = 50

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

// activeStatesSQL is the WHERE clause of the partial index runs_active. When
// ListRuns asks for runs in these states only, it adds this term, redundant
// but for the planner: it cannot tell that state = ANY($n) implies it when
// it plans for any $n (a generic plan).
const activeStatesSQL = `state IN ('queued', 'waiting_upstream', 'running')`

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
