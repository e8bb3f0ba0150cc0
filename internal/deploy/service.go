package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// ActorGantry is the actor of what Gantry does by itself: activations
// after a staging run, automatic rollbacks.
const ActorGantry = "gantry"

// Starter starts the staging integration run of a revision: a run of the
// whole DAG with the environment's params in a throwaway workspace,
// trigger record.TriggerStaging and Revision rev.Hash. The server queues
// it and returns the queued run; it then calls RunFinished when the run
// ends. The local CLI runs it to the end and returns the final run, whose
// result the Service records at once.
type Starter interface {
	StartStaging(ctx context.Context, env string, rev record.Revision, b *Bundle) (record.Run, error)
}

// Options configure a Service.
type Options struct {
	Store store.Store
	// Starter starts staging runs; nil starts none, and deployments that
	// wait for one wait until RunFinished reports it.
	Starter Starter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Check runs the readiness gate over the project in dir for env; nil
	// means internal/check with the built-in secret scanner.
	Check func(ctx context.Context, dir, env string) (*check.Report, error)
	// Unauthenticated says that actors are names people typed (the local
	// CLI's --as), not identities a server authenticated from a token:
	// approving or rejecting a deployment to a protected environment is
	// then refused. Zero: actors are authenticated, as behind the API.
	Unauthenticated bool
	// TestFire test-fires the routes a routing change brings into a
	// production environment (the test_fire gate); nil refuses such a
	// change, as the local CLI has no alert manager.
	TestFire TestFirer
	// Kick, when set, is told the attempt of each approval task decided,
	// so that the attempt waiting on it reads the decision at once
	// (executor/approval); without it the attempt finds it by polling.
	Kick func(attemptID int64)
}

// Service is the deploy lifecycle over a store. It is safe for concurrent
// use; the store orders concurrent changes.
type Service struct {
	st      store.Store
	starter Starter
	now     func() time.Time
	check   func(ctx context.Context, dir, env string) (*check.Report, error)
	// unauthenticated: see Options.Unauthenticated.
	unauthenticated bool
	testFire        TestFirer
	kick            func(attemptID int64)
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{st: o.Store, starter: o.Starter, now: o.Now, check: o.Check, unauthenticated: o.Unauthenticated, testFire: o.TestFire, kick: o.Kick}
	if s.now == nil {
		s.now = time.Now
	}
	if s.check == nil {
		s.check = runCheck
	}
	return s
}

// checkers caches one checker per environment: building the secret
// scanner is the costly part of a check, and a Checker is safe for
// concurrent use.
var checkers sync.Map // env → *check.Checker

func runCheck(ctx context.Context, dir, env string) (*check.Report, error) {
	c, ok := checkers.Load(env)
	if !ok {
		nc, err := check.New(check.Options{Env: env})
		if err != nil {
			return nil, err
		}
		c, _ = checkers.LoadOrStore(env, nc)
	}
	return c.(*check.Checker).Check(ctx, dir)
}

// Result is what a deploy or promotion did.
type Result struct {
	Deployment  record.Deployment
	Revision    record.Revision
	NewRevision bool // the content had not been deployed before
	// Unchanged: this content is already active (or pending) in the
	// environment; Deployment is that one and nothing new was created.
	Unchanged bool
	Diff      *Diff       // against what was active; nil when Unchanged
	Staging   *record.Run // the staging run started, if any
	Waiting   []string    // gates not yet met, for people; empty once active
}

// Deploy deploys one pipeline's bundle to env; see DeployAll.
func (s *Service) Deploy(ctx context.Context, actor string, b *Bundle, env, message string) (*Result, error) {
	rs, err := s.DeployAll(ctx, actor, []*Bundle{b}, env, message)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// DeployAll deploys bundles to env together. It runs the readiness gate
// over each and refuses them all, storing nothing, with a *GateError when
// one has an error-level finding. Then for each it stores the revision
// (once per content hash), classifies the change against what is active
// in env (several pipelines changing at once is L4), creates a pending
// deployment with the gates its class needs, starts the staging run when
// env is a staging environment, and activates the deployment when its
// gates are met.
func (s *Service) DeployAll(ctx context.Context, actor string, bundles []*Bundle, env, message string) ([]*Result, error) {
	if actor == "" || env == "" || len(bundles) == 0 {
		return nil, fmt.Errorf("%w: a deploy needs an actor, an environment and a pipeline", ErrInvalid)
	}
	plans := make([]*plan, len(bundles))
	var refused []GateReport
	for i, b := range bundles {
		if err := b.Validate(); err != nil {
			return nil, err
		}
		p, err := s.newPlan(ctx, b, env)
		if err != nil {
			return nil, err
		}
		if !p.report.Passed() {
			refused = append(refused, GateReport{Pipeline: b.Pipeline, Report: p.report})
		}
		plans[i] = p
	}
	if len(refused) > 0 {
		return nil, &GateError{Env: env, Refused: refused}
	}
	var changed []string
	for _, p := range plans {
		if !p.unchanged() {
			changed = append(changed, p.b.Pipeline)
		}
	}
	fired := make([][]string, len(plans))
	for i, p := range plans {
		ok, err := s.testFireRoutes(ctx, actor, p)
		if err != nil {
			return nil, err
		}
		if ok {
			fired[i] = []string{GateTestFire}
		}
	}
	results := make([]*Result, len(plans))
	for i, p := range plans {
		if len(changed) > 1 && p.diff != nil {
			p.diff.widen(spec.RiskL4, fmt.Sprintf("%d pipelines deploy at once: %s", len(changed), strings.Join(changed, ", ")))
		}
		r, err := s.propose(ctx, actor, p, message, record.AuditDeploy, fired[i])
		if err != nil {
			return nil, err
		}
		results[i] = r
	}
	return results, nil
}

// plan is what a deploy of one bundle to one environment would do.
type plan struct {
	b       *Bundle
	env     string
	pol     envPolicy
	report  *check.Report
	active  *record.Deployment // nil when none
	pending *record.Deployment // of the same content, when one waits
	diff    *Diff
}

func (p *plan) unchanged() bool {
	return (p.active != nil && p.active.Revision == p.b.Hash) || p.pending != nil
}

// newPlan gates the bundle and compares it with what env runs.
func (s *Service) newPlan(ctx context.Context, b *Bundle, env string) (*plan, error) {
	p := &plan{b: b, env: env}
	var err error
	if p.report, err = s.gate(ctx, b, env); err != nil {
		return nil, err
	}
	if !p.report.Passed() {
		return p, nil
	}
	var activeBundle *Bundle
	if a, err := s.st.ActiveDeployment(ctx, b.Pipeline, env); err == nil {
		p.active = &a
		if activeBundle, err = s.bundle(ctx, a.Revision); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if p.pol, err = policyFor(activeBundle, b, env); err != nil {
		return nil, err
	}
	pending, err := s.st.ListDeployments(ctx, store.DeploymentFilter{Pipeline: b.Pipeline, Env: env,
		Revision: b.Hash, States: []record.DeploymentState{record.DeploymentPending}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		p.pending = &pending[0]
	}
	if p.diff, err = Compare(activeBundle, b); err != nil {
		return nil, err
	}
	return p, nil
}

// gate runs the readiness gate over the bundle materialized in a
// temporary folder. Findings in context files (upstream pipelines) are
// not this deployment's and are dropped.
func (s *Service) gate(ctx context.Context, b *Bundle, env string) (*check.Report, error) {
	dir, err := os.MkdirTemp("", "gantry-gate-")
	if err != nil {
		return nil, fmt.Errorf("gate %s: %w", b.Pipeline, err)
	}
	defer os.RemoveAll(dir)
	if err := Materialize(b, dir); err != nil {
		return nil, err
	}
	rep, err := s.check(ctx, dir, env)
	if errors.Is(err, check.ErrUnknownEnv) {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err != nil {
		return nil, fmt.Errorf("gate %s: %w", b.Pipeline, err)
	}
	kept := rep.Findings[:0:0]
	for _, f := range rep.Findings {
		if _, ctxFile := b.Context[f.File]; !ctxFile {
			kept = append(kept, f)
		}
	}
	rep.Findings = kept
	return rep, nil
}

// propose stores the plan's revision and a pending deployment, starts the
// staging run and activates the deployment when its gates are met.
func (s *Service) propose(ctx context.Context, actor string, p *plan, message string, action record.AuditAction, extraGates []string) (*Result, error) {
	rev, created, err := s.storeRevision(ctx, actor, p, message)
	if err != nil {
		return nil, err
	}
	res := &Result{Revision: rev, NewRevision: created}
	if p.unchanged() {
		res.Unchanged = true
		// The pending one first: nothing may be active yet (a first
		// promotion promoted again to re-judge its gates).
		if p.pending != nil {
			res.Deployment = *p.pending
		} else {
			res.Deployment = *p.active
		}
		if err := s.restage(ctx, p, res); err != nil {
			return nil, err
		}
		return s.finish(ctx, res, actor)
	}
	res.Diff = p.diff
	d := record.Deployment{
		Pipeline: p.b.Pipeline, Env: p.env, Revision: p.b.Hash, State: record.DeploymentPending,
		Risk: p.diff.Risk, Gates: p.pol.gates(p.diff.Risk, extraGates), CreatedBy: actor,
		CreatedAt: s.now(), Message: message,
	}
	if slices.Contains(d.Gates, spec.GateApproval) {
		d.Approvals, d.Approvers = p.pol.required, p.pol.approvers
	}
	ev := s.event(actor, action, d)
	ev.Reason, ev.Detail = message, "risk "+d.Risk+"; gates "+strings.Join(d.Gates, ", ")
	if err := s.st.CreateDeployment(ctx, &d, ev); err != nil {
		return nil, err
	}
	if wantsReadiness(d, p.pol) && !slices.Contains(d.Gates, spec.GateReadiness) {
		// The readiness gate attaches its report as it judges; without
		// it, a protected environment's approvers still get one.
		if _, err := s.attachReadiness(ctx, d); err != nil {
			return nil, err
		}
	}
	res.Deployment = d
	if res, err = s.finish(ctx, res, actor); err != nil || !p.pol.staging {
		return res, err
	}
	if res.Staging, err = s.startStaging(ctx, p.env, res.Revision, p.b); err != nil {
		return nil, err
	}
	return s.finish(ctx, res, actor)
}

// finish activates the result's deployment when its gates are met and
// fills in what it still waits for.
func (s *Service) finish(ctx context.Context, res *Result, actor string) (*Result, error) {
	d, waiting, err := s.advance(ctx, res.Deployment, actor)
	if err != nil {
		return nil, err
	}
	res.Deployment, res.Waiting = d, waiting
	if rev, err := s.st.GetRevision(ctx, d.Revision); err == nil {
		res.Revision = rev
	}
	return res, nil
}

func (s *Service) storeRevision(ctx context.Context, actor string, p *plan, message string) (record.Revision, bool, error) {
	files, content := p.b.revisionFiles()
	rev := record.Revision{
		Hash: p.b.Hash, Pipeline: p.b.Pipeline, Files: files, CreatedBy: actor,
		CreatedAt: s.now(), Message: message, CheckSummary: summary(p.report),
	}
	created, err := s.st.CreateRevision(ctx, rev, content)
	if err != nil {
		return record.Revision{}, false, err
	}
	if !created {
		if rev, err = s.st.GetRevision(ctx, p.b.Hash); err != nil {
			return record.Revision{}, false, err
		}
	}
	return rev, created, nil
}

// summary is the gate's verdict in a few words.
func summary(r *check.Report) string {
	return fmt.Sprintf("%d errors, %d warnings, %d info", r.Count(check.SeverityError),
		r.Count(check.SeverityWarning), r.Count(check.SeverityInfo))
}

func (s *Service) event(actor string, action record.AuditAction, d record.Deployment) *record.AuditEvent {
	return &record.AuditEvent{Time: s.now(), Actor: actor, Action: action, Pipeline: d.Pipeline,
		Env: d.Env, Revision: d.Revision, DeploymentID: d.ID}
}

// bundle loads a stored revision's bundle.
func (s *Service) bundle(ctx context.Context, hash string) (*Bundle, error) {
	rev, err := s.st.GetRevision(ctx, hash)
	if err != nil {
		return nil, err
	}
	content, err := s.st.RevisionContent(ctx, hash)
	if err != nil {
		return nil, err
	}
	return bundleOf(rev, content)
}
