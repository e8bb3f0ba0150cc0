package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	runColumns = `id, pipeline, env, revision, interval_start, interval_end,
		trigger_type, state, params, created_at, started_at, finished_at, error,
		backfill_id, triggered_by, rollback_to`
	runTaskColumns = `run_id, task, state, attempts, next_attempt, updated_at`

	insertRunSQL = `INSERT INTO runs (pipeline, env, revision, interval_start,
		interval_end, trigger_type, state, params, created_at, started_at, finished_at, error,
		backfill_id, triggered_by, rollback_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	getRunSQL       = `SELECT ` + runColumns + ` FROM runs WHERE id = ?`
	listRunTasksSQL = `SELECT ` + runTaskColumns + ` FROM run_tasks WHERE run_id = ? ORDER BY position`

	// FindCoveringRunSQL (exported for the drivers' query-plan tests) selects the newest succeeded run of a pipeline in an
	// env whose interval covers [start, end): arguments pipeline, env, end,
	// start. Its state term is the WHERE of the partial index
	// runs_succeeded_cover.
	FindCoveringRunSQL = `SELECT ` + runColumns + ` FROM runs
		WHERE pipeline = ? AND env = ? AND state = 'succeeded'
			AND interval_end >= ? AND interval_start <= ?
		ORDER BY id DESC LIMIT 1`

	// activeStatesSQL is the WHERE clause of the partial index runs_active.
	// When ListRuns asks for runs in these states only, it adds this term,
	// redundant but for the planners (a partial index is used only for a
	// query whose WHERE contains the index's), and the dialect's hint for
	// the index: however many runs a pipeline has, only the few in flight
	// are read.
	activeStatesSQL = `state IN ('queued', 'waiting_upstream', 'running')`

	// runTaskRows is how many tasks one INSERT carries (5 arguments each,
	// well inside both databases' limits).
	runTaskRows = 500
)

// CreateRun inserts r and its tasks, in state pending, in one transaction and
// sets r.ID. A zero r.CreatedAt is set to now, an empty r.State to queued. A
// second schedule run for the same pipeline, env and interval start is
// store.ErrConflict (the unique index runs_schedule_interval); r.BackfillID,
// when set, must name a backfill (store.ErrNotFound otherwise).
func (s *Store) CreateRun(ctx context.Context, r *record.Run, tasks []string) error {
	run := *r
	if run.CreatedAt.IsZero() {
		run.CreatedAt = Now()
	}
	if run.State == "" {
		run.State = record.RunQueued
	}
	err := s.fencedWriteTx(ctx, func(tx *Tx) error {
		return s.insertRun(tx, &run, tasks)
	})
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	r.ID, r.CreatedAt, r.State = run.ID, run.CreatedAt, run.State
	return nil
}

// insertRun inserts run, whose defaults are set, and one pending RunTask per
// name in tasks within tx, and sets run.ID.
func (s *Store) insertRun(tx *Tx, run *record.Run, tasks []string) error {
	params, err := JSONArg(run.Params, run.Params == nil)
	if err != nil {
		return err
	}
	if run.ID, err = tx.Insert(insertRunSQL, run.Pipeline, run.Env, run.Revision,
		s.t(run.IntervalStart), s.t(run.IntervalEnd), string(run.Trigger), string(run.State),
		params, s.t(run.CreatedAt), s.t(run.StartedAt), s.t(run.FinishedAt), run.Error,
		IDArg(run.BackfillID), run.TriggeredBy, run.RollbackTo); err != nil {
		return err
	}
	for i := 0; i < len(tasks); i += runTaskRows {
		chunk := tasks[i:min(i+runTaskRows, len(tasks))]
		q := `INSERT INTO run_tasks (run_id, task, position, state, attempts, next_attempt,
			updated_at) VALUES (?, ?, ?, ?, 0, NULL, ?)` +
			strings.Repeat(", (?, ?, ?, ?, 0, NULL, ?)", len(chunk)-1)
		args := make([]any, 0, 5*len(chunk))
		for j, task := range chunk {
			args = append(args, run.ID, task, i+j, string(record.TaskPending), s.t(run.CreatedAt))
		}
		if _, err := tx.Exec(q, args...); err != nil {
			return fmt.Errorf("tasks: %w", err)
		}
	}
	return nil
}

// GetRun returns the run with that ID, or store.ErrNotFound.
func (s *Store) GetRun(ctx context.Context, id int64) (record.Run, error) {
	r, err := scanRun(s.db.Row(ctx, getRunSQL, id))
	if err != nil {
		return record.Run{}, fmt.Errorf("get run %d: %w", id, err)
	}
	return r, nil
}

// ListRuns returns the runs f selects, newest first.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error) {
	q, args := s.ListRunsQuery(f)
	rows, err := s.db.Query(ctx, q, args...)
	runs, err := Collect(rows, err, scanRun)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// ListRunsQuery is the query ListRuns runs for f, and its arguments (with ?
// placeholders; exported for the drivers' query-plan tests).
func (s *Store) ListRunsQuery(f store.RunFilter) (string, []any) {
	var w Where
	from := "runs"
	if f.Pipeline != "" {
		w.Add("pipeline = ?", f.Pipeline)
	}
	if len(f.States) > 0 {
		In(&w, "state", f.States)
		if allActive(f.States) {
			w.Term(activeStatesSQL)
			from += s.db.d.IndexHint("runs_active")
		}
	}
	if f.Trigger != "" {
		w.Add("trigger_type = ?", string(f.Trigger))
	}
	if f.Env != nil {
		w.Add("env = ?", *f.Env)
	}
	if f.Revision != "" {
		w.Add("revision = ?", f.Revision)
	}
	if f.BackfillID != 0 {
		w.Add("backfill_id = ?", f.BackfillID)
	}
	if f.BeforeID > 0 {
		w.Add("id < ?", f.BeforeID)
	}
	if !f.Since.IsZero() {
		w.Add("created_at >= ?", s.t(f.Since))
	}
	return w.Query("SELECT "+runColumns+" FROM "+from, "id DESC", f.Limit)
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
	r, err := scanRun(s.db.Row(ctx, FindCoveringRunSQL, pipeline, env, s.t(end), s.t(start)))
	if err != nil {
		return record.Run{}, fmt.Errorf("find run of %s covering [%s, %s): %w", pipeline,
			start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), err)
	}
	return r, nil
}

// ListRunTasks returns the run's tasks in the order they were created.
func (s *Store) ListRunTasks(ctx context.Context, runID int64) ([]record.RunTask, error) {
	rows, err := s.db.Query(ctx, listRunTasksSQL, runID)
	tasks, err := Collect(rows, err, scanRunTask)
	if err != nil {
		return nil, fmt.Errorf("list run tasks: %w", err)
	}
	return tasks, nil
}

// ScanRun reads a row of the runs queries' columns (exported for a
// driver's own read path: PostgreSQL's queue reads).
func ScanRun(sc Scanner) (record.Run, error) { return scanRun(sc) }

func scanRun(sc Scanner) (record.Run, error) {
	var r record.Run
	var trigger, state string
	var params JSON[map[string]string]
	var start, end, created, started, finished Time
	var backfill ID
	if err := sc.Scan(&r.ID, &r.Pipeline, &r.Env, &r.Revision, &start, &end,
		&trigger, &state, &params, &created, &started, &finished, &r.Error,
		&backfill, &r.TriggeredBy, &r.RollbackTo); err != nil {
		return record.Run{}, err
	}
	r.BackfillID = backfill.N
	r.Trigger, r.State = record.Trigger(trigger), record.RunState(state)
	r.IntervalStart, r.IntervalEnd = start.T, end.T
	r.CreatedAt, r.StartedAt, r.FinishedAt = created.T, started.T, finished.T
	r.Params = params.V
	return r, nil
}

func scanRunTask(sc Scanner) (record.RunTask, error) {
	var t record.RunTask
	var state string
	var next, updated Time
	if err := sc.Scan(&t.RunID, &t.Task, &state, &t.Attempts, &next, &updated); err != nil {
		return record.RunTask{}, err
	}
	t.State = record.TaskState(state)
	t.NextAttempt, t.UpdatedAt = next.T, updated.T
	return t, nil
}
