package storetest

import (
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The dispatcher's queues: runs waiting to start, a pipeline's own and each
// backfill's apart, oldest first.

// setState records run r in state st.
func setState(t *testing.T, s store.Store, r *record.Run, st record.RunState) {
	t.Helper()
	r.State = st
	if st != record.RunQueued && st != record.RunWaiting {
		r.StartedAt = at(time.Minute)
	}
	must(t, s.Apply(ctx(t), &store.Batch{Run: r}))
}

// backfillOf creates a backfill of pipeline with n queued runs.
func backfillOf(t *testing.T, s store.Store, pipeline string, n int) (record.Backfill, []*record.Run) {
	t.Helper()
	bf := record.Backfill{Pipeline: pipeline, Parallel: 2, CreatedAt: at(0)}
	var runs []*record.Run
	for h := range n {
		start, end := hour(h)
		runs = append(runs, &record.Run{Pipeline: pipeline, IntervalStart: start, IntervalEnd: end})
	}
	must(t, s.CreateBackfill(ctx(t), &bf, runs, []string{"a"}))
	return bf, runs
}

func testQueues(t *testing.T, s store.Store) {
	qs, err := s.ListQueues(ctx(t))
	must(t, err)
	equal(t, "queues of an empty store", len(qs), 0)

	// Pipeline b's run is older than a's: queues come by name all the same.
	b1 := newRun(t, s, "b", "a")
	a1 := newRun(t, s, "a", "a")
	setState(t, s, &a1, record.RunWaiting)
	a2 := newRun(t, s, "a", "a")
	setState(t, s, &a2, record.RunRunning)
	a3 := newRun(t, s, "a", "a")
	a4 := record.Run{Pipeline: "a", Trigger: record.TriggerStaging, CreatedAt: at(0)}
	must(t, s.CreateRun(ctx(t), &a4, []string{"a"}))
	done := newRun(t, s, "done", "a")
	setState(t, s, &done, record.RunSucceeded)
	bf1, bfRuns := backfillOf(t, s, "a", 4)
	setState(t, s, bfRuns[0], record.RunRunning)
	setState(t, s, bfRuns[2], record.RunWaiting)
	bf2, bf2Runs := backfillOf(t, s, "c", 2)
	setState(t, s, bf2Runs[0], record.RunSucceeded)
	setState(t, s, bf2Runs[1], record.RunCancelled)
	bf3, _ := backfillOf(t, s, "b", 1)

	t.Run("queues: pipelines by name, then backfills by ID; none with nothing waiting", func(t *testing.T) {
		qs, err := s.ListQueues(ctx(t))
		must(t, err)
		equal(t, "queues", qs, []store.Queue{{Pipeline: "a"}, {Pipeline: "b"},
			{BackfillID: bf1.ID}, {BackfillID: bf3.ID}})
	})

	t.Run("count of the runs that wait", func(t *testing.T) {
		n, err := s.CountWaiting(ctx(t))
		must(t, err)
		// b1, a1, a3, a4; three of bf1's four; bf3's one.
		equal(t, "waiting runs", n, 8)
	})

	queued := func(f store.QueueFilter) []int64 {
		t.Helper()
		rs, err := s.ListQueued(ctx(t), f)
		must(t, err)
		for _, r := range rs {
			if r.State != record.RunQueued && r.State != record.RunWaiting {
				t.Errorf("ListQueued %+v: run %d is %s", f, r.ID, r.State)
			}
		}
		return ids(rs, runID)
	}
	a := store.Queue{Pipeline: "a"}
	bq := store.Queue{BackfillID: bf1.ID}
	for _, c := range []struct {
		name string
		f    store.QueueFilter
		want []int64
	}{
		{"a pipeline's own, queued and waiting, oldest first; not its backfill's",
			store.QueueFilter{Queue: a}, []int64{a1.ID, a3.ID, a4.ID}},
		{"limit", store.QueueFilter{Queue: a, Limit: 2}, []int64{a1.ID, a3.ID}},
		{"after an ID", store.QueueFilter{Queue: a, AfterID: a1.ID, Limit: 2}, []int64{a3.ID, a4.ID}},
		{"one trigger", store.QueueFilter{Queue: a, Trigger: record.TriggerStaging}, []int64{a4.ID}},
		{"a backfill's, in order", store.QueueFilter{Queue: bq},
			[]int64{bfRuns[1].ID, bfRuns[2].ID, bfRuns[3].ID}},
		{"a backfill's after an ID", store.QueueFilter{Queue: bq, AfterID: bfRuns[2].ID}, []int64{bfRuns[3].ID}},
		{"a backfill's, one trigger", store.QueueFilter{Queue: bq, Trigger: record.TriggerManual}, []int64{}},
		{"another pipeline", store.QueueFilter{Queue: store.Queue{Pipeline: "b"}}, []int64{b1.ID}},
		{"a pipeline with nothing waiting", store.QueueFilter{Queue: store.Queue{Pipeline: "done"}}, []int64{}},
		{"a backfill with nothing waiting", store.QueueFilter{Queue: store.Queue{BackfillID: bf2.ID}}, []int64{}},
	} {
		equal(t, c.name, queued(c.f), c.want)
	}

	t.Run("a run leaves its queue when it starts", func(t *testing.T) {
		setState(t, s, &a1, record.RunRunning)
		setState(t, s, &b1, record.RunRunning)
		equal(t, "pipeline a", queued(store.QueueFilter{Queue: a}), []int64{a3.ID, a4.ID})
		qs, err := s.ListQueues(ctx(t))
		must(t, err)
		equal(t, "queues", qs, []store.Queue{{Pipeline: "a"}, {BackfillID: bf1.ID}, {BackfillID: bf3.ID}})
	})
}
