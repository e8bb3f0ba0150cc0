package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// DefaultTTL is a claim's lease: a worker renews it every third of it, and
// a worker gone loses its claims within it.
const DefaultTTL = 15 * time.Second

// SecretFunc resolves secret name for a task in environment env ("" for
// the project's sources).
type SecretFunc func(env, name string) (string, error)

// Worker claims attempts and runs them. Start it once; Stop drains it.
type Worker struct {
	Store     Store
	ID        string
	Labels    map[string]string
	Slots     int           // attempts at once; 0: 1
	TTL       time.Duration // 0: DefaultTTL
	Poll      time.Duration // 0: DefaultPoll
	Executors executor.Set
	// Root is the project's folder on this machine, LogDir where the
	// attempts' logs are written here.
	Root, LogDir string
	Secrets      SecretFunc
	Logger       *slog.Logger
	// Ship tunes the log shipping; zero: the defaults.
	Ship logs.ShipOptions
	// Prepare, when set, is called with an attempt's working directory
	// before it runs, and may write it (a deployed revision's files, from
	// the store); an error fails the attempt.
	Prepare func(ctx context.Context, dir string) error
	// Claimed, when set, is told how long each claim waited between being
	// queued and claimed (both by this machine's clock when the queueing
	// process runs here; across machines, as far as clocks agree).
	Claimed func(wait time.Duration)
	// Guard, when set, is told of every claim this worker holds.
	Guard Guard

	running atomic.Int64
	cancel  context.CancelFunc
	done    chan struct{}
	wg      sync.WaitGroup
	freed   chan struct{}

	mu     sync.Mutex
	active map[int64]*job
}

// Guard is a process of its own (process.Guard) that sees to a worker's
// claims when the worker cannot: it kills a claimed attempt's processes
// by the time Hold gives (the claim's lease end, less a margin), or at
// once should the worker die, and then hands the claim back with its
// token, unless the worker released it first.
type Guard interface {
	// Hold is told at the claim and at every renewal.
	Hold(attemptID int64, by time.Time, token int64)
	// Release is told once the claim's end is recorded (or given up).
	Release(attemptID int64)
}

// job is one claimed attempt this worker runs.
type job struct {
	c        record.Claim
	cancel   context.CancelFunc
	handBack atomic.Bool
}

func (w *Worker) ttl() time.Duration {
	if w.TTL > 0 {
		return w.TTL
	}
	return DefaultTTL
}

func (w *Worker) log() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

// Running is how many attempts the worker runs now.
func (w *Worker) Running() int { return int(w.running.Load()) }

// Start begins claiming.
func (w *Worker) Start(ctx context.Context) error {
	if w.ID == "" || w.Store == nil || w.Executors == nil {
		return fmt.Errorf("worker: an ID, a store and executors are required")
	}
	if w.Slots <= 0 {
		w.Slots = 1
	}
	w.active = map[int64]*job{}
	w.freed = make(chan struct{}, 1)
	ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	ev, err := w.Store.ClaimEvents(ctx)
	if err != nil {
		w.log().Warn("claim events: claiming on polls alone", "err", err)
	}
	w.done = make(chan struct{})
	go w.loop(ctx, ev)
	return nil
}

func (w *Worker) loop(ctx context.Context, ev <-chan int64) {
	defer close(w.done)
	poll := time.NewTicker(cmpOr(w.Poll, DefaultPoll))
	defer poll.Stop()
	try := 0
	for ctx.Err() == nil {
		free := w.Slots - w.Running()
		got := 0
		if free > 0 {
			cs, err := w.Store.ClaimNext(ctx, w.ID, w.Labels, free, w.ttl(), time.Now())
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				w.log().Warn("claim attempts; trying again", "err", err)
				sleep(ctx, backoff(try))
				try++
				continue
			}
			try, got = 0, len(cs)
			for _, c := range cs {
				if w.Claimed != nil {
					w.Claimed(c.ClaimedAt.Sub(c.QueuedAt))
				}
				w.start(c)
			}
		}
		if got > 0 && got == free {
			continue // the line may hold more
		}
		select {
		case <-ctx.Done():
		case id, ok := <-ev:
			if !ok {
				ev = nil
			}
			_ = id // a queued claim, or an ended one: either may free work to claim
		case <-w.freed:
		case <-poll.C:
		}
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (w *Worker) start(c record.Claim) {
	if w.Guard != nil {
		// Before anything runs: the renewals move it on.
		ttl := w.ttl()
		w.Guard.Hold(c.AttemptID, c.LeaseUntil.Add(ttl-ttl/12), c.Token)
	}
	jctx, cancel := context.WithCancel(context.Background())
	j := &job{c: c, cancel: cancel}
	w.mu.Lock()
	w.active[c.AttemptID] = j
	w.mu.Unlock()
	w.running.Add(1)
	w.wg.Go(func() {
		defer func() {
			if w.Guard != nil {
				w.Guard.Release(c.AttemptID)
			}
			w.mu.Lock()
			delete(w.active, c.AttemptID)
			w.mu.Unlock()
			w.running.Add(-1)
			select {
			case w.freed <- struct{}{}:
			default:
			}
		}()
		w.run(jctx, j)
	})
}

// run runs one claimed attempt while renewing its lease, then records its
// result under the claim.
func (w *Worker) run(ctx context.Context, j *job) {
	c := j.c
	log := w.log().With("attempt_id", c.AttemptID, "run_id", c.RunID, "task", c.Task)
	var lost atomic.Bool
	var leaseEnd atomic.Int64 // unix nanoseconds
	leaseEnd.Store(c.LeaseUntil.UnixNano())
	renewDone := make(chan struct{})
	renewCtx, stopRenew := context.WithCancel(context.Background())
	go func() {
		defer close(renewDone)
		w.renew(renewCtx, log, j, &leaseEnd, &lost)
	}()
	res := w.execute(ctx, log, c)
	stopRenew()
	<-renewDone
	if lost.Load() {
		return
	}
	// What the worker records, it records before its own expiry: before
	// the guard's deadline, and so before anyone may take the attempt.
	ttl := w.ttl()
	end := time.Unix(0, leaseEnd.Load()).Add(ttl - ttl/6)
	if !time.Now().Before(end) {
		log.Warn("the attempt ended after this worker's claim could be given up: its result is not recorded (it is retried)", "outcome", res.Outcome)
		return
	}
	if j.handBack.Load() && res.Outcome == executor.Cancelled {
		// Ended by Stop's grace: another worker runs it again at once.
		hctx, cancel := context.WithDeadline(context.Background(), end)
		defer cancel()
		if err := w.Store.HandBackClaim(hctx, c.AttemptID, c.Token); err != nil {
			log.Warn("hand the attempt back (it is retried once its lease ends)", "err", err)
		}
		return
	}
	w.complete(log, c, res, end)
}

// renew keeps j's lease while the attempt runs. Another process marks a
// claim lost only once its lease ended a TTL ago (Executor), so a store
// outage shorter than that costs nothing: renewals resume when the store
// answers. Whatever the store does, the attempt is ended before that
// point: a worker cut off from the store never runs an attempt past the
// moment another worker may take it again.
func (w *Worker) renew(ctx context.Context, log *slog.Logger, j *job, leaseEnd *atomic.Int64, lost *atomic.Bool) {
	ttl := w.ttl()
	margin := ttl / 6
	endOf := func() time.Time { return time.Unix(0, leaseEnd.Load()).Add(ttl) }
	guard := func() {
		if w.Guard != nil {
			// Later than the worker's own expiry, still before anyone
			// may take the attempt.
			w.Guard.Hold(j.c.AttemptID, endOf().Add(-margin/2), j.c.Token)
		}
	}
	expiry := time.NewTimer(time.Until(endOf()) - margin)
	defer expiry.Stop()
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-expiry.C:
			log.Warn("could not renew the claim's lease before another worker may take it: ending the attempt, recording nothing (it is retried)")
			lost.Store(true)
			j.cancel()
			return
		case <-tick.C:
		}
		now := time.Now()
		rctx, cancel := context.WithDeadline(ctx, endOf().Add(-margin))
		why, err := w.Store.RenewClaim(rctx, j.c.AttemptID, j.c.Token, ttl, now)
		cancel()
		switch {
		case err == nil:
			leaseEnd.Store(now.Add(ttl).UnixNano())
			expiry.Reset(time.Until(endOf()) - margin)
			guard()
			if why != "" {
				log.Info("asked to end the attempt", "why", why)
				j.cancel()
			}
		case errors.Is(err, store.ErrFenced):
			log.Warn("the claim's lease is no longer this worker's: ending the attempt, recording nothing")
			lost.Store(true)
			j.cancel()
			return
		case ctx.Err() != nil:
			return
		default:
			// The store does not answer: the attempt goes on while the
			// lease lives (the expiry timer ends it before the lease does).
			log.Warn("renew the claim's lease", "err", err)
		}
	}
}

// execute runs the attempt c carries and returns its result.
func (w *Worker) execute(ctx context.Context, log *slog.Logger, c record.Claim) executor.Result {
	start := time.Now()
	failed := func(err error) executor.Result {
		return executor.Result{Outcome: executor.Failed, ExitCode: -1, Error: err.Error(), StartedAt: start, FinishedAt: time.Now()}
	}
	p, err := decode(c.Payload)
	if err != nil {
		return failed(err)
	}
	x, ok := w.Executors[p.Kind]
	if !ok {
		return failed(fmt.Errorf("worker %s runs no %q tasks (it runs %s)", w.ID, p.Kind, strings.Join(w.Executors.Kinds(), ", ")))
	}
	a := executor.Attempt{
		Kind: p.Kind, Command: p.Command, Dir: filepath.Join(w.Root, filepath.FromSlash(p.Dir)),
		Env: p.Env, Secrets: p.Secrets, Timeout: p.Timeout, KillGrace: p.KillGrace,
		MemoryLimit: p.MemoryLimit, MilliCPU: p.MilliCPU, LogLimit: p.LogLimit,
		LogPath: filepath.Join(w.LogDir, filepath.FromSlash(p.Log)),
		RunID:   p.RunID, AttemptID: p.AttemptID, Task: p.Task, StartedAt: p.StartedAt,
	}
	a.OutputPath = strings.TrimSuffix(a.LogPath, ".log") + ".out"
	for _, s := range p.Secrets {
		if w.Secrets == nil {
			return failed(fmt.Errorf("env %s: secret %q: this worker has no secrets source", s.Key, s.Secret))
		}
		v, err := w.Secrets(s.Environment, s.Secret)
		if err != nil {
			return failed(fmt.Errorf("env %s: secret %q: %v", s.Key, s.Secret, err))
		}
		a.Env = append(a.Env, s.Key+"="+v)
		if v != "" {
			a.Redact = append(a.Redact, v)
		}
	}
	if w.Prepare != nil {
		if err := w.Prepare(ctx, a.Dir); err != nil {
			return failed(fmt.Errorf("prepare the working directory: %w", err))
		}
	}
	a.Env = append(a.Env, "GANTRY_WORKER="+w.ID)
	if err := os.MkdirAll(filepath.Dir(a.LogPath), 0o700); err != nil {
		return failed(fmt.Errorf("make the log folder: %w", err))
	}
	log.Info("running")
	stop := logs.ShipWith(context.Background(), w.Store, c.AttemptID, a.LogPath, w.Ship)
	res := x.Run(ctx, a)
	if err := stop(); err != nil {
		log.Warn("ship the attempt's log to the store", "err", err)
	}
	return res
}

// complete records res under c, trying again while the store fails and
// the lease lives.
func (w *Worker) complete(log *slog.Logger, c record.Claim, res executor.Result, leaseEnd time.Time) {
	b, err := json.Marshal(res)
	if err != nil {
		b, _ = json.Marshal(executor.Result{Outcome: executor.Failed, ExitCode: -1, Error: "encode the result: " + err.Error()})
	}
	ctx, cancel := context.WithDeadline(context.Background(), leaseEnd)
	defer cancel()
	for try := 0; ; try++ {
		err := w.Store.CompleteClaim(ctx, c.AttemptID, c.Token, b, time.Now())
		switch {
		case err == nil:
			log.Info("attempt ended", "outcome", res.Outcome)
			return
		case errors.Is(err, store.ErrFenced):
			log.Warn("the attempt ended after its claim's lease: its result is not recorded (it is retried)", "outcome", res.Outcome)
			return
		case !time.Now().Before(leaseEnd):
			log.Error("could not record the attempt's result before its claim's lease ended (it is retried)", "err", err)
			return
		}
		log.Warn("record the attempt's result; trying again", "err", err)
		sleep(ctx, min(backoff(try), 500*time.Millisecond))
	}
}

// Stop stops claiming, gives the running attempts until grace to end,
// then ends the rest and hands them back (they are retried elsewhere),
// and returns once none runs.
func (w *Worker) Stop(grace time.Duration) {
	if w.cancel == nil {
		return
	}
	w.cancel()
	<-w.done
	ended := make(chan struct{})
	go func() { w.wg.Wait(); close(ended) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-ended:
		return
	case <-t.C:
	}
	w.mu.Lock()
	for _, j := range w.active {
		j.handBack.Store(true)
		j.cancel()
	}
	w.mu.Unlock()
	<-ended
}
