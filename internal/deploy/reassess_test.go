package deploy_test

import (
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/record"
)

func newUntestedEnv(t *testing.T) *env {
	t.Helper()
	return newUntestedEnvAt(t, filepath.Join(t.TempDir(), "gantry.db"))
}

// Judging pending deployments again activates one only once every gate
// is met — READY and approved — and never touches one that was rejected
// or one still waiting for its approval.
func TestReassessPending(t *testing.T) {
	t.Parallel()
	reassess := func(e *env, want int) {
		t.Helper()
		n, err := e.svc.ReassessPending(t.Context())
		if err != nil || n != want {
			t.Fatalf("ReassessPending = %d, %v; want %d activated", n, err, want)
		}
	}
	state := func(e *env, id int64) record.DeploymentState {
		t.Helper()
		d, err := e.st.GetDeployment(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return d.State
	}

	t.Run("NOT READY, then approved, then READY", func(t *testing.T) {
		e := newUntestedEnv(t)
		b := collect(t, project(t), "orders")
		e.deploy("alice", b, "staging")
		d := e.deploy("alice", b, "prod").Deployment
		reassess(e, 0)
		if r, err := e.svc.Approve(t.Context(), "carol", d.ID, "ok"); err != nil || r.Deployment.State != record.DeploymentPending {
			t.Fatalf("approve while NOT READY: %+v, %v", r, err)
		}
		reassess(e, 0)
		e.testFired("data-oncall", "oncall")
		reassess(e, 1)
		if st := state(e, d.ID); st != record.DeploymentActive {
			t.Fatalf("after READY and approved: %s", st)
		}
		if a := e.audit(); a[len(a)-1] != "gantry activate prod" {
			t.Errorf("audit ends %q, want gantry activate prod", a[len(a)-1])
		}
		reassess(e, 0)
	})
	t.Run("READY but not approved", func(t *testing.T) {
		e := newEnv(t)
		b := collect(t, project(t), "orders")
		e.deploy("alice", b, "staging")
		d := e.deploy("alice", b, "prod").Deployment
		reassess(e, 0)
		if st := state(e, d.ID); st != record.DeploymentPending {
			t.Errorf("READY, unapproved: %s, want pending", st)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		e := newUntestedEnv(t)
		b := collect(t, project(t), "orders")
		e.deploy("alice", b, "staging")
		d := e.deploy("alice", b, "prod").Deployment
		if _, err := e.svc.Approve(t.Context(), "carol", d.ID, "ok"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reject(t.Context(), "dave", d.ID, "not now"); err != nil {
			t.Fatal(err)
		}
		e.testFired("data-oncall", "oncall")
		reassess(e, 0)
		if st := state(e, d.ID); st != record.DeploymentRejected {
			t.Errorf("rejected, then READY: %s, want rejected", st)
		}
	})
}
