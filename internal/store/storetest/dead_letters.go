package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// deadLetter dead-letters task of run after one failed attempt.
func deadLetter(t *testing.T, s store.Store, run record.Run, task string) *record.DeadLetter {
	t.Helper()
	a := startAttempt(t, s, run.ID, task, 1)
	d := &record.DeadLetter{RunID: run.ID, Pipeline: run.Pipeline, Task: task, AttemptID: a.ID,
		Attempts: 1, Error: "exit status 1", CreatedAt: at(time.Hour)}
	must(t, s.Apply(ctx(t), &store.Batch{DeadLetters: []*record.DeadLetter{d}}))
	if d.ID == 0 {
		t.Fatal("Apply did not set the dead letter's ID")
	}
	return d
}

func testDeadLetters(t *testing.T, s store.Store) {
	ra := newRun(t, s, "a", "x", "y")
	rb := newRun(t, s, "b", "x")
	ax := deadLetter(t, s, ra, "x")
	bx := deadLetter(t, s, rb, "x")
	ay := deadLetter(t, s, ra, "y")

	got, err := s.GetDeadLetter(ctx(t), ax.ID)
	must(t, err)
	equal(t, "dead letter", got, storedDeadLetter(*ax))
	checkUTC(t, "dead letter", got.CreatedAt)

	must(t, s.MarkDeadLetterReplayed(ctx(t), bx.ID, "alice", at(2*time.Hour)))
	dl := func(d *record.DeadLetter) int64 { return d.ID }
	id := func(d record.DeadLetter) int64 { return d.ID }
	cases := []struct {
		name string
		f    store.DeadLetterFilter
		want []int64
	}{
		{"all newest first", store.DeadLetterFilter{}, []int64{dl(ay), dl(bx), dl(ax)}},
		{"pipeline", store.DeadLetterFilter{Pipeline: "a"}, []int64{dl(ay), dl(ax)}},
		{"unreplayed", store.DeadLetterFilter{Unreplayed: true}, []int64{dl(ay), dl(ax)}},
		{"unreplayed of b", store.DeadLetterFilter{Pipeline: "b", Unreplayed: true}, []int64{}},
		{"limit", store.DeadLetterFilter{Limit: 1}, []int64{dl(ay)}},
	}
	for _, c := range cases {
		got, err := s.ListDeadLetters(ctx(t), c.f)
		must(t, err)
		equal(t, c.name, append([]int64{}, ids(got, id)...), c.want)
	}

	// A dead letter without an attempt, and with a zero CreatedAt.
	d := &record.DeadLetter{RunID: ra.ID, Pipeline: "a", Task: "y"}
	must(t, s.Apply(ctx(t), &store.Batch{DeadLetters: []*record.DeadLetter{d}}))
	if d.CreatedAt.IsZero() {
		t.Error("Apply did not default the dead letter's CreatedAt")
	}
	got, err = s.GetDeadLetter(ctx(t), d.ID)
	must(t, err)
	equal(t, "dead letter without attempt", got, *d)
}

// testDeadLettersByEnv proves a dead letter is listed under its run's
// environment only: prod's list does not show staging's.
func testDeadLettersByEnv(t *testing.T, s store.Store) {
	run := func(env string) record.Run {
		r := record.Run{Pipeline: "p", Env: env, Trigger: record.TriggerManual, State: record.RunQueued, CreatedAt: time.Now()}
		must(t, s.CreateRun(ctx(t), &r, []string{"x"}))
		return r
	}
	prod := deadLetter(t, s, run("prod"), "x")
	staging := deadLetter(t, s, run("staging"), "x")
	local := deadLetter(t, s, run(""), "x")
	env := func(e string) *string { return &e }
	id := func(d record.DeadLetter) int64 { return d.ID }
	for name, c := range map[string]struct {
		f    store.DeadLetterFilter
		want []int64
	}{
		"every env":            {store.DeadLetterFilter{}, []int64{local.ID, staging.ID, prod.ID}},
		"prod":                 {store.DeadLetterFilter{Env: env("prod")}, []int64{prod.ID}},
		"staging":              {store.DeadLetterFilter{Env: env("staging"), Pipeline: "p"}, []int64{staging.ID}},
		"working tree":         {store.DeadLetterFilter{Env: env("")}, []int64{local.ID}},
		"unknown env":          {store.DeadLetterFilter{Env: env("qa")}, []int64{}},
		"prod, other pipeline": {store.DeadLetterFilter{Env: env("prod"), Pipeline: "q"}, []int64{}},
	} {
		got, err := s.ListDeadLetters(ctx(t), c.f)
		must(t, err)
		equal(t, name, append([]int64{}, ids(got, id)...), c.want)
	}
}

func testDeadLetterReplay(t *testing.T, s store.Store) {
	run := newRun(t, s, "p", "x")
	d := deadLetter(t, s, run, "x")
	must(t, s.MarkDeadLetterReplayed(ctx(t), d.ID, "alice", at(2*time.Hour)))
	got, err := s.GetDeadLetter(ctx(t), d.ID)
	must(t, err)
	want := storedDeadLetter(*d)
	want.ReplayedAt, want.ReplayedBy = stored(at(2*time.Hour)), "alice"
	equal(t, "replayed dead letter", got, want)
	checkUTC(t, "replayed dead letter", got.ReplayedAt)

	err = s.MarkDeadLetterReplayed(ctx(t), d.ID, "bob", at(3*time.Hour))
	isErr(t, "second replay", err, store.ErrConflict)
	got, err = s.GetDeadLetter(ctx(t), d.ID)
	must(t, err)
	equal(t, "dead letter after second replay", got, want)

	// A replay is a batch: the run's reset, its audit entry and the mark
	// commit together, and a losing replay commits none of them.
	runBefore, err := s.GetRun(ctx(t), run.ID)
	must(t, err)
	reset := runBefore
	reset.State, reset.Error = record.RunQueued, ""
	err = s.Apply(ctx(t), &store.Batch{Run: &reset, Replayed: &store.Replayed{DeadLetter: d.ID, By: "bob"},
		Audit: []*record.AuditEvent{{Actor: "bob", Action: record.AuditReplay}}})
	isErr(t, "replay batch of a replayed dead letter", err, store.ErrConflict)
	runAfter, err := s.GetRun(ctx(t), run.ID)
	must(t, err)
	equal(t, "run after a losing replay", runAfter, runBefore)
	if evs, _ := s.ListAudit(ctx(t), store.AuditFilter{Limit: -1}); len(evs) != 0 {
		t.Errorf("a losing replay left audit events: %+v", evs)
	}
	isErr(t, "replay of a missing dead letter", s.Apply(ctx(t), &store.Batch{Replayed: &store.Replayed{DeadLetter: d.ID + 1000, By: "x"}}), store.ErrNotFound)

	// A zero time means now.
	d2 := deadLetter(t, s, newRun(t, s, "p", "x"), "x")
	before := time.Now().Add(-time.Second)
	must(t, s.MarkDeadLetterReplayed(ctx(t), d2.ID, "carol", time.Time{}))
	got, err = s.GetDeadLetter(ctx(t), d2.ID)
	must(t, err)
	if got.ReplayedAt.Before(before) || got.ReplayedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("ReplayedAt = %v, want about now", got.ReplayedAt)
	}
}

// testDeadLetterReplayRace proves exactly one of many concurrent replays wins.
func testDeadLetterReplayRace(t *testing.T, s store.Store) {
	d := deadLetter(t, s, newRun(t, s, "p", "x"), "x")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.MarkDeadLetterReplayed(ctx(t), d.ID, name("user", i), at(0)) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("losing replay: got %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d replays won, want exactly 1", won)
	}
}
