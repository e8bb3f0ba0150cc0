package server_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/store"
)

// readCounter is the real store, counting the runs its lists return.
type readCounter struct {
	store.Store
	runs atomic.Int64
}

func (c *readCounter) ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error) {
	rs, err := c.Store.ListRuns(ctx, f)
	c.runs.Add(int64(len(rs)))
	return rs, err
}

func (c *readCounter) ListQueued(ctx context.Context, f store.QueueFilter) ([]record.Run, error) {
	rs, err := c.Store.ListQueued(ctx, f)
	c.runs.Add(int64(len(rs)))
	return rs, err
}

// queueBackfill stores a backfill of n daily runs of pipeline from 2000-01-01
// as the server would, all at once.
func queueBackfill(t *testing.T, st store.Store, pipeline string, n, parallel int) record.Backfill {
	t.Helper()
	first := day(t, "2000-01-01")
	runs := make([]*record.Run, n)
	for i := range runs {
		start := first.AddDate(0, 0, i)
		runs[i] = &record.Run{Pipeline: pipeline, Trigger: record.TriggerBackfill,
			IntervalStart: start, IntervalEnd: start.AddDate(0, 0, 1)}
	}
	b := record.Backfill{Pipeline: pipeline, From: first, To: first.AddDate(0, 0, n), Parallel: parallel}
	if err := st.CreateBackfill(t.Context(), &b, runs, []string{"work"}); err != nil {
		t.Fatalf("create backfill: %v", err)
	}
	return b
}

// A wake of the dispatcher reads the heads of the queues, not the backlog
// behind them: with thousands of backfill runs queued it costs what it
// costs with a few, and a backfill at its parallelism holds up no other
// pipeline's run.
func TestDispatchBacklog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"bulk.yaml": `pipeline: bulk
tasks:
  - id: work
    run: ` + gate("gate") + `
`,
		"other.yaml": `pipeline: other
tasks:
  - id: work
    run: "true"
`,
	})
	const queued = 3000
	b := queueBackfill(t, e.st, "bulk", queued, 2)
	counter := &readCounter{Store: e.st}
	srv := server.New(server.Config{
		ProjectDir: e.dir, Store: counter, Executors: e.exe, LogDir: e.logDir,
		Logger: slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err := srv.Start(e.ctx); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(srv.Stop)
	e.srv = srv

	running := func() []record.Run {
		return e.runs(store.RunFilter{BackfillID: b.ID, States: []record.RunState{record.RunRunning}})
	}
	eventually(t, waitFor, "two backfill runs running", func() bool { return len(running()) == 2 })

	// The backfill is at its parallelism: another pipeline's run goes by.
	r, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "other"})
	if err != nil {
		t.Fatalf("trigger: %v", err)
	}
	e.waitState(r.ID, record.RunSucceeded)

	counter.runs.Store(0)
	srv.DispatchNow(e.ctx)
	// The two running, a page of the backfill's head at most, and what a
	// wake of the loop running alongside reads: far fewer than queued.
	if n := counter.runs.Load(); n > 100 {
		t.Errorf("a dispatcher wake read %d runs with %d queued, want no more than 100", n, queued)
	}
	if rs := running(); len(rs) != 2 || rs[0].IntervalStart.After(day(t, "2000-01-02")) {
		t.Errorf("after a wake, running: %+v; want the backfill's first two days", rs)
	}

	// Opened, the backfill goes on in order, two at a time.
	e.touch("gate")
	eventually(t, waitFor, "the backfill's first six runs to succeed", func() bool {
		if n := len(running()); n > 2 {
			t.Fatalf("%d backfill runs running at once, parallel is 2", n)
		}
		rs := e.runs(store.RunFilter{BackfillID: b.ID, States: []record.RunState{record.RunSucceeded}})
		return len(rs) >= 6
	})
	// In order, two at a time: whenever n runs have succeeded, each is
	// among the first n+2 days (the backfill goes on while this reads).
	done := e.runs(store.RunFilter{BackfillID: b.ID, States: []record.RunState{record.RunSucceeded}})
	for _, r := range done {
		if r.IntervalStart.After(day(t, "2000-01-01").AddDate(0, 0, len(done)+1)) {
			t.Errorf("run for %s succeeded among the first %d, want the backfill's oldest days first", r.IntervalStart.Format(time.DateOnly), len(done))
		}
	}
}

// Runs waiting for an upstream take no room: the dispatcher looks past
// more of them than it reads at once to the run behind that may start.
func TestDispatchLooksPastWaitingRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"up.yaml": `pipeline: up
tasks:
  - id: work
    run: "true"
`,
		"down.yaml": `pipeline: down
schedule: {cron: "0 0 * * *", after: [up]}
tasks:
  - id: work
    run: "true"
`,
	})
	srv := e.start()
	bf, err := srv.Backfill(e.ctx, api.BackfillRequest{Pipeline: "down", From: "2020-01-01", To: "2020-01-30", Parallel: 1, Actor: "t"})
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	downs := e.runs(store.RunFilter{BackfillID: bf.Backfill.ID})
	for _, r := range downs {
		e.waitState(r.ID, record.RunWaiting)
	}

	up, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "up", Date: "2020-01-30"})
	if err != nil {
		t.Fatalf("trigger up: %v", err)
	}
	e.waitState(up.ID, record.RunSucceeded)
	last := downs[len(downs)-1]
	e.waitState(last.ID, record.RunSucceeded)
	for _, r := range e.runs(store.RunFilter{BackfillID: bf.Backfill.ID})[:len(downs)-1] {
		if r.State != record.RunWaiting {
			t.Errorf("run for %s is %s, want waiting_upstream (up has not run for it)", r.IntervalStart.Format(time.DateOnly), r.State)
		}
	}
}
