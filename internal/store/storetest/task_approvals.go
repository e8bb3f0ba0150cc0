package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

var taskApprovalCases = []testCase{
	{"TaskApprovalOpenIsIdempotent", testTaskApprovalOpen},
	{"TaskApprovalDecide", testTaskApprovalDecide},
	{"TaskApprovalReject", testTaskApprovalReject},
	{"TaskApprovalEnd", testTaskApprovalEnd},
	{"TaskApprovalRace", testTaskApprovalRace},
	{"Releases", testReleases},
}

// deadline is when the approvals the cases open time out: far enough
// ahead that a decision stamped now is in time.
var deadline = time.Now().Add(30 * 24 * time.Hour)

func openApproval(t *testing.T, s store.Store, required int, approvers ...string) (record.Run, record.TaskApproval) {
	t.Helper()
	r := newRun(t, s, "ship", "approve_prod")
	a := startAttempt(t, s, r.ID, "approve_prod", 1)
	ap, err := s.OpenTaskApproval(ctx(t), record.TaskApproval{
		AttemptID: a.ID, RunID: r.ID, Task: "approve_prod", Required: required,
		Approvers: approvers, Guards: []string{"prod"}, CreatedAt: at(0), Deadline: deadline,
	})
	must(t, err)
	return r, ap
}

// A resumed attempt opens its approval again: what was stored, with the
// decisions already given, is what it gets back.
func testTaskApprovalOpen(t *testing.T, s store.Store) {
	r, ap := openApproval(t, s, 2, "bob", "carol")
	want := record.TaskApproval{AttemptID: ap.AttemptID, RunID: r.ID, Task: "approve_prod", Required: 2,
		Approvers: []string{"bob", "carol"}, Guards: []string{"prod"}, State: record.ApprovalWaiting,
		CreatedAt: stored(at(0)), Deadline: stored(deadline)}
	equal(t, "opened", ap, want)
	_, err := s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "bob", Approve: true, At: at(time.Minute)}, nil)
	must(t, err)
	again, err := s.OpenTaskApproval(ctx(t), record.TaskApproval{AttemptID: ap.AttemptID, RunID: r.ID, Task: "approve_prod",
		Required: 1, Deadline: at(48 * time.Hour)})
	must(t, err)
	want.Approved = []string{"bob"}
	equal(t, "opened again", again, want)
	got, err := s.GetTaskApproval(ctx(t), ap.AttemptID)
	must(t, err)
	equal(t, "got", got, want)
	_, err = s.GetTaskApproval(ctx(t), 99999)
	isErr(t, "a missing approval", err, store.ErrNotFound)
}

func testTaskApprovalDecide(t *testing.T, s store.Store) {
	r, ap := openApproval(t, s, 2)
	ev := &record.AuditEvent{Actor: "bob", Action: record.AuditTaskApprove, Pipeline: "ship"}
	got, err := s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "bob", Approve: true, Comment: "ok", At: at(time.Minute)}, ev)
	must(t, err)
	if got.State != record.ApprovalWaiting || ev.ID == 0 {
		t.Errorf("after one of two approvals: state %s, audit id %d", got.State, ev.ID)
	}
	_, err = s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "bob", Approve: true}, &record.AuditEvent{Actor: "bob", Action: record.AuditTaskApprove})
	isErr(t, "deciding twice", err, store.ErrConflict)
	got, err = s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "carol", Approve: true, At: at(2 * time.Minute)}, nil)
	must(t, err)
	if got.State != record.ApprovalApproved || !got.DecidedAt.Equal(stored(at(2*time.Minute))) {
		t.Errorf("after two of two: state %s decided %v", got.State, got.DecidedAt)
	}
	equal(t, "approved by", got.Approved, []string{"bob", "carol"})
	_, err = s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "dave", Approve: false}, nil)
	isErr(t, "deciding a decided approval", err, store.ErrConflict)
	_, err = s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: 99999, Actor: "dave", Approve: true}, nil)
	isErr(t, "deciding a missing approval", err, store.ErrNotFound)
	ds, err := s.ListTaskDecisions(ctx(t), ap.AttemptID)
	must(t, err)
	equal(t, "decisions", ds, []record.TaskDecision{
		{AttemptID: ap.AttemptID, Actor: "bob", Approve: true, Comment: "ok", At: stored(at(time.Minute))},
		{AttemptID: ap.AttemptID, Actor: "carol", Approve: true, At: stored(at(2 * time.Minute))},
	})
	evs, err := s.ListAudit(ctx(t), store.AuditFilter{Pipeline: "ship"})
	must(t, err)
	if len(evs) != 1 || evs[0].Action != record.AuditTaskApprove {
		t.Errorf("audit: %+v, want the one approval (the refused decision wrote none)", evs)
	}
	all, err := s.ListTaskApprovals(ctx(t), r.ID)
	must(t, err)
	if len(all) != 1 || all[0].State != record.ApprovalApproved {
		t.Errorf("run's approvals: %+v", all)
	}
}

func testTaskApprovalReject(t *testing.T, s store.Store) {
	_, ap := openApproval(t, s, 2)
	must1(t, s, ap, "bob", true)
	got, err := s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "carol", Comment: "not on a Friday", At: at(time.Hour)}, nil)
	must(t, err)
	if got.State != record.ApprovalRejected || got.Reason != "not on a Friday" {
		t.Errorf("one rejection: state %s reason %q, want rejected at once", got.State, got.Reason)
	}
}

func must1(t *testing.T, s store.Store, ap record.TaskApproval, actor string, approve bool) {
	t.Helper()
	_, err := s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: actor, Approve: approve}, nil)
	must(t, err)
}

func testTaskApprovalEnd(t *testing.T, s store.Store) {
	_, ap := openApproval(t, s, 1)
	must(t, s.EndTaskApproval(ctx(t), ap.AttemptID, record.ApprovalTimedOut, at(time.Hour)))
	_, err := s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "bob", Approve: true}, nil)
	isErr(t, "approving a timed-out approval", err, store.ErrConflict)
	isErr(t, "ending twice", s.EndTaskApproval(ctx(t), ap.AttemptID, record.ApprovalCancelled, time.Time{}), store.ErrConflict)
	isErr(t, "ending a missing one", s.EndTaskApproval(ctx(t), 99999, record.ApprovalCancelled, time.Time{}), store.ErrNotFound)
	got, err := s.GetTaskApproval(ctx(t), ap.AttemptID)
	must(t, err)
	if got.State != record.ApprovalTimedOut {
		t.Errorf("state %s, want timed_out", got.State)
	}

	// A decision racing the deadline: exactly one of them wins.
	_, ap = openApproval(t, s, 1)
	must1(t, s, ap, "bob", true)
	isErr(t, "timing out an approved one", s.EndTaskApproval(ctx(t), ap.AttemptID, record.ApprovalTimedOut, time.Time{}), store.ErrConflict)

	// A decision at or after the deadline is refused, even while no
	// attempt has marked it timed out yet.
	_, ap = openApproval(t, s, 1)
	_, err = s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "bob", Approve: true, At: deadline}, nil)
	isErr(t, "approving at the deadline", err, store.ErrConflict)
	if got, _ := s.GetTaskApproval(ctx(t), ap.AttemptID); got.State != record.ApprovalWaiting || len(got.Approved) != 0 {
		t.Errorf("a late approval changed it: %+v", got)
	}
}

// Many approvers at once on an approval that needs two: it is approved
// once, by exactly two of them; the others are refused.
func testTaskApprovalRace(t *testing.T, s store.Store) {
	_, ap := openApproval(t, s, 2)
	const n = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, refused := 0, 0
	for i := range n {
		wg.Go(func() {
			_, err := s.DecideTaskApproval(ctx(t), record.TaskDecision{AttemptID: ap.AttemptID, Actor: name("user", i), Approve: true}, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrConflict):
				refused++
			default:
				t.Errorf("decide: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := s.GetTaskApproval(ctx(t), ap.AttemptID)
	must(t, err)
	if won != 2 || refused != n-2 || got.State != record.ApprovalApproved || len(got.Approved) != 2 {
		t.Errorf("%d accepted, %d refused, state %s, approved by %v; want 2 accepted, then approved by those 2", won, refused, got.State, got.Approved)
	}
}

func testReleases(t *testing.T, s store.Store) {
	r1 := newRun(t, s, "ship", "deploy_prod")
	r2 := newRun(t, s, "ship", "deploy_prod")
	rel := &record.Release{Pipeline: "ship", Env: "prod", RunID: r1.ID, Revision: "abc", Kind: record.ReleaseDeploy, Succeeded: true,
		Params: map[string]string{"version": "1.4.2"}, Outputs: []record.TaskOutput{{Task: "build", Key: "image", Value: "sha256:1"}},
		ApprovedBy: []string{"bob"}, TriggeredBy: "alice", CreatedAt: at(time.Hour)}
	ev := &record.AuditEvent{Actor: "gantry", Action: record.AuditRelease, Pipeline: "ship", Env: "prod"}
	must(t, s.CreateRelease(ctx(t), rel, ev))
	if rel.ID == 0 || ev.ID == 0 {
		t.Fatalf("ids: release %d audit %d", rel.ID, ev.ID)
	}
	isErr(t, "a second release of the run", s.CreateRelease(ctx(t), &record.Release{Pipeline: "ship", Env: "prod", RunID: r1.ID, Kind: record.ReleaseDeploy}, nil), store.ErrConflict)
	back := &record.Release{Pipeline: "ship", Env: "prod", RunID: r2.ID, Kind: record.ReleaseRollback, RollbackTo: rel.ID, CreatedAt: at(2 * time.Hour)}
	must(t, s.CreateRelease(ctx(t), back, nil))
	got, err := s.ListReleases(ctx(t), "ship", "prod", 0)
	must(t, err)
	want := *rel
	want.CreatedAt = stored(rel.CreatedAt)
	wantBack := *back
	wantBack.Outputs, wantBack.ApprovedBy, wantBack.Params = []record.TaskOutput{}, []string{}, map[string]string{}
	equal(t, "releases", got, []record.Release{wantBack, want})
	one, err := s.GetRelease(ctx(t), rel.ID)
	must(t, err)
	equal(t, "got", one, want)
	_, err = s.GetRelease(ctx(t), 99999)
	isErr(t, "a missing release", err, store.ErrNotFound)
	if other, _ := s.ListReleases(ctx(t), "ship", "staging", 0); len(other) != 0 {
		t.Errorf("staging releases: %+v", other)
	}
}
