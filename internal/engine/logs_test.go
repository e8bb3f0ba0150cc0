package engine_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// TestLogLimitCapsAttemptLogs: the engine's log cap reaches every attempt.
func TestLogLimitCapsAttemptLogs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *engine.Config) { c.LogLimit = 4096 })
	p := pipeline(spec.Task{ID: "chatty", Run: `yes 'a line of output' | head -n 10000; echo last`})
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s: %s", run.State, run.Error)
	}
	log, err := os.ReadFile(h.attempts(run.ID, "chatty")[0].LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) > 4096+200 || !strings.Contains(string(log), "(log capped at 4 KiB; head and tail kept)") ||
		!strings.HasSuffix(string(log), "a line of output\nlast\n") {
		t.Errorf("log of %d bytes, want at most 4 KiB of output with the tail and a truncation line:\n%.200s", len(log), log)
	}
}

// TestOutputErrorsRecorded: what was wrong with a task's $GANTRY_OUTPUT is
// kept on its attempt, secrets redacted, for the server to show.
func TestOutputErrorsRecorded(t *testing.T) {
	t.Parallel()
	const canary = "s3cr3t-canary-value-77a0"
	h := newHarness(t, func(c *engine.Config) {
		c.Secrets = func(string) (string, error) { return canary, nil }
	})
	p := pipeline(spec.Task{ID: "report", Env: []spec.EnvVar{{Name: "PW", Secret: "pw"}},
		Run: `echo "rows=3" >> "$GANTRY_OUTPUT"; echo "oops $PW" >> "$GANTRY_OUTPUT"`})
	run := h.run(context.Background(), p, nil)
	if run.State != record.RunSucceeded {
		t.Fatalf("run %s: %s", run.State, run.Error)
	}
	a := h.attempts(run.ID, "report")[0]
	if len(a.OutputErrors) != 1 || a.OutputErrors[0] != `line 2: "oops <redacted>": want key=value` {
		t.Errorf("stored output errors %q, want the bad line, redacted", a.OutputErrors)
	}
}
