package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// SecretFunc returns the value of the named secret.
type SecretFunc func(name string) (string, error)

// Config wires an Engine. Store and Executors are required.
type Config struct {
	Store store.Store
	// Executors runs each task by its kind; a task of a kind it lacks
	// fails, saying so.
	Executors executor.Set
	Clock     Clock        // nil: the system clock
	Logger    *slog.Logger // nil: discard
	// LogDir holds attempt logs and output files: LogDir/<run>/<task>.<n>.log.
	LogDir  string
	Secrets SecretFunc // nil: every secret reference fails the run request
	// Observe, when set, receives every state change, after it is persisted,
	// from the run's own goroutine.
	Observe func(Event)
	// OnAttempt, when set, receives every finished attempt after it is
	// persisted, from the run's own goroutine.
	OnAttempt func(run record.Run, a record.TaskAttempt)
	Rand      func() float64 // jitter source in [0, 1); nil: math/rand/v2
	KillGrace time.Duration  // SIGTERM → SIGKILL; 0: executor.DefaultKillGrace
	// LogLimit caps each attempt's log, in bytes (head and tail kept);
	// 0: executor.DefaultLogLimit.
	LogLimit int64
	// Pools, when set, hands out the slots of the pools pipelines join
	// (concurrency.pool); one Pools shared by every run is what caps a
	// pool across runs and pipelines. nil: pools are not enforced.
	Pools Pools
}

// Pools hands out pool slots; *pool.Limiter is the in-process one.
type Pools interface {
	// Wait puts the caller in pool's line: granted is closed once it
	// holds a slot; release gives the slot back, or leaves the line.
	Wait(pool string) (granted <-chan struct{}, release func())
}

// Engine runs pipelines.
type Engine struct {
	cfg Config
}

// New returns an Engine for cfg.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.LogDir == "" {
		cfg.LogDir = filepath.Join(os.TempDir(), "gantry-logs")
	}
	// Tasks run in their own folders and are handed paths under LogDir.
	if abs, err := filepath.Abs(cfg.LogDir); err == nil {
		cfg.LogDir = abs
	}
	return &Engine{cfg: cfg}
}

// Request asks for one run.
type Request struct {
	Pipeline *spec.Pipeline
	Params   map[string]string // overrides of the pipeline's defaults
	Start    time.Time         // logical interval [Start, End)
	End      time.Time
	Trigger  record.Trigger
	Env      string
	// Revision is the content hash of the deployed revision the run
	// executes; "" for the working tree.
	Revision string
	// Secrets, when set, resolves this run's secret references instead of
	// Config.Secrets (an environment with a secrets source of its own).
	Secrets SecretFunc
	// Dir is the folder tasks run in when they set no workdir, and the
	// base of relative workdirs.
	Dir    string
	Follow io.Writer // when set, task output is copied here, prefixed
	// Cancel, when closed, cancels the run: attempts are killed and the run
	// is recorded cancelled. (Cancelling the context instead suspends it.)
	Cancel <-chan struct{}
	// TriggeredBy is who asked for the run; "" for Gantry's own.
	TriggeredBy string
	// Environments are the environments tasks name (`environment:`),
	// by name; see EnvironmentsFor. A task naming one it lacks makes the
	// request invalid.
	Environments map[string]Environment
	// RollbackTo, with Seed, makes the run ship an earlier release again
	// into its environment (Env): the tasks into it, and those after
	// them, run; the ones before are skipped, and Seed stands for what
	// they reported when that release was made. 0: an ordinary run.
	RollbackTo int64
	Seed       []record.TaskOutput
}

// Environment is what a task into an environment runs with.
type Environment struct {
	// Params override the run's params for tasks into the environment.
	Params map[string]string
	// Secrets resolves the secrets of tasks into it; nil: the run's.
	Secrets SecretFunc
	// Protected environments take tasks only in a run of a deployed
	// revision there; elsewhere their tasks are skipped.
	Protected bool
}

// Event is one state change of a run or one of its tasks.
type Event struct {
	Time    time.Time
	RunID   int64
	Task    string // "" for the run itself
	Attempt int
	State   string // a record.TaskState, or a record.RunState when Task is ""
	Detail  string // "retrying in 4s", "exit status 3", "rows=1042", ...
	Warning bool   // a problem worth showing that changes no state
}

// ErrRequest marks a request refused before anything was persisted.
var ErrRequest = errors.New("invalid run request")

// Run creates a run for req and executes it to completion, returning the
// final run record. A request error (unknown parameter, missing secret) is
// returned wrapping ErrRequest before anything is persisted. Closing
// req.Cancel cancels the run; cancelling ctx suspends it (ErrSuspended).
func (e *Engine) Run(ctx context.Context, req Request) (record.Run, error) {
	r, err := e.prepare(req)
	if err != nil {
		return record.Run{}, err
	}
	if err := e.cfg.Store.CreateRun(context.WithoutCancel(ctx), &r.run, r.names()); err != nil {
		return record.Run{}, fmt.Errorf("create run: %w", err)
	}
	r.setLogDir()
	r.begin()
	err = r.loop(ctx)
	return r.run, err
}

func (r *runner) names() []string {
	names := make([]string, len(r.tasks))
	for i, t := range r.tasks {
		names[i] = t.spec.ID
	}
	return names
}

func (r *runner) setLogDir() {
	dir := filepath.Join(r.e.cfg.LogDir, fmt.Sprint(r.run.ID))
	for _, t := range r.tasks {
		t.logDir = dir
	}
}

// Create validates req and records a queued run for it, to be executed
// later by Execute. Nothing is persisted when req is invalid.
func (e *Engine) Create(ctx context.Context, req Request) (record.Run, error) {
	r, err := e.prepare(req)
	if err != nil {
		return record.Run{}, err
	}
	if err := e.cfg.Store.CreateRun(ctx, &r.run, r.names()); err != nil {
		return record.Run{}, fmt.Errorf("create run: %w", err)
	}
	return r.run, nil
}

// Plan validates req and returns the run record and task names Create
// would persist, persisting nothing: for creating many runs at once.
func (e *Engine) Plan(req Request) (record.Run, []string, error) {
	r, err := e.prepare(req)
	if err != nil {
		return record.Run{}, nil, err
	}
	return r.run, r.names(), nil
}

// prepare resolves parameters and secrets and builds the run's task graph.
func (e *Engine) prepare(req Request) (*runner, error) {
	p := req.Pipeline
	if p == nil || len(p.Tasks) == 0 {
		return nil, fmt.Errorf("%w: pipeline has no tasks", ErrRequest)
	}
	params, err := resolveParams(p, req.Params)
	if err != nil {
		return nil, err
	}
	now := e.cfg.Clock.Now()
	return e.newRunner(req, record.Run{
		TriggeredBy:   req.TriggeredBy,
		RollbackTo:    req.RollbackTo,
		Pipeline:      p.Name,
		Env:           req.Env,
		Revision:      req.Revision,
		IntervalStart: req.Start,
		IntervalEnd:   req.End,
		Trigger:       req.Trigger,
		State:         record.RunQueued,
		Params:        params,
		CreatedAt:     now,
	})
}

// newRunner builds the task graph of run and resolves its secrets.
func (e *Engine) newRunner(req Request, run record.Run) (*runner, error) {
	p := req.Pipeline
	r := &runner{
		e:       e,
		req:     req,
		byID:    make(map[string]int, len(p.Tasks)),
		run:     run,
		results: make(chan attemptDone, len(p.Tasks)),
		wake:    make(chan int, len(p.Tasks)),
		done:    make(chan struct{}),
	}
	if r.run.Trigger == "" {
		r.run.Trigger = record.TriggerManual
	}
	for i := range p.Tasks {
		r.byID[p.Tasks[i].ID] = i
	}
	var missing []string
	for i := range p.Tasks {
		st := &p.Tasks[i]
		t := &task{spec: st, idx: i, state: record.TaskPending, waiting: len(st.Needs)}
		secrets := req.Secrets
		if name := st.Environment; name != "" {
			env, ok := req.Environments[name]
			if !ok {
				missing = append(missing, fmt.Sprintf("task %s: environment %q is not configured (gantry.yaml environments:)", st.ID, name))
				r.tasks = append(r.tasks, t)
				continue
			}
			if env.Secrets != nil {
				secrets = env.Secrets
			}
			if len(env.Params) > 0 {
				t.params = maps.Clone(r.run.Params)
				if t.params == nil {
					t.params = map[string]string{}
				}
				maps.Copy(t.params, env.Params)
			}
			if env.Protected && (r.run.Env != name || r.run.Revision == "") {
				t.skip = fmt.Sprintf("%s is protected: its tasks run only in a run of a revision deployed there (gantry serve --env %s)", name, name)
			}
		}
		for _, ev := range st.Env {
			if ev.Secret == "" {
				t.env = append(t.env, ev.Name+"="+ev.Value)
				continue
			}
			if t.skip != "" {
				continue // it will not run here: its environment's secrets are not this run's
			}
			v, err := e.secret(secrets, ev.Secret)
			if err != nil {
				missing = append(missing, fmt.Sprintf("task %s: env %s: secret %q: %v", st.ID, ev.Name, ev.Secret, err))
				continue
			}
			t.env = append(t.env, ev.Name+"="+v)
			t.secrets = append(t.secrets, executor.SecretEnv{Key: ev.Name, Secret: ev.Secret, Environment: st.Environment})
			if v != "" {
				t.redact = append(t.redact, v)
			}
		}
		r.tasks = append(r.tasks, t)
		if st.Teardown {
			r.teardowns = append(r.teardowns, i)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrRequest, strings.Join(missing, "; "))
	}
	for i, t := range r.tasks {
		for _, n := range t.spec.Needs {
			j, ok := r.byID[n]
			if !ok {
				return nil, fmt.Errorf("%w: task %s needs unknown task %q", ErrRequest, t.spec.ID, n)
			}
			r.tasks[j].dependents = append(r.tasks[j].dependents, i)
		}
	}
	r.guard(req.Environments)
	if r.run.RollbackTo != 0 {
		if err := r.rollbackPlan(req.Seed); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// rollbackPlan skips what comes before the run's environment: every task
// that is not into it and needs none that is. seed stands for what those
// reported when the release shipped again was made.
func (r *runner) rollbackPlan(seed []record.TaskOutput) error {
	env := r.run.Env
	var seeds []int
	for _, t := range r.tasks {
		if env != "" && t.spec.Environment == env {
			seeds = append(seeds, t.idx)
		}
	}
	if len(seeds) == 0 {
		return fmt.Errorf("%w: pipeline %s has no task into %q to roll back", ErrRequest, r.run.Pipeline, env)
	}
	into := r.downstream(seeds)
	for _, i := range seeds {
		into[i] = true
	}
	for _, t := range r.tasks {
		if !into[t.idx] {
			t.skip = fmt.Sprintf("rollback to release %d: not run again; what it reported then stands", r.run.RollbackTo)
		} else if t.asks() && t.skip == "every task it guards is skipped" {
			t.skip = ""
		}
	}
	for _, o := range seed {
		if i, ok := r.byID[o.Task]; ok && !into[i] {
			if r.outputs == nil {
				r.outputs = map[string]map[string]string{}
			}
			if r.outputs[o.Task] == nil {
				r.outputs[o.Task] = map[string]string{}
			}
			r.outputs[o.Task][o.Key] = o.Value
		}
	}
	return nil
}

// downstream marks every task that needs one of from, directly or not.
func (r *runner) downstream(from []int) []bool {
	below := make([]bool, len(r.tasks))
	stack := slices.Clone(from)
	for len(stack) > 0 {
		t := r.tasks[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		for _, j := range t.dependents {
			if !below[j] {
				below[j] = true
				stack = append(stack, j)
			}
		}
	}
	return below
}

// guard works out, for each approval task, the protected environments of
// the tasks downstream of it, and skips an approval whose every guarded
// task is skipped: nobody is asked to approve what will not run.
func (r *runner) guard(envs map[string]Environment) {
	for _, t := range r.tasks {
		if t.spec.Kind != spec.KindApproval {
			continue
		}
		guarded, skipped := 0, 0
		for i, below := range r.downstream([]int{t.idx}) {
			d := r.tasks[i]
			if !below {
				continue
			}
			if name := d.spec.Environment; name != "" && envs[name].Protected {
				guarded++
				if d.skip != "" {
					skipped++
				}
				if !slices.Contains(t.guards, name) {
					t.guards = append(t.guards, name)
				}
			}
		}
		if env := r.run.Env; env != "" && envs[env].Protected && !slices.Contains(t.guards, env) {
			// The whole run is in a protected environment.
			t.guards = append(t.guards, env)
		}
		slices.Sort(t.guards)
		if guarded > 0 && skipped == guarded {
			t.skip = "every task it guards is skipped"
		}
	}
}

// EnvironmentsFor is what the tasks of p into each environment of proj
// and p run with: the environment's params (spec.ParamsFor) and, where it
// has a secrets source of its own, secretsOf of it (nil: the run's).
func EnvironmentsFor(proj *spec.Project, p *spec.Pipeline, secretsOf func(spec.Secrets) SecretFunc) map[string]Environment {
	out := map[string]Environment{}
	add := func(name string) {
		if _, ok := out[name]; ok {
			return
		}
		env := Environment{Params: spec.ParamsFor(proj, p, name)}
		if pe := proj.Environment(name); pe != nil {
			env.Protected = pe.Protected()
			if pe.Secrets != nil && secretsOf != nil {
				env.Secrets = secretsOf(*pe.Secrets)
			}
		}
		if e := p.Environment(name); e != nil && e.Approval.Required > 0 {
			env.Protected = true
		}
		out[name] = env
	}
	if proj != nil {
		for _, e := range proj.Environments {
			add(e.Name)
		}
	}
	for _, e := range p.Environments {
		add(e.Name)
	}
	return out
}

func (e *Engine) secret(own SecretFunc, name string) (string, error) {
	if own != nil {
		return own(name)
	}
	if e.cfg.Secrets == nil {
		return "", errors.New("no secret source configured")
	}
	return e.cfg.Secrets(name)
}

// resolveParams applies overrides to the pipeline's declared defaults.
func resolveParams(p *spec.Pipeline, over map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(p.Params))
	declared := make(map[string]bool, len(p.Params))
	for _, pr := range p.Params {
		declared[pr.Name] = true
		if pr.HasDefault {
			out[pr.Name] = pr.Default
		}
	}
	var unknown []string
	for k, v := range over {
		if !declared[k] {
			unknown = append(unknown, k)
			continue
		}
		out[k] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(p.Params))
		for _, pr := range p.Params {
			names = append(names, pr.Name)
		}
		return nil, fmt.Errorf("%w: unknown param %s (pipeline %s declares: %s)",
			ErrRequest, quoteList(unknown), p.Name, orNone(names))
	}
	var required []string
	for _, pr := range p.Params {
		if _, ok := out[pr.Name]; !ok {
			required = append(required, pr.Name)
		}
	}
	if len(required) > 0 {
		return nil, fmt.Errorf("%w: param %s required: pass --param %s=VALUE",
			ErrRequest, quoteList(required), required[0])
	}
	return out, nil
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
