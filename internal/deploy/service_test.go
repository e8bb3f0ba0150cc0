package deploy_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

func TestGateRefusalStoresNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := project(t, edit{"scripts/load.sh", "", "token=ghp_1234567890abcdefghijklmnopqrstuvwxyzAB\n"})
	_, err := e.svc.Deploy(t.Context(), "alice", collect(t, dir, "orders"), "staging", "leak")
	var ge *deploy.GateError
	if !errors.As(err, &ge) {
		t.Fatalf("deploy with a hardcoded secret: %v, want a GateError", err)
	}
	rep := ge.Refused[0].Report
	if ge.Refused[0].Pipeline != "orders" || rep.Passed() || rep.Findings[0].Rule != check.RuleHardcodedSecret || rep.Findings[0].File != "scripts/load.sh" {
		t.Errorf("refused %+v", ge.Refused[0])
	}
	if !strings.Contains(err.Error(), "nothing was deployed") {
		t.Errorf("error %q does not say nothing was deployed", err)
	}
	revs, _ := e.svc.Revisions(t.Context(), "orders", 0)
	deps, _ := e.svc.Deployments(t.Context(), store.DeploymentFilter{})
	if len(revs) != 0 || len(deps) != 0 || len(e.audit()) != 0 {
		t.Errorf("a refused deploy stored %d revisions, %d deployments, audit %v", len(revs), len(deps), e.audit())
	}
}

func TestDeployStagingDedupe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := collect(t, project(t), "orders")
	r := e.deploy("alice", b, "staging")
	if !r.NewRevision || r.Deployment.State != record.DeploymentActive || r.Staging == nil || r.Staging.State != record.RunSucceeded {
		t.Fatalf("first deploy to staging = %+v", r)
	}
	if r.Revision.StagingState != record.RunSucceeded || r.Revision.StagingRunID != r.Staging.ID {
		t.Errorf("revision staging = run %d %s", r.Revision.StagingRunID, r.Revision.StagingState)
	}
	if r.Staging.Trigger != record.TriggerStaging || r.Staging.Env != "staging" || r.Staging.Params["target"] != "staging_db" {
		t.Errorf("staging run = %+v, want a staging_test run in staging with staging params", r.Staging)
	}
	for _, d := range e.starter.dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("staging workspace %s left behind", d)
		}
	}
	again := e.deploy("bob", collect(t, project(t), "orders"), "staging")
	if !again.Unchanged || again.NewRevision || again.Deployment.ID != r.Deployment.ID || again.Staging != nil {
		t.Errorf("same content again = %+v, want unchanged", again)
	}
	revs, _ := e.svc.Revisions(t.Context(), "orders", 0)
	if len(revs) != 1 || revs[0].Hash != b.Hash || revs[0].CreatedBy != "alice" {
		t.Errorf("revisions = %+v, want one, alice's", revs)
	}
	var paths []string
	for _, f := range revs[0].Files {
		if f.Context != (f.Path == "pipelines/ingest.yaml") {
			t.Errorf("%s: context %v", f.Path, f.Context)
		}
		paths = append(paths, f.Path)
	}
	// scripts/fetch.sh is no task's command here, but a project file.
	want := []string{"gantry.yaml", "pipelines/ingest.yaml", "pipelines/orders.yaml", "runbooks/orders.md", "scripts/extract.sh", "scripts/fetch.sh", "scripts/load.sh"}
	if !slices.Equal(paths, want) {
		t.Errorf("revision files = %q, want %q", paths, want)
	}
}

// prodApproved puts the fixture's orders active in staging and prod.
func prodApproved(t *testing.T, e *env) *deploy.Bundle {
	t.Helper()
	b := collect(t, project(t), "orders")
	e.deploy("alice", b, "staging")
	r := e.deploy("alice", b, "prod")
	if _, err := e.svc.Approve(t.Context(), "carol", r.Deployment.ID, "ok"); err != nil {
		t.Fatal(err)
	}
	e.active("orders", "prod")
	return b
}

func TestApprovals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := collect(t, project(t), "orders")
	e.deploy("alice", b, "staging")
	r := e.deploy("alice", b, "prod")
	d := r.Deployment
	if d.State != record.DeploymentPending || d.Risk != spec.RiskL3 || !slices.Equal(d.Gates, []string{"check", "staging", "approval", "readiness"}) {
		t.Fatalf("new pipeline in prod = %+v", d)
	}
	if len(r.Waiting) != 1 || !strings.Contains(r.Waiting[0], "0 of 1 approvals") {
		t.Errorf("waiting = %q", r.Waiting)
	}
	_, err := e.svc.Approve(t.Context(), "alice", d.ID, "")
	if !errors.Is(err, deploy.ErrForbidden) || !strings.Contains(err.Error(), "you deployed this") {
		t.Errorf("author approves: %v", err)
	}
	_, err = e.svc.Approve(t.Context(), "erin", d.ID, "")
	if !errors.Is(err, deploy.ErrForbidden) || !strings.Contains(err.Error(), "carol, dave") {
		t.Errorf("non-approver approves: %v", err)
	}
	got, err := e.svc.Approve(t.Context(), "carol", d.ID, "looks right")
	if err != nil || got.Deployment.State != record.DeploymentActive {
		t.Fatalf("carol approves: %+v, %v", got, err)
	}
	_, err = e.svc.Approve(t.Context(), "dave", d.ID, "")
	isErr(t, "approving an active deployment", err, deploy.ErrConflict)
	want := []string{"alice deploy staging", "alice activate staging", "gantry staging staging",
		"alice deploy prod", "carol approve prod", "carol activate prod"}
	if got := e.audit(); !slices.Equal(got, want) {
		t.Errorf("audit:\n got %q\nwant %q", got, want)
	}
}

func TestTwoApprovals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := collect(t, project(t, edit{"gantry.yaml", "required: 1,", "required: 2,"}), "orders")
	e.deploy("alice", b, "staging")
	d := e.deploy("alice", b, "prod").Deployment
	r, err := e.svc.Approve(t.Context(), "carol", d.ID, "")
	if err != nil || r.Deployment.State != record.DeploymentPending || !strings.Contains(strings.Join(r.Waiting, ";"), "1 of 2") {
		t.Fatalf("first of two approvals: %+v, %v", r, err)
	}
	_, err = e.svc.Approve(t.Context(), "carol", d.ID, "")
	isErr(t, "approving twice", err, deploy.ErrConflict)
	if r, err = e.svc.Approve(t.Context(), "dave", d.ID, ""); err != nil || r.Deployment.State != record.DeploymentActive {
		t.Fatalf("second approval: %+v, %v", r, err)
	}
}

func TestReject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := collect(t, project(t), "orders")
	e.deploy("alice", b, "staging")
	d := e.deploy("alice", b, "prod").Deployment
	_, err := e.svc.Reject(t.Context(), "carol", d.ID, " ")
	isErr(t, "rejecting without a reason", err, deploy.ErrInvalid)
	got, err := e.svc.Reject(t.Context(), "carol", d.ID, "not during the freeze")
	if err != nil || got.State != record.DeploymentRejected || got.Reason != "not during the freeze" {
		t.Fatalf("reject: %+v, %v", got, err)
	}
	_, err = e.svc.Approve(t.Context(), "dave", d.ID, "")
	isErr(t, "approving a rejected deployment", err, deploy.ErrConflict)
	if _, err := e.st.ActiveDeployment(t.Context(), "orders", "prod"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("something is active in prod after a rejection: %v", err)
	}
}

func TestStagingGate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	prodApproved(t, e)
	// An L2 change straight to prod waits for a staging run of itself.
	b2 := collect(t, project(t, edit{"scripts/load.sh", "", "echo done\n"}), "orders")
	r := e.deploy("alice", b2, "prod")
	if r.Deployment.State != record.DeploymentPending || r.Deployment.Risk != spec.RiskL2 ||
		len(r.Waiting) != 2 || !strings.Contains(r.Waiting[0], "no staging run") {
		t.Fatalf("L2 to prod = %+v", r)
	}
	if a, err := e.svc.Approve(t.Context(), "carol", r.Deployment.ID, ""); err != nil || a.Deployment.State != record.DeploymentPending {
		t.Fatalf("approved before its staging run: %+v, %v", a, err)
	}
	// Its staging run, when it succeeds, activates it in prod too.
	e.deploy("bob", b2, "staging")
	if got := e.active("orders", "prod"); got.ID != r.Deployment.ID {
		t.Errorf("active in prod = deployment %d, want %d once staging succeeded", got.ID, r.Deployment.ID)
	}
	audit := e.audit()
	if last := audit[len(audit)-1]; last != "gantry activate prod" {
		t.Errorf("last audit event %q, want gantry activating prod", last)
	}
}

func TestPromote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.svc.Promote(t.Context(), "alice", "orders", "staging", "prod", "")
	isErr(t, "promoting what is not in staging", err, deploy.ErrNotFound)

	broken := collect(t, project(t, edit{"gantry.yaml", "target: staging_db", "target: broken"}), "orders")
	r := e.deploy("alice", broken, "staging")
	if r.Staging == nil || r.Staging.State != record.RunFailed || r.Revision.StagingState != record.RunFailed {
		t.Fatalf("staging run of a broken revision = %+v", r.Staging)
	}
	_, err = e.svc.Promote(t.Context(), "alice", "orders", "staging", "prod", "")
	if !errors.Is(err, deploy.ErrConflict) || !strings.Contains(err.Error(), "failed") {
		t.Errorf("promoting a revision whose staging run failed: %v", err)
	}

	good := collect(t, project(t), "orders")
	e.deploy("alice", good, "staging")
	p, err := e.svc.Promote(t.Context(), "alice", "orders", "staging", "prod", "")
	if err != nil || p.Deployment.State != record.DeploymentPending || p.Deployment.Revision != good.Hash {
		t.Fatalf("promote: %+v, %v", p, err)
	}
	if _, err := e.svc.Approve(t.Context(), "dave", p.Deployment.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := e.active("orders", "prod"); got.Revision != good.Hash {
		t.Errorf("prod runs %s, want the promoted %s", got.Revision, good.Hash)
	}
	if !slices.Contains(e.audit(), "alice promote prod") {
		t.Errorf("no promotion in the audit log: %q", e.audit())
	}
}

func TestManualRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := prodApproved(t, e)
	second := collect(t, project(t, edit{"pipelines/orders.yaml", "target: warehouse", "target: warehouse2"}), "orders")
	r := e.deploy("alice", second, "prod")
	if !slices.Equal(r.Deployment.Gates, []string{"check", "approval", "readiness"}) || r.Deployment.Risk != spec.RiskL1 {
		t.Fatalf("L1 to prod = %+v", r.Deployment)
	}
	if a, err := e.svc.Approve(t.Context(), "carol", r.Deployment.ID, ""); err != nil || a.Deployment.Previous != first.Hash {
		t.Fatalf("approve L1: %+v, %v", a, err)
	}
	_, err := e.svc.Rollback(t.Context(), "bob", "orders", "prod", "", "")
	isErr(t, "rollback without a reason", err, deploy.ErrInvalid)
	d, err := e.svc.Rollback(t.Context(), "bob", "orders", "prod", "", "wrong numbers")
	if err != nil || d.Revision != first.Hash || d.State != record.DeploymentActive {
		t.Fatalf("rollback: %+v, %v", d, err)
	}
	old, _, _, _ := e.svc.Deployment(t.Context(), r.Deployment.ID)
	if old.State != record.DeploymentRolledBack || old.Reason != "wrong numbers" {
		t.Errorf("rolled back deployment = %s %q", old.State, old.Reason)
	}
	d, err = e.svc.Rollback(t.Context(), "bob", "orders", "prod", second.Hash[:8], "forward again")
	if err != nil || d.Revision != second.Hash {
		t.Fatalf("rollback --to: %+v, %v", d, err)
	}
	_, err = e.svc.Rollback(t.Context(), "bob", "orders", "prod", second.Hash[:8], "again")
	isErr(t, "rollback to what is active", err, deploy.ErrConflict)
	if got := e.audit(); !slices.Contains(got, "bob rollback prod") {
		t.Errorf("audit %q lacks bob's rollback", got)
	}
}

func TestAutoRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := prodApproved(t, e)
	marker := filepath.Join(t.TempDir(), "fail")
	second := collect(t, project(t, edit{"scripts/load.sh", "set -eu\n", "set -eu\nif [ -e " + marker + " ]; then echo failing >&2; exit 3; fi\n"}), "orders")
	e.deploy("alice", second, "staging")
	e.deployApproved(second)
	if run, rb := e.runActive("orders", "prod"); run.State != record.RunSucceeded || rb != nil {
		t.Fatalf("first run %s, rollback %+v", run.State, rb)
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if run, rb := e.runActive("orders", "prod"); run.State != record.RunFailed || rb != nil {
		t.Fatalf("a failed second run: %s, rolled back %+v; only the first run may roll back", run.State, rb)
	}

	// A third revision whose first run fails is rolled back.
	third := collect(t, project(t,
		edit{"scripts/load.sh", "set -eu\n", "set -eu\nif [ -e " + marker + " ]; then echo failing >&2; exit 3; fi\n"},
		edit{"pipelines/orders.yaml", "target: warehouse", "target: warehouse3"}), "orders")
	d3 := e.deployApproved(third)
	run, rb := e.runActive("orders", "prod")
	if rb == nil || rb.From != third.Hash || rb.To != second.Hash || rb.RunID != run.ID || rb.Replaced != d3.ID {
		t.Fatalf("rollback after the first run failed = %+v", rb)
	}
	if got := e.active("orders", "prod"); got.Revision != second.Hash || got.CreatedBy != "gantry" {
		t.Errorf("active after rollback = %+v", got)
	}
	failed, _, _, _ := e.svc.Deployment(t.Context(), d3.ID)
	if failed.State != record.DeploymentRolledBack || !strings.Contains(failed.Reason, "failed") {
		t.Errorf("failed deployment = %s %q", failed.State, failed.Reason)
	}
	evs, _ := e.svc.Audit(t.Context(), store.AuditFilter{Pipeline: "orders", Limit: 1})
	if evs[0].Actor != "gantry" || evs[0].Action != record.AuditAutoRollback || !strings.Contains(evs[0].Reason, "run ") {
		t.Errorf("last audit event = %+v", evs[0])
	}
	_ = first
}

func TestAutoRollbackNeedsPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	prodApproved(t, e)
	none := collect(t, project(t,
		edit{"pipelines/orders.yaml", "rollback: {on_first_run_failure: previous_revision}", "rollback: {on_first_run_failure: none}  # gantry:ignore prod-rollback reruns are safe"},
		edit{"pipelines/orders.yaml", "target: warehouse", "target: broken"}), "orders")
	e.deploy("alice", none, "staging")
	d := e.deployApproved(none)
	if run, rb := e.runActive("orders", "prod"); run.State != record.RunFailed || rb != nil {
		t.Errorf("run %s rolled back %+v without the policy", run.State, rb)
	}
	if got := e.active("orders", "prod"); got.ID != d.ID {
		t.Errorf("active = %d, want %d", got.ID, d.ID)
	}
}

func TestDeployAllIsL4(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := project(t)
	bs, err := deploy.CollectAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := e.svc.DeployAll(t.Context(), "alice", bs, "staging", "all")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Deployment.Risk != spec.RiskL4 || !strings.Contains(r.Diff.Changes[0].Text, "2 pipelines deploy at once") {
			t.Errorf("%s: risk %s, diff %v", r.Deployment.Pipeline, r.Deployment.Risk, r.Diff)
		}
	}
}

func TestUnknownEnv(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.svc.Deploy(t.Context(), "alice", collect(t, project(t), "orders"), "qa", "")
	isErr(t, "unknown environment", err, deploy.ErrInvalid)
}

func isErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got %v, want %v", what, err, target)
	}
}

func TestServerHelpers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := prodApproved(t, e)
	got, err := e.svc.ActiveRevisions(t.Context(), "prod")
	if err != nil || len(got) != 1 || got["orders"] != b.Hash {
		t.Fatalf("active revisions = %v, %v", got, err)
	}
	dir := t.TempDir()
	if err := e.svc.Materialize(t.Context(), b.Hash, dir); err != nil {
		t.Fatal(err)
	}
	_, p, err := b.Load(dir)
	if err != nil || p.Name != "orders" || filepath.Dir(p.File) != filepath.Join(dir, "pipelines") {
		t.Fatalf("load materialized revision: %+v, %v", p, err)
	}
	if info, err := os.Stat(filepath.Join(dir, "scripts", "extract.sh")); err != nil || info.Mode()&0o100 == 0 {
		t.Errorf("script not executable: %v %v", info, err)
	}
	isErr(t, "materialize an unknown revision", e.svc.Materialize(t.Context(), "nope", dir), deploy.ErrNotFound)
}
