package server_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const abPipeline = `pipeline: ab
params:
  who: world
tasks:
  - id: a
    run: echo rows=3 > "$GANTRY_OUTPUT"
  - id: b
    needs: [a]
    run: echo hello {{ .Params.who }}
`

// A manual run of a→b ends succeeded with both attempts recorded; bad
// triggers are refused and create nothing.
func TestTrigger(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"ab.yaml": abPipeline})
	srv := e.start()

	t.Run("runs to success", func(t *testing.T) {
		run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "ab", Date: "2024-05-01", Actor: "alice"})
		if err != nil {
			t.Fatalf("trigger: %v", err)
		}
		if run.ID == 0 || run.Trigger != record.TriggerManual || run.Pipeline != "ab" {
			t.Fatalf("trigger returned %+v", run)
		}
		if !run.IntervalStart.Equal(day(t, "2024-05-01")) || !run.IntervalEnd.Equal(day(t, "2024-05-02")) {
			t.Errorf("interval = [%s, %s), want the day 2024-05-01 UTC", run.IntervalStart, run.IntervalEnd)
		}
		if run.Params["who"] != "world" {
			t.Errorf("params = %v, want the default who=world", run.Params)
		}
		done := e.waitState(run.ID, record.RunSucceeded)
		if done.StartedAt.IsZero() || done.FinishedAt.Before(done.StartedAt) {
			t.Errorf("started %s, finished %s", done.StartedAt, done.FinishedAt)
		}
		for name, rt := range e.tasks(run.ID) {
			if rt.State != record.TaskSucceeded || rt.Attempts != 1 {
				t.Errorf("task %s: %s after %d attempts, want succeeded after 1", name, rt.State, rt.Attempts)
			}
		}
		as := e.attempts(run.ID, "")
		if len(as) != 2 {
			t.Fatalf("%d attempts, want 2: %+v", len(as), as)
		}
		a, b := as[0], as[1]
		if a.Task != "a" || b.Task != "b" || a.Attempt != 1 || b.Attempt != 1 {
			t.Fatalf("attempts = %s#%d, %s#%d; want a#1, b#1", a.Task, a.Attempt, b.Task, b.Attempt)
		}
		for _, x := range as {
			if x.State != record.TaskSucceeded || x.ExitCode != 0 || x.PID <= 0 {
				t.Errorf("attempt %s: state %s exit %d pid %d", x.Task, x.State, x.ExitCode, x.PID)
			}
		}
		if !slices.Equal(a.Outputs, []record.Output{{Key: "rows", Value: "3"}}) {
			t.Errorf("a's outputs = %v, want rows=3", a.Outputs)
		}
		if b.StartedAt.Before(a.FinishedAt) {
			t.Errorf("b started %s before a finished %s", b.StartedAt, a.FinishedAt)
		}
		if log, err := os.ReadFile(b.LogPath); err != nil || !strings.Contains(string(log), "hello world") {
			t.Errorf("b's log %s = %q, %v; want hello world", b.LogPath, log, err)
		}
		eventually(t, waitFor, "no task attempt in flight", func() bool { return srv.RunningTasks() == 0 })
	})

	t.Run("declared param overrides its default", func(t *testing.T) {
		run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "ab", Params: map[string]string{"who": "gantry"}})
		if err != nil {
			t.Fatalf("trigger: %v", err)
		}
		e.waitState(run.ID, record.RunSucceeded)
		b := e.attempts(run.ID, "b")
		if log, err := os.ReadFile(b[0].LogPath); err != nil || !strings.Contains(string(log), "hello gantry") {
			t.Errorf("b's log = %q, %v; want hello gantry", log, err)
		}
	})

	refused := []struct {
		name string
		req  api.TriggerRequest
		want error
	}{
		{"undeclared param", api.TriggerRequest{Pipeline: "ab", Params: map[string]string{"nope": "1"}}, api.ErrInvalid},
		{"date and interval", api.TriggerRequest{Pipeline: "ab", Date: "2024-05-01", Start: day(t, "2024-05-01"), End: day(t, "2024-05-02")}, api.ErrInvalid},
		{"bad date", api.TriggerRequest{Pipeline: "ab", Date: "May 1st"}, api.ErrInvalid},
		{"empty interval", api.TriggerRequest{Pipeline: "ab", Start: day(t, "2024-05-02"), End: day(t, "2024-05-01")}, api.ErrInvalid},
		{"unknown pipeline", api.TriggerRequest{Pipeline: "nope"}, store.ErrNotFound},
	}
	for _, c := range refused {
		t.Run("refused: "+c.name, func(t *testing.T) {
			before := e.runs(store.RunFilter{})
			_, err := srv.Trigger(e.ctx, c.req)
			if !errors.Is(err, c.want) {
				t.Fatalf("Trigger = %v, want an error wrapping %v", err, c.want)
			}
			if after := e.runs(store.RunFilter{}); len(after) != len(before) {
				t.Errorf("a refused trigger created %d run(s)", len(after)-len(before))
			}
		})
	}

	t.Run("reads of unknown ids", func(t *testing.T) {
		if _, _, err := srv.GetRun(e.ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRun(9999) = %v, want ErrNotFound", err)
		}
		if _, err := srv.ListAttempts(e.ctx, 9999, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ListAttempts(9999) = %v, want ErrNotFound", err)
		}
		if _, err := srv.Cancel(e.ctx, 9999, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Cancel(9999) = %v, want ErrNotFound", err)
		}
		if _, err := srv.Replay(e.ctx, 9999, "x", false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Replay(9999) = %v, want ErrNotFound", err)
		}
		if _, err := srv.GetBackfill(e.ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetBackfill(9999) = %v, want ErrNotFound", err)
		}
		if err := srv.SetPaused(e.ctx, "nope", true, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetPaused(nope) = %v, want ErrNotFound", err)
		}
	})

	t.Run("ready", func(t *testing.T) {
		eventually(t, waitFor, "server ready", func() bool { return srv.Ready(e.ctx) == nil })
	})
}

// A run whose upstream has not succeeded for its interval waits, with no
// attempt, and starts as soon as the upstream succeeds.
func TestUpstreamWaiting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"up.yaml": `pipeline: up
tasks:
  - id: work
    run: ` + gate("gate") + `
`,
		"down.yaml": `pipeline: down
schedule: {cron: "0 0 * * *", after: [up]}
tasks:
  - id: d
    run: "true"
`,
	})
	srv := e.start()

	// A backfill run is not manual, so it waits for its upstream.
	bf, err := srv.Backfill(e.ctx, api.BackfillRequest{Pipeline: "down", From: "2020-01-01", To: "2020-01-01", Actor: "t"})
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	downs := e.runs(store.RunFilter{BackfillID: bf.Backfill.ID})
	if len(downs) != 1 {
		t.Fatalf("backfill created %d runs, want 1", len(downs))
	}
	down := downs[0]
	e.waitState(down.ID, record.RunWaiting)
	if as := e.attempts(down.ID, ""); len(as) != 0 {
		t.Fatalf("a waiting run has attempts: %+v", as)
	}

	up, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "up", Date: "2020-01-01"})
	if err != nil {
		t.Fatalf("trigger up: %v", err)
	}
	e.waitState(up.ID, record.RunRunning)
	// up's run is in flight but has not succeeded: down keeps waiting. The
	// dispatcher pass that started up looked at down first (oldest first).
	if r := e.run(down.ID); r.State != record.RunWaiting || len(e.attempts(down.ID, "")) != 0 {
		t.Fatalf("down is %s while up runs, want waiting_upstream with no attempts", r.State)
	}
	if got := srv.QueueDepth(); got < 1 {
		t.Errorf("QueueDepth = %d with a waiting run", got)
	}

	e.touch("gate")
	upDone := e.waitState(up.ID, record.RunSucceeded)
	downDone := e.waitState(down.ID, record.RunSucceeded)
	if downDone.StartedAt.Before(upDone.FinishedAt) {
		t.Errorf("down started at %s, before up finished at %s", downDone.StartedAt, upDone.FinishedAt)
	}
	if lag := downDone.StartedAt.Sub(upDone.FinishedAt); lag > time.Second {
		t.Errorf("down started %s after up succeeded, want at once (< 1s)", lag)
	}
	if downDone.Error != "" {
		t.Errorf("down's error = %q after it succeeded, want the waiting note cleared", downDone.Error)
	}

	// down's scheduled run for its latest interval has no covering up run:
	// it keeps waiting.
	eventually(t, waitFor, "down's scheduled run, waiting", func() bool {
		rs := e.runs(store.RunFilter{Pipeline: "down", Trigger: record.TriggerSchedule})
		return len(rs) == 1 && rs[0].State == record.RunWaiting && strings.Contains(rs[0].Error, "up")
	})
}

// A pipeline without cron that consumes what another produces is run for
// the same interval each time the producer succeeds.
func TestUpstreamTrigger(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"up.yaml": `pipeline: up
produces: [warehouse.orders]
tasks:
  - id: load
    run: echo rows=3 > "$GANTRY_OUTPUT"
`,
		"down.yaml": `pipeline: down
consumes: [warehouse.orders]
tasks:
  - id: report
    run: echo "$GANTRY_INTERVAL_START" > report
`,
	})
	srv := e.start()

	pipes, err := srv.Pipelines(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pipes {
		if p.Name == "down" && !slices.Equal(p.After, []string{"up"}) {
			t.Errorf("down's upstreams = %v, want [up]", p.After)
		}
	}

	up, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "up", Date: "2021-06-01"})
	if err != nil {
		t.Fatalf("trigger: %v", err)
	}
	e.waitState(up.ID, record.RunSucceeded)
	var down record.Run
	eventually(t, waitFor, "an upstream-triggered run of down", func() bool {
		rs := e.runs(store.RunFilter{Pipeline: "down"})
		if len(rs) > 1 {
			t.Fatalf("%d runs of down for one upstream success", len(rs))
		}
		if len(rs) == 1 {
			down = rs[0]
		}
		return len(rs) == 1
	})
	if down.Trigger != record.TriggerUpstream {
		t.Errorf("down's trigger = %s, want upstream", down.Trigger)
	}
	if !down.IntervalStart.Equal(up.IntervalStart) || !down.IntervalEnd.Equal(up.IntervalEnd) {
		t.Errorf("down's interval = [%s, %s), want up's [%s, %s)", down.IntervalStart, down.IntervalEnd, up.IntervalStart, up.IntervalEnd)
	}
	e.waitState(down.ID, record.RunSucceeded)
	if b, err := os.ReadFile(e.path("report")); err != nil || strings.TrimSpace(string(b)) != "2021-06-01T00:00:00Z" {
		t.Errorf("down saw interval start %q, %v; want 2021-06-01T00:00:00Z", b, err)
	}
}

// With max_active_runs 1, triggered runs run one at a time, in order.
func TestMaxActiveRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"slow.yaml": `pipeline: slow
concurrency: {max_active_runs: 1}
tasks:
  - id: work
    run: ` + gate("gate") + `; sleep 0.1
`,
	})
	srv := e.start()

	var ids []int64
	for range 3 {
		r, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "slow"})
		if err != nil {
			t.Fatalf("trigger: %v", err)
		}
		ids = append(ids, r.ID)
	}
	atMostOne := func() []record.Run {
		rs := e.runs(store.RunFilter{Pipeline: "slow"})
		if n := countState(rs, record.RunRunning); n > 1 {
			t.Fatalf("%d runs running at once with max_active_runs 1", n)
		}
		return rs
	}
	eventually(t, waitFor, "the first run to be running", func() bool {
		rs := atMostOne()
		return rs[0].State == record.RunRunning
	})
	// While the first is held at its gate, the others stay queued. The
	// dispatcher looked at them when it started the first (oldest first).
	for _, r := range atMostOne()[1:] {
		if r.State != record.RunQueued {
			t.Fatalf("run %d is %s while the first runs, want queued", r.ID, r.State)
		}
	}

	e.touch("gate")
	eventually(t, waitFor, "all three runs to succeed", func() bool {
		return countState(atMostOne(), record.RunSucceeded) == 3
	})
	rs := e.runs(store.RunFilter{Pipeline: "slow"})
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		if cur.ID != ids[i] {
			t.Fatalf("run %d is not the one triggered", cur.ID)
		}
		if cur.StartedAt.Before(prev.FinishedAt) {
			t.Errorf("run %d started at %s, before run %d finished at %s", cur.ID, cur.StartedAt, prev.ID, prev.FinishedAt)
		}
	}
}

const dailyPipeline = `pipeline: daily
schedule: {cron: "0 0 * * *"}
concurrency: {max_active_runs: 1}
tasks:
  - id: work
    run: |
      echo "$(date +%s%N)" > "marks/$GANTRY_RUN_ID.start"
      sleep 0.3
      echo "$(date +%s%N)" > "marks/$GANTRY_RUN_ID.end"
`

func TestBackfill(t *testing.T) {
	t.Parallel()

	t.Run("runs each day, parallel at most", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, map[string]string{"daily.yaml": dailyPipeline, "marks/.keep": ""})
		srv := e.start()

		st, err := srv.Backfill(e.ctx, api.BackfillRequest{Pipeline: "daily", From: "2020-01-01", To: "2020-01-05", Parallel: 2, Actor: "alice"})
		if err != nil {
			t.Fatalf("backfill: %v", err)
		}
		b := st.Backfill
		if b.ID == 0 || b.Total != 5 || b.Parallel != 2 || b.CreatedBy != "alice" || b.Pipeline != "daily" {
			t.Errorf("backfill = %+v", b)
		}
		if !b.From.Equal(day(t, "2020-01-01")) || !b.To.Equal(day(t, "2020-01-06")) {
			t.Errorf("backfill spans [%s, %s), want [2020-01-01, 2020-01-06)", b.From, b.To)
		}
		rs := e.runs(store.RunFilter{BackfillID: b.ID})
		if len(rs) != 5 {
			t.Fatalf("%d runs, want 5", len(rs))
		}
		for i, r := range rs {
			start := day(t, "2020-01-01").AddDate(0, 0, i)
			if r.Trigger != record.TriggerBackfill || r.Pipeline != "daily" || r.BackfillID != b.ID {
				t.Errorf("run %d: %+v", r.ID, r)
			}
			if !r.IntervalStart.Equal(start) || !r.IntervalEnd.Equal(start.AddDate(0, 0, 1)) {
				t.Errorf("run %d covers [%s, %s), want the day %s", r.ID, r.IntervalStart, r.IntervalEnd, start.Format(time.DateOnly))
			}
		}

		eventually(t, waitFor, "all 5 backfill runs to succeed", func() bool {
			rs := e.runs(store.RunFilter{BackfillID: b.ID})
			if n := countState(rs, record.RunRunning); n > 2 {
				t.Fatalf("%d backfill runs running at once, parallel is 2", n)
			}
			if n := countState(rs, record.RunFailed) + countState(rs, record.RunCancelled); n > 0 {
				t.Fatalf("%d backfill runs did not succeed", n)
			}
			return countState(rs, record.RunSucceeded) == 5
		})
		eventually(t, waitFor, "the backfill to be done", func() bool {
			st, err := srv.GetBackfill(e.ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			return st.Backfill.State == record.BackfillDone && st.Done == 5 && st.Failed == 0 && st.Running == 0
		})

		// What the tasks recorded: at most 2 at once, and 2 at some point.
		type span struct{ start, end int64 }
		var spans []span
		for _, r := range e.runs(store.RunFilter{BackfillID: b.ID}) {
			var s span
			for _, f := range []struct {
				ext string
				to  *int64
			}{{"start", &s.start}, {"end", &s.end}} {
				raw, err := os.ReadFile(e.path(fmt.Sprintf("marks/%d.%s", r.ID, f.ext)))
				if err != nil {
					t.Fatalf("run %d left no %s mark: %v", r.ID, f.ext, err)
				}
				if _, err := fmt.Sscan(string(raw), f.to); err != nil {
					t.Fatalf("run %d's %s mark %q: %v", r.ID, f.ext, raw, err)
				}
			}
			spans = append(spans, s)
		}
		most := 0
		for _, s := range spans {
			n := 0
			for _, o := range spans {
				if o.start <= s.start && s.start < o.end {
					n++
				}
			}
			most = max(most, n)
		}
		if most != 2 {
			t.Errorf("at most %d backfill tasks ran at once, want 2 (parallel 2)", most)
		}
	})

	t.Run("dry run and refusals", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, map[string]string{"daily.yaml": dailyPipeline, "marks/.keep": ""})
		srv := e.start()

		st, err := srv.Backfill(e.ctx, api.BackfillRequest{Pipeline: "daily", From: "2020-01-01", To: "2020-01-05", DryRun: true})
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		if len(st.Intervals) != 5 || st.Backfill.Total != 5 {
			t.Fatalf("dry run plans %d intervals (total %d), want 5", len(st.Intervals), st.Backfill.Total)
		}
		for i, iv := range st.Intervals {
			start := day(t, "2020-01-01").AddDate(0, 0, i)
			if !iv.Start.Equal(start) || !iv.End.Equal(start.AddDate(0, 0, 1)) {
				t.Errorf("interval %d = [%s, %s)", i, iv.Start, iv.End)
			}
		}
		if st.Backfill.ID != 0 {
			t.Errorf("dry run has backfill ID %d", st.Backfill.ID)
		}
		if bs, err := e.st.ListBackfills(e.ctx, "", 10); err != nil || len(bs) != 0 {
			t.Errorf("after a dry run: backfills %v, %v; want none", bs, err)
		}
		if rs := e.runs(store.RunFilter{Trigger: record.TriggerBackfill}); len(rs) != 0 {
			t.Errorf("a dry run created %d runs", len(rs))
		}

		for _, c := range []struct {
			name string
			req  api.BackfillRequest
			want error
		}{
			{"to before from", api.BackfillRequest{Pipeline: "daily", From: "2020-01-05", To: "2020-01-01"}, api.ErrInvalid},
			{"bad from", api.BackfillRequest{Pipeline: "daily", From: "yesterday", To: "2020-01-01"}, api.ErrInvalid},
			{"negative parallel", api.BackfillRequest{Pipeline: "daily", From: "2020-01-01", To: "2020-01-01", Parallel: -1}, api.ErrInvalid},
			{"too many intervals", api.BackfillRequest{Pipeline: "daily", From: "1900-01-01", To: "2020-01-01"}, api.ErrInvalid},
			{"unknown pipeline", api.BackfillRequest{Pipeline: "nope", From: "2020-01-01", To: "2020-01-01"}, store.ErrNotFound},
		} {
			if _, err := srv.Backfill(e.ctx, c.req); !errors.Is(err, c.want) {
				t.Errorf("%s: Backfill = %v, want an error wrapping %v", c.name, err, c.want)
			}
		}
		if bs, _ := e.st.ListBackfills(e.ctx, "", 10); len(bs) != 0 {
			t.Errorf("refused backfills created %d", len(bs))
		}
	})

	t.Run("cancel stops the rest", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, map[string]string{
			"held.yaml": `pipeline: held
tasks:
  - id: work
    run: echo $$ > "pids/$GANTRY_RUN_ID"; ` + gate("gate") + `
`,
			"pids/.keep": "",
		})
		srv := e.start()
		st, err := srv.Backfill(e.ctx, api.BackfillRequest{Pipeline: "held", From: "2020-01-01", To: "2020-01-05", Parallel: 2})
		if err != nil {
			t.Fatalf("backfill: %v", err)
		}
		id := st.Backfill.ID
		var running []record.Run
		eventually(t, waitFor, "two backfill runs running", func() bool {
			running = nil
			for _, r := range e.runs(store.RunFilter{BackfillID: id}) {
				if r.State == record.RunRunning {
					running = append(running, r)
				}
			}
			return len(running) == 2
		})
		var pids []int
		for _, r := range running {
			pids = append(pids, e.readPID(fmt.Sprintf("pids/%d", r.ID)))
		}

		got, err := srv.CancelBackfill(e.ctx, id, "bob")
		if err != nil {
			t.Fatalf("cancel backfill: %v", err)
		}
		if got.Backfill.State != record.BackfillCancelled {
			t.Errorf("backfill state = %s, want cancelled", got.Backfill.State)
		}
		if got.Running != 0 || got.Done != 5 || got.Failed != 0 || got.Cancelled != 5 {
			t.Errorf("after cancel: running %d, done %d, failed %d, cancelled %d; want 0, 5, 0, 5",
				got.Running, got.Done, got.Failed, got.Cancelled)
		}
		for _, r := range e.runs(store.RunFilter{BackfillID: id}) {
			if r.State != record.RunCancelled {
				t.Errorf("run %d is %s, want cancelled", r.ID, r.State)
			}
			wasRunning := slices.ContainsFunc(running, func(x record.Run) bool { return x.ID == r.ID })
			if !wasRunning && (!r.StartedAt.IsZero() || len(e.attempts(r.ID, "")) != 0) {
				t.Errorf("queued run %d started after all", r.ID)
			}
			for name, rt := range e.tasks(r.ID) {
				if !rt.State.Final() {
					t.Errorf("run %d task %s left %s", r.ID, name, rt.State)
				}
			}
			for _, a := range e.attempts(r.ID, "") {
				if !a.State.Final() {
					t.Errorf("run %d attempt %s#%d left %s", r.ID, a.Task, a.Attempt, a.State)
				}
			}
		}
		for _, pid := range pids {
			waitGone(t, pid)
		}
		if rs := e.runs(store.RunFilter{States: []record.RunState{record.RunRunning, record.RunQueued, record.RunWaiting}}); len(rs) != 0 {
			t.Errorf("%d runs left unfinished", len(rs))
		}
		if _, err := srv.CancelBackfill(e.ctx, id, "bob"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second CancelBackfill = %v, want ErrConflict", err)
		}
		// Nothing starts later either: open the gate, then wait for a
		// probe run to pass the dispatcher.
		e.touch("gate")
		probe, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "held"})
		if err != nil {
			t.Fatal(err)
		}
		e.waitState(probe.ID, record.RunSucceeded)
		if n := len(e.runs(store.RunFilter{BackfillID: id, States: []record.RunState{record.RunCancelled}})); n != 5 {
			t.Errorf("%d of 5 backfill runs still cancelled", n)
		}
	})
}

// A dead letter replayed after its cause is fixed runs its task again, in
// the same run, then its downstream; it can be replayed once.
func TestReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"flaky.yaml": `pipeline: flaky
tasks:
  - id: a
    run: '[ -e flag ]'
    retries: {attempts: 2, backoff: constant, initial: 10ms}
  - id: b
    needs: [a]
    run: "true"
`,
	})
	srv := e.start()
	run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	failed := e.waitState(run.ID, record.RunFailed)
	if !strings.Contains(failed.Error, "task a") {
		t.Errorf("run error = %q, want it to name task a", failed.Error)
	}
	if ts := e.tasks(run.ID); ts["a"].State != record.TaskFailed || ts["b"].State != record.TaskUpstreamFailed {
		t.Errorf("tasks: a %s, b %s; want failed, upstream_failed", ts["a"].State, ts["b"].State)
	}
	as := e.attempts(run.ID, "a")
	if len(as) != 2 || as[0].State != record.TaskFailed || as[1].State != record.TaskFailed {
		t.Fatalf("a's attempts = %+v, want 2 failed", as)
	}
	dls, err := srv.ListDeadLetters(e.ctx, store.DeadLetterFilter{Pipeline: "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dls))
	}
	dl := dls[0]
	if dl.RunID != run.ID || dl.Task != "a" || dl.Attempts != 2 || dl.AttemptID != as[1].ID || !dl.ReplayedAt.IsZero() {
		t.Errorf("dead letter = %+v", dl)
	}
	if n := srv.DeadLetters(); n != 1 {
		t.Errorf("DeadLetters gauge = %d, want 1", n)
	}

	e.touch("flag")
	replayed, err := srv.Replay(e.ctx, dl.ID, "alice", false)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if replayed.ID != run.ID || replayed.State.Final() {
		t.Errorf("replay returned run %d in state %s, want run %d not final", replayed.ID, replayed.State, run.ID)
	}
	done := e.waitState(run.ID, record.RunSucceeded)
	if done.Error != "" || !done.StartedAt.After(failed.FinishedAt) && !done.StartedAt.Equal(failed.FinishedAt) {
		t.Errorf("after replay: error %q, started %s (first run finished %s)", done.Error, done.StartedAt, failed.FinishedAt)
	}
	as = e.attempts(run.ID, "a")
	if len(as) != 3 || as[2].Attempt != 3 || as[2].State != record.TaskSucceeded {
		t.Fatalf("a's attempts after replay = %+v, want a third, succeeded", as)
	}
	if bs := e.attempts(run.ID, "b"); len(bs) != 1 || bs[0].State != record.TaskSucceeded {
		t.Errorf("b's attempts after replay = %+v, want one, succeeded", bs)
	}
	if ts := e.tasks(run.ID); ts["a"].Attempts != 1 {
		t.Errorf("a's attempts in its new budget = %d, want 1", ts["a"].Attempts)
	}
	got, err := srv.GetDeadLetter(e.ctx, dl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReplayedBy != "alice" || got.ReplayedAt.IsZero() {
		t.Errorf("dead letter after replay: by %q at %s", got.ReplayedBy, got.ReplayedAt)
	}
	if n := srv.DeadLetters(); n != 0 {
		t.Errorf("DeadLetters gauge = %d after the replay, want 0", n)
	}
	if _, err := srv.Replay(e.ctx, dl.ID, "bob", false); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second replay = %v, want ErrConflict", err)
	}
	evs, err := e.st.ListAudit(e.ctx, store.AuditFilter{Pipeline: "flaky", Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Actor != "alice" || evs[0].Action != record.AuditReplay || !strings.Contains(evs[0].Reason, "dead letter") {
		t.Errorf("audit log after one replay and one refused = %+v", evs)
	}
	if dls, _ := srv.ListDeadLetters(e.ctx, store.DeadLetterFilter{Pipeline: "flaky"}); len(dls) != 1 {
		t.Errorf("%d dead letters after a successful replay, want still 1", len(dls))
	}
}

// A paused pipeline's runs stay queued; resumed, they run. Pausing
// outlives the server.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"p.yaml":     "pipeline: p\ntasks:\n  - id: t\n    run: \"true\"\n",
		"probe.yaml": "pipeline: probe\ntasks:\n  - id: t\n    run: \"true\"\n",
	})
	srv := e.start()
	if err := srv.SetPaused(e.ctx, "p", true, "bob"); err != nil {
		t.Fatal(err)
	}
	pipes, _ := srv.Pipelines(e.ctx)
	if i := slices.IndexFunc(pipes, func(p api.Pipeline) bool { return p.Name == "p" }); i < 0 || !pipes[i].Paused {
		t.Errorf("Pipelines does not show p paused: %+v", pipes)
	}

	// probe returns once the dispatcher has looked at every run created
	// before it: it starts runs oldest first, so a probe run created last
	// succeeding means the earlier ones were considered.
	probe := func() {
		t.Helper()
		r, err := e.srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "probe"})
		if err != nil {
			t.Fatal(err)
		}
		e.waitState(r.ID, record.RunSucceeded)
	}

	run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "p"})
	if err != nil {
		t.Fatal(err)
	}
	probe()
	if r := e.run(run.ID); r.State != record.RunQueued || len(e.attempts(run.ID, "")) != 0 {
		t.Fatalf("paused pipeline's run is %s, want queued with no attempts", r.State)
	}

	// The pause is recorded: a new server keeps the pipeline paused.
	srv.Stop()
	srv = e.start()
	probe()
	if r := e.run(run.ID); r.State != record.RunQueued {
		t.Fatalf("after a restart the paused pipeline's run is %s, want queued", r.State)
	}
	if states, err := e.st.ListPipelineStates(e.ctx); err != nil || len(states) != 1 || !states[0].Paused || states[0].UpdatedBy != "bob" {
		t.Errorf("pipeline states = %+v, %v", states, err)
	}

	if err := srv.SetPaused(e.ctx, "p", false, "bob"); err != nil {
		t.Fatal(err)
	}
	e.waitState(run.ID, record.RunSucceeded)
}

// A reload that meets a broken file keeps the file's previous version.
func TestReload(t *testing.T) {
	t.Parallel()
	version := func(v string) string {
		return "pipeline: p\ntasks:\n  - id: t\n    run: echo " + v + " > \"out/$GANTRY_RUN_ID\"\n"
	}
	e := newEnv(t, map[string]string{"p.yaml": version("v1"), "out/.keep": ""})
	srv := e.start()
	output := func(v string) {
		t.Helper()
		r, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "p"})
		if err != nil {
			t.Fatalf("trigger: %v", err)
		}
		e.waitState(r.ID, record.RunSucceeded)
		b, err := os.ReadFile(e.path(fmt.Sprintf("out/%d", r.ID)))
		if err != nil || strings.TrimSpace(string(b)) != v {
			t.Errorf("run %d wrote %q, %v; want %s", r.ID, b, err, v)
		}
	}
	pipeline := func(name string) (api.Pipeline, bool) {
		t.Helper()
		ps, err := srv.Pipelines(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(ps, func(p api.Pipeline) bool { return p.Name == name })
		if i < 0 {
			return api.Pipeline{}, false
		}
		return ps[i], true
	}
	output("v1")

	for _, broken := range []struct{ name, body string }{
		{"bad YAML", "pipeline: p\ntasks: [\n  - id: t\n"},
		{"invalid pipeline", "pipeline: p\ntasks:\n  - id: t\n    run: echo v3\n    needs: [nope]\n"},
	} {
		t.Run(broken.name, func(t *testing.T) {
			e.write("p.yaml", broken.body)
			res, err := srv.Reload(e.ctx)
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			if len(res.Errors) == 0 || !strings.Contains(strings.Join(res.Errors, "\n"), "p.yaml") {
				t.Errorf("reload errors = %q, want one naming p.yaml", res.Errors)
			}
			if !slices.Contains(res.Loaded, "p") {
				t.Errorf("reload loaded %v, want p kept", res.Loaded)
			}
			p, ok := pipeline("p")
			if !ok {
				t.Fatal("p is no longer listed")
			}
			if p.Error == "" {
				t.Errorf("p shows no error while its file is broken")
			}
			output("v1")
		})
	}

	e.write("p.yaml", version("v2"))
	res, err := srv.Reload(e.ctx)
	if err != nil || len(res.Errors) != 0 {
		t.Fatalf("reload of the fixed file: %v, %q", err, res.Errors)
	}
	if p, _ := pipeline("p"); p.Error != "" {
		t.Errorf("p still shows error %q after the fix", p.Error)
	}
	output("v2")

	// A new file is picked up; a removed one goes.
	e.write("q.yaml", "pipeline: q\ntasks:\n  - id: t\n    run: \"true\"\n")
	if res, err := srv.Reload(e.ctx); err != nil || !slices.Equal(res.Loaded, []string{"p", "q"}) {
		t.Fatalf("reload with q: %v, %v", res, err)
	}
	q, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "q"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitState(q.ID, record.RunSucceeded)
	if err := os.Remove(e.path("pipelines/q.yaml")); err != nil {
		t.Fatal(err)
	}
	if res, err := srv.Reload(e.ctx); err != nil || !slices.Equal(res.Loaded, []string{"p"}) {
		t.Fatalf("reload without q: %v, %v", res, err)
	}
	if _, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "q"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("trigger of a removed pipeline = %v, want ErrNotFound", err)
	}
}

// Stopping the server suspends its runs and kills their processes; a new
// server on the same store resumes them, recording the cut attempt lost.
func TestRestartResumesRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"long.yaml": `pipeline: long
tasks:
  - id: work
    retries: {attempts: 3, backoff: constant, initial: 10ms}
    run: |
      if [ "$GANTRY_ATTEMPT" = 1 ]; then
        sleep 1000 & echo $! > sleeppid
        echo $$ > pid.tmp && mv pid.tmp pid
        wait
      fi
      true
`,
	})
	srv := e.start()
	run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "long"})
	if err != nil {
		t.Fatal(err)
	}
	pid := e.readPID("pid")
	sleepPID := e.readPID("sleeppid")
	eventually(t, waitFor, "the attempt to be recorded running", func() bool {
		as := e.attempts(run.ID, "work")
		return len(as) == 1 && as[0].State == record.TaskRunning
	})

	srv.Stop()
	waitGone(t, pid)
	waitGone(t, sleepPID)
	if r := e.run(run.ID); r.State != record.RunRunning {
		t.Fatalf("after stop the run is %s, want still running (suspended)", r.State)
	}
	if as := e.attempts(run.ID, "work"); len(as) != 1 || as[0].State != record.TaskRunning {
		t.Fatalf("after stop the attempts are %+v, want attempt 1 still running", as)
	}

	e.start()
	e.waitState(run.ID, record.RunSucceeded)
	as := e.attempts(run.ID, "work")
	if len(as) != 2 {
		t.Fatalf("%d attempts, want 2: %+v", len(as), as)
	}
	if as[0].Attempt != 1 || as[0].State != record.TaskLost || !strings.Contains(as[0].Error, "lost") || as[0].FinishedAt.IsZero() {
		t.Errorf("attempt 1 = %+v, want lost", as[0])
	}
	if as[1].Attempt != 2 || as[1].State != record.TaskSucceeded {
		t.Errorf("attempt 2 = %+v, want succeeded", as[1])
	}
	if dls, _ := e.srv.ListDeadLetters(e.ctx, store.DeadLetterFilter{}); len(dls) != 0 {
		t.Errorf("%d dead letters for a run that recovered", len(dls))
	}
	if n := e.srv.RunningTasks(); n != 0 {
		t.Errorf("RunningTasks = %d after the run ended", n)
	}
}

// Cancel ends a queued run without starting it, and a running one by
// killing its process.
func TestCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"p.yaml":     "pipeline: p\ntasks:\n  - id: t\n    run: \"true\"\n",
		"probe.yaml": "pipeline: probe\ntasks:\n  - id: t\n    run: \"true\"\n",
		"held.yaml": `pipeline: held
tasks:
  - id: a
    run: echo $$ > pid.tmp && mv pid.tmp pid; ` + gate("gate") + `
  - id: b
    needs: [a]
    run: "true"
`,
	})
	srv := e.start()

	t.Run("queued", func(t *testing.T) {
		if err := srv.SetPaused(e.ctx, "p", true, "bob"); err != nil {
			t.Fatal(err)
		}
		run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "p"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := srv.Cancel(e.ctx, run.ID, "bob")
		if err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if got.State != record.RunCancelled || got.FinishedAt.IsZero() {
			t.Errorf("cancel returned %s finished %s, want cancelled", got.State, got.FinishedAt)
		}
		if err := srv.SetPaused(e.ctx, "p", false, "bob"); err != nil {
			t.Fatal(err)
		}
		probe, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "probe"})
		if err != nil {
			t.Fatal(err)
		}
		e.waitState(probe.ID, record.RunSucceeded)
		r := e.run(run.ID)
		if r.State != record.RunCancelled || !r.StartedAt.IsZero() || len(e.attempts(run.ID, "")) != 0 {
			t.Errorf("cancelled queued run: %s, started %s, %d attempts; want cancelled, never started",
				r.State, r.StartedAt, len(e.attempts(run.ID, "")))
		}
		if ts := e.tasks(run.ID); ts["t"].State != record.TaskCancelled {
			t.Errorf("its task is %s, want cancelled", ts["t"].State)
		}
		if _, err := srv.Cancel(e.ctx, run.ID, "bob"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("cancel of a cancelled run = %v, want ErrConflict", err)
		}
	})

	t.Run("running", func(t *testing.T) {
		run, err := srv.Trigger(e.ctx, api.TriggerRequest{Pipeline: "held"})
		if err != nil {
			t.Fatal(err)
		}
		pid := e.readPID("pid")
		got, err := srv.Cancel(e.ctx, run.ID, "bob")
		if err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if got.State != record.RunCancelled {
			t.Errorf("cancel returned %s, want cancelled", got.State)
		}
		waitGone(t, pid)
		ts := e.tasks(run.ID)
		if ts["a"].State != record.TaskCancelled || ts["b"].State != record.TaskCancelled {
			t.Errorf("tasks after cancel: a %s, b %s; want both cancelled", ts["a"].State, ts["b"].State)
		}
		as := e.attempts(run.ID, "")
		if len(as) != 1 || as[0].State != record.TaskCancelled {
			t.Errorf("attempts after cancel = %+v, want a's one, cancelled", as)
		}
		if dls, _ := srv.ListDeadLetters(e.ctx, store.DeadLetterFilter{Pipeline: "held"}); len(dls) != 0 {
			t.Errorf("a cancelled run left %d dead letters", len(dls))
		}
		eventually(t, waitFor, "no task attempt in flight", func() bool { return srv.RunningTasks() == 0 })
	})
}
