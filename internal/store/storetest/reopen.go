package storetest

import (
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// Reopen checks that what one store committed is there after it is closed
// and the database opened again. Every call of open must return a store on
// the same database; Reopen closes each before the next.
func Reopen(t *testing.T, open Opener) {
	s := open(t)
	run := record.Run{Pipeline: "p", Trigger: record.TriggerManual, CreatedAt: at(0),
		Params: map[string]string{"k": "v"}}
	must(t, s.CreateRun(ctx(t), &run, []string{"x", "y"}))
	a := startAttempt(t, s, run.ID, "x", 1)
	d := deadLetter(t, s, run, "y")
	want := snapshot(t, s, run.ID)
	must(t, s.Close())

	s = open(t)
	equal(t, "after reopen", snapshot(t, s, run.ID), want)
	// And it still takes writes, with fresh IDs.
	next := startAttempt(t, s, run.ID, "x", 2)
	if next.ID <= a.ID || next.ID == d.AttemptID {
		t.Errorf("attempt after reopen got ID %d, earlier ones %d and %d", next.ID, a.ID, d.AttemptID)
	}
	must(t, s.MarkDeadLetterReplayed(ctx(t), d.ID, "me", at(time.Hour)))
	must(t, s.Close())
}
