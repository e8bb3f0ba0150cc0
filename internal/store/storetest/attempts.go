package storetest

import (
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

func testAttemptRoundTrip(t *testing.T, s store.Store) {
	run := newRun(t, s, "p", "t")
	cases := []struct {
		name string
		a    record.TaskAttempt
	}{
		{"every field", record.TaskAttempt{
			State: record.TaskMemoryExceeded, QueuedAt: at(0), StartedAt: at(time.Second),
			FinishedAt: at(time.Minute), PID: 31337, ExitCode: -1, Signal: "killed",
			PeakMemory: 5 << 30, CPUTime: 1500*time.Millisecond + 7, LogPath: "/var/log/gantry/1.log",
			// Out of key order, with a repeated key: order is the task's.
			Outputs:      []record.Output{{Key: "z", Value: "1"}, {Key: "a", Value: "2"}, {Key: "z", Value: "3"}, {Key: "m", Value: ""}},
			OutputErrors: []string{`line 2: "rows 12": want key=value`, "output file larger than 1 MiB: the rest is ignored"},
			Error:        "memory limit exceeded",
		}},
		{"zero values", record.TaskAttempt{State: record.TaskQueued}},
		{"empty outputs", record.TaskAttempt{State: record.TaskSucceeded, Outputs: []record.Output{}, OutputErrors: []string{}}},
	}
	for i, c := range cases {
		a := c.a
		a.RunID, a.Task, a.Attempt = run.ID, "t", i+1
		must(t, s.Apply(ctx(t), &store.Batch{Insert: []*record.TaskAttempt{&a}}))
		got, err := s.GetAttempt(ctx(t), a.ID)
		must(t, err)
		equal(t, c.name, got, storedAttempt(a))
		checkUTC(t, c.name, got.QueuedAt, got.StartedAt, got.FinishedAt)

		// An update overwrites every mutable field, back to zero values too.
		upd := record.TaskAttempt{ID: a.ID, RunID: a.RunID, Task: a.Task, Attempt: a.Attempt,
			State: record.TaskLost, StartedAt: at(time.Hour), Outputs: []record.Output{{Key: "k", Value: "v"}}}
		if c.a.Outputs == nil {
			upd.Outputs = nil
		}
		if c.a.OutputErrors != nil {
			upd.OutputErrors = []string{"line 1: \"x\": want key=value"}
		}
		must(t, s.Apply(ctx(t), &store.Batch{Update: []*record.TaskAttempt{&upd}}))
		got, err = s.GetAttempt(ctx(t), a.ID)
		must(t, err)
		equal(t, c.name+" after update", got, storedAttempt(upd))
	}
}

func testAttemptsOrderAndFilter(t *testing.T, s store.Store) {
	run := newRun(t, s, "p", "b", "a")
	other := newRun(t, s, "p", "a")
	// Interleaved across tasks and runs.
	b1 := startAttempt(t, s, run.ID, "b", 1)
	a1 := startAttempt(t, s, run.ID, "a", 1)
	startAttempt(t, s, other.ID, "a", 1)
	b2 := startAttempt(t, s, run.ID, "b", 2)
	a2 := startAttempt(t, s, run.ID, "a", 2)
	attemptID := func(a record.TaskAttempt) int64 { return a.ID }

	all, err := s.ListAttempts(ctx(t), run.ID, "")
	must(t, err)
	equal(t, "all attempts", ids(all, attemptID), []int64{b1.ID, a1.ID, b2.ID, a2.ID})
	onlyA, err := s.ListAttempts(ctx(t), run.ID, "a")
	must(t, err)
	equal(t, "attempts of a", ids(onlyA, attemptID), []int64{a1.ID, a2.ID})
	equal(t, "first attempt of a", onlyA[0], storedAttempt(*a1))
	none, err := s.ListAttempts(ctx(t), run.ID, "missing")
	must(t, err)
	if len(none) != 0 {
		t.Errorf("attempts of an unknown task: %+v", none)
	}
	none, err = s.ListAttempts(ctx(t), run.ID+1000, "")
	must(t, err)
	if len(none) != 0 {
		t.Errorf("attempts of an unknown run: %+v", none)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	run := newRun(t, s, "p", "t")
	a := startAttempt(t, s, run.ID, "t", 1)
	_, err := s.GetRun(ctx(t), run.ID+1000)
	isErr(t, "GetRun", err, store.ErrNotFound)
	_, err = s.GetAttempt(ctx(t), a.ID+1000)
	isErr(t, "GetAttempt", err, store.ErrNotFound)
	_, err = s.GetDeadLetter(ctx(t), 1000)
	isErr(t, "GetDeadLetter", err, store.ErrNotFound)
	isErr(t, "MarkDeadLetterReplayed", s.MarkDeadLetterReplayed(ctx(t), 1000, "me", at(0)), store.ErrNotFound)
}
