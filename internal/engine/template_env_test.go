package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// TestTemplateValuesReachTheTask: the attempt's command refers to its
// template values by variable, and the engine sets those variables, after
// the task's own env, so a task cannot shadow them by accident.
func TestTemplateValuesReachTheTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := pipeline(spec.Task{ID: "a",
		Run: `echo "$(case x in x) echo "{{ .Params.name }}" ;; esac)" > said.txt`,
		Env: []spec.EnvVar{{Name: "GANTRY_TPL_1", Value: "shadow"}}})
	p.Params = []spec.Param{{Name: "name", Default: "x", HasDefault: true}}
	evil := `$(touch pwned)`
	run := h.run(context.Background(), p, map[string]string{"name": evil})
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s: %s", run.State, run.Error)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "pwned")); err == nil {
		t.Fatal("a parameter value ran as a shell command")
	}
	got, _ := os.ReadFile(filepath.Join(h.dir, "said.txt"))
	if string(got) != evil+"\n" {
		t.Errorf("task saw %q, want the parameter verbatim %q", got, evil+"\n")
	}
}
