package cli_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
)

// A second server on the same PostgreSQL store — from another project
// folder, as from another host — is accepted beside the first: it serves
// the API but does not lead, so it neither schedules nor resumes the
// first one's runs; a local deploy command is still refused. The first
// server's run goes on untouched: each task runs once.
func TestSecondServerSharesPostgresStore(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	trace, gate := filepath.Join(dirA, "trace"), filepath.Join(dirA, "gate")
	for _, dir := range []string{dirA, dirB} {
		writeFile(t, filepath.Join(dir, "pipelines", "hold.yaml"), holdPipeline(trace, gate))
		for _, name := range []string{"tick", "tock"} {
			writeFile(t, filepath.Join(dir, "pipelines", name+".yaml"),
				"pipeline: "+name+"\nschedule: {cron: \"@every 1s\", catchup: none}\ntasks:\n  - id: a\n    run: \"true\"\n")
		}
	}
	first := serve(t, dirA, nil, "--store", store)
	first.must("trigger", "hold")
	waitTrace(t, trace, "first-start")

	second := serve(t, dirB, nil, "--store", store)
	holder, self := second.leader()
	if self || holder == "" {
		t.Errorf("the second server's /readyz says leader %q (itself: %v), want the first server", holder, self)
	}
	if _, self := first.leader(); !self {
		t.Errorf("the first server does not lead beside the second")
	}
	// In the second server's project folder a list command goes through
	// that server (issue 13: a command finds its project's server); from
	// a folder where no server runs, a local deploy command on the store
	// the servers hold is refused, and told which process holds it.
	d := gantryEnv(t, dirB, nil, "deployments", "--store", store, "--verbose")
	if d.code != 0 || !strings.Contains(d.stderr, "through the server at "+second.url) {
		t.Errorf("deployments in the second server's folder did not go through it:\n%s", d)
	}
	host, _ := os.Hostname()
	d = gantryEnv(t, t.TempDir(), nil, "deployments", "--store", store)
	if d.code == 0 || !strings.Contains(d.stderr, "a gantry server is using this store; pass --server") ||
		!strings.Contains(d.stderr, fmt.Sprintf("gantry serve pid %d on host %s", first.cmd.Process.Pid, host)) &&
			!strings.Contains(d.stderr, fmt.Sprintf("gantry serve pid %d on host %s", second.cmd.Process.Pid, host)) {
		t.Errorf("a local deploy command used a store servers hold, or did not say which:\n%s", d)
	}

	// Paused through the server that does not lead, a pipeline is no
	// longer scheduled by the one that does.
	second.must("pause", "tick")
	ticks, _ := scheduledIntervals(t, store, "tick")
	tocks, _ := scheduledIntervals(t, store, "tock")
	waitFor(t, 30*time.Second, "three more ticks of the other pipeline", func() bool {
		now, _ := scheduledIntervals(t, store, "tock")
		return len(now) >= len(tocks)+3
	})
	if after, _ := scheduledIntervals(t, store, "tick"); len(after) > len(ticks)+1 { // one may have been due as it paused
		t.Errorf("the leader scheduled %d runs of a pipeline paused through the other server", len(after)-len(ticks))
	}

	if code := first.getJSON("/readyz", "", nil); code != 200 {
		t.Errorf("the first server is not ready any more: %d\n%s", code, tail(first.log, 30))
	}
	writeFile(t, gate, "")
	if run := first.waitRun(first.adminToken(), "manual", 1); run.State != "succeeded" {
		t.Errorf("the first server's run: %s\n%s", run.State, tail(first.log, 30))
	}
	checkRanOnce(t, trace)
}

// A server whose connection holding the store's serve lock is cut, and
// whose store another session takes for itself meanwhile (the server lock,
// as a local deploy command holds it), stops with an error instead of
// going on beside it.
func TestServerStopsWhenItLosesItsPostgresLock(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pipelines", "one.yaml"), "pipeline: one\ntasks:\n  - id: a\n    run: echo a\n")
	s := serve(t, dir, []string{"GANTRY_STORE_WATCH_INTERVAL=50ms"}, "--store", store)

	c, err := pgx.Connect(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var cut int
	err = c.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 2
		  AND classid = hashtext('gantry-serve')::oid AND objid = hashtext(current_schema())::oid`).Scan(&cut)
	if err != nil {
		t.Fatal(err)
	}
	if cut != 1 {
		t.Fatalf("%d sessions hold the store's serve lock, want 1", cut)
	}
	// Another process takes the store the moment the session that held
	// the serve lock ends (as a local deploy command would), before the
	// server can take it again: the server must stop. (A lock lost with no one to take it,
	// as in a PostgreSQL restart, is taken again: TestStoreOutagePostgres.)
	if _, err := c.Exec(t.Context(), `SELECT pg_advisory_lock(hashtext('gantry-server'), hashtext(current_schema()))`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		s.exited <- err // for s.stop
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Errorf("the server exited with %v, want a failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the server went on for 30s after losing its store lock\n%s", tail(s.log, 30))
	}
	if log := tail(s.log, 30); !strings.Contains(log, "level=ERROR msg=\"store lock lost; stopping\"") {
		t.Errorf("the server did not say why it stopped:\n%s", log)
	}
}

// pgSchemaURL is a PostgreSQL store of t's own.
func pgSchemaURL(t *testing.T) string { return pgtest.SchemaURL(t, "gantry_cli_") }
