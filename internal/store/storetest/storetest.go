package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Opener returns a store on a fresh, empty database of its own. It closes the
// store in t.Cleanup; closing it earlier is allowed.
type Opener func(t *testing.T) store.Store

// Run runs the shared suite against stores from open, each case as a
// parallel subtest on a store of its own.
func Run(t *testing.T, open Opener) {
	cases := []testCase{
		{"CreateAndGetRun", testCreateAndGetRun},
		{"CreateRunDefaults", testCreateRunDefaults},
		{"CreateRunDuplicateTask", testCreateRunDuplicateTask},
		{"RunRoundTrip", testRunRoundTrip},
		{"AttemptRoundTrip", testAttemptRoundTrip},
		{"NotFound", testNotFound},
		{"ApplyFinishAndStartNext", testApplyFinishAndStartNext},
		{"ApplyEmpty", testApplyEmpty},
		{"ApplyAtomic", testApplyAtomic},
		{"ApplyConflict", testApplyConflict},
		{"ApplyAuditOnly", testApplyAuditOnly},
		{"ListRunsFilters", testListRunsFilters},
		{"ListRunsPagination", testListRunsPagination},
		{"ListRunsDefaultLimit", testListRunsDefaultLimit},
		{"AttemptsOrderAndFilter", testAttemptsOrderAndFilter},
		{"DeadLetters", testDeadLetters},
		{"DeadLettersByEnv", testDeadLettersByEnv},
		{"DeadLetterReplay", testDeadLetterReplay},
		{"DeadLetterReplayRace", testDeadLetterReplayRace},
		{"ConcurrentApply", testConcurrentApply},
		{"ScheduleIntervalUnique", testScheduleIntervalUnique},
		{"FindCoveringRun", testFindCoveringRun},
		{"CreateBackfill", testCreateBackfill},
		{"CreateBackfillAtomic", testCreateBackfillAtomic},
		{"ListBackfills", testListBackfills},
		{"SetBackfillState", testSetBackfillState},
		{"ListRunsServerFilters", testListRunsServerFilters},
		{"ListRunsNoLimit", testListRunsNoLimit},
		{"PipelineStates", testPipelineStates},
		{"RunWaitingRoundTrip", testRunWaitingRoundTrip},
		{"Queues", testQueues},
	}
	cases = append(cases, deployCases...)
	cases = append(cases, alertCases...)
	cases = append(cases, summaryCases...)
	cases = append(cases, clusterCases...)
	cases = append(cases, claimCases...)
	cases = append(cases, taskApprovalCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t))
		})
	}
}

// testCase is one case of the shared suite.
type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// ctx is the context of one test: cancelled when it ends.
func ctx(t *testing.T) context.Context { return t.Context() }

// base is a fixed instant with sub-microsecond digits and a non-UTC zone, so
// that round trips prove truncation to microseconds and conversion to UTC.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// at is base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// stored is t as a store returns it: UTC, truncated to the microsecond.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// checkUTC fails unless every non-zero time in ts is in UTC.
func checkUTC(t *testing.T, what string, ts ...time.Time) {
	t.Helper()
	for i, tm := range ts {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: time %d is in %v, want UTC", what, i, tm.Location())
		}
	}
}

func storedRun(r record.Run) record.Run {
	r.IntervalStart, r.IntervalEnd = stored(r.IntervalStart), stored(r.IntervalEnd)
	r.CreatedAt, r.StartedAt, r.FinishedAt = stored(r.CreatedAt), stored(r.StartedAt), stored(r.FinishedAt)
	return r
}

func storedAttempt(a record.TaskAttempt) record.TaskAttempt {
	a.QueuedAt, a.StartedAt, a.FinishedAt = stored(a.QueuedAt), stored(a.StartedAt), stored(a.FinishedAt)
	return a
}

func storedTask(rt record.RunTask) record.RunTask {
	rt.NextAttempt, rt.UpdatedAt = stored(rt.NextAttempt), stored(rt.UpdatedAt)
	return rt
}

func storedDeadLetter(d record.DeadLetter) record.DeadLetter {
	d.CreatedAt, d.ReplayedAt = stored(d.CreatedAt), stored(d.ReplayedAt)
	return d
}

// equal fails t when got and want differ.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// must fails t now on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// isErr fails t unless err is target.
func isErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// newRun creates a queued run of pipeline with tasks.
func newRun(t *testing.T, s store.Store, pipeline string, tasks ...string) record.Run {
	t.Helper()
	r := record.Run{
		Pipeline: pipeline, Trigger: record.TriggerManual, State: record.RunQueued,
		CreatedAt: time.Now(),
	}
	must(t, s.CreateRun(ctx(t), &r, tasks))
	return r
}

// startAttempt inserts attempt n of task in run, running.
func startAttempt(t *testing.T, s store.Store, runID int64, task string, n int) *record.TaskAttempt {
	t.Helper()
	a := &record.TaskAttempt{
		RunID: runID, Task: task, Attempt: n, State: record.TaskRunning,
		QueuedAt: at(time.Duration(n) * time.Second), StartedAt: at(time.Duration(n)*time.Second + time.Millisecond),
		PID: 1000 + n,
	}
	must(t, s.Apply(ctx(t), &store.Batch{Insert: []*record.TaskAttempt{a}}))
	if a.ID == 0 {
		t.Fatal("Apply did not set the inserted attempt's ID")
	}
	return a
}

func ids[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func runID(r record.Run) int64 { return r.ID }

func name(prefix string, i int) string { return fmt.Sprintf("%s%02d", prefix, i) }
