package readiness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Store is what an assessment reads; store.Store implements it.
type Store interface {
	ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error)
	GetRun(ctx context.Context, id int64) (record.Run, error)
	ListRunTasks(ctx context.Context, runID int64) ([]record.RunTask, error)
	ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error)
	ListTestFires(ctx context.Context, f store.TestFireFilter) ([]record.TestFire, error)
	ListAlertDeliveries(ctx context.Context, f store.AlertDeliveryFilter) ([]record.AlertDelivery, error)
	ListSilences(ctx context.Context, f store.SilenceFilter) ([]record.Silence, error)
	ActiveDeployment(ctx context.Context, pipeline, env string) (record.Deployment, error)
	ListDeployments(ctx context.Context, f store.DeploymentFilter) ([]record.Deployment, error)
	ListRevisions(ctx context.Context, pipeline string, limit int) ([]record.Revision, error)
}

var _ Store = store.Store(nil)

// Input is the subject of an assessment.
type Input struct {
	Project  *spec.Project
	Pipeline *spec.Pipeline
	Env      string
	// Revision is the subject revision; zero for files not deployed.
	Revision record.Revision
	Subject  string        // how the revision was chosen, for people
	Gate     *check.Report // the gate over the revision for Env; nil: not run
	// Runbook is the content of the pipeline's runbook; nil when it has
	// none or the file is missing.
	Runbook []byte
	Now     time.Time // zero: time.Now
	// SizingLast is how many succeeded attempts per task sizing reads; 0
	// means DefaultSizingLast.
	SizingLast int
}

// TestFireMaxAge is how recent a channel's last successful test-fire must be.
const TestFireMaxAge = check.TestFireMaxAge

// historyRuns bounds the runs an assessment reads from the environment.
const historyRuns = 500

// Assess judges in against st's history of in.Env.
func Assess(ctx context.Context, st Store, in Input) (*Report, error) {
	if in.Project == nil || in.Pipeline == nil || in.Env == "" {
		return nil, errors.New("readiness: a project, a pipeline and an environment are needed")
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	p := in.Pipeline
	r := &Report{Version: Version, Pipeline: p.Name, Env: in.Env, Revision: in.Revision.Hash, Subject: in.Subject,
		AssessedAt: in.Now.UTC(), Coverage: []Coverage{}, Channels: []ChannelTest{}}
	for _, id := range []string{CritGate, CritCoverage, CritTestFires, CritSLA, CritFreshness, CritRowCounts,
		CritStaging, CritRollback, CritBackfill, CritSizing} {
		r.criterion(id)
	}
	env := in.Env
	runs, err := st.ListRuns(ctx, store.RunFilter{Pipeline: p.Name, Env: &env, Limit: historyRuns})
	if err != nil {
		return nil, fmt.Errorf("readiness of %s in %s: %w", p.Name, env, err)
	}
	a := &assessment{st: st, in: in, r: r, runs: runs}
	steps := []func(context.Context) error{a.gate, a.coverage, a.testFires, a.sla, a.freshness, a.rowCounts,
		a.staging, a.rollback, a.backfill, a.sizing}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("readiness of %s in %s: %w", p.Name, env, err)
		}
	}
	r.conclude()
	return r, nil
}

// assessment is one Assess call's state.
type assessment struct {
	st   Store
	in   Input
	r    *Report
	runs []record.Run // the environment's runs of the pipeline, newest first
}

// succeeded returns the environment's succeeded runs, newest first.
func (a *assessment) succeeded() []record.Run {
	var out []record.Run
	for _, run := range a.runs {
		if run.State == record.RunSucceeded {
			out = append(out, run)
		}
	}
	return out
}

func (a *assessment) gate(context.Context) error {
	g := a.in.Gate
	if g == nil {
		a.r.fail(CritGate, "the gate was not run for "+a.in.Env)
		return nil
	}
	for _, f := range g.Findings {
		switch f.Severity {
		case check.SeverityError:
			a.r.Gate.Errors++
			a.r.fail(CritGate, fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message))
		case check.SeverityWarning:
			a.r.Gate.Warnings++
			a.r.note(CritGate, fmt.Sprintf("warning %s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message))
		default:
			continue
		}
		a.r.Gate.Findings = append(a.r.Gate.Findings, f)
	}
	a.r.summarize(CritGate, fmt.Sprintf("%d errors, %d warnings for %s", a.r.Gate.Errors, a.r.Gate.Warnings, a.in.Env))
	return nil
}

func (a *assessment) staging(ctx context.Context) error {
	rev := a.in.Revision
	if rev.Hash == "" {
		a.r.fail(CritStaging, "not deployed: deploy it to a staging environment, whose staging run tests the whole DAG")
		a.r.summarize(CritStaging, "no revision")
		return nil
	}
	s := &a.r.Staging
	s.Expected = len(a.in.Pipeline.Tasks)
	staged := rev
	if rev.StagingRunID == 0 {
		// A change whose class needs no staging run of its own (params
		// only) stands on the newest revision that had one.
		var err error
		if staged, err = a.stagedBefore(ctx, rev); err != nil {
			return err
		}
		if staged.Hash == "" {
			a.r.fail(CritStaging, fmt.Sprintf("revision %s has no staging run, nor has any revision of %s before it: deploy it to a staging environment", short(rev.Hash), rev.Pipeline))
			a.r.summarize(CritStaging, "no staging run")
			return nil
		}
		a.r.note(CritStaging, fmt.Sprintf("revision %s has no staging run of its own; the newest staged revision before it is %s", short(rev.Hash), short(staged.Hash)))
	}
	run, err := a.st.GetRun(ctx, staged.StagingRunID)
	if err != nil {
		return err
	}
	tasks, err := a.st.ListRunTasks(ctx, run.ID)
	if err != nil {
		return err
	}
	s.RunID, s.State, s.Finished, s.Tasks = run.ID, string(run.State), run.FinishedAt.UTC(), len(tasks)
	for _, t := range tasks {
		switch t.State {
		case record.TaskSucceeded:
			s.Succeeded++
		case record.TaskSkipped:
			s.Skipped++
		}
	}
	switch {
	case run.State != record.RunSucceeded:
		a.r.fail(CritStaging, fmt.Sprintf("staging run %d of %s is %s", run.ID, short(staged.Hash), run.State))
	case s.Succeeded+s.Skipped < s.Expected:
		a.r.fail(CritStaging, fmt.Sprintf("staging run %d of %s ran %d of the %d tasks", run.ID, short(staged.Hash), s.Succeeded, s.Expected))
	}
	skipped := ""
	if s.Skipped > 0 {
		skipped = fmt.Sprintf(" (%d skipped: they act on protected environments)", s.Skipped)
		a.r.note(CritStaging, fmt.Sprintf("staging run %d skipped %d task(s) into protected environments, and the approvals guarding them: they run only in a deployed run there", run.ID, s.Skipped))
	}
	a.r.summarize(CritStaging, fmt.Sprintf("run %d %s, %d/%d tasks%s, %s", run.ID, run.State, s.Succeeded, s.Expected, skipped, when(run.FinishedAt)))
	return nil
}

// stagedBefore is the newest revision of rev's pipeline, created before
// it, with a staging run; zero when there is none.
func (a *assessment) stagedBefore(ctx context.Context, rev record.Revision) (record.Revision, error) {
	revs, err := a.st.ListRevisions(ctx, rev.Pipeline, 200)
	if err != nil {
		return record.Revision{}, err
	}
	older := false
	for _, r := range revs { // newest first
		if r.Hash == rev.Hash {
			older = true
			continue
		}
		if older && r.StagingRunID != 0 {
			return r, nil
		}
	}
	return record.Revision{}, nil
}

func (a *assessment) rollback(ctx context.Context) error {
	p := a.in.Pipeline
	rb := &a.r.Rollback
	rb.Plan = p.Rollback.OnFirstRunFailure
	if rb.Plan == "" {
		a.r.fail(CritRollback, "no rollback plan: set rollback.on_first_run_failure (previous_revision or none)")
	}
	active, err := a.st.ActiveDeployment(ctx, p.Name, a.in.Env)
	switch {
	case err == nil && active.Revision != a.in.Revision.Hash:
		rb.Previous = active.Revision
	case err == nil:
		rb.Previous = active.Previous
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if rb.Previous == "" {
		a.r.note(CritRollback, fmt.Sprintf("first deployment of %s to %s: no previous revision to return to; gantry pause %s stops it", p.Name, a.in.Env, p.Name))
		a.r.summarize(CritRollback, "plan "+orNone(rb.Plan)+"; no previous revision")
		return nil
	}
	a.r.summarize(CritRollback, fmt.Sprintf("plan %s; returns to %s (gantry rollback %s --env %s)", orNone(rb.Plan), short(rb.Previous), p.Name, a.in.Env))
	return nil
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "not finished"
	}
	return t.UTC().Format(time.RFC3339)
}
