package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The cases for what the server stores: schedule uniqueness, upstream
// covering runs, backfills, pipeline states and the waiting_upstream state.

func storedBackfill(b record.Backfill) record.Backfill {
	b.From, b.To, b.CreatedAt = stored(b.From), stored(b.To), stored(b.CreatedAt)
	return b
}

// hour is the interval [at(h hours), at(h+1 hours)).
func hour(h int) (time.Time, time.Time) {
	return at(time.Duration(h) * time.Hour), at(time.Duration(h+1) * time.Hour)
}

// intervalRun creates a run of pipeline in env for [start, end).
func intervalRun(t *testing.T, s store.Store, pipeline, env string, trig record.Trigger,
	state record.RunState, start, end time.Time, tasks ...string) (record.Run, error) {
	t.Helper()
	r := record.Run{Pipeline: pipeline, Env: env, Trigger: trig, State: state,
		IntervalStart: start, IntervalEnd: end, CreatedAt: at(0)}
	err := s.CreateRun(ctx(t), &r, tasks)
	return storedRun(r), err
}

func testScheduleIntervalUnique(t *testing.T, s store.Store) {
	start, end := hour(0)
	first, err := intervalRun(t, s, "hourly", "prod", record.TriggerSchedule, record.RunQueued, start, end, "a", "b")
	must(t, err)

	t.Run("second schedule run conflicts and creates nothing", func(t *testing.T) {
		for _, c := range []struct {
			name string
			end  time.Time
		}{{"same interval", end}, {"same start, other end", end.Add(time.Hour)}} {
			r := record.Run{Pipeline: "hourly", Env: "prod", Trigger: record.TriggerSchedule,
				IntervalStart: start, IntervalEnd: c.end, CreatedAt: at(time.Minute)}
			err := s.CreateRun(ctx(t), &r, []string{"a", "b"})
			isErr(t, c.name, err, store.ErrConflict)
			if r.ID != 0 {
				t.Errorf("%s: failed CreateRun set ID %d", c.name, r.ID)
			}
		}
		runs, err := s.ListRuns(ctx(t), store.RunFilter{Pipeline: "hourly", Limit: -1})
		must(t, err)
		equal(t, "runs after conflicts", ids(runs, runID), []int64{first.ID})
		rts, err := s.ListRunTasks(ctx(t), first.ID)
		must(t, err)
		if len(rts) != 2 {
			t.Errorf("first run has %d tasks after conflicts, want 2", len(rts))
		}
	})

	t.Run("other triggers, envs, intervals and pipelines are fine", func(t *testing.T) {
		next, nextEnd := hour(1)
		for _, c := range []struct {
			name, pipeline, env string
			trig                record.Trigger
			start, end          time.Time
		}{
			{"manual, same interval", "hourly", "prod", record.TriggerManual, start, end},
			{"second manual, same interval", "hourly", "prod", record.TriggerManual, start, end},
			{"backfill, same interval", "hourly", "prod", record.TriggerBackfill, start, end},
			{"replay, same interval", "hourly", "prod", record.TriggerReplay, start, end},
			{"schedule, other env", "hourly", "staging", record.TriggerSchedule, start, end},
			{"schedule, no env", "hourly", "", record.TriggerSchedule, start, end},
			{"schedule, next interval", "hourly", "prod", record.TriggerSchedule, next, nextEnd},
			{"schedule, other pipeline", "daily", "prod", record.TriggerSchedule, start, end},
		} {
			r, err := intervalRun(t, s, c.pipeline, c.env, c.trig, record.RunQueued, c.start, c.end, "a")
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			got, err := s.GetRun(ctx(t), r.ID)
			must(t, err)
			equal(t, c.name, got, r)
		}
	})
}

func testFindCoveringRun(t *testing.T, s store.Store) {
	start, end := hour(0)
	mk := func(pipeline, env string, state record.RunState, from, to time.Time) record.Run {
		t.Helper()
		r, err := intervalRun(t, s, pipeline, env, record.TriggerManual, state, from, to)
		must(t, err)
		return r
	}
	find := func(t *testing.T, pipeline, env string, want record.Run) {
		t.Helper()
		got, err := s.FindCoveringRun(ctx(t), pipeline, env, start, end)
		if want.ID == 0 {
			isErr(t, "FindCoveringRun", err, store.ErrNotFound)
			return
		}
		must(t, err)
		equal(t, "covering run", got, want)
		checkUTC(t, "covering run", got.IntervalStart, got.IntervalEnd, got.CreatedAt)
	}
	none := record.Run{}

	t.Run("no runs", func(t *testing.T) { find(t, "nothing", "prod", none) })
	t.Run("exact cover", func(t *testing.T) {
		r := mk("exact", "prod", record.RunSucceeded, start, end)
		find(t, "exact", "prod", r)
	})
	t.Run("wider cover", func(t *testing.T) {
		r := mk("wider", "prod", record.RunSucceeded, start.Add(-time.Hour), end.Add(22*time.Hour))
		find(t, "wider", "prod", r)
	})
	t.Run("partial overlap is not a cover", func(t *testing.T) {
		half := start.Add(30 * time.Minute)
		mk("partial", "prod", record.RunSucceeded, start.Add(-30*time.Minute), half)
		mk("partial", "prod", record.RunSucceeded, half, end.Add(30*time.Minute))
		mk("partial", "prod", record.RunSucceeded, start, half)
		mk("partial", "prod", record.RunSucceeded, half, end)
		mk("partial", "prod", record.RunSucceeded, start.Add(time.Nanosecond*1000), end)
		mk("partial", "prod", record.RunSucceeded, start, end.Add(-time.Microsecond))
		mk("partial", "prod", record.RunSucceeded, end, end.Add(time.Hour))
		mk("partial", "prod", record.RunSucceeded, time.Time{}, time.Time{})
		find(t, "partial", "prod", none)
	})
	t.Run("not succeeded is not a cover", func(t *testing.T) {
		var waiting record.Run
		for _, st := range []record.RunState{record.RunQueued, record.RunWaiting, record.RunRunning,
			record.RunFailed, record.RunCancelled} {
			r := mk("unfinished", "prod", st, start, end)
			if st == record.RunWaiting {
				waiting = r
			}
		}
		find(t, "unfinished", "prod", none)
		// It covers once it has succeeded.
		done := waiting
		done.State, done.StartedAt, done.FinishedAt = record.RunSucceeded, at(time.Hour), at(2*time.Hour)
		must(t, s.Apply(ctx(t), &store.Batch{Run: &done}))
		find(t, "unfinished", "prod", storedRun(done))
		// And no longer once it is not.
		undone := done
		undone.State = record.RunFailed
		must(t, s.Apply(ctx(t), &store.Batch{Run: &undone}))
		find(t, "unfinished", "prod", none)
	})
	t.Run("other env or pipeline is not a cover", func(t *testing.T) {
		mk("envs", "staging", record.RunSucceeded, start, end)
		mk("envs", "", record.RunSucceeded, start, end)
		mk("envs_other", "prod", record.RunSucceeded, start, end)
		find(t, "envs", "prod", none)
		find(t, "env", "prod", none)
	})
	t.Run("newest wins", func(t *testing.T) {
		mk("newest", "prod", record.RunSucceeded, start, end)
		mk("newest", "prod", record.RunSucceeded, start.Add(-time.Hour), end.Add(time.Hour))
		want := mk("newest", "prod", record.RunSucceeded, start, end)
		mk("newest", "prod", record.RunFailed, start, end)
		mk("newest", "prod", record.RunSucceeded, start.Add(time.Minute), end)
		find(t, "newest", "prod", want)
	})
}

func testCreateBackfill(t *testing.T, s store.Store) {
	other := newRun(t, s, "filled", "a")
	bf := record.Backfill{Pipeline: "filled", Env: "prod", Parallel: 2, CreatedBy: "alice",
		CreatedAt: at(time.Minute), Total: 99}
	var runs []*record.Run
	for h := range 3 {
		start, end := hour(h)
		runs = append(runs, &record.Run{Pipeline: "filled", Env: "prod", Revision: "rev",
			IntervalStart: start, IntervalEnd: end, Trigger: record.TriggerBackfill,
			Params: map[string]string{"h": name("", h)}, CreatedAt: at(time.Minute)})
	}
	bf.From, bf.To = runs[0].IntervalStart, runs[2].IntervalEnd
	tasks := []string{"extract", "load"}
	must(t, s.CreateBackfill(ctx(t), &bf, runs, tasks))
	if bf.ID == 0 {
		t.Fatal("CreateBackfill did not set the backfill's ID")
	}
	if bf.Total != 3 || bf.State != record.BackfillRunning {
		t.Errorf("backfill after create: Total %d, State %q; want 3, %q", bf.Total, bf.State, record.BackfillRunning)
	}
	got, err := s.GetBackfill(ctx(t), bf.ID)
	must(t, err)
	equal(t, "backfill", got, storedBackfill(bf))
	checkUTC(t, "backfill", got.From, got.To, got.CreatedAt)

	for i, r := range runs {
		if r.ID == 0 || r.BackfillID != bf.ID || r.State != record.RunQueued {
			t.Errorf("run %d after CreateBackfill: ID %d, BackfillID %d (want %d), State %q",
				i, r.ID, r.BackfillID, bf.ID, r.State)
		}
		got, err := s.GetRun(ctx(t), r.ID)
		must(t, err)
		equal(t, "backfill run", got, storedRun(*r))
		rts, err := s.ListRunTasks(ctx(t), r.ID)
		must(t, err)
		equal(t, "backfill run tasks", ids(rts, func(rt record.RunTask) int64 { return rt.RunID }),
			[]int64{r.ID, r.ID})
		for _, rt := range rts {
			if rt.State != record.TaskPending {
				t.Errorf("backfill run %d task %s is %q", r.ID, rt.Task, rt.State)
			}
		}
	}
	byBackfill, err := s.ListRuns(ctx(t), store.RunFilter{BackfillID: bf.ID})
	must(t, err)
	equal(t, "runs of the backfill", ids(byBackfill, runID), []int64{runs[2].ID, runs[1].ID, runs[0].ID})
	if got, err := s.GetRun(ctx(t), other.ID); err != nil || got.BackfillID != 0 {
		t.Errorf("run outside the backfill: BackfillID %d, err %v", got.BackfillID, err)
	}

	// Defaults: state running, now, runs queued with trigger backfill.
	before := time.Now().Add(-time.Second)
	bare := record.Backfill{Pipeline: "filled"}
	run := &record.Run{Pipeline: "filled"}
	must(t, s.CreateBackfill(ctx(t), &bare, []*record.Run{run}, nil))
	if bare.State != record.BackfillRunning || bare.CreatedAt.Before(before) || bare.Total != 1 {
		t.Errorf("backfill defaults: %+v", bare)
	}
	got, err = s.GetBackfill(ctx(t), bare.ID)
	must(t, err)
	equal(t, "backfill with defaults", got, bare)
	if run.Trigger != record.TriggerBackfill || run.State != record.RunQueued || run.CreatedAt.IsZero() {
		t.Errorf("backfill run defaults: %+v", *run)
	}
	gotRun, err := s.GetRun(ctx(t), run.ID)
	must(t, err)
	equal(t, "backfill run with defaults", gotRun, *run)

	// A backfill of no runs is a backfill.
	empty := record.Backfill{Pipeline: "filled", CreatedAt: at(0)}
	must(t, s.CreateBackfill(ctx(t), &empty, nil, tasks))
	if got, err := s.GetBackfill(ctx(t), empty.ID); err != nil || got.Total != 0 {
		t.Errorf("empty backfill: %+v, %v", got, err)
	}
}

func testCreateBackfillAtomic(t *testing.T, s store.Store) {
	start, end := hour(5)
	taken, err := intervalRun(t, s, "atomic", "prod", record.TriggerSchedule, record.RunSucceeded, start, end)
	must(t, err)
	cases := []struct {
		name  string
		runs  func() []*record.Run
		tasks []string
		want  error
	}{
		{"a schedule interval already taken", func() []*record.Run {
			s4, e4 := hour(4)
			return []*record.Run{
				{Pipeline: "atomic", Env: "prod", Trigger: record.TriggerSchedule, IntervalStart: s4, IntervalEnd: e4},
				{Pipeline: "atomic", Env: "prod", Trigger: record.TriggerSchedule, IntervalStart: start, IntervalEnd: end},
			}
		}, []string{"a"}, store.ErrConflict},
		{"one schedule interval twice", func() []*record.Run {
			s6, e6 := hour(6)
			return []*record.Run{
				{Pipeline: "atomic", Env: "prod", Trigger: record.TriggerSchedule, IntervalStart: s6, IntervalEnd: e6},
				{Pipeline: "atomic", Env: "prod", Trigger: record.TriggerSchedule, IntervalStart: s6, IntervalEnd: e6},
			}
		}, nil, store.ErrConflict},
		{"a task twice", func() []*record.Run {
			return []*record.Run{{Pipeline: "atomic", Env: "prod"}, {Pipeline: "atomic", Env: "prod"}}
		}, []string{"a", "b", "a"}, store.ErrConflict},
	}
	for _, c := range cases {
		bf := record.Backfill{Pipeline: "atomic", Env: "prod", CreatedAt: at(0)}
		runs := c.runs()
		err := s.CreateBackfill(ctx(t), &bf, runs, c.tasks)
		isErr(t, c.name, err, c.want)
		if bf.ID != 0 || bf.Total != 0 {
			t.Errorf("%s: failed CreateBackfill set ID %d, Total %d", c.name, bf.ID, bf.Total)
		}
		for i, r := range runs {
			if r.ID != 0 || r.BackfillID != 0 {
				t.Errorf("%s: failed CreateBackfill set run %d's ID %d, BackfillID %d", c.name, i, r.ID, r.BackfillID)
			}
		}
	}
	bfs, err := s.ListBackfills(ctx(t), "", -1)
	must(t, err)
	if len(bfs) != 0 {
		t.Errorf("failed CreateBackfills left backfills: %+v", bfs)
	}
	runs, err := s.ListRuns(ctx(t), store.RunFilter{Limit: -1})
	must(t, err)
	equal(t, "runs after failed CreateBackfills", ids(runs, runID), []int64{taken.ID})

	// A run naming a backfill that does not exist is refused.
	r := record.Run{Pipeline: "atomic", Trigger: record.TriggerBackfill, BackfillID: 424242}
	isErr(t, "CreateRun with an unknown BackfillID", s.CreateRun(ctx(t), &r, []string{"a"}), store.ErrNotFound)
	if r.ID != 0 {
		t.Errorf("failed CreateRun set ID %d", r.ID)
	}
}

func testListBackfills(t *testing.T, s store.Store) {
	var all []record.Backfill
	for i, p := range []string{"a", "b", "a", "c", "a"} {
		bf := record.Backfill{Pipeline: p, Env: "prod", From: at(time.Duration(i) * time.Hour),
			To: at(time.Duration(i+24) * time.Hour), Parallel: i, CreatedAt: at(time.Duration(i)),
			CreatedBy: name("user", i), State: record.BackfillRunning}
		must(t, s.CreateBackfill(ctx(t), &bf, nil, nil))
		all = append(all, storedBackfill(bf))
	}
	slices.Reverse(all)
	var ofA []record.Backfill
	for _, b := range all {
		if b.Pipeline == "a" {
			ofA = append(ofA, b)
		}
	}
	cases := []struct {
		name     string
		pipeline string
		limit    int
		want     []record.Backfill
	}{
		{"all newest first", "", 0, all},
		{"no limit", "", -1, all},
		{"pipeline", "a", 0, ofA},
		{"limit", "", 2, all[:2]},
		{"pipeline and limit", "a", 1, ofA[:1]},
		{"no match", "zzz", 0, nil},
	}
	for _, c := range cases {
		got, err := s.ListBackfills(ctx(t), c.pipeline, c.limit)
		must(t, err)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		equal(t, c.name, got, c.want)
	}
	for range 52 {
		must(t, s.CreateBackfill(ctx(t), &record.Backfill{Pipeline: "many"}, nil, nil))
	}
	if got, err := s.ListBackfills(ctx(t), "many", 0); err != nil || len(got) != 50 {
		t.Errorf("ListBackfills without a limit: %d backfills, %v; want 50", len(got), err)
	}
	if got, err := s.ListBackfills(ctx(t), "many", -1); err != nil || len(got) != 52 {
		t.Errorf("ListBackfills with limit -1: %d backfills, %v; want 52", len(got), err)
	}
	_, err := s.GetBackfill(ctx(t), 9999)
	isErr(t, "GetBackfill of a missing backfill", err, store.ErrNotFound)
}

func testSetBackfillState(t *testing.T, s store.Store) {
	bf := record.Backfill{Pipeline: "p", CreatedAt: at(0)}
	run := &record.Run{Pipeline: "p"}
	must(t, s.CreateBackfill(ctx(t), &bf, []*record.Run{run}, []string{"t"}))
	for _, st := range []record.BackfillState{record.BackfillCancelled, record.BackfillDone} {
		must(t, s.SetBackfillState(ctx(t), bf.ID, st))
		got, err := s.GetBackfill(ctx(t), bf.ID)
		must(t, err)
		want := storedBackfill(bf)
		want.State = st
		equal(t, "backfill after SetBackfillState", got, want)
	}
	err := s.SetBackfillState(ctx(t), bf.ID+1000, record.BackfillDone)
	isErr(t, "SetBackfillState of a missing backfill", err, store.ErrNotFound)
	if got, err := s.GetRun(ctx(t), run.ID); err != nil || got.State != record.RunQueued {
		t.Errorf("backfill run after SetBackfillState: %+v, %v", got, err)
	}
}

func testListRunsServerFilters(t *testing.T, s store.Store) {
	bf := record.Backfill{Pipeline: "a", Env: "prod", CreatedAt: at(0)}
	b1 := &record.Run{Pipeline: "a", Env: "prod", State: record.RunSucceeded}
	b2 := &record.Run{Pipeline: "a", Env: "prod", State: record.RunWaiting}
	must(t, s.CreateBackfill(ctx(t), &bf, []*record.Run{b1, b2}, nil))
	mk := func(pipeline string, trig record.Trigger, state record.RunState) record.Run {
		r := record.Run{Pipeline: pipeline, Trigger: trig, State: state, CreatedAt: at(time.Hour)}
		must(t, s.CreateRun(ctx(t), &r, nil))
		return storedRun(r)
	}
	sched := mk("a", record.TriggerSchedule, record.RunQueued)
	manual := mk("a", record.TriggerManual, record.RunWaiting)
	other := mk("b", record.TriggerSchedule, record.RunRunning)
	failed := mk("b", record.TriggerManual, record.RunFailed)
	bf1, bf2 := storedRun(*b1), storedRun(*b2)
	otherBF := record.Backfill{Pipeline: "b"}
	b3 := &record.Run{Pipeline: "b"}
	must(t, s.CreateBackfill(ctx(t), &otherBF, []*record.Run{b3}, nil))
	bf3 := storedRun(*b3)
	revRun := record.Run{Pipeline: "c", Env: "staging", Revision: "r1", Trigger: record.TriggerStaging, State: record.RunSucceeded, CreatedAt: at(time.Hour)}
	must(t, s.CreateRun(ctx(t), &revRun, nil))
	rev := storedRun(revRun)
	prod, none := "prod", ""

	active := []record.RunState{record.RunQueued, record.RunWaiting, record.RunRunning}
	cases := []struct {
		name string
		f    store.RunFilter
		want []record.Run
	}{
		{"backfill", store.RunFilter{BackfillID: bf.ID}, []record.Run{bf2, bf1}},
		{"other backfill", store.RunFilter{BackfillID: otherBF.ID}, []record.Run{bf3}},
		{"missing backfill", store.RunFilter{BackfillID: otherBF.ID + 100}, nil},
		{"backfill and state", store.RunFilter{BackfillID: bf.ID, States: []record.RunState{record.RunWaiting}}, []record.Run{bf2}},
		{"trigger", store.RunFilter{Trigger: record.TriggerManual}, []record.Run{failed, manual}},
		{"trigger backfill", store.RunFilter{Trigger: record.TriggerBackfill}, []record.Run{bf3, bf2, bf1}},
		{"pipeline and trigger", store.RunFilter{Pipeline: "a", Trigger: record.TriggerSchedule}, []record.Run{sched}},
		{"trigger matching nothing", store.RunFilter{Trigger: record.TriggerUpstream}, nil},
		{"waiting", store.RunFilter{States: []record.RunState{record.RunWaiting}}, []record.Run{manual, bf2}},
		{"active", store.RunFilter{States: active}, []record.Run{bf3, other, manual, sched, bf2}},
		{"active of a pipeline", store.RunFilter{Pipeline: "a", States: active}, []record.Run{manual, sched, bf2}},
		{"active, limited", store.RunFilter{States: active, Limit: 2}, []record.Run{bf3, other}},
		{"active before an ID", store.RunFilter{States: active, BeforeID: manual.ID}, []record.Run{sched, bf2}},
		{"active and final", store.RunFilter{States: []record.RunState{record.RunRunning, record.RunFailed}}, []record.Run{failed, other}},
		{"no limit", store.RunFilter{Limit: -1}, []record.Run{rev, bf3, failed, other, manual, sched, bf2, bf1}},
		{"env prod", store.RunFilter{Env: &prod}, []record.Run{bf2, bf1}},
		{"env of the working tree", store.RunFilter{Env: &none, Pipeline: "a"}, []record.Run{manual, sched}},
		{"revision", store.RunFilter{Revision: "r1"}, []record.Run{rev}},
		{"revision and env", store.RunFilter{Revision: "r1", Env: &prod}, nil},
		{"everything", store.RunFilter{Pipeline: "a", Trigger: record.TriggerBackfill, BackfillID: bf.ID,
			States: []record.RunState{record.RunSucceeded}, Limit: -1}, []record.Run{bf1}},
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

func testListRunsNoLimit(t *testing.T, s store.Store) {
	bf := record.Backfill{Pipeline: "many"}
	runs := make([]*record.Run, 120)
	for i := range runs {
		runs[i] = &record.Run{Pipeline: "many"}
	}
	must(t, s.CreateBackfill(ctx(t), &bf, runs, nil))
	for _, f := range []store.RunFilter{
		{Limit: -1},
		{Pipeline: "many", Limit: -1},
		{BackfillID: bf.ID, Limit: -1},
		{States: []record.RunState{record.RunQueued}, Limit: -1},
	} {
		got, err := s.ListRuns(ctx(t), f)
		must(t, err)
		if len(got) != len(runs) {
			t.Errorf("ListRuns(%+v): %d runs, want %d", f, len(got), len(runs))
			continue
		}
		if got[0].ID != runs[len(runs)-1].ID || got[len(got)-1].ID != runs[0].ID {
			t.Errorf("ListRuns(%+v): not newest first", f)
		}
	}
	if got, err := s.ListRuns(ctx(t), store.RunFilter{BackfillID: bf.ID}); err != nil || len(got) != 50 {
		t.Errorf("ListRuns by backfill without a limit: %d runs, %v; want 50", len(got), err)
	}
}

func testPipelineStates(t *testing.T, s store.Store) {
	got, err := s.ListPipelineStates(ctx(t))
	must(t, err)
	if len(got) != 0 {
		t.Errorf("pipeline states of an empty store: %+v", got)
	}
	must(t, s.SetPaused(ctx(t), "orders", true, "alice", at(0)))
	must(t, s.SetPaused(ctx(t), "billing", true, "bob", at(time.Minute)))
	must(t, s.SetPaused(ctx(t), "orders", false, "carol", at(time.Hour)))
	must(t, s.SetPaused(ctx(t), "orders", false, "dave", at(2*time.Hour))) // resuming twice is fine
	list := func() []record.PipelineState {
		t.Helper()
		ps, err := s.ListPipelineStates(ctx(t))
		must(t, err)
		slices.SortFunc(ps, func(a, b record.PipelineState) int { return strings.Compare(a.Pipeline, b.Pipeline) })
		for _, p := range ps {
			checkUTC(t, "pipeline state", p.UpdatedAt)
		}
		return ps
	}
	equal(t, "pipeline states", list(), []record.PipelineState{
		{Pipeline: "billing", Paused: true, UpdatedAt: stored(at(time.Minute)), UpdatedBy: "bob"},
		{Pipeline: "orders", Paused: false, UpdatedAt: stored(at(2 * time.Hour)), UpdatedBy: "dave"},
	})

	before := time.Now().Add(-time.Second)
	must(t, s.SetPaused(ctx(t), "billing", false, "", time.Time{}))
	ps := list()
	if len(ps) != 2 || ps[0].Paused || ps[0].UpdatedBy != "" ||
		ps[0].UpdatedAt.Before(before) || ps[0].UpdatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("after resuming billing at the zero time: %+v, want it resumed about now", ps)
	}
}

func testRunWaitingRoundTrip(t *testing.T, s store.Store) {
	start, end := hour(0)
	r, err := intervalRun(t, s, "down", "prod", record.TriggerSchedule, record.RunWaiting, start, end, "t")
	must(t, err)
	got, err := s.GetRun(ctx(t), r.ID)
	must(t, err)
	equal(t, "waiting run", got, r)
	if got.State.Final() {
		t.Errorf("%q is final", got.State)
	}
	listed, err := s.ListRuns(ctx(t), store.RunFilter{States: []record.RunState{record.RunWaiting}})
	must(t, err)
	equal(t, "waiting runs", ids(listed, runID), []int64{r.ID})

	// waiting -> queued -> waiting -> running, each stored.
	for _, st := range []record.RunState{record.RunQueued, record.RunWaiting, record.RunRunning} {
		upd := got
		upd.State = st
		must(t, s.Apply(ctx(t), &store.Batch{Run: &upd}))
		got, err = s.GetRun(ctx(t), r.ID)
		must(t, err)
		equal(t, "run after Apply to "+string(st), got, storedRun(upd))
		listed, err := s.ListRuns(ctx(t), store.RunFilter{States: []record.RunState{st}})
		must(t, err)
		equal(t, "runs in "+string(st), ids(listed, runID), []int64{r.ID})
	}
}
