package check_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/check"
)

// fakeTestFires is the test-fire history the golden cases see:
// data-oncall was test-fired yesterday, stale-oncall 40 days ago, any
// other route never.
func fakeTestFires(route string) (time.Time, bool) {
	switch route {
	case "data-oncall":
		return today.Add(-24 * time.Hour), true
	case "stale-oncall":
		return today.Add(-40 * 24 * time.Hour), true
	}
	return time.Time{}, false
}

// Without a test-fire history the rule is skipped, whatever the routes.
func TestAlertTestFireSkippedWithoutHistory(t *testing.T) {
	t.Parallel()
	c, err := check.New(check.Options{Secrets: check.SecretScannerFunc(fakeScanner), Commands: fakeCommandLines,
		Now: func() time.Time { return today }})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	copyTree(t, filepath.Join("testdata", check.RuleAlertTestFire, "project"), dir)
	rep, err := c.Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Rule == check.RuleAlertTestFire {
			t.Errorf("finding without TestFires: %v", f)
		}
	}
}
