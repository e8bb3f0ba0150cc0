package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// badData makes load.sh fail while marker exists: a run failing for a
// data reason, whatever revision runs.
func badData(marker string) edit {
	return edit{"scripts/load.sh", "set -eu\n", "set -eu\nif [ -e " + marker + " ]; then echo 'bad input data' >&2; exit 3; fi\n"}
}

// target makes a revision differ from the others by a param (L1).
func target(name string) edit {
	return edit{"pipelines/orders.yaml", "target: warehouse", "target: " + name}
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// stagedAndApproved puts b active in staging, then in prod with carol's
// approval.
func (e *env) stagedAndApproved(b *deploy.Bundle) record.Deployment {
	e.t.Helper()
	e.deploy("alice", b, "staging")
	return e.deployApproved(b)
}

// The case: a script change, staged, then promoted to a prod that
// requires an approval, waits for that approval; so does a params-only
// change.
func TestProtectedEnvApprovesEveryClass(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	prodApproved(t, e)
	for _, tc := range []struct {
		risk string
		edit edit
	}{
		{spec.RiskL2, edit{"scripts/load.sh", "", "echo done\n"}},
		{spec.RiskL1, target("warehouse2")},
	} {
		b := collect(t, project(t, tc.edit), "orders")
		e.deploy("alice", b, "staging")
		r, err := e.svc.Promote(t.Context(), "alice", "orders", "staging", "prod", "")
		if err != nil {
			t.Fatal(err)
		}
		d := r.Deployment
		if d.Risk != tc.risk || d.State != record.DeploymentPending || !slices.Contains(d.Gates, spec.GateApproval) ||
			!strings.Contains(strings.Join(r.Waiting, ";"), "0 of 1 approvals") {
			t.Errorf("%s promoted to the protected prod: %s, gates %v, waiting %q; want pending for an approval",
				tc.risk, d.State, d.Gates, r.Waiting)
		}
		if _, err := e.svc.Reject(t.Context(), "carol", d.ID, "next"); err != nil {
			t.Fatal(err)
		}
	}
}

// deploy.gates in gantry.yaml may leave the approval out of a class: then
// that class goes to a protected environment without one.
func TestDeployGatesMayWaiveApproval(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	waive := edit{"gantry.yaml", "", "deploy:\n  gates:\n    L1: [check]\n"}
	e.stagedAndApproved(collect(t, project(t, waive), "orders"))
	r := e.deploy("alice", collect(t, project(t, waive, target("warehouse2")), "orders"), "prod")
	if r.Deployment.State != record.DeploymentActive || !slices.Equal(r.Deployment.Gates, []string{spec.GateCheck}) {
		t.Errorf("L1 with deploy.gates.L1 [check]: %s, gates %v; want active at once", r.Deployment.State, r.Deployment.Gates)
	}
	if !strings.Contains(r.Revision.CheckSummary, "1 warnings") {
		t.Errorf("the gate's summary %q, want the deploy-gates-approval warning counted", r.Revision.CheckSummary)
	}
}

// After a manual rollback, failing runs of the re-activated revision roll
// nothing back: not forward to the revision just removed, nor back again.
func TestNoAutoRollbackAfterManualRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	marker := filepath.Join(t.TempDir(), "bad")
	a := collect(t, project(t, badData(marker)), "orders")
	e.stagedAndApproved(a)
	e.deployApproved(collect(t, project(t, badData(marker), target("warehouse2")), "orders"))
	if run, rb := e.runActive("orders", "prod"); run.State != record.RunSucceeded || rb != nil {
		t.Fatalf("first run of the second revision: %s, rollback %v", run.State, rb)
	}
	back, err := e.svc.Rollback(t.Context(), "bob", "orders", "prod", "", "wrong numbers")
	if err != nil || back.Revision != a.Hash {
		t.Fatalf("manual rollback: %+v, %v", back, err)
	}
	touch(t, marker)
	for i := range 2 {
		if run, rb := e.runActive("orders", "prod"); run.State != record.RunFailed || rb != nil {
			t.Errorf("failed run %d after a manual rollback: %s, automatic rollback %v; want none", i+1, run.State, rb)
		}
	}
	if got := e.active("orders", "prod"); got.ID != back.ID {
		t.Errorf("active = deployment %d of %s, want the manual rollback's %d", got.ID, deploy.Short(got.Revision), back.ID)
	}
}

// An automatic rollback happens once: the revision it re-activates does
// not roll forward again when its own next run fails.
func TestAutoRollbackOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	marker := filepath.Join(t.TempDir(), "bad")
	a := collect(t, project(t, badData(marker)), "orders")
	e.stagedAndApproved(a)
	b := collect(t, project(t, badData(marker), target("warehouse2")), "orders")
	e.deployApproved(b)
	touch(t, marker)
	_, rb := e.runActive("orders", "prod")
	if rb == nil || rb.From != b.Hash || rb.To != a.Hash {
		t.Fatalf("first run of b failed: rollback %v, want b → a", rb)
	}
	for i := range 2 {
		if run, again := e.runActive("orders", "prod"); run.State != record.RunFailed || again != nil {
			t.Errorf("failed run %d after the automatic rollback: %s, rolled back again %v", i+1, run.State, again)
		}
	}
	if got := e.active("orders", "prod"); got.ID != rb.Deployment.ID {
		t.Errorf("active = deployment %d (%s), want the automatic rollback's %d", got.ID, deploy.Short(got.Revision), rb.Deployment.ID)
	}
}

// An automatic rollback never re-activates a revision whose own first
// run there failed.
func TestAutoRollbackNeverToAFailedRevision(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	prodApproved(t, e)
	noRollback := edit{"pipelines/orders.yaml", "rollback: {on_first_run_failure: previous_revision}",
		"rollback: {on_first_run_failure: none}  # gantry:ignore prod-rollback reruns are safe"}
	b := collect(t, project(t, noRollback, target("broken")), "orders")
	e.stagedAndApproved(b)
	if run, rb := e.runActive("orders", "prod"); run.State != record.RunFailed || rb != nil {
		t.Fatalf("b's first run: %s, rollback %v; want failed and kept (no policy)", run.State, rb)
	}
	c := collect(t, project(t, target("broken"), edit{"scripts/load.sh", "", "# c\n"}), "orders")
	d := e.stagedAndApproved(c)
	if d.Previous != b.Hash {
		t.Fatalf("c replaced %s, want b", deploy.Short(d.Previous))
	}
	if run, rb := e.runActive("orders", "prod"); run.State != record.RunFailed || rb != nil {
		t.Errorf("c's first run: %s, rollback %v; want no rollback to b, whose first run failed", run.State, rb)
	}
	if got := e.active("orders", "prod"); got.ID != d.ID {
		t.Errorf("active = %s, want c", deploy.Short(got.Revision))
	}
}

// A manual rollback without --to passes over revisions that failed their
// first run there; naming one needs Force, and the refusal says why.
func TestRollbackSkipsFailedRevisions(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "bad")
	// history deploys a0 (when withOlder), a (its first run succeeds) and
	// b, whose first run fails and is rolled back to a automatically.
	history := func(t *testing.T, withOlder bool) (e *env, a0, a, b *deploy.Bundle, failed record.Run) {
		e = newEnv(t)
		if withOlder {
			a0 = collect(t, project(t, badData(marker), target("warehouse0")), "orders")
			e.stagedAndApproved(a0)
		}
		a = collect(t, project(t, badData(marker)), "orders")
		if withOlder {
			e.deployApproved(a)
		} else {
			e.stagedAndApproved(a)
		}
		if run, _ := e.runActive("orders", "prod"); run.State != record.RunSucceeded {
			t.Fatalf("a's first run %s", run.State)
		}
		b = collect(t, project(t, badData(marker), target("warehouse2")), "orders")
		e.deployApproved(b)
		touch(t, marker)
		failed, rb := e.runActive("orders", "prod")
		if rb == nil || rb.To != a.Hash {
			t.Fatalf("b's failed first run rolled back %v, want to a", rb)
		}
		if err := os.Remove(marker); err != nil {
			t.Fatal(err)
		}
		return e, a0, a, b, failed
	}

	t.Run("to the newest good one", func(t *testing.T) {
		e, a0, _, b, failed := history(t, true)
		d, err := e.svc.Rollback(t.Context(), "bob", "orders", "prod", "", "a is wrong too")
		if err != nil || d.Revision != a0.Hash {
			t.Fatalf("rollback without --to: %s, %v; want a0, passing over b (failed its first run)", deploy.Short(d.Revision), err)
		}
		_, err = e.svc.Rollback(t.Context(), "bob", "orders", "prod", b.Hash[:8], "try b again")
		isErr(t, "rollback --to a failed revision", err, deploy.ErrConflict)
		for _, want := range []string{"revision " + deploy.Short(b.Hash) + " failed its first run in prod (run ", "--force"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("refusal %v does not say %q", err, want)
			}
		}
		if failed.Error != "" && err != nil && !strings.Contains(err.Error(), failed.Error) {
			t.Errorf("refusal %v does not give the failed run's error %q", err, failed.Error)
		}
		if got := e.active("orders", "prod"); got.ID != d.ID {
			t.Errorf("a refused rollback changed what is active: %s", deploy.Short(got.Revision))
		}
		forced, err := e.svc.RollbackWith(t.Context(), "bob", deploy.RollbackOptions{Pipeline: "orders", Env: "prod",
			To: b.Hash[:8], Reason: "data fixed", Force: true})
		if err != nil || forced.Revision != b.Hash || e.active("orders", "prod").ID != forced.ID {
			t.Fatalf("forced rollback to b: %+v, %v", forced, err)
		}
	})
	t.Run("nothing good before", func(t *testing.T) {
		e, _, a, b, _ := history(t, false)
		_, err := e.svc.Rollback(t.Context(), "bob", "orders", "prod", "", "still wrong")
		isErr(t, "rollback with only a failed revision before", err, deploy.ErrConflict)
		if err == nil || !strings.Contains(err.Error(), deploy.Short(b.Hash)+" did") || !strings.Contains(err.Error(), "--force") {
			t.Errorf("refusal %v does not name b and --force", err)
		}
		if got := e.active("orders", "prod"); got.Revision != a.Hash {
			t.Errorf("active = %s, want a still", deploy.Short(got.Revision))
		}
	})
}

// Where actors are only names typed (the local CLI), nobody approves or
// rejects a deployment to a protected environment; the same people
// through a server's (authenticated) service can.
func TestApprovalNeedsAuthenticatedIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	local := deploy.New(deploy.Options{Store: e.st, Starter: e.starter, Unauthenticated: true})
	b := collect(t, project(t), "orders")
	if r, err := local.Deploy(t.Context(), "alice", b, "staging", ""); err != nil || r.Deployment.State != record.DeploymentActive {
		t.Fatalf("local deploy to staging: %+v, %v", r, err)
	}
	r, err := local.Deploy(t.Context(), "alice", b, "prod", "")
	if err != nil {
		t.Fatal(err)
	}
	id := r.Deployment.ID
	for _, who := range []string{"alice", "carol"} {
		_, err := local.Approve(t.Context(), who, id, "")
		isErr(t, "a local approval as "+who, err, deploy.ErrForbidden)
		want := "approving a deployment to prod needs an authenticated identity: run gantry serve and approve through it with your API token (--server URL --token T)"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("local approval as %s: %v, want %q", who, err, want)
		}
	}
	_, err = local.Reject(t.Context(), "carol", id, "not now")
	if err == nil || !strings.Contains(err.Error(), "rejecting a deployment to prod needs an authenticated identity") {
		t.Errorf("local rejection: %v", err)
	}
	d, as, _, _ := local.Deployment(t.Context(), id)
	if d.State != record.DeploymentPending || len(as) != 0 {
		t.Errorf("after refused local decisions: %s with %d approvals", d.State, len(as))
	}
	if evs, _ := e.svc.Audit(t.Context(), store.AuditFilter{Limit: -1}); slices.ContainsFunc(evs, func(ev record.AuditEvent) bool {
		return ev.Action == record.AuditApprove || ev.Action == record.AuditReject
	}) {
		t.Error("a refused local decision is in the audit log")
	}
	if got, err := e.svc.Approve(t.Context(), "carol", id, "via the server"); err != nil || got.Deployment.State != record.DeploymentActive {
		t.Errorf("carol through an authenticated service: %+v, %v", got, err)
	}
}
