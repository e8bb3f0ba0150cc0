package app_test

import (
	"slices"
	"testing"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/spec"
)

// Every kind a pipeline may name runs: a valid spec never meets "no
// executor for tasks of kind" on a stock binary.
func TestExecutorsRunEveryKindSpecAccepts(t *testing.T) {
	t.Parallel()
	set, err := app.Executors(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := set.Kinds(), spec.Kinds(); !slices.Equal(got, want) {
		t.Errorf("executors for kinds %v, spec accepts %v", got, want)
	}
}
