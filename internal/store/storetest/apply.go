package storetest

import (
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// finishAndStartNext is the batch the engine commits most: attempt a of task
// ended, the task moves on, the next task's first attempt starts.
func finishAndStartNext(run record.Run, a *record.TaskAttempt, next string) *store.Batch {
	done := *a
	done.State, done.FinishedAt, done.ExitCode = record.TaskSucceeded, at(time.Hour), 0
	done.Outputs = []record.Output{{Key: "rows", Value: "1200"}}
	run.State, run.StartedAt = record.RunRunning, at(0)
	return &store.Batch{
		Run: &run,
		Tasks: []record.RunTask{
			{RunID: run.ID, Task: a.Task, State: record.TaskSucceeded, Attempts: a.Attempt, UpdatedAt: at(time.Hour)},
			{RunID: run.ID, Task: next, State: record.TaskRunning, Attempts: 1, UpdatedAt: at(time.Hour)},
		},
		Insert: []*record.TaskAttempt{{
			RunID: run.ID, Task: next, Attempt: 1, State: record.TaskRunning,
			QueuedAt: at(time.Hour), StartedAt: at(time.Hour + time.Millisecond), PID: 4242,
		}},
		Update: []*record.TaskAttempt{&done},
	}
}

func testApplyFinishAndStartNext(t *testing.T, s store.Store) {
	run := newRun(t, s, "p", "extract", "transform")
	a := startAttempt(t, s, run.ID, "extract", 1)
	b := finishAndStartNext(run, a, "transform")
	must(t, s.Apply(ctx(t), b))
	next := b.Insert[0]
	if next.ID == 0 || next.ID == a.ID {
		t.Fatalf("inserted attempt got ID %d (first attempt has %d)", next.ID, a.ID)
	}

	got, err := s.GetRun(ctx(t), run.ID)
	must(t, err)
	equal(t, "run", got, storedRun(*b.Run))
	rts, err := s.ListRunTasks(ctx(t), run.ID)
	must(t, err)
	equal(t, "tasks", rts, []record.RunTask{storedTask(b.Tasks[0]), storedTask(b.Tasks[1])})
	as, err := s.ListAttempts(ctx(t), run.ID, "")
	must(t, err)
	equal(t, "attempts", as, []record.TaskAttempt{storedAttempt(*b.Update[0]), storedAttempt(*next)})
}

func testApplyEmpty(t *testing.T, s store.Store) {
	must(t, s.Apply(ctx(t), &store.Batch{}))
}

// testApplyAtomic proves a batch with one bad change commits nothing.
func testApplyAtomic(t *testing.T, s store.Store) {
	run := newRun(t, s, "p", "extract", "transform")
	a := startAttempt(t, s, run.ID, "extract", 1)
	before := snapshot(t, s, run.ID)

	bad := []struct {
		name  string
		spoil func(b *store.Batch)
		want  error
	}{
		{"update of a missing attempt", func(b *store.Batch) {
			missing := *a
			missing.ID = a.ID + 1000
			b.Update = append(b.Update, &missing)
		}, store.ErrNotFound},
		{"update of a missing task", func(b *store.Batch) {
			b.Tasks = append(b.Tasks, record.RunTask{RunID: run.ID, Task: "nope", State: record.TaskQueued})
		}, store.ErrNotFound},
		{"update of a task of a missing run", func(b *store.Batch) {
			b.Tasks = append(b.Tasks, record.RunTask{RunID: run.ID + 1000, Task: "extract", State: record.TaskQueued})
		}, store.ErrNotFound},
		{"update of a missing run", func(b *store.Batch) {
			r := *b.Run
			r.ID = run.ID + 1000
			b.Run = &r
		}, store.ErrNotFound},
		{"insert for a missing task", func(b *store.Batch) {
			b.Insert = append(b.Insert, &record.TaskAttempt{RunID: run.ID, Task: "nope", Attempt: 1, State: record.TaskRunning})
		}, store.ErrNotFound},
		{"insert of an attempt number twice", func(b *store.Batch) {
			b.Insert = append(b.Insert, &record.TaskAttempt{RunID: run.ID, Task: "extract", Attempt: 1, State: record.TaskRunning})
		}, store.ErrConflict},
		{"dead letter of a missing run", func(b *store.Batch) {
			b.DeadLetters = append(b.DeadLetters, &record.DeadLetter{RunID: run.ID + 1000, Pipeline: "p", Task: "extract"})
		}, store.ErrNotFound},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			b := finishAndStartNext(run, a, "transform")
			b.DeadLetters = []*record.DeadLetter{{RunID: run.ID, Pipeline: "p", Task: "extract", AttemptID: a.ID, Attempts: 1}}
			b.Audit = []*record.AuditEvent{{Actor: "ann", Action: record.AuditReplay, Pipeline: "p"}}
			c.spoil(b)
			isErr(t, "Apply", s.Apply(ctx(t), b), c.want)
			equal(t, "state after failed Apply", snapshot(t, s, run.ID), before)
			if evs, err := s.ListAudit(ctx(t), store.AuditFilter{Limit: -1}); err != nil || len(evs) != 0 {
				t.Errorf("failed Apply left audit events %+v (%v)", evs, err)
			}
			for _, in := range b.Insert {
				if in.ID != 0 {
					t.Errorf("failed Apply left inserted attempt ID %d set", in.ID)
				}
			}
			for _, d := range b.DeadLetters {
				if d.ID != 0 {
					t.Errorf("failed Apply left dead letter ID %d set", d.ID)
				}
			}
		})
	}
	// The same batch without the bad change commits, with its audit event.
	b := finishAndStartNext(run, a, "transform")
	b.Audit = []*record.AuditEvent{{Actor: "ann", Action: record.AuditReplay, Pipeline: "p", Reason: "dead letter 1"}}
	must(t, s.Apply(ctx(t), b))
	evs, err := s.ListAudit(ctx(t), store.AuditFilter{Limit: -1})
	must(t, err)
	if len(evs) != 1 || evs[0].Actor != "ann" || evs[0].Reason != "dead letter 1" || b.Audit[0].ID == 0 {
		t.Errorf("audit after Apply = %+v", evs)
	}
}

// An audit event alone is a batch too.
func testApplyAuditOnly(t *testing.T, s store.Store) {
	ev := &record.AuditEvent{Actor: "bob", Action: record.AuditReplay}
	must(t, s.Apply(ctx(t), &store.Batch{Audit: []*record.AuditEvent{ev}}))
	evs, err := s.ListAudit(ctx(t), store.AuditFilter{Limit: -1})
	must(t, err)
	if len(evs) != 1 || evs[0].ID != ev.ID {
		t.Errorf("audit = %+v, want the one appended (ID %d)", evs, ev.ID)
	}
}

func testApplyConflict(t *testing.T, s store.Store) {
	run := newRun(t, s, "p", "extract")
	startAttempt(t, s, run.ID, "extract", 1)
	again := &record.TaskAttempt{RunID: run.ID, Task: "extract", Attempt: 1, State: record.TaskRunning}
	isErr(t, "second attempt 1", s.Apply(ctx(t), &store.Batch{Insert: []*record.TaskAttempt{again}}), store.ErrConflict)
}

// state is everything stored about one run.
type state struct {
	Run         record.Run
	Tasks       []record.RunTask
	Attempts    []record.TaskAttempt
	DeadLetters []record.DeadLetter
}

func snapshot(t *testing.T, s store.Store, id int64) state {
	t.Helper()
	var st state
	var err error
	st.Run, err = s.GetRun(ctx(t), id)
	must(t, err)
	st.Tasks, err = s.ListRunTasks(ctx(t), id)
	must(t, err)
	st.Attempts, err = s.ListAttempts(ctx(t), id, "")
	must(t, err)
	dls, err := s.ListDeadLetters(ctx(t), store.DeadLetterFilter{Limit: 1000})
	must(t, err)
	for _, d := range dls {
		if d.RunID == id {
			st.DeadLetters = append(st.DeadLetters, d)
		}
	}
	return st
}
