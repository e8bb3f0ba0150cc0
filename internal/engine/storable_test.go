package engine_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
)

// pgStore opens a PostgreSQL store in a schema of its own, from
// GANTRY_TEST_POSTGRES; skipped without it, except in CI.
func pgStore(t *testing.T) store.Store {
	t.Helper()
	base := os.Getenv("GANTRY_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GANTRY_TEST_POSTGRES is not set; CI must provide PostgreSQL")
		}
		t.Skip("GANTRY_TEST_POSTGRES is not set")
	}
	schema := pgx.Identifier{"gantry_engine_" + strings.ToLower(rand.Text()[:12])}.Sanitize()
	admin, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", strings.Trim(schema, `"`))
	u.RawQuery = q.Encode()
	st, err := storepg.Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

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
