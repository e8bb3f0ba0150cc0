package app_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// Every kind a pipeline may name runs: a valid spec never meets "no
// executor for tasks of kind" on a stock binary.
func TestExecutorsRunEveryKindSpecAccepts(t *testing.T) {
	t.Parallel()
	st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	set, err := app.Executors(nil, st)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if got, want := set.Kinds(), spec.Kinds(); !slices.Equal(got, want) {
		t.Errorf("executors for kinds %v, spec accepts %v", got, want)
	}
}
