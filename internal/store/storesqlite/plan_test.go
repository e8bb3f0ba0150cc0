package storesqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// TestQueryPlans pins the indexes the server's frequent queries use: without
// statistics SQLite's choice follows the query text, and a partial index is
// used only when the query repeats its WHERE.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := func(q string, args ...any) string {
		t.Helper()
		rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "; ")
	}
	active := []record.RunState{record.RunQueued, record.RunWaiting, record.RunRunning}
	for _, c := range []struct {
		name string
		f    store.RunFilter
		want string // a substring of the plan
		sort bool   // whether a sort is acceptable
	}{
		{"all", store.RunFilter{}, "SCAN runs", false},
		{"pipeline", store.RunFilter{Pipeline: "p"}, "USING INDEX runs_pipeline_id (pipeline=?)", false},
		{"pipeline and trigger", store.RunFilter{Pipeline: "p", Trigger: record.TriggerManual},
			"USING INDEX runs_pipeline_trigger_id (pipeline=? AND trigger_type=?)", false},
		{"backfill", store.RunFilter{BackfillID: 3}, "USING INDEX runs_backfill_id (backfill_id=?)", false},
		{"backfill and pipeline", store.RunFilter{BackfillID: 3, Pipeline: "p"}, "USING INDEX runs_backfill_id (backfill_id=?)", false},
		{"active states", store.RunFilter{States: active, Limit: -1}, "USING INDEX runs_active (state=?)", true},
		{"one active state", store.RunFilter{States: active[1:2]}, "USING INDEX runs_active (state=?)", true},
		{"active states of a pipeline", store.RunFilter{Pipeline: "p", States: active}, "USING INDEX runs_active (state=?)", true},
		{"final states", store.RunFilter{States: []record.RunState{record.RunFailed}}, "SCAN runs", false},
	} {
		q, args := s.ListRunsQuery(c.f)
		got := plan(q, args...)
		if !strings.Contains(got, c.want) || (!c.sort && strings.Contains(got, "TEMP B-TREE")) {
			t.Errorf("ListRuns %s: plan %q, want %q (sort allowed: %v)", c.name, got, c.want, c.sort)
		}
	}
	// The dispatcher's: the heads of a queue, without a sort, and the
	// queues, one search each.
	qs := s.QueueSQL()
	for _, c := range []struct {
		name, q string
		args    []any
		want    string
	}{
		{"ListQueued pipeline", qs.Pipeline, []any{"p", "", "", 0, 8},
			"USING INDEX runs_queued_pipeline (pipeline=? AND id>?)"},
		{"ListQueued backfill", qs.Backfill, []any{3, "", "", 0, 8},
			"USING INDEX runs_queued_backfill (backfill_id=? AND id>?)"},
		{"ListQueues", qs.Queues, nil,
			"SEARCH runs USING INDEX runs_queued_pipeline (pipeline>?)"},
		{"ListQueues backfills", qs.Queues, nil,
			"SEARCH runs USING INDEX runs_queued_backfill (backfill_id>?)"},
		{"CountWaiting", qs.CountWaiting, nil, "SCAN runs USING INDEX runs_queued_pipeline"},
		{"CountWaiting backfills", qs.CountWaiting, nil, "SEARCH runs USING INDEX runs_queued_backfill (backfill_id>?)"},
	} {
		got := plan(c.q, c.args...)
		if !strings.Contains(got, c.want) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %q and no sort", c.name, got, c.want)
		}
	}
	if got, want := plan(sqlstore.FindCoveringRunSQL, "p", "", 2, 1), "USING INDEX runs_succeeded_cover (pipeline=? AND env=? AND interval_end>?)"; !strings.Contains(got, want) {
		t.Errorf("FindCoveringRun: plan %q, want %q", got, want)
	}
}

// TestApplyInsertsBuildNoTemporaryTable pins what the raw Apply prepares:
// the inserts without their RETURNING (for PostgreSQL), which SQLite
// would answer with a temporary b-tree opened and freed at every insert.
func TestApplyInsertsBuildNoTemporaryTable(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	returning := 0
	for _, q := range sqlstore.ApplySQL {
		raw := withoutReturning(q)
		if strings.Contains(q, "RETURNING") {
			returning++
			if strings.Contains(raw, "RETURNING") {
				t.Errorf("%q still returns", raw)
			}
		} else if raw != q {
			t.Errorf("%q rewritten to %q", q, raw)
		}
		args := make([]any, strings.Count(raw, "?")) // NULLs: EXPLAIN runs nothing
		rows, err := s.read.QueryContext(t.Context(), "EXPLAIN "+raw, args...)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		for rows.Next() {
			if err := rows.Scan(vals...); err != nil {
				t.Fatal(err)
			}
			// (An UPDATE of runs' state uses one, once per run state.)
			if op := *(vals[1].(*any)); op == "OpenEphemeral" && raw != q {
				t.Errorf("%q opens a temporary table", raw)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	if returning == 0 {
		t.Error("no statement of Apply returns an id: the test tests nothing")
	}
}
