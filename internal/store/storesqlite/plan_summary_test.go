package storesqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// The dashboard's reads are index seeks per pipeline and a range of the
// window's runs, never a scan of every run or attempt.
func TestSummaryQueryPlans(t *testing.T) {
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
		return strings.Join(lines, "; ")
	}
	pipelines := " AND r.pipeline IN (?, ?)"
	for _, c := range []struct {
		name string
		q    string
		args []any
		want []string
	}{
		{"newest runs", fmt.Sprintf(sqlstore.SummaryLastSQL, "(CAST(? AS TEXT)), (?)"), []any{"a", "b", "prod", "prod"},
			[]string{"runs_pipeline_env_id (pipeline=? AND env=?)", "runs_succeeded_cover (pipeline=? AND env=?)"}},
		{"counts", fmt.Sprintf(sqlstore.SummaryCountsSQL, " INDEXED BY runs_created_cover"), []any{0, "prod"},
			[]string{"runs_created_cover (created_at>?)"}},
		{"figures of many", fmt.Sprintf(sqlstore.FiguresSQL, " INDEXED BY runs_created_cover", pipelines), []any{0, "a", "b"},
			[]string{"runs_created_cover (created_at>?)", "SEARCH a USING INDEX"}},
		{"figures of a few", fmt.Sprintf(sqlstore.FiguresSQL, " INDEXED BY runs_pipeline_id", pipelines), []any{0, "a", "b"},
			[]string{"runs_pipeline_id (pipeline=?)", "SEARCH a USING INDEX"}},
	} {
		got := plan(c.q, c.args...)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan %q, want %q", c.name, got, w)
			}
		}
		if strings.Contains(got, "SCAN runs") || strings.Contains(got, "SCAN a") || strings.Contains(got, "SCAN r ") {
			t.Errorf("%s: plan %q scans a table", c.name, got)
		}
	}
}
