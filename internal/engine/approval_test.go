package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/executor/approval"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// approvals is a harness whose engine runs approval tasks too.
func approvals(t *testing.T) (*harness, *approval.Executor) {
	t.Helper()
	var x *approval.Executor
	h := newHarness(t, func(c *engine.Config) {
		x = approval.New(c.Store, 20*time.Millisecond)
		c.Executors[spec.KindApproval] = x
	})
	return h, x
}

func ask(id string, needs []string, timeout time.Duration, approvers ...string) spec.Task {
	return spec.Task{ID: id, Kind: spec.KindApproval, Needs: needs, Timeout: timeout,
		Approval: &spec.Approval{Required: 1, Approvers: approvers}}
}

// waitOpen polls the store until the run's approval of task is open.
func (h *harness) waitOpen(runID int64, task string) record.TaskApproval {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		as, err := h.store.ListTaskApprovals(context.Background(), runID)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, a := range as {
			if a.Task == task && a.State == record.ApprovalWaiting {
				return a
			}
		}
	}
	h.t.Fatalf("the approval of %s in run %d never opened", task, runID)
	return record.TaskApproval{}
}

func (h *harness) decide(x *approval.Executor, ap record.TaskApproval, actor string, approve bool, comment string) {
	h.t.Helper()
	if _, err := h.store.DecideTaskApproval(context.Background(), record.TaskDecision{AttemptID: ap.AttemptID,
		Actor: actor, Approve: approve, Comment: comment}, nil); err != nil {
		h.t.Fatal(err)
	}
	x.Kick(ap.AttemptID)
}

// A waiting approval holds what needs it, and only that: with a
// parallelism of 1 the task beside it still runs, and the deploy runs
// once it is approved, with who approved it in the approval's outputs.
func TestApprovalHoldsItsDependentsOnly(t *testing.T) {
	t.Parallel()
	h, x := approvals(t)
	p := pipeline(
		spec.Task{ID: "build", Run: "true"},
		ask("approve", []string{"build"}, time.Hour),
		spec.Task{ID: "docs", Needs: []string{"build"}, Run: "echo docs > docs.txt"},
		spec.Task{ID: "deploy", Needs: []string{"approve"}, Run: "echo deployed > deploy.txt"},
	)
	p.Concurrency.Parallelism = 1
	ch := h.goRun(context.Background(), p, nil)
	id := h.waitTaskState("p", "approve", record.TaskWaitingApproval)
	ap := h.waitOpen(id, "approve")
	waitFile(t, filepath.Join(h.dir, "docs.txt"))
	h.waitTaskState("p", "docs", record.TaskSucceeded)
	if _, err := os.Stat(filepath.Join(h.dir, "deploy.txt")); err == nil {
		t.Fatal("deploy ran before the approval")
	}
	h.decide(x, ap, "bob", true, "")
	res := waitResult(t, ch)
	if res.err != nil || res.run.State != record.RunSucceeded {
		t.Fatalf("run: %s %q %v", res.run.State, res.run.Error, res.err)
	}
	as := h.attempts(id, "approve")
	if len(as) != 1 || len(as[0].Outputs) != 1 || as[0].Outputs[0] != (record.Output{Key: "approved_by", Value: "bob"}) {
		t.Errorf("approve attempts: %+v", as)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "deploy.txt")); err != nil {
		t.Error("deploy did not run after the approval")
	}
	log, _ := os.ReadFile(as[0].LogPath)
	if !strings.Contains(string(log), "waiting for 1 approval(s) from anyone allowed to approve") ||
		!strings.Contains(string(log), "approved by bob") {
		t.Errorf("approval log:\n%s", log)
	}
}

func TestApprovalRejectedFailsTheRun(t *testing.T) {
	t.Parallel()
	h, x := approvals(t)
	p := pipeline(ask("approve", nil, time.Hour), spec.Task{ID: "deploy", Needs: []string{"approve"}, Run: "true"})
	ch := h.goRun(context.Background(), p, nil)
	id := h.waitTaskState("p", "approve", record.TaskWaitingApproval)
	h.decide(x, h.waitOpen(id, "approve"), "carol", false, "the release notes are missing")
	res := waitResult(t, ch)
	if res.run.State != record.RunFailed || !strings.Contains(res.run.Error, "rejected by carol: the release notes are missing") {
		t.Fatalf("run: %s %q", res.run.State, res.run.Error)
	}
	ts := h.tasks(id)
	if ts["approve"].State != record.TaskFailed || ts["deploy"].State != record.TaskUpstreamFailed {
		t.Errorf("tasks: approve %s, deploy %s", ts["approve"].State, ts["deploy"].State)
	}
}

func TestApprovalTimesOut(t *testing.T) {
	t.Parallel()
	h, _ := approvals(t)
	p := pipeline(ask("approve", nil, 200*time.Millisecond), spec.Task{ID: "deploy", Needs: []string{"approve"}, Run: "true"})
	run := h.run(context.Background(), p, nil)
	ts := h.tasks(run.ID)
	if run.State != record.RunFailed || ts["approve"].State != record.TaskTimedOut || ts["deploy"].State != record.TaskUpstreamFailed {
		t.Fatalf("run %s %q; approve %s deploy %s", run.State, run.Error, ts["approve"].State, ts["deploy"].State)
	}
	as, _ := h.store.ListTaskApprovals(context.Background(), run.ID)
	if len(as) != 1 || as[0].State != record.ApprovalTimedOut {
		t.Errorf("approval: %+v, want timed_out (no late decision can land)", as)
	}
	dls, _ := h.store.ListDeadLetters(context.Background(), store.DeadLetterFilter{})
	if len(dls) != 1 || dls[0].Task != "approve" {
		t.Errorf("dead letters: %+v, want the timed-out approval", dls)
	}
}

// A server that stops while a run waits for approval leaves it waiting;
// the resumed run waits on the same attempt, keeps the approvals given
// meanwhile, and goes on once approved.
func TestApprovalSurvivesSuspend(t *testing.T) {
	t.Parallel()
	h, _ := approvals(t)
	p := pipeline(ask("approve", nil, time.Hour), spec.Task{ID: "deploy", Needs: []string{"approve"}, Run: "echo ok > deploy.txt"})
	ctx, stop := context.WithCancel(context.Background())
	ch := h.goRun(ctx, p, nil)
	id := h.waitTaskState("p", "approve", record.TaskWaitingApproval)
	ap := h.waitOpen(id, "approve")
	stop()
	if res := waitResult(t, ch); !errors.Is(res.err, engine.ErrSuspended) {
		t.Fatalf("run = %v, want suspended", res.err)
	}
	// Decided while no Gantry ran.
	if _, err := h.store.DecideTaskApproval(context.Background(), record.TaskDecision{AttemptID: ap.AttemptID, Actor: "bob", Approve: true}, nil); err != nil {
		t.Fatal(err)
	}
	stored, _ := h.store.GetRun(context.Background(), id)
	run, err := h.eng.Execute(context.Background(), engine.Request{Pipeline: p, Dir: h.dir}, stored)
	if err != nil || run.State != record.RunSucceeded {
		t.Fatalf("resumed: %s %q %v", run.State, run.Error, err)
	}
	if as := h.attempts(id, "approve"); len(as) != 1 || as[0].ID != ap.AttemptID || as[0].State != record.TaskSucceeded {
		t.Errorf("approve attempts: %+v, want the one attempt, succeeded", states(as))
	}
}

// A resumed approval's deadline counts from when it first started: a
// restart does not give it a fresh wait.
func TestApprovalDeadlineSurvivesRestart(t *testing.T) {
	t.Parallel()
	h, _ := approvals(t)
	ctx := context.Background()
	p := pipeline(ask("approve", nil, time.Hour), spec.Task{ID: "deploy", Needs: []string{"approve"}, Run: "true"})
	started := time.Now().Add(-2 * time.Hour)
	run := &record.Run{Pipeline: "p", State: record.RunRunning, Trigger: record.TriggerManual, CreatedAt: started, StartedAt: started}
	if err := h.store.CreateRun(ctx, run, []string{"approve", "deploy"}); err != nil {
		t.Fatal(err)
	}
	att := &record.TaskAttempt{RunID: run.ID, Task: "approve", Attempt: 1, State: record.TaskRunning, StartedAt: started, ExitCode: -1,
		LogPath: filepath.Join(h.dir, "logs", "approve.1.log")}
	if err := h.store.Apply(ctx, &store.Batch{Insert: []*record.TaskAttempt{att},
		Tasks: []record.RunTask{{RunID: run.ID, Task: "approve", State: record.TaskWaitingApproval, Attempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	got, err := h.eng.Execute(ctx, engine.Request{Pipeline: p, Dir: h.dir}, *run)
	if err != nil {
		t.Fatal(err)
	}
	if ts := h.tasks(run.ID); got.State != record.RunFailed || ts["approve"].State != record.TaskTimedOut {
		t.Fatalf("run %s, approve %s; want it timed out at once", got.State, ts["approve"].State)
	}
}

func TestApprovalCancelled(t *testing.T) {
	t.Parallel()
	h, _ := approvals(t)
	p := pipeline(ask("approve", nil, time.Hour), spec.Task{ID: "deploy", Needs: []string{"approve"}, Run: "true"})
	cancel := make(chan struct{})
	ch := h.goRun(context.Background(), p, cancel)
	id := h.waitTaskState("p", "approve", record.TaskWaitingApproval)
	h.waitOpen(id, "approve")
	close(cancel)
	res := waitResult(t, ch)
	if ts := h.tasks(id); res.run.State != record.RunCancelled || ts["approve"].State != record.TaskCancelled || ts["deploy"].State != record.TaskCancelled {
		t.Fatalf("run %s; approve %s deploy %s", res.run.State, ts["approve"].State, ts["deploy"].State)
	}
	// Closed: nobody decides a cancelled run's question.
	if as, _ := h.store.ListTaskApprovals(context.Background(), id); len(as) != 1 || as[0].State != record.ApprovalCancelled {
		t.Errorf("the cancelled run's approval: %+v, want cancelled", as)
	}
}

// Tasks into a protected environment run only in a deployed run there;
// elsewhere they, and the approval guarding them, are skipped, and the
// run still succeeds. A task into staging runs with staging's params.
func TestProtectedEnvironmentTasksSkippedOutsideADeployedRun(t *testing.T) {
	t.Parallel()
	h, x := approvals(t)
	p := &spec.Pipeline{Name: "ship", Params: []spec.Param{{Name: "target", Default: "local", HasDefault: true}}, Tasks: []spec.Task{
		{ID: "build", Run: "true"},
		{ID: "deploy_staging", Needs: []string{"build"}, Environment: "staging", Run: `echo "$GANTRY_PARAM_TARGET $GANTRY_ENV_NAME" > staging.txt`},
		ask("approve", []string{"deploy_staging"}, time.Hour),
		{ID: "deploy_prod", Needs: []string{"approve"}, Environment: "prod", Run: "echo prod > prod.txt"},
		{ID: "smoke_prod", Needs: []string{"deploy_prod"}, Environment: "prod", Run: "echo smoke > smoke.txt"},
	}}
	envs := map[string]engine.Environment{
		"staging": {Params: map[string]string{"target": "staging-host"}},
		"prod":    {Params: map[string]string{"target": "prod-host"}, Protected: true},
	}
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Environments: envs})
	if err != nil {
		t.Fatal(err)
	}
	ts := h.tasks(run.ID)
	if run.State != record.RunSucceeded || ts["approve"].State != record.TaskSkipped ||
		ts["deploy_prod"].State != record.TaskSkipped || ts["smoke_prod"].State != record.TaskSkipped {
		t.Fatalf("run %s %q; approve %s deploy_prod %s smoke_prod %s", run.State, run.Error,
			ts["approve"].State, ts["deploy_prod"].State, ts["smoke_prod"].State)
	}
	if got, _ := os.ReadFile(filepath.Join(h.dir, "staging.txt")); string(got) != "staging-host staging\n" {
		t.Errorf("deploy_staging saw %q, want staging's params", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "prod.txt")); err == nil {
		t.Error("deploy_prod ran outside a deployed prod run")
	}

	// In a deployed run in prod they run, behind the approval.
	req := engine.Request{Pipeline: p, Dir: h.dir, Environments: envs, Env: "prod", Revision: "abc123"}
	ch := make(chan runResult, 1)
	go func() { r, err := h.eng.Run(context.Background(), req); ch <- runResult{r, err} }()
	id := h.waitTaskState("ship", "approve", record.TaskWaitingApproval)
	ap := h.waitOpen(id, "approve")
	if len(ap.Guards) != 1 || ap.Guards[0] != "prod" {
		t.Errorf("approval guards %v, want [prod]", ap.Guards)
	}
	h.decide(x, ap, "bob", true, "")
	if res := waitResult(t, ch); res.err != nil || res.run.State != record.RunSucceeded {
		t.Fatalf("deployed run: %s %q %v", res.run.State, res.run.Error, res.err)
	}
	if got, _ := os.ReadFile(filepath.Join(h.dir, "smoke.txt")); string(got) != "smoke\n" {
		t.Error("smoke_prod did not run in the deployed prod run")
	}

	// A task naming an environment the request does not have is refused
	// before anything is stored.
	_, err = h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir})
	if !errors.Is(err, engine.ErrRequest) || !strings.Contains(err.Error(), `environment "staging" is not configured`) {
		t.Errorf("no environments: %v", err)
	}
}

// A task's command can use what the tasks it needs reported, also after
// a restart, when those tasks ran before it.
func TestUpstreamOutputsInTemplates(t *testing.T) {
	t.Parallel()
	h, x := approvals(t)
	p := pipeline(
		spec.Task{ID: "build", Run: `echo "digest=sha256:$(echo app | sha256sum | cut -c1-12)" > "$GANTRY_OUTPUT"; echo 'version=1.4.2; rm -rf /' >> "$GANTRY_OUTPUT"`},
		ask("approve", []string{"build"}, time.Hour),
		spec.Task{ID: "deploy", Needs: []string{"approve"}, Run: `echo "{{ .Outputs.build.digest }} {{ .Outputs.build.version }}" > deployed.txt`},
		spec.Task{ID: "missing", Needs: []string{"build"}, Run: `echo {{ .Outputs.build.nope }}`},
	)
	ctx, stop := context.WithCancel(context.Background())
	ch := h.goRun(ctx, p, nil)
	id := h.waitTaskState("p", "approve", record.TaskWaitingApproval)
	ap := h.waitOpen(id, "approve")
	stop()
	waitResult(t, ch)
	h.decide(x, ap, "bob", true, "")
	stored, _ := h.store.GetRun(context.Background(), id)
	run, err := h.eng.Execute(context.Background(), engine.Request{Pipeline: p, Dir: h.dir}, stored)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(h.dir, "deployed.txt"))
	if !strings.HasPrefix(string(got), "sha256:") || !strings.HasSuffix(string(got), " 1.4.2; rm -rf /\n") {
		t.Errorf("deploy saw %q, want the build's digest and version, as text", got)
	}
	miss := h.attempts(id, "missing")
	if run.State != record.RunFailed || len(miss) != 1 || !strings.Contains(miss[0].Error, "did not report") {
		t.Errorf("a figure never reported: run %s, attempts %+v", run.State, miss)
	}
}

// A run in a protected environment guards it with every approval, even
// when no task names the environment: deciding it needs a proven
// identity. Skipped tasks' secrets are not looked up.
func TestApprovalGuardsTheRunsProtectedEnvironment(t *testing.T) {
	t.Parallel()
	h, x := approvals(t)
	p := pipeline(ask("approve", nil, time.Hour), spec.Task{ID: "ship", Needs: []string{"approve"}, Run: "true"},
		spec.Task{ID: "deploy_qa", Environment: "qa", Run: "true", Env: []spec.EnvVar{{Name: "K", Secret: "qa_only"}}})
	envs := map[string]engine.Environment{"prod": {Protected: true}, "qa": {Protected: true}}
	ch := make(chan runResult, 1)
	go func() {
		r, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Env: "prod", Revision: "abc", Environments: envs})
		ch <- runResult{r, err}
	}()
	id := h.waitTaskState("p", "approve", record.TaskWaitingApproval)
	ap := h.waitOpen(id, "approve")
	if len(ap.Guards) != 1 || ap.Guards[0] != "prod" {
		t.Errorf("guards %v, want [prod]", ap.Guards)
	}
	h.decide(x, ap, "bob", true, "")
	if res := waitResult(t, ch); res.err != nil || res.run.State != record.RunSucceeded || h.tasks(id)["deploy_qa"].State != record.TaskSkipped {
		t.Errorf("run: %s %v; deploy_qa %s", res.run.State, res.err, h.tasks(id)["deploy_qa"].State)
	}
}

// A task into an environment reads that environment's secrets source,
// not the run's, and its value is redacted from the log like any secret.
func TestEnvironmentSecretsSource(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *engine.Config) {
		c.Secrets = func(name string) (string, error) { return "run-level-" + name, nil }
	})
	p := pipeline(
		spec.Task{ID: "plain", Run: `echo "$DB" > plain.txt`, Env: []spec.EnvVar{{Name: "DB", Secret: "db_password"}}},
		spec.Task{ID: "staged", Environment: "staging", Run: `echo "$DB" > staged.txt; echo "pw $DB"`, Env: []spec.EnvVar{{Name: "DB", Secret: "db_password"}}},
	)
	envs := map[string]engine.Environment{"staging": {Secrets: func(name string) (string, error) { return "staging-only-" + name, nil }}}
	run, err := h.eng.Run(context.Background(), engine.Request{Pipeline: p, Dir: h.dir, Environments: envs})
	if err != nil || run.State != record.RunSucceeded {
		t.Fatalf("run %s %v", run.State, err)
	}
	if got, _ := os.ReadFile(filepath.Join(h.dir, "plain.txt")); string(got) != "run-level-db_password\n" {
		t.Errorf("plain got %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(h.dir, "staged.txt")); string(got) != "staging-only-db_password\n" {
		t.Errorf("staged got %q, want staging's secret", got)
	}
	log, _ := os.ReadFile(h.attempts(run.ID, "staged")[0].LogPath)
	if strings.Contains(string(log), "staging-only") || !strings.Contains(string(log), "pw <redacted>") {
		t.Errorf("the staging secret is not redacted in the log:\n%s", log)
	}
}
