package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The dashboard's reads over every pipeline. Each is one statement whose
// cost follows the runs in its window or the number of pipelines, served
// by the indexes of migration 0013: runs_pipeline_env_id (the newest run
// of each pipeline, read from the index alone) and runs_created_cover
// (the runs of a window, counted from the index alone).
const (
	// SummaryLastSQL selects the newest run of each (pipeline, env).
	SummaryLastSQL = `SELECT ` + runColumns + ` FROM runs WHERE id IN
		(SELECT MAX(id) FROM runs%s GROUP BY pipeline, env)`
	// SummarySucceededSQL selects the end of the newest succeeded interval
	// of each (pipeline, env), from the partial index runs_succeeded_cover.
	SummarySucceededSQL = `SELECT pipeline, env, MAX(interval_end) FROM runs
		WHERE state = 'succeeded'%s GROUP BY pipeline, env`
	// SummaryCountsSQL counts the runs of a window per (pipeline, env).
	SummaryCountsSQL = `SELECT pipeline, env, COUNT(*),
		SUM(CASE WHEN state = 'succeeded' THEN 1 ELSE 0 END),
		SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)
		FROM runs WHERE created_at >= ?%s GROUP BY pipeline, env`
	// FiguresSQL selects the outputs of the succeeded attempts of a
	// window's runs, newest run first.
	FiguresSQL = `SELECT r.id, r.pipeline, r.env, a.task, r.interval_start, r.interval_end,
		a.finished_at, a.outputs
		FROM runs r JOIN task_attempts a ON a.run_id = r.id
		WHERE r.created_at >= ?%s AND a.state = 'succeeded' AND a.outputs IS NOT NULL
		ORDER BY r.id DESC, a.id`
)

type summaryKey struct{ pipeline, env string }

// SummarizeRuns returns one summary per (pipeline, env) with a run.
func (s *Store) SummarizeRuns(ctx context.Context, f store.SummaryFilter) ([]store.RunSummary, error) {
	envTerm, envArgs := "", []any(nil)
	if f.Env != nil {
		envTerm, envArgs = " AND env = ?", []any{*f.Env}
	}
	sums := map[summaryKey]*store.RunSummary{}
	where := ""
	if f.Env != nil {
		where = " WHERE env = ?"
	}
	rows, err := s.db.Query(ctx, fmt.Sprintf(SummaryLastSQL, where), envArgs...)
	last, err := Collect(rows, err, scanRun)
	if err != nil {
		return nil, fmt.Errorf("summarize runs: newest: %w", err)
	}
	for _, r := range last {
		sums[summaryKey{r.Pipeline, r.Env}] = &store.RunSummary{Pipeline: r.Pipeline, Env: r.Env, Last: r}
	}
	rows, err = s.db.Query(ctx, fmt.Sprintf(SummarySucceededSQL, envTerm), envArgs...)
	if err = eachRow(rows, err, func(sc Scanner) error {
		var k summaryKey
		var end Time
		if err := sc.Scan(&k.pipeline, &k.env, &end); err != nil {
			return err
		}
		if sum := sums[k]; sum != nil {
			sum.LastSucceeded = end.T
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("summarize runs: succeeded: %w", err)
	}
	rows, err = s.db.Query(ctx, fmt.Sprintf(SummaryCountsSQL, envTerm), append([]any{s.t(f.Since)}, envArgs...)...)
	if err = eachRow(rows, err, func(sc Scanner) error {
		var k summaryKey
		var n, ok, failed int64
		if err := sc.Scan(&k.pipeline, &k.env, &n, &ok, &failed); err != nil {
			return err
		}
		if sum := sums[k]; sum != nil {
			sum.Runs, sum.Succeeded, sum.Failed = int(n), int(ok), int(failed)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("summarize runs: counts: %w", err)
	}
	out := make([]store.RunSummary, 0, len(sums))
	for _, sum := range sums {
		out = append(out, *sum)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pipeline != out[j].Pipeline {
			return out[i].Pipeline < out[j].Pipeline
		}
		return out[i].Env < out[j].Env
	})
	return out, nil
}

// ListFigures returns the figures of succeeded attempts of the runs f
// selects, newest run first. It stops reading once it has f.Limit.
func (s *Store) ListFigures(ctx context.Context, f store.FigureFilter) ([]store.Figure, error) {
	var terms strings.Builder
	args := []any{s.t(f.Since)}
	if f.Pipeline != "" {
		terms.WriteString(" AND r.pipeline = ?")
		args = append(args, f.Pipeline)
	}
	if f.Env != nil {
		terms.WriteString(" AND r.env = ?")
		args = append(args, *f.Env)
	}
	limit := -1
	if f.Limit >= 0 {
		limit = Limit(f.Limit)
	}
	var out []store.Figure
	rows, err := s.db.Query(ctx, fmt.Sprintf(FiguresSQL, terms.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("list figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() && (limit < 0 || len(out) < limit) {
		var fig store.Figure
		var start, end, finished Time
		var outputs JSON[[]record.Output]
		if err := rows.Scan(&fig.RunID, &fig.Pipeline, &fig.Env, &fig.Task, &start, &end, &finished, &outputs); err != nil {
			return nil, fmt.Errorf("list figures: %w", err)
		}
		fig.IntervalStart, fig.IntervalEnd, fig.FinishedAt = start.T, end.T, finished.T
		for _, o := range outputs.V {
			if f.Key != "" && o.Key != f.Key {
				continue
			}
			fig.Key, fig.Value = o.Key, o.Value
			out = append(out, fig)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list figures: %w", err)
	}
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ListRunTasksOf returns the tasks of the runs in runIDs.
func (s *Store) ListRunTasksOf(ctx context.Context, runIDs []int64) ([]record.RunTask, error) {
	if len(runIDs) == 0 {
		return nil, nil
	}
	if len(runIDs) > store.MaxRunIDs {
		return nil, fmt.Errorf("list run tasks: %d runs asked for, at most %d", len(runIDs), store.MaxRunIDs)
	}
	args := make([]any, len(runIDs))
	for i, id := range runIDs {
		args[i] = id
	}
	q := `SELECT ` + runTaskColumns + ` FROM run_tasks WHERE run_id IN (?` +
		strings.Repeat(", ?", len(runIDs)-1) + `) ORDER BY run_id, position`
	rows, err := s.db.Query(ctx, q, args...)
	tasks, err := Collect(rows, err, scanRunTask)
	if err != nil {
		return nil, fmt.Errorf("list run tasks: %w", err)
	}
	return tasks, nil
}

// eachRow calls fn on every row and closes rows.
func eachRow(rows *sql.Rows, err error, fn func(Scanner) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
