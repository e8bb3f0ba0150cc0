package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The dashboard's reads over many pipelines. None reads every run: the
// newest run and the newest succeeded interval of each pipeline are an
// index seek per pipeline (runs_pipeline_env_id, runs_succeeded_cover),
// and the counts and figures of a window read only that window's runs
// from runs_created_cover (migration 0013).
const (
	// summaryNamesRows is how many pipelines one statement summarizes.
	summaryNamesRows = 500
	// figuresByPipeline is how many pipelines ListFigures reads run by
	// run through their own index rather than through the window's.
	figuresByPipeline = 10

	// SummaryLastSQL selects, per pipeline of its VALUES list (%s), the ID
	// of its newest run and the end of its newest succeeded interval in
	// an env (the first two arguments).
	SummaryLastSQL = `WITH p(name) AS (VALUES %s)
		SELECT p.name,
			(SELECT MAX(id) FROM runs WHERE pipeline = p.name AND env = ?),
			(SELECT MAX(interval_end) FROM runs WHERE pipeline = p.name AND env = ? AND state = 'succeeded')
		FROM p`
	// SummaryCountsSQL counts the runs of a window per pipeline.
	SummaryCountsSQL = `SELECT pipeline, COUNT(*),
		SUM(CASE WHEN state = 'succeeded' THEN 1 ELSE 0 END),
		SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)
		FROM runs%s WHERE created_at >= ? AND env = ? GROUP BY pipeline`
	// FiguresSQL selects the outputs of the succeeded attempts of a
	// window's runs, newest run first: the window's runs from the index,
	// then each one's attempts.
	FiguresSQL = `SELECT r.id, r.pipeline, r.env, a.task, r.interval_start, r.interval_end,
		a.finished_at, a.outputs
		FROM runs r%s CROSS JOIN task_attempts a
		WHERE a.run_id = r.id AND r.created_at >= ?%s AND a.state = 'succeeded' AND a.outputs IS NOT NULL
		ORDER BY r.id DESC, a.id`
)

// SummarizeRuns returns one summary per pipeline of f.Pipelines with a
// run in f.Env, in their order.
func (s *Store) SummarizeRuns(ctx context.Context, f store.SummaryFilter) ([]store.RunSummary, error) {
	sums := make(map[string]*store.RunSummary, len(f.Pipelines))
	var lastIDs []int64
	for i := 0; i < len(f.Pipelines); i += summaryNamesRows {
		names := f.Pipelines[i:min(i+summaryNamesRows, len(f.Pipelines))]
		values := "(CAST(? AS TEXT))" + strings.Repeat(", (?)", len(names)-1)
		args := make([]any, 0, len(names)+2)
		for _, n := range names {
			args = append(args, n)
		}
		args = append(args, f.Env, f.Env)
		rows, err := s.db.Query(ctx, fmt.Sprintf(SummaryLastSQL, values), args...)
		if err = eachRow(rows, err, func(sc Scanner) error {
			var name string
			var id sql.NullInt64
			var end Time
			if err := sc.Scan(&name, &id, &end); err != nil {
				return err
			}
			if id.Valid {
				sums[name] = &store.RunSummary{Pipeline: name, Env: f.Env, LastSucceeded: end.T}
				lastIDs = append(lastIDs, id.Int64)
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("summarize runs: newest: %w", err)
		}
	}
	for i := 0; i < len(lastIDs); i += summaryNamesRows {
		ids := lastIDs[i:min(i+summaryNamesRows, len(lastIDs))]
		args := make([]any, len(ids))
		for j, id := range ids {
			args[j] = id
		}
		rows, err := s.db.Query(ctx, `SELECT `+runColumns+` FROM runs WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
		last, err := Collect(rows, err, scanRun)
		if err != nil {
			return nil, fmt.Errorf("summarize runs: newest: %w", err)
		}
		for _, r := range last {
			if sum := sums[r.Pipeline]; sum != nil {
				sum.Last = r
			}
		}
	}
	rows, err := s.db.Query(ctx, fmt.Sprintf(SummaryCountsSQL, s.db.d.IndexHint("runs_created_cover")), s.t(f.Since), f.Env)
	if err = eachRow(rows, err, func(sc Scanner) error {
		var name string
		var n, ok, failed int64
		if err := sc.Scan(&name, &n, &ok, &failed); err != nil {
			return err
		}
		if sum := sums[name]; sum != nil {
			sum.Runs, sum.Succeeded, sum.Failed = int(n), int(ok), int(failed)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("summarize runs: counts: %w", err)
	}
	out := make([]store.RunSummary, 0, len(sums))
	for _, name := range f.Pipelines {
		if sum := sums[name]; sum != nil {
			out = append(out, *sum)
			delete(sums, name)
		}
	}
	return out, nil
}

// ListFigures returns the figures of succeeded attempts of the runs f
// selects, newest run first. It stops reading once it has f.Limit.
func (s *Store) ListFigures(ctx context.Context, f store.FigureFilter) ([]store.Figure, error) {
	var terms strings.Builder
	args := []any{s.t(f.Since)}
	if len(f.Pipelines) > 0 {
		terms.WriteString(" AND r.pipeline IN (?" + strings.Repeat(", ?", len(f.Pipelines)-1) + ")")
		for _, p := range f.Pipelines {
			args = append(args, p)
		}
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
	// A few pipelines: their runs from runs_pipeline_id, whatever the
	// window; many, or all: the window's runs from runs_created_cover.
	hint := s.db.d.IndexHint("runs_created_cover")
	if len(f.Pipelines) > 0 && len(f.Pipelines) <= figuresByPipeline {
		hint = s.db.d.IndexHint("runs_pipeline_id")
	}
	q := fmt.Sprintf(FiguresSQL, hint, terms.String())
	rows, err := s.db.Query(ctx, q, args...)
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
