package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// A runbook generated in a project with a store names each task's
// memory limit beside the peak its recorded attempts reached, and
// --update writes them into the example's runbook, keeping its
// hand-written parts.
func TestRunbookGenerateObservedPeaks(t *testing.T) {
	t.Parallel()
	dir := copyExample(t, "data")
	r := gantry(t, dir, "run", filepath.Join("pipelines", "orders_daily.yaml"), "--date", "2026-11-21")
	wantCode(t, r, 0)
	r = gantry(t, dir, "runbook", "generate", "orders_daily")
	wantCode(t, r, 0)
	wantMatch(t, "stdout", r.stdout, "(?m)^- `extract`: limit 256Mi, observed peak [0-9.]+[KMG]i$")
	wantMatch(t, "stdout", r.stdout, "(?m)^- `load`: limit 256Mi, observed peak [0-9.]+[KMG]i$")

	r = gantry(t, dir, "runbook", "generate", "orders_daily", "--update")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr, "updated "+filepath.Join("runbooks", "orders_daily.md"))
	data, err := os.ReadFile(filepath.Join(dir, "runbooks", "orders_daily.md"))
	if err != nil {
		t.Fatal(err)
	}
	runbook := string(data)
	// The hand-written parts are still there.
	wantContains(t, "runbook", runbook, "### Failure: source unavailable", "rm .gantry/data/source/UNAVAILABLE")
	wantMatch(t, "runbook", runbook, regexp.QuoteMeta("- `transform`: limit 256Mi, observed peak "))
}
