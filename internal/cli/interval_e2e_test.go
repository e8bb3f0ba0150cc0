package cli_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// A run started without an interval covers the same one wherever it is
// started: gantry run and a local staging deploy test what a server's
// trigger and its staging run do — orders' last complete interval of
// "0 3 * * *" in Europe/Berlin, not yesterday in UTC.
func TestDefaultIntervalSameLocallyAndOnAServer(t *testing.T) {
	t.Parallel()
	fixture := filepath.Join(moduleRoot, "internal", "deploy", "testdata", "project")
	p, err := spec.LoadPipelineFile(filepath.Join(fixture, "pipelines", "orders.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := schedule.ManualInterval(p.Schedule, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	copyProject := func() string {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	type started struct {
		how        string
		start, end time.Time
	}
	var got []started

	// Locally: gantry run, then a deploy to staging that runs in the
	// foreground.
	local := copyProject()
	wantCode(t, gantry(t, local, "run", "pipelines/orders.yaml", "--quiet"), 0)
	wantCode(t, gantry(t, local, "deploy", "orders", "--env", "staging", "--as", "alice", "-m", "local"), 0)
	st, err := app.OpenStore(t.Context(), app.StoreURL("", local, nil))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.ListRuns(t.Context(), store.RunFilter{Limit: 10})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		got = append(got, started{"local " + string(r.Trigger), r.IntervalStart, r.IntervalEnd})
	}

	// On a server: a deploy to staging and a trigger.
	remote := copyProject()
	s := serve(t, remote, nil)
	admin := s.adminToken()
	s.as(admin).must("deploy", "orders", "--env", "staging", "-m", "remote", "--wait")
	s.as(admin).must("trigger", "orders")
	for _, trigger := range []string{"staging_test", "manual"} {
		r := s.waitRun(admin, trigger, 1)
		got = append(got, started{"server " + trigger, r.IntervalStart, r.IntervalEnd})
	}

	after, err := schedule.ManualInterval(p.Schedule, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Skipf("a tick of %s passed during the test: %s, then %s", p.Schedule.Cron, before, after)
	}
	if len(got) != 4 {
		t.Fatalf("runs = %+v, want a local manual and staging run and a server's", got)
	}
	for _, g := range got {
		if !g.start.Equal(before.Start) || !g.end.Equal(before.End) {
			t.Errorf("%s run covers [%s, %s), want %s", g.how, g.start.Format(time.RFC3339), g.end.Format(time.RFC3339), before)
		}
	}
}
