package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

func testCreateAndGetRun(t *testing.T, s store.Store) {
	r := record.Run{
		Pipeline: "orders_daily", Env: "prod", Revision: "sha256:abc",
		IntervalStart: at(0), IntervalEnd: at(24 * time.Hour),
		Trigger: record.TriggerSchedule, State: record.RunQueued,
		Params:    map[string]string{"target": "prod_db"},
		CreatedAt: at(time.Minute),
	}
	tasks := []string{"load", "extract", "transform"} // not alphabetical: creation order must win
	must(t, s.CreateRun(ctx(t), &r, tasks))
	if r.ID == 0 {
		t.Fatal("CreateRun did not set the ID")
	}
	got, err := s.GetRun(ctx(t), r.ID)
	must(t, err)
	equal(t, "run", got, storedRun(r))
	rts, err := s.ListRunTasks(ctx(t), r.ID)
	must(t, err)
	var want []record.RunTask
	for _, task := range tasks {
		want = append(want, record.RunTask{
			RunID: r.ID, Task: task, State: record.TaskPending, UpdatedAt: stored(r.CreatedAt),
		})
	}
	equal(t, "run tasks", rts, want)

	other := newRun(t, s, "orders_daily", "extract")
	if other.ID <= r.ID {
		t.Errorf("second run has ID %d, want more than %d", other.ID, r.ID)
	}
}

func testCreateRunDefaults(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	r := record.Run{Pipeline: "p", Trigger: record.TriggerManual}
	must(t, s.CreateRun(ctx(t), &r, nil))
	if r.State != record.RunQueued {
		t.Errorf("State = %q, want %q", r.State, record.RunQueued)
	}
	if r.CreatedAt.Before(before) || r.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", r.CreatedAt)
	}
	got, err := s.GetRun(ctx(t), r.ID)
	must(t, err)
	equal(t, "run", got, r)
	rts, err := s.ListRunTasks(ctx(t), r.ID)
	must(t, err)
	if len(rts) != 0 {
		t.Errorf("run without tasks has tasks %+v", rts)
	}
}

func testCreateRunDuplicateTask(t *testing.T, s store.Store) {
	r := record.Run{Pipeline: "dup", Trigger: record.TriggerManual, CreatedAt: at(0)}
	err := s.CreateRun(ctx(t), &r, []string{"a", "b", "a"})
	isErr(t, "CreateRun with a task twice", err, store.ErrConflict)
	if r.ID != 0 {
		t.Errorf("failed CreateRun set ID %d", r.ID)
	}
	runs, err := s.ListRuns(ctx(t), store.RunFilter{Pipeline: "dup"})
	must(t, err)
	if len(runs) != 0 {
		t.Errorf("failed CreateRun left runs behind: %+v", runs)
	}
}

func testRunRoundTrip(t *testing.T, s store.Store) {
	cases := []struct {
		name string
		run  record.Run
	}{
		{"every field", record.Run{
			Pipeline: "p", Env: "staging", Revision: "rev",
			IntervalStart: at(-time.Hour), IntervalEnd: at(time.Hour),
			Trigger: record.TriggerBackfill, State: record.RunRunning,
			Params:    map[string]string{"a": "1", "empty": "", "quote\"d": "ü\n\t"},
			CreatedAt: at(0), StartedAt: at(time.Second), FinishedAt: at(2 * time.Second),
			Error: "boom", TriggeredBy: "alice", RollbackTo: 3,
		}},
		{"zero times and nil params", record.Run{
			Pipeline: "p", Trigger: record.TriggerManual, State: record.RunQueued, CreatedAt: at(0),
		}},
		{"empty params", record.Run{
			Pipeline: "p", Trigger: record.TriggerManual, State: record.RunQueued, CreatedAt: at(0),
			Params: map[string]string{},
		}},
		{"times before 1970", record.Run{
			Pipeline: "p", Trigger: record.TriggerManual, State: record.RunQueued, CreatedAt: at(0),
			IntervalStart: time.Date(1901, 1, 1, 0, 0, 0, 1500, time.UTC),
			IntervalEnd:   time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		}},
	}
	for _, c := range cases {
		r := c.run
		must(t, s.CreateRun(ctx(t), &r, []string{"t"}))
		got, err := s.GetRun(ctx(t), r.ID)
		must(t, err)
		equal(t, c.name, got, storedRun(r))
		checkUTC(t, c.name, got.IntervalStart, got.IntervalEnd, got.CreatedAt, got.StartedAt, got.FinishedAt)

		// Apply's run update writes the mutable fields, zero times included.
		upd := got
		upd.State, upd.StartedAt, upd.FinishedAt, upd.Error = record.RunFailed, at(time.Minute), time.Time{}, "later"
		must(t, s.Apply(ctx(t), &store.Batch{Run: &upd}))
		got, err = s.GetRun(ctx(t), r.ID)
		must(t, err)
		equal(t, c.name+" after update", got, storedRun(upd))

		rt := record.RunTask{RunID: r.ID, Task: "t", State: record.TaskRetrying, Attempts: 2,
			NextAttempt: at(3 * time.Minute), UpdatedAt: at(2 * time.Minute)}
		must(t, s.Apply(ctx(t), &store.Batch{Tasks: []record.RunTask{rt}}))
		rts, err := s.ListRunTasks(ctx(t), r.ID)
		must(t, err)
		equal(t, c.name+" task", rts, []record.RunTask{storedTask(rt)})
		checkUTC(t, c.name+" task", rts[0].NextAttempt, rts[0].UpdatedAt)
	}
}

func testListRunsFilters(t *testing.T, s store.Store) {
	mk := func(pipeline string, state record.RunState, created time.Time) record.Run {
		r := record.Run{Pipeline: pipeline, Trigger: record.TriggerSchedule, State: state, CreatedAt: created}
		must(t, s.CreateRun(ctx(t), &r, nil))
		return storedRun(r)
	}
	a1 := mk("a", record.RunSucceeded, at(0))
	b1 := mk("b", record.RunFailed, at(time.Hour))
	a2 := mk("a", record.RunFailed, at(2*time.Hour))
	a3 := mk("a", record.RunRunning, at(3*time.Hour))
	b2 := mk("b", record.RunQueued, at(4*time.Hour))

	cases := []struct {
		name string
		f    store.RunFilter
		want []record.Run
	}{
		{"all newest first", store.RunFilter{}, []record.Run{b2, a3, a2, b1, a1}},
		{"pipeline", store.RunFilter{Pipeline: "a"}, []record.Run{a3, a2, a1}},
		{"one state", store.RunFilter{States: []record.RunState{record.RunFailed}}, []record.Run{a2, b1}},
		{"states", store.RunFilter{States: []record.RunState{record.RunFailed, record.RunQueued}}, []record.Run{b2, a2, b1}},
		{"pipeline and state", store.RunFilter{Pipeline: "b", States: []record.RunState{record.RunFailed}}, []record.Run{b1}},
		{"since is inclusive", store.RunFilter{Since: at(2 * time.Hour)}, []record.Run{b2, a3, a2}},
		{"since in another zone", store.RunFilter{Since: at(2 * time.Hour).UTC()}, []record.Run{b2, a3, a2}},
		{"before id", store.RunFilter{BeforeID: a3.ID}, []record.Run{a2, b1, a1}},
		{"limit", store.RunFilter{Limit: 2}, []record.Run{b2, a3}},
		{"everything", store.RunFilter{Pipeline: "a", States: []record.RunState{record.RunFailed, record.RunSucceeded},
			BeforeID: b2.ID, Since: at(0), Limit: 1}, []record.Run{a2}},
		{"no match", store.RunFilter{Pipeline: "c"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListRuns(ctx(t), c.f)
			must(t, err)
			if len(got) == 0 && len(c.want) == 0 {
				return
			}
			equal(t, "runs", got, c.want)
		})
	}
}

func testListRunsPagination(t *testing.T, s store.Store) {
	var want []int64
	for i := range 23 {
		r := newRun(t, s, "paged")
		want = append(want, r.ID)
		newRun(t, s, name("other", i))
	}
	slices.Reverse(want)
	var got []int64
	f := store.RunFilter{Pipeline: "paged", Limit: 5}
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("pagination does not end")
		}
		runs, err := s.ListRuns(ctx(t), f)
		must(t, err)
		if len(runs) > 5 {
			t.Fatalf("page %d has %d runs, limit 5", page, len(runs))
		}
		if len(runs) == 0 {
			break
		}
		got = append(got, ids(runs, runID)...)
		f.BeforeID = runs[len(runs)-1].ID
	}
	equal(t, "paged run IDs", got, want)
}

func testListRunsDefaultLimit(t *testing.T, s store.Store) {
	for range 55 {
		newRun(t, s, "many")
	}
	runs, err := s.ListRuns(ctx(t), store.RunFilter{})
	must(t, err)
	if len(runs) != 50 {
		t.Errorf("ListRuns without Limit returned %d runs, want 50", len(runs))
	}
}
