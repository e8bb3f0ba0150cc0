package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// task is the loop's view of one task of the run.
type task struct {
	spec       *spec.Task
	idx        int
	state      record.TaskState
	attempts   int   // attempts in the current retry budget (a replay starts a new one)
	seq        int   // attempts ever made: the next one's number is seq+1
	waiting    int   // needs not yet succeeded
	dependents []int // tasks that need this one
	queuedAt   time.Time
	next       time.Time // when a retrying task may start
	cur        *record.TaskAttempt
	env        []string // literal and secret env, resolved once
	redact     []string // secret values to hide from logs
	secrets    []executor.SecretEnv
	logDir     string
	dirty      bool   // state changed since the last commit
	release    func() // gives back the pool slot its attempt holds; nil when none
	// params, when set, are the run's params with those of the task's
	// environment over them.
	params map[string]string
	skip   string   // why the task does not run in this run; "" when it does
	guards []string // an approval task's protected environments downstream
	// upstream are the tasks it needs, directly or not, once asked for
	// (upstreamOutputs): whose outputs its template may name.
	upstream []string
	upKnown  bool
}

// asks reports whether t is an approval task: its attempts wait for
// people, taking no parallelism or pool slot.
func (t *task) asks() bool { return t.spec.Kind == spec.KindApproval }

// adoption is an attempt taken over on recovery and what waits for it.
type adoption struct {
	idx  int
	wait func(context.Context) executor.Result
}

type attemptDone struct {
	idx int
	res executor.Result
}

// runner owns one run's state; only its loop goroutine touches it.
type runner struct {
	e     *Engine
	req   Request
	run   record.Run
	tasks []*task
	byID  map[string]int

	queue     []int // ready tasks, FIFO in the order they became ready
	asks      []int // ready approval tasks: they start at once
	teardowns []int // tasks that run however their needs ended
	running   int
	holding   int // of the running attempts, those waiting for approval
	timers    int // retry back-offs pending
	final     int // tasks in a final state
	stopping  string
	slot      *poolWait // the one task of this run in its pool's line; nil when none
	cancelled bool      // by the user: the run ends cancelled
	failure   string    // the first task failure, for the run's error

	// outputs are what each succeeded task reported, for the templates
	// of the tasks after it ({{ .Outputs.TASK.KEY }}).
	outputs map[string]map[string]string

	batch  store.Batch
	dirty  []int
	starts []int
	// inline is the one attempt start left to run on the loop's own
	// goroutine (see start); nil when none.
	inline  func() attemptDone
	adopted []adoption // attempts taken over on recovery, to wait for
	events  []Event
	ended   []record.TaskAttempt // attempts finished since the last commit
	results chan attemptDone
	wake    chan int
	done    chan struct{}
}

func (r *runner) parallelism() int {
	if p := r.req.Pipeline.Concurrency.Parallelism; p > 0 {
		return p
	}
	return 4
}

// begin marks a fresh run running and queues the tasks that need nothing.
func (r *runner) begin() {
	now := r.e.cfg.Clock.Now()
	r.markRunning(now)
	for _, t := range r.tasks {
		if t.waiting == 0 && t.state == record.TaskPending {
			r.ready(t, now)
		}
	}
}

func (r *runner) markRunning(now time.Time) {
	if r.run.State == record.RunRunning {
		return
	}
	r.run.State = record.RunRunning
	r.run.Error = "" // e.g. what it was waiting for
	if r.run.StartedAt.IsZero() {
		r.run.StartedAt = now
	}
	r.batch.Run = &r.run
	r.emit(Event{State: string(record.RunRunning)})
}

// loop drives the run to a final state. Cancelling ctx suspends the run:
// attempts are killed and nothing more is recorded, so that the run is
// resumed, like after a crash, when Gantry starts again. Closing
// r.req.Cancel cancels the run for good.
func (r *runner) loop(ctx context.Context) error {
	defer close(r.done)
	runCtx, cancel := r.runContext(ctx)
	defer cancel()
	// Store writes outlive the caller's context: a cancelled run must still
	// be recorded as cancelled.
	wctx := context.WithoutCancel(ctx)

	defer r.releaseSlots()

	ctxDone, userCancel := runCtx.Done(), r.req.Cancel
	if c := userCancel; c != nil {
		// The user's cancel also ends runCtx from here, so that an
		// attempt run inline (see start), with no select waiting on
		// userCancel, is killed by it as any other attempt would be.
		go func() {
			select {
			case <-c:
				cancel()
			case <-r.done:
			}
		}()
	}
	// ended takes an attempt's end; false when the run is to suspend.
	ended := func(d attemptDone) bool {
		if ctx.Err() != nil {
			// Gantry is stopping: even a stopping run's teardown
			// resumes, unrecorded, when it starts again.
			return false
		}
		if ctxDone != nil && runCtx.Err() != nil {
			// The attempt ended because the run was cancelled or timed
			// out: stop first, so it is not retried.
			ctxDone = nil
			r.noteCancel()
			r.stop(runCtx)
		}
		r.finish(d)
		return true
	}
	for {
		r.dispatch()
		if err := r.save(ctx, wctx, cancel); err != nil {
			return r.abandon(cancel, err)
		}
		r.start(runCtx, ctx)
		if r.final == len(r.tasks) {
			break
		}
		if r.running == 0 && r.timers == 0 && len(r.queue) == 0 {
			return fmt.Errorf("run %d: no task can make progress (%d of %d final)", r.run.ID, r.final, len(r.tasks))
		}
		if run := r.inline; run != nil {
			r.inline = nil
			if d := run(); !ended(d) {
				return r.suspend(cancel, d)
			}
			continue
		}
		select {
		case d := <-r.results:
			if !ended(d) {
				return r.suspend(cancel, d)
			}
			for more := true; more; {
				select {
				case d := <-r.results:
					r.finish(d)
				default:
					more = false
				}
			}
		case <-r.slotGranted():
			// dispatch, at the top of the loop, takes the slot.
		case idx := <-r.wake:
			r.timers--
			if t := r.tasks[idx]; t.state == record.TaskRetrying {
				r.ready(t, r.e.cfg.Clock.Now())
			}
		case <-userCancel:
			userCancel = nil
			r.cancelled = true
			cancel()
		case <-ctxDone:
			r.noteCancel()
			if ctx.Err() != nil && !r.cancelled {
				return r.suspend(cancel)
			}
			ctxDone = nil
			r.stop(runCtx)
		}
	}
	r.settle()
	if err := r.save(ctx, wctx, cancel); err != nil {
		return r.abandon(cancel, err)
	}
	return nil
}

// ErrSuspended is returned by Run and Execute when their context ended
// before the run did; the run resumes when Gantry starts again.
var ErrSuspended = errors.New("run suspended")

// suspend kills what runs and returns without recording more: the store
// keeps the attempts running, as after a crash, for Execute to recover.
func (r *runner) suspend(cancel context.CancelFunc, got ...attemptDone) error {
	cancel()
	r.running -= len(got)
	r.drain()
	return fmt.Errorf("run %d: %w", r.run.ID, ErrSuspended)
}

// runContext bounds the run by its timeout, counted from when it first
// started (a resumed run does not get a fresh budget).
func (r *runner) runContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := r.req.Pipeline.Timeout; d > 0 {
		return context.WithDeadline(ctx, r.run.StartedAt.Add(d))
	}
	return context.WithCancel(ctx)
}

// ready queues t: all its needs are met, or its back-off ended. A task
// that is not to run in this run is skipped instead.
func (r *runner) ready(t *task, now time.Time) {
	if t.skip != "" {
		r.set(t, record.TaskSkipped)
		r.emit(Event{Task: t.spec.ID, State: string(record.TaskSkipped), Detail: t.skip})
		r.met(t, now)
		return
	}
	t.queuedAt = now
	t.next = time.Time{}
	r.set(t, record.TaskQueued)
	r.enqueue(t)
	r.emit(Event{Task: t.spec.ID, State: string(record.TaskQueued)})
}

// enqueue puts t in its line: approval tasks' or the others'.
func (r *runner) enqueue(t *task) {
	if t.asks() {
		r.asks = append(r.asks, t.idx)
	} else {
		r.queue = append(r.queue, t.idx)
	}
}

// met readies the dependents of t, which succeeded or was skipped, that
// need nothing more.
func (r *runner) met(t *task, now time.Time) {
	for _, j := range t.dependents {
		dep := r.tasks[j]
		if dep.spec.Teardown {
			continue // readyTeardowns starts it, once all its needs ended
		}
		dep.waiting--
		if dep.waiting == 0 && dep.state == record.TaskPending {
			r.ready(dep, now)
		}
	}
}

// set changes t's state and marks it for the next commit.
func (r *runner) set(t *task, s record.TaskState) {
	t.state = s
	if !t.dirty {
		t.dirty = true
		r.dirty = append(r.dirty, t.idx)
	}
	if s.Final() {
		r.final++
	}
}

// dispatch turns queued tasks into attempts, up to the parallelism.
func (r *runner) dispatch() {
	now := r.e.cfg.Clock.Now()
	r.readyTeardowns(now)
	if r.stopping != "" {
		// Only teardowns start now (stop left nothing else queued).
		r.asks = r.asks[:0]
		if !slices.ContainsFunc(r.queue, func(i int) bool { return !r.tasks[i].spec.Teardown }) {
			r.launchQueued(now)
		}
		return
	}
	for _, idx := range r.asks {
		r.launch(r.tasks[idx], now)
		r.holding++
	}
	r.asks = r.asks[:0]
	r.launchQueued(now)
}

// launchQueued starts queued tasks, up to the parallelism.
func (r *runner) launchQueued(now time.Time) {
	par := r.parallelism()
	for r.running-r.holding < par && len(r.queue) > 0 {
		idx := r.queue[0]
		t := r.tasks[idx]
		if !r.takeSlot(t) {
			return
		}
		r.queue = r.queue[1:]
		r.launch(t, now)
	}
}

// readyTeardowns queues each pending teardown whose needs have all ended,
// however they ended.
func (r *runner) readyTeardowns(now time.Time) {
	for _, idx := range r.teardowns {
		t := r.tasks[idx]
		if t.state != record.TaskPending {
			continue
		}
		ended := true
		for _, n := range t.spec.Needs {
			if !r.tasks[r.byID[n]].state.Final() {
				ended = false
				break
			}
		}
		if ended {
			r.ready(t, now)
		}
	}
}

// launch records a new attempt of t as started: running, or waiting for
// approval.
func (r *runner) launch(t *task, now time.Time) {
	idx := t.idx
	state := record.TaskRunning
	if t.asks() {
		state = record.TaskWaitingApproval
	}
	{
		t.attempts++
		t.seq++
		t.cur = &record.TaskAttempt{
			RunID:     r.run.ID,
			Task:      t.spec.ID,
			Attempt:   t.seq,
			State:     record.TaskRunning,
			QueuedAt:  t.queuedAt,
			StartedAt: now,
			ExitCode:  -1,
			LogPath:   filepath.Join(t.logDir, fmt.Sprintf("%s.%d.log", t.spec.ID, t.seq)),
		}
		r.batch.Insert = append(r.batch.Insert, t.cur)
		r.set(t, state)
		r.starts = append(r.starts, idx)
		r.running++
		ev := Event{Task: t.spec.ID, Attempt: t.seq, State: string(state)}
		if t.asks() {
			ev.Detail = fmt.Sprintf("— see gantry approvals %d; decide with gantry approve run %d %s", r.run.ID, r.run.ID, t.spec.ID)
		}
		r.emit(ev)
	}
}

// commit persists everything changed since the last commit, then reports it.
func (r *runner) commit(ctx context.Context) error {
	now := r.e.cfg.Clock.Now()
	for _, idx := range r.dirty {
		t := r.tasks[idx]
		t.dirty = false
		r.batch.Tasks = append(r.batch.Tasks, record.RunTask{
			RunID: r.run.ID, Task: t.spec.ID, State: t.state,
			Attempts: t.attempts, NextAttempt: t.next, UpdatedAt: now,
		})
	}
	r.dirty = r.dirty[:0]
	b := &r.batch
	if b.Run != nil || len(b.Tasks) > 0 || len(b.Insert) > 0 || len(b.Update) > 0 || len(b.DeadLetters) > 0 {
		if err := r.e.cfg.Store.Apply(ctx, b); err != nil {
			return fmt.Errorf("persist run %d: %w", r.run.ID, err)
		}
	}
	r.batch = store.Batch{Tasks: b.Tasks[:0]}
	if obs := r.e.cfg.Observe; obs != nil {
		for _, ev := range r.events {
			obs(ev)
		}
	}
	r.events = r.events[:0]
	if hook := r.e.cfg.OnAttempt; hook != nil {
		for _, a := range r.ended {
			hook(r.run, a)
		}
	}
	r.ended = r.ended[:0]
	return nil
}

func (r *runner) emit(ev Event) {
	ev.Time = r.e.cfg.Clock.Now()
	ev.RunID = r.run.ID
	r.events = append(r.events, ev)
}

// start launches the attempts committed by the last commit.
func (r *runner) start(runCtx, ctx context.Context) {
	for _, idx := range r.starts {
		t := r.tasks[idx]
		actx := runCtx
		if t.spec.Teardown {
			// A cancelled or timed-out run still cleans up; a suspended
			// one (ctx ends) does not, and resumes.
			actx = ctx
		}
		a, err := r.attempt(t)
		var x executor.Executor
		if err == nil {
			x, err = executorFor(r.e.cfg.Executors, a.Kind)
		}
		if err != nil {
			r.results <- attemptDone{idx: idx, res: executor.Result{
				Outcome: executor.Failed, ExitCode: -1, Error: err.Error(),
			}}
			continue
		}
		// The pid is recorded with the attempt's end, not at its start:
		// crash recovery finds an attempt's processes by the environment
		// it was given, which a pid written a moment after the fork could
		// miss anyway, and a write per start would double the commits.
		run := func() attemptDone { return attemptDone{idx: idx, res: x.Run(actx, a)} }
		if r.runsInline(t, a) {
			r.inline = run
			continue
		}
		goAttempt(func() { r.results <- run() })
	}
	r.starts = r.starts[:0]
	for _, ad := range r.adopted {
		actx := runCtx
		if r.tasks[ad.idx].spec.Teardown {
			actx = ctx
		}
		go func() { r.results <- attemptDone{idx: ad.idx, res: ad.wait(actx)} }()
	}
	r.adopted = r.adopted[:0]
}

// runsInline reports whether t's attempt, just committed as started, is
// to run on the loop's own goroutine: when it is all the run waits for,
// the loop has nothing to do until it ends but what ends it anyway (the
// run's context: a timeout, Gantry stopping, the user's cancel). A chain
// of short tasks then hands nothing between goroutines, each hand-off
// being a wake of another thread (some 30 µs of CPU per task). Not for
// a task that asks for approval or tears down, whose end does not follow
// the run's context, nor for another executor than the process one.
func (r *runner) runsInline(t *task, a executor.Attempt) bool {
	return len(r.starts) == 1 && r.running == 1 && r.holding == 0 && r.timers == 0 &&
		len(r.queue) == 0 && len(r.adopted) == 0 && r.slot == nil &&
		!t.spec.Teardown && !t.asks() && a.Kind == spec.KindProcess
}

// noteCancel records a cancel by the user that ended runCtx before the
// loop took it from req.Cancel (the watcher in loop cancels too).
func (r *runner) noteCancel() {
	if r.cancelled || r.req.Cancel == nil {
		return
	}
	select {
	case <-r.req.Cancel:
		r.cancelled = true
	default:
	}
}

// attempt builds the executor's view of t's current attempt.
func (r *runner) attempt(t *task) (executor.Attempt, error) {
	st := t.spec
	params := r.run.Params
	if t.params != nil {
		params = t.params
	}
	vars := spec.Vars{
		Params:  params,
		RunID:   r.run.ID,
		Task:    st.ID,
		Attempt: t.seq,
		Env:     r.run.Env,
		Outputs: r.upstreamOutputs(t),
	}
	// In the pipeline's own zone: a daily interval then starts at local
	// midnight as written, whatever zone the store hands times back in.
	loc := time.UTC
	if sc := r.req.Pipeline.Schedule; sc != nil && sc.Location != nil {
		loc = sc.Location
	}
	vars.Interval.Start = formatTime(r.run.IntervalStart.In(loc))
	vars.Interval.End = formatTime(r.run.IntervalEnd.In(loc))
	cmd, tplEnv, err := spec.Render(st.Run, vars)
	if err != nil {
		if strings.Contains(err.Error(), "map has no entry for key") {
			err = fmt.Errorf("%w (.Outputs names a figure the task it needs did not report in $GANTRY_OUTPUT)", err)
		}
		return executor.Attempt{}, fmt.Errorf("render command: %w", err)
	}
	dir := r.req.Dir
	if st.Workdir != "" {
		if filepath.IsAbs(st.Workdir) {
			dir = st.Workdir
		} else {
			dir = filepath.Join(r.req.Dir, st.Workdir)
		}
	}
	env := make([]string, 0, 11+len(params)+len(t.env)+len(tplEnv))
	env = append(env,
		"GANTRY_PIPELINE="+r.run.Pipeline,
		"GANTRY_RUN_ID="+strconv.FormatInt(r.run.ID, 10),
		"GANTRY_TASK="+st.ID,
		"GANTRY_ATTEMPT="+strconv.Itoa(t.seq),
		"GANTRY_ATTEMPT_ID="+strconv.FormatInt(t.cur.ID, 10),
		"GANTRY_INTERVAL_START="+vars.Interval.Start,
		"GANTRY_INTERVAL_END="+vars.Interval.End,
		"GANTRY_ENV="+r.run.Env,
	)
	if st.Environment != "" {
		env = append(env, "GANTRY_ENV_NAME="+r.envName(st))
	}
	if st.Ephemeral {
		d := r.envDir(st.Environment)
		if err := os.MkdirAll(d, 0o700); err != nil {
			return executor.Attempt{}, fmt.Errorf("make the throwaway %s: %w", r.envName(st), err)
		}
		env = append(env, "GANTRY_ENV_DIR="+d)
	}
	for k, v := range params {
		env = append(env, "GANTRY_PARAM_"+envName(k)+"="+v)
	}
	// The template values go last, so that a task's own env cannot
	// shadow the GANTRY_TPL_n its command refers to.
	env = append(env, t.env...)
	env = append(env, tplEnv...)
	a := executor.Attempt{
		Kind:        kindOf(st),
		Command:     cmd,
		Dir:         dir,
		Env:         env,
		Timeout:     st.Timeout,
		KillGrace:   r.e.cfg.KillGrace,
		MemoryLimit: st.Resources.Memory,
		MilliCPU:    st.Resources.MilliCPU,
		LogPath:     t.cur.LogPath,
		LogLimit:    r.e.cfg.LogLimit,
		OutputPath:  outputPath(t.cur.LogPath),
		Redact:      t.redact,
		Secrets:     t.secrets,
		Labels:      st.Worker,
		Pool:        r.req.Pipeline.Concurrency.Pool,
		RunID:       r.run.ID,
		AttemptID:   t.cur.ID,
		Task:        st.ID,
		StartedAt:   t.cur.StartedAt,
	}
	if st.Approval != nil {
		a.Approval = &executor.Approval{Required: st.Approval.Required, Approvers: st.Approval.Approvers, Guards: t.guards}
	}
	if r.req.Follow != nil {
		a.Follow = r.req.Follow
		a.Prefix = st.ID + " | "
	}
	return a, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// envName turns a parameter name into an environment variable suffix.
func envName(s string) string {
	b := []byte(strings.ToUpper(s))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// drain waits for every attempt that was started and has not reported.
func (r *runner) drain() {
	for ; r.running > 0; r.running-- {
		<-r.results
	}
}

// outputPath is where an attempt reports its figures: beside its log.
func outputPath(logPath string) string {
	return strings.TrimSuffix(logPath, ".log") + ".out"
}

// keepOutputs remembers what t's succeeded attempt a reported.
func (r *runner) keepOutputs(t *task, a *record.TaskAttempt) {
	if len(a.Outputs) == 0 {
		return
	}
	if r.outputs == nil {
		r.outputs = map[string]map[string]string{}
	}
	m := make(map[string]string, len(a.Outputs))
	for _, o := range a.Outputs {
		m[o.Key] = o.Value
	}
	r.outputs[t.spec.ID] = m
}

// envName is what a task into an environment is told it is in: the
// environment's name, or for a throwaway one the run's instance of it.
func (r *runner) envName(st *spec.Task) string {
	if st.Ephemeral {
		return fmt.Sprintf("%s-run-%d", st.Environment, r.run.ID)
	}
	return st.Environment
}

// envDir is the folder of the run's throwaway instance of env.
func (r *runner) envDir(env string) string {
	return filepath.Join(r.e.LogDir(), strconv.FormatInt(r.run.ID, 10), "env-"+env)
}

// LogDir is where the engine keeps attempt logs, outputs and runs'
// throwaway environments.
func (e *Engine) LogDir() string { return e.cfg.LogDir }

// RemoveThrowaways removes every throwaway environment of run runID that
// is left (a run that ended without the engine settling it: cancelled
// or failed while no Gantry ran it).
func (e *Engine) RemoveThrowaways(runID int64) error {
	dirs, err := filepath.Glob(filepath.Join(e.LogDir(), strconv.FormatInt(runID, 10), "env-*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range dirs {
		errs = append(errs, os.RemoveAll(d))
	}
	return errors.Join(errs...)
}

// upstreamOutputs are the outputs of the tasks t needs, directly or not:
// all a template may name, however it is written.
func (r *runner) upstreamOutputs(t *task) map[string]map[string]string {
	if len(r.outputs) == 0 || len(t.spec.Needs) == 0 {
		return nil
	}
	if !t.upKnown {
		t.upstream, t.upKnown = r.req.Pipeline.Upstream(t.spec.ID), true
	}
	out := map[string]map[string]string{}
	for _, n := range t.upstream {
		if o, ok := r.outputs[n]; ok {
			out[n] = o
		}
	}
	return out
}
