package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// deployCases test the DeployStore half of a driver.
var deployCases = []testCase{
	{"RevisionRoundTrip", testRevisionRoundTrip},
	{"RevisionDedupe", testRevisionDedupe},
	{"RevisionBadContent", testRevisionBadContent},
	{"RevisionUnknownStagingRun", testRevisionUnknownStagingRun},
	{"StagingRun", testStagingRun},
	{"DeploymentLifecycle", testDeploymentLifecycle},
	{"DeploymentEnd", testDeploymentEnd},
	{"DeploymentRollback", testDeploymentRollback},
	{"DeploymentUnknownRevision", testDeploymentUnknownRevision},
	{"DeploymentReadiness", testDeploymentReadiness},
	{"ActivateRace", testActivateRace},
	{"Approvals", testApprovals},
	{"ApprovalRace", testApprovalRace},
	{"Tokens", testTokens},
	{"AuditList", testAuditList},
}

// newRevision stores a revision of pipeline with files named by their
// content, and returns it and its content.
func newRevision(t *testing.T, s store.Store, pipeline string, files map[string]string) (record.Revision, map[string][]byte) {
	t.Helper()
	content := map[string][]byte{}
	h := sha256.New()
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	rev := record.Revision{Pipeline: pipeline, CreatedBy: "alice", CreatedAt: at(0), Message: "first", CheckSummary: "0 errors"}
	for _, p := range paths {
		data := []byte(files[p])
		content[p] = data
		sum := sha256.Sum256(data)
		rev.Files = append(rev.Files, record.RevisionFile{Path: p, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
		fmt.Fprintf(h, "%s\x00%s\x00", p, data)
	}
	rev.Hash = hex.EncodeToString(h.Sum(nil))
	created, err := s.CreateRevision(ctx(t), rev, content)
	must(t, err)
	if !created {
		t.Fatalf("revision %s was not created", rev.Hash)
	}
	rev.CreatedAt = stored(rev.CreatedAt)
	return rev, content
}

func testRevisionRoundTrip(t *testing.T, s store.Store) {
	rev, content := newRevision(t, s, "orders", map[string]string{
		"pipelines/orders.yaml": "pipeline: orders\n", "gantry.yaml": "project: p\n", "scripts/a.sh": "#!/bin/sh\n",
	})
	got, err := s.GetRevision(ctx(t), rev.Hash)
	must(t, err)
	equal(t, "revision", got, rev)
	checkUTC(t, "revision", got.CreatedAt)
	gotContent, err := s.RevisionContent(ctx(t), rev.Hash)
	must(t, err)
	equal(t, "content", gotContent, content)

	// A second revision shares gantry.yaml's bytes; both read back whole.
	rev2, content2 := newRevision(t, s, "orders", map[string]string{
		"pipelines/orders.yaml": "pipeline: orders\n# v2\n", "gantry.yaml": "project: p\n",
	})
	gotContent, err = s.RevisionContent(ctx(t), rev2.Hash)
	must(t, err)
	equal(t, "content of the second", gotContent, content2)
	newRevision(t, s, "other", map[string]string{"pipelines/other.yaml": "pipeline: other\n"})

	list, err := s.ListRevisions(ctx(t), "orders", 0)
	must(t, err)
	equal(t, "revisions newest first", hashes(list), []string{rev2.Hash, rev.Hash})
	list, err = s.ListRevisions(ctx(t), "orders", 1)
	must(t, err)
	equal(t, "limit", hashes(list), []string{rev2.Hash})

	_, err = s.GetRevision(ctx(t), "nope")
	isErr(t, "get missing revision", err, store.ErrNotFound)
	_, err = s.RevisionContent(ctx(t), "nope")
	isErr(t, "content of missing revision", err, store.ErrNotFound)
}

func hashes(revs []record.Revision) []string {
	out := []string{}
	for _, r := range revs {
		out = append(out, r.Hash)
	}
	return out
}

func testRevisionDedupe(t *testing.T, s store.Store) {
	rev, content := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "pipeline: orders\n"})
	again := rev
	again.Message, again.CreatedBy = "second", "bob"
	created, err := s.CreateRevision(ctx(t), again, content)
	must(t, err)
	if created {
		t.Error("the same hash twice made a new revision")
	}
	got, err := s.GetRevision(ctx(t), rev.Hash)
	must(t, err)
	equal(t, "first revision kept", got, rev)
}

func testRevisionBadContent(t *testing.T, s store.Store) {
	rev := record.Revision{Hash: "h1", Pipeline: "p", Files: []record.RevisionFile{{Path: "a", Size: 1, SHA256: "00"}}}
	if _, err := s.CreateRevision(ctx(t), rev, map[string][]byte{"a": []byte("x")}); err == nil {
		t.Error("content that does not match its sha256 was stored")
	}
	if _, err := s.CreateRevision(ctx(t), rev, nil); err == nil {
		t.Error("a revision without its content was stored")
	}
	_, err := s.GetRevision(ctx(t), "h1")
	isErr(t, "half-stored revision", err, store.ErrNotFound)
}

// testRevisionUnknownStagingRun stores nothing for a revision naming a
// staging run that does not exist, and says it is missing rather than
// taking the revision for one stored already.
func testRevisionUnknownStagingRun(t *testing.T, s store.Store) {
	rev := record.Revision{Hash: "h-staged", Pipeline: "p", StagingRunID: 9999, StagingState: record.RunSucceeded}
	created, err := s.CreateRevision(ctx(t), rev, nil)
	isErr(t, "revision of a missing staging run", err, store.ErrNotFound)
	if created {
		t.Error("CreateRevision reported a revision created")
	}
	_, err = s.GetRevision(ctx(t), rev.Hash)
	isErr(t, "get it", err, store.ErrNotFound)
}

func testStagingRun(t *testing.T, s store.Store) {
	rev, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "x"})
	run := newRun(t, s, "orders")
	ev := &record.AuditEvent{Actor: "gantry", Action: record.AuditStaging, Pipeline: "orders", Revision: rev.Hash}
	must(t, s.SetStagingRun(ctx(t), rev.Hash, run.ID, record.RunSucceeded, ev))
	got, err := s.GetRevision(ctx(t), rev.Hash)
	must(t, err)
	if got.StagingRunID != run.ID || got.StagingState != record.RunSucceeded {
		t.Errorf("staging = run %d %q, want run %d succeeded", got.StagingRunID, got.StagingState, run.ID)
	}
	if ev.ID == 0 {
		t.Error("audit event ID not set")
	}
	isErr(t, "missing revision", s.SetStagingRun(ctx(t), "nope", run.ID, record.RunFailed, nil), store.ErrNotFound)
}

// newDeployment creates a pending deployment of rev in env.
func newDeployment(t *testing.T, s store.Store, rev record.Revision, env string) record.Deployment {
	t.Helper()
	d := record.Deployment{
		Pipeline: rev.Pipeline, Env: env, Revision: rev.Hash, State: record.DeploymentPending,
		Risk: "L2", Gates: []string{"check", "approval"}, Approvals: 2, Approvers: []string{"carol", "dave"},
		CreatedBy: "alice", CreatedAt: at(time.Minute), Message: "ship it",
	}
	ev := &record.AuditEvent{Actor: "alice", Action: record.AuditDeploy, Pipeline: rev.Pipeline, Env: env, Revision: rev.Hash}
	must(t, s.CreateDeployment(ctx(t), &d, ev))
	if d.ID == 0 || ev.DeploymentID != d.ID {
		t.Fatalf("deployment ID %d, audit event's %d", d.ID, ev.DeploymentID)
	}
	return d
}

// testDeploymentReadiness attaches a report to a deployment, replaces it,
// and reads it back; the deployment itself is unchanged.
func testDeploymentReadiness(t *testing.T, s store.Store) {
	rev, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v1"})
	d := newDeployment(t, s, rev, "prod")
	got, err := s.DeploymentReadiness(ctx(t), d.ID)
	must(t, err)
	if got != nil {
		t.Errorf("a new deployment has report %q, want none", got)
	}
	must(t, s.SetDeploymentReadiness(ctx(t), d.ID, []byte(`{"verdict":"NOT READY"}`)))
	must(t, s.SetDeploymentReadiness(ctx(t), d.ID, []byte(`{"verdict":"READY"}`)))
	got, err = s.DeploymentReadiness(ctx(t), d.ID)
	must(t, err)
	if string(got) != `{"verdict":"READY"}` {
		t.Errorf("report = %q, want the second one", got)
	}
	dep, err := s.GetDeployment(ctx(t), d.ID)
	must(t, err)
	if dep.State != record.DeploymentPending || dep.Message != d.Message {
		t.Errorf("deployment changed: %+v", dep)
	}
	isErr(t, "set on a missing deployment", s.SetDeploymentReadiness(ctx(t), d.ID+100, []byte(`{}`)), store.ErrNotFound)
	_, err = s.DeploymentReadiness(ctx(t), d.ID+100)
	isErr(t, "read a missing deployment's", err, store.ErrNotFound)
}

func testDeploymentLifecycle(t *testing.T, s store.Store) {
	r1, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v1"})
	r2, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v2"})
	d1 := newDeployment(t, s, r1, "prod")
	got, err := s.GetDeployment(ctx(t), d1.ID)
	must(t, err)
	equal(t, "pending deployment", got, d1)
	checkUTC(t, "deployment", got.CreatedAt)
	_, err = s.ActiveDeployment(ctx(t), "orders", "prod")
	isErr(t, "nothing active yet", err, store.ErrNotFound)

	a1, err := s.ActivateDeployment(ctx(t), store.Activation{ID: d1.ID, At: at(time.Hour),
		Audit: &record.AuditEvent{Actor: "bob", Action: record.AuditActivate}})
	must(t, err)
	if a1.State != record.DeploymentActive || a1.Previous != "" || !a1.ActivatedAt.Equal(stored(at(time.Hour))) {
		t.Errorf("activated = %+v", a1)
	}
	_, err = s.ActivateDeployment(ctx(t), store.Activation{ID: d1.ID})
	isErr(t, "activating twice", err, store.ErrConflict)

	d2 := newDeployment(t, s, r2, "prod")
	stale := newDeployment(t, s, r1, "staging")
	a2, err := s.ActivateDeployment(ctx(t), store.Activation{ID: d2.ID, At: at(2 * time.Hour)})
	must(t, err)
	if a2.Previous != r1.Hash {
		t.Errorf("Previous = %q, want the revision it replaced %q", a2.Previous, r1.Hash)
	}
	active, err := s.ActiveDeployment(ctx(t), "orders", "prod")
	must(t, err)
	equal(t, "active", active, a2)
	old, err := s.GetDeployment(ctx(t), d1.ID)
	must(t, err)
	if old.State != record.DeploymentSuperseded || !old.EndedAt.Equal(stored(at(2*time.Hour))) {
		t.Errorf("replaced deployment = %s ended %v, want superseded at %v", old.State, old.EndedAt, at(2*time.Hour))
	}
	if st, _ := s.GetDeployment(ctx(t), stale.ID); st.State != record.DeploymentPending {
		t.Errorf("a pending deployment in another env became %s", st.State)
	}

	list, err := s.ListDeployments(ctx(t), store.DeploymentFilter{Pipeline: "orders", Env: "prod"})
	must(t, err)
	equal(t, "prod deployments newest first", ids(list, depID), []int64{d2.ID, d1.ID})
	list, err = s.ListDeployments(ctx(t), store.DeploymentFilter{States: []record.DeploymentState{record.DeploymentPending, record.DeploymentActive}})
	must(t, err)
	equal(t, "pending or active", ids(list, depID), []int64{stale.ID, d2.ID})
	list, err = s.ListDeployments(ctx(t), store.DeploymentFilter{Revision: r1.Hash, Limit: 1})
	must(t, err)
	equal(t, "by revision, limited", ids(list, depID), []int64{stale.ID})
}

func depID(d record.Deployment) int64 { return d.ID }

func testDeploymentEnd(t *testing.T, s store.Store) {
	r1, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v1"})
	d := newDeployment(t, s, r1, "prod")
	older := newDeployment(t, s, r1, "prod")
	ev := &record.AuditEvent{Actor: "carol", Action: record.AuditReject, Reason: "not on a Friday"}
	must(t, s.EndDeployment(ctx(t), d.ID, record.DeploymentRejected, "not on a Friday", at(time.Hour), ev))
	got, err := s.GetDeployment(ctx(t), d.ID)
	must(t, err)
	if got.State != record.DeploymentRejected || got.Reason != "not on a Friday" || ev.DeploymentID != d.ID {
		t.Errorf("rejected deployment = %+v, event %+v", got, ev)
	}
	isErr(t, "ending twice", s.EndDeployment(ctx(t), d.ID, record.DeploymentRejected, "", time.Time{}, nil), store.ErrConflict)
	isErr(t, "ending a missing one", s.EndDeployment(ctx(t), 9999, record.DeploymentRejected, "", time.Time{}, nil), store.ErrNotFound)
	_, err = s.ActivateDeployment(ctx(t), store.Activation{ID: d.ID})
	isErr(t, "activating a rejected one", err, store.ErrConflict)
	_, err = s.ActivateDeployment(ctx(t), store.Activation{ID: 9999})
	isErr(t, "activating a missing one", err, store.ErrNotFound)
	_, err = s.ActivateDeployment(ctx(t), store.Activation{ID: older.ID})
	must(t, err)
}

func testDeploymentRollback(t *testing.T, s store.Store) {
	r1, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v1"})
	r2, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v2"})
	d1 := newDeployment(t, s, r1, "prod")
	_, err := s.ActivateDeployment(ctx(t), store.Activation{ID: d1.ID})
	must(t, err)
	d2 := newDeployment(t, s, r2, "prod")
	_, err = s.ActivateDeployment(ctx(t), store.Activation{ID: d2.ID})
	must(t, err)

	back := func(expect int64) (record.Deployment, *record.AuditEvent, error) {
		ev := &record.AuditEvent{Actor: "gantry", Action: record.AuditAutoRollback, Reason: "run 7 failed"}
		d, err := s.ActivateDeployment(ctx(t), store.Activation{
			New:      &record.Deployment{Pipeline: "orders", Env: "prod", Revision: r1.Hash, CreatedBy: "gantry"},
			Replaced: record.DeploymentRolledBack, Reason: "run 7 failed", Expect: expect, Audit: ev,
		})
		return d, ev, err
	}
	_, _, err = back(d1.ID)
	isErr(t, "rollback expecting the wrong active deployment", err, store.ErrConflict)
	list, err := s.ListDeployments(ctx(t), store.DeploymentFilter{Pipeline: "orders"})
	must(t, err)
	if len(list) != 2 {
		t.Errorf("a refused rollback left %d deployments, want 2", len(list))
	}
	d3, ev, err := back(d2.ID)
	must(t, err)
	if d3.ID == 0 || d3.State != record.DeploymentActive || d3.Revision != r1.Hash || d3.Previous != r2.Hash || ev.DeploymentID != d3.ID {
		t.Errorf("rollback deployment = %+v, event %+v", d3, ev)
	}
	rolled, err := s.GetDeployment(ctx(t), d2.ID)
	must(t, err)
	if rolled.State != record.DeploymentRolledBack || rolled.Reason != "run 7 failed" {
		t.Errorf("rolled back deployment = %s %q", rolled.State, rolled.Reason)
	}
}

func testDeploymentUnknownRevision(t *testing.T, s store.Store) {
	d := record.Deployment{Pipeline: "p", Env: "prod", Revision: "nope", State: record.DeploymentPending}
	err := s.CreateDeployment(ctx(t), &d, &record.AuditEvent{Actor: "alice", Action: record.AuditDeploy})
	isErr(t, "deployment of an unknown revision", err, store.ErrNotFound)
	evs, err := s.ListAudit(ctx(t), store.AuditFilter{})
	must(t, err)
	if len(evs) != 0 {
		t.Errorf("a refused deployment left audit events: %+v", evs)
	}
	d.State = record.DeploymentActive
	if err := s.CreateDeployment(ctx(t), &d, nil); err == nil {
		t.Error("CreateDeployment made an active deployment, bypassing activation")
	}
}

// testActivateRace activates many deployments of one (pipeline, env) at
// once, and each of them from many goroutines: exactly one ends active.
func testActivateRace(t *testing.T, s store.Store) {
	rev, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v1"})
	var deps []record.Deployment
	for range 4 {
		deps = append(deps, newDeployment(t, s, rev, "prod"))
	}
	var wg sync.WaitGroup
	wins := make([]int, len(deps))
	var mu sync.Mutex
	for i, d := range deps {
		for range 3 {
			wg.Go(func() {
				_, err := s.ActivateDeployment(ctx(t), store.Activation{ID: d.ID})
				switch {
				case err == nil:
					mu.Lock()
					wins[i]++
					mu.Unlock()
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("activate %d: %v", d.ID, err)
				}
			})
		}
	}
	wg.Wait()
	for i, n := range wins {
		if n > 1 {
			t.Errorf("deployment %d was activated %d times", deps[i].ID, n)
		}
	}
	active, err := s.ListDeployments(ctx(t), store.DeploymentFilter{States: []record.DeploymentState{record.DeploymentActive}})
	must(t, err)
	if len(active) != 1 {
		t.Errorf("%d active deployments of one pipeline and env, want 1", len(active))
	}
}

func testApprovals(t *testing.T, s store.Store) {
	rev, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v1"})
	d := newDeployment(t, s, rev, "prod")
	ev := &record.AuditEvent{Actor: "carol", Action: record.AuditApprove}
	n, err := s.AddApproval(ctx(t), record.Approval{DeploymentID: d.ID, User: "carol", Comment: "lgtm", CreatedAt: at(time.Hour)}, ev)
	must(t, err)
	if n != 1 || ev.DeploymentID != d.ID {
		t.Errorf("count %d, event deployment %d", n, ev.DeploymentID)
	}
	_, err = s.AddApproval(ctx(t), record.Approval{DeploymentID: d.ID, User: "carol"}, nil)
	isErr(t, "approving twice", err, store.ErrConflict)
	n, err = s.AddApproval(ctx(t), record.Approval{DeploymentID: d.ID, User: "dave", CreatedAt: at(2 * time.Hour)}, nil)
	must(t, err)
	if n != 2 {
		t.Errorf("count %d, want 2", n)
	}
	as, err := s.ListApprovals(ctx(t), d.ID)
	must(t, err)
	equal(t, "approvals", as, []record.Approval{
		{DeploymentID: d.ID, User: "carol", Comment: "lgtm", CreatedAt: stored(at(time.Hour))},
		{DeploymentID: d.ID, User: "dave", CreatedAt: stored(at(2 * time.Hour))},
	})
	_, err = s.ActivateDeployment(ctx(t), store.Activation{ID: d.ID})
	must(t, err)
	_, err = s.AddApproval(ctx(t), record.Approval{DeploymentID: d.ID, User: "erin"}, nil)
	isErr(t, "approving an active deployment", err, store.ErrConflict)
	_, err = s.AddApproval(ctx(t), record.Approval{DeploymentID: 9999, User: "erin"}, nil)
	isErr(t, "approving a missing deployment", err, store.ErrNotFound)
}

// testApprovalRace approves one deployment by many people at once: each
// sees a different count, so exactly one of them sees the last.
func testApprovalRace(t *testing.T, s store.Store) {
	rev, _ := newRevision(t, s, "orders", map[string]string{"pipelines/orders.yaml": "v1"})
	d := newDeployment(t, s, rev, "prod")
	const n = 6
	counts := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := s.AddApproval(ctx(t), record.Approval{DeploymentID: d.ID, User: name("user", i)}, nil)
			if err != nil {
				t.Errorf("approve: %v", err)
			}
			counts[i] = c
		})
	}
	wg.Wait()
	sort.Ints(counts)
	equal(t, "counts seen", counts, []int{1, 2, 3, 4, 5, 6})
}

func testTokens(t *testing.T, s store.Store) {
	tok := record.Token{User: "alice", Role: "deployer", Hash: "abc123", CreatedBy: "admin", CreatedAt: at(0)}
	ev := &record.AuditEvent{Actor: "admin", Action: record.AuditTokenCreate, Detail: "alice deployer"}
	must(t, s.CreateToken(ctx(t), &tok, ev))
	if tok.ID == 0 || ev.ID == 0 {
		t.Fatalf("token ID %d, event ID %d", tok.ID, ev.ID)
	}
	got, err := s.TokenByHash(ctx(t), "abc123")
	must(t, err)
	equal(t, "token", got, record.Token{ID: tok.ID, User: "alice", Role: "deployer", Hash: "abc123", CreatedBy: "admin", CreatedAt: stored(at(0))})
	dup := record.Token{User: "bob", Role: "viewer", Hash: "abc123"}
	isErr(t, "duplicate hash", s.CreateToken(ctx(t), &dup, nil), store.ErrConflict)
	other := record.Token{User: "bob", Role: "viewer", Hash: "def456"}
	must(t, s.CreateToken(ctx(t), &other, nil))

	must(t, s.RevokeToken(ctx(t), tok.ID, "admin", at(time.Hour), &record.AuditEvent{Actor: "admin", Action: record.AuditTokenRevoke}))
	isErr(t, "revoking twice", s.RevokeToken(ctx(t), tok.ID, "admin", time.Time{}, nil), store.ErrConflict)
	isErr(t, "revoking a missing token", s.RevokeToken(ctx(t), 9999, "admin", time.Time{}, nil), store.ErrNotFound)
	got, err = s.TokenByHash(ctx(t), "abc123")
	must(t, err)
	if !got.RevokedAt.Equal(stored(at(time.Hour))) || got.RevokedBy != "admin" {
		t.Errorf("revoked token = %+v", got)
	}
	list, err := s.ListTokens(ctx(t))
	must(t, err)
	equal(t, "tokens oldest first", ids(list, func(t record.Token) int64 { return t.ID }), []int64{tok.ID, other.ID})
	_, err = s.TokenByHash(ctx(t), "nope")
	isErr(t, "unknown token", err, store.ErrNotFound)
	evs, err := s.ListAudit(ctx(t), store.AuditFilter{})
	must(t, err)
	if len(evs) != 2 || evs[0].Action != record.AuditTokenCreate || evs[1].Action != record.AuditTokenRevoke {
		t.Errorf("audit = %+v, want token_create then token_revoke", evs)
	}
}

func testAuditList(t *testing.T, s store.Store) {
	var want []record.AuditEvent
	for i, p := range []string{"a", "b", "a", "a"} {
		ev := record.AuditEvent{Time: at(time.Duration(i) * time.Hour), Actor: "alice", Action: record.AuditReplay,
			Pipeline: p, Env: "prod", Revision: "r", DeploymentID: 0, Reason: "why", Detail: fmt.Sprint(i)}
		must(t, s.AppendAudit(ctx(t), &ev))
		if ev.ID == 0 {
			t.Fatal("AppendAudit did not set the ID")
		}
		want = append(want, ev)
	}
	got, err := s.ListAudit(ctx(t), store.AuditFilter{})
	must(t, err)
	equal(t, "all, oldest first", got, want)
	if len(got) > 0 {
		checkUTC(t, "audit", got[0].Time)
	}
	evID := func(e record.AuditEvent) int64 { return e.ID }
	for _, c := range []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"pipeline", store.AuditFilter{Pipeline: "a"}, []int64{want[0].ID, want[2].ID, want[3].ID}},
		{"since", store.AuditFilter{Since: at(2 * time.Hour)}, []int64{want[2].ID, want[3].ID}},
		{"newest two", store.AuditFilter{Limit: 2}, []int64{want[2].ID, want[3].ID}},
		{"pipeline since", store.AuditFilter{Pipeline: "b", Since: at(2 * time.Hour)}, []int64{}},
	} {
		got, err := s.ListAudit(ctx(t), c.f)
		must(t, err)
		equal(t, c.name, append([]int64{}, ids(got, evID)...), c.want)
	}
}
