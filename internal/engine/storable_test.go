package engine_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
)

// TestTaskTextPostgreSQLRefuses: a task that reports a NUL byte or bytes
// that are not UTF-8 (in its figures or its failure) does not stop its run
// on PostgreSQL, which refuses such text: the run ends, with the bytes
// replaced.
func TestTaskTextPostgreSQLRefuses(t *testing.T) {
	t.Parallel()
	st := pgStore(t)
	h := newHarness(t, func(c *engine.Config) { c.Store = st })
	h.store = st
	p := pipeline(
		spec.Task{ID: "figures", Run: `printf 'rows=1\000000\nbad=\377\376\n' > "$GANTRY_OUTPUT"`},
		spec.Task{ID: "fails", Run: `exit 3`},
	)
	run, err := runBounded(t, "Run", func() (record.Run, error) {
		return h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir})
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if run.State != record.RunFailed {
		t.Fatalf("run %s, want failed (task fails)", run.State)
	}
	as := h.attempts(run.ID, "figures")
	if len(as) != 1 || as[0].State != record.TaskSucceeded {
		t.Fatalf("figures attempts %+v", as)
	}
	for _, o := range as[0].Outputs {
		if strings.ContainsRune(o.Value, 0) || !utf8.ValidString(o.Value) {
			t.Errorf("output %s=%q stored as is", o.Key, o.Value)
		}
	}
	if len(as[0].Outputs) != 2 {
		t.Errorf("outputs %+v, want rows and bad", as[0].Outputs)
	}
}

// pgStore opens a PostgreSQL store in a schema of its own.
func pgStore(t *testing.T) store.Store {
	t.Helper()
	st, err := storepg.Open(t.Context(), pgtest.SchemaURL(t, "gantry_engine_"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
