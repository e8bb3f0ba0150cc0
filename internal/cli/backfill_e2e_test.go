package cli_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
)

// A backfill cancelled part way: the run that failed counts as failed, the
// ones the cancel stopped (one running, one queued) as cancelled, in
// `gantry backfill status` and in the API.
func TestBackfillStatusCountsCancelled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gate := filepath.Join(t.TempDir(), "go")
	writeFile(t, filepath.Join(dir, "pipelines", "fill.yaml"), `pipeline: fill
tasks:
  - id: work
    run: |
      case "$GANTRY_INTERVAL_START" in
        2020-01-02*) exit 3 ;;
        2020-01-03*) while [ ! -f `+gate+` ]; do sleep 0.05; done ;;
      esac
`)
	s := serve(t, dir, nil)
	admin := s.adminToken()
	wantContains(t, "backfill", s.must("backfill", "fill", "--from", "2020-01-01", "--to", "2020-01-04", "--detach").stdout,
		"backfill 1: 4 run(s) of fill, 1 at a time")
	var run api.RunView
	waitFor(t, 60*time.Second, "the third day's run to run", func() bool {
		s.getJSON("/api/v1/runs/3", admin, &run)
		return run.State == "running"
	})
	s.must("backfill", "cancel", "1")

	var status string
	waitFor(t, 60*time.Second, "every run of the backfill to end", func() bool {
		status = s.must("backfill", "status", "1").stdout
		return strings.Contains(status, "4/4 done")
	})
	wantContains(t, "backfill status", status, "backfill 1 (fill): cancelled, 4/4 done, 1 failed, 2 cancelled, 0 running")

	var view map[string]any
	s.getJSON("/api/v1/backfills/1", admin, &view)
	if got := fmt.Sprint(view["done"], view["failed"], view["cancelled"], view["running"]); got != "4 1 2 0" {
		t.Errorf("GET /api/v1/backfills/1: done failed cancelled running = %s, want 4 1 2 0 (%v)", got, view)
	}
}
