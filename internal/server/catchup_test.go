package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/store"
)

// catchupGrace is the server's default CatchupGrace.
const catchupGrace = time.Minute

// A server that starts after missing ticks schedules them as the
// pipeline's catch-up policy says, once each, also across restarts.
func TestCatchup(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{schedule.CatchupAll, schedule.CatchupLatest, schedule.CatchupNone} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			testCatchup(t, policy)
		})
	}
}

func testCatchup(t *testing.T, policy string) {
	hourly := fmt.Sprintf(`pipeline: hourly
schedule: {cron: "0 * * * *", catchup: %s}
tasks:
  - id: t
    run: "true"
`, policy)
	// fresh was never scheduled: whatever its policy, only its newest
	// interval is due.
	fresh := `pipeline: fresh
schedule: {cron: "0 * * * *", catchup: all}
tasks:
  - id: t
    run: "true"
`
	e := newEnv(t, map[string]string{"hourly.yaml": hourly, "fresh.yaml": fresh})
	sched, err := schedule.New("0 * * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}

	// The last run scheduled ended four ticks ago, and succeeded.
	seedIv := sched.IntervalEndingAt(sched.Prev(time.Now()).Add(-4 * time.Hour))
	seed := record.Run{Pipeline: "hourly", IntervalStart: seedIv.Start, IntervalEnd: seedIv.End,
		Trigger: record.TriggerSchedule, State: record.RunQueued, CreatedAt: seedIv.End}
	if err := e.st.CreateRun(e.ctx, &seed, []string{"t"}); err != nil {
		t.Fatal(err)
	}
	seed.State, seed.StartedAt, seed.FinishedAt = record.RunSucceeded, seedIv.End, seedIv.End.Add(time.Second)
	if err := e.st.Apply(e.ctx, &store.Batch{Run: &seed, Tasks: []record.RunTask{
		{RunID: seed.ID, Task: "t", State: record.TaskSucceeded, Attempts: 1, UpdatedAt: seed.FinishedAt},
	}}); err != nil {
		t.Fatal(err)
	}

	// check compares the scheduled runs of pipeline, but its seed, with
	// what was due between before and after.
	check := func(pipeline string, cursor time.Time, catchup string, before, after time.Time) {
		t.Helper()
		var got []schedule.Interval
		for _, r := range e.runs(store.RunFilter{Pipeline: pipeline}) {
			if r.ID == seed.ID {
				continue
			}
			if r.Trigger != record.TriggerSchedule {
				t.Errorf("%s: run %d has trigger %s, want schedule", pipeline, r.ID, r.Trigger)
			}
			got = append(got, schedule.Interval{Start: r.IntervalStart, End: r.IntervalEnd})
		}
		for i := 1; i < len(got); i++ {
			if !got[i].Start.After(got[i-1].Start) {
				t.Errorf("%s: runs not created in interval order, or duplicated: %v", pipeline, got)
			}
		}
		wantBefore := sched.Due(cursor, before, catchup, catchupGrace)
		wantAfter := sched.Due(cursor, after, catchup, catchupGrace)
		if slices.EqualFunc(wantBefore, wantAfter, sameInterval) {
			if !slices.EqualFunc(got, wantBefore, sameInterval) {
				t.Errorf("%s (catchup %s): scheduled %v, want %v", pipeline, catchup, got, wantBefore)
			}
			return
		}
		// A tick (or the grace period's end) fell while the test ran: the
		// scheduler may have seen either side of it.
		t.Logf("%s: the clock crossed a tick during the test; due before %v, after %v", pipeline, wantBefore, wantAfter)
		all := sched.Due(cursor, after, schedule.CatchupAll, 0)
		if cursor.IsZero() {
			all = append(sched.Due(cursor, before, catchup, catchupGrace), wantAfter...)
		}
		for _, iv := range got {
			if !slices.ContainsFunc(all, func(w schedule.Interval) bool { return sameInterval(iv, w) }) {
				t.Errorf("%s: scheduled %v, which was never due", pipeline, iv)
			}
		}
		if len(got) > len(all) {
			t.Errorf("%s: scheduled %d intervals, more than the %d due", pipeline, len(got), len(all))
		}
	}

	before := time.Now()
	srv := e.start()
	if want := sched.Due(seedIv.End, before, policy, catchupGrace); len(want) > 0 {
		// The scheduler loop creates them by itself.
		eventually(t, waitFor, fmt.Sprintf("%d missed intervals to be scheduled", len(want)), func() bool {
			return len(e.runs(store.RunFilter{Pipeline: "hourly", Trigger: record.TriggerSchedule})) >= 1+len(want)
		})
	}
	eventually(t, waitFor, "fresh's newest interval to be scheduled", func() bool {
		return len(e.runs(store.RunFilter{Pipeline: "fresh"})) >= 1
	})
	// A synchronous pass: after it, everything due has been created.
	srv.ScheduleNow(e.ctx, time.Now())
	after := time.Now()
	check("hourly", seedIv.End, policy, before, after)
	check("fresh", time.Time{}, schedule.CatchupAll, before, after)
	waitAllFinal(t, e)

	// A new server on the same store schedules nothing twice.
	srv.Stop()
	srv = e.start()
	srv.ScheduleNow(e.ctx, time.Now())
	after2 := time.Now()
	check("hourly", seedIv.End, policy, before, after2)
	check("fresh", time.Time{}, schedule.CatchupAll, before, after2)
	waitAllFinal(t, e)
	for _, r := range e.runs(store.RunFilter{}) {
		if r.State != record.RunSucceeded {
			t.Errorf("run %d of %s is %s, want succeeded", r.ID, r.Pipeline, r.State)
		}
	}
}

func sameInterval(a, b schedule.Interval) bool {
	return a.Start.Equal(b.Start) && a.End.Equal(b.End)
}

// waitAllFinal waits until no run is left queued, waiting or running.
func waitAllFinal(t *testing.T, e *env) {
	t.Helper()
	eventually(t, waitFor, "every run to end", func() bool {
		return len(e.runs(store.RunFilter{States: []record.RunState{record.RunQueued, record.RunWaiting, record.RunRunning}})) == 0
	})
}
