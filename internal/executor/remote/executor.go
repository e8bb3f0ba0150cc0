package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Store is what the package needs of the store: claims, and the log
// chunks workers ship.
type Store interface {
	store.ClaimStore
	logs.ChunkWriter
}

// DefaultPoll is how often a claim is looked at when no event says so:
// the safety net under LISTEN/NOTIFY, and the only way on a store that
// cannot tell other processes.
const DefaultPoll = time.Second

// Executor queues attempts as claims and waits for a worker to end them.
// It is safe for concurrent use.
type Executor struct {
	Store Store
	// Root is the project's folder here: an attempt's working directory
	// is sent relative to it. LogDir likewise for its log.
	Root, LogDir string
	Poll         time.Duration // 0: DefaultPoll
	// GiveUp bounds the wait, once an attempt was asked to end, for its
	// worker to report; past it the attempt is lost. 0: 2 minutes.
	GiveUp time.Duration
	// TTL is the claims' lease, as the workers renew it (0: DefaultTTL). A
	// claim is marked lost once its lease ended a TTL ago while the store
	// answered this process for a whole TTL: a worker alive through a store
	// outage has renewed it by then.
	TTL time.Duration
	// Lost, when set, is told of each attempt lost with its worker.
	Lost   func()
	Logger *slog.Logger

	once    sync.Once
	mu      sync.Mutex
	waiters map[int64]chan struct{}
}

func (x *Executor) poll() time.Duration {
	if x.Poll > 0 {
		return x.Poll
	}
	return DefaultPoll
}

func (x *Executor) ttl() time.Duration {
	if x.TTL > 0 {
		return x.TTL
	}
	return DefaultTTL
}

func (x *Executor) giveUp() time.Duration {
	if x.GiveUp > 0 {
		return x.GiveUp
	}
	return defaultGiveUp
}

func (x *Executor) log() *slog.Logger {
	if x.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return x.Logger
}

// listen starts, once, the one subscription to claim events that wakes
// every waiter for the claim that ended.
func (x *Executor) listen() {
	x.once.Do(func() {
		x.waiters = map[int64]chan struct{}{}
		ev, err := x.Store.ClaimEvents(context.Background())
		if err != nil {
			x.log().Warn("claim events: waiting on polls alone", "err", err)
			return
		}
		if ev == nil {
			return
		}
		go func() {
			for id := range ev {
				x.mu.Lock()
				if ch, ok := x.waiters[id]; ok {
					select {
					case ch <- struct{}{}:
					default:
					}
				}
				x.mu.Unlock()
			}
		}()
	})
}

func (x *Executor) wait(id int64) (<-chan struct{}, func()) {
	x.listen()
	ch := make(chan struct{}, 1)
	x.mu.Lock()
	x.waiters[id] = ch
	x.mu.Unlock()
	return ch, func() {
		x.mu.Lock()
		delete(x.waiters, id)
		x.mu.Unlock()
	}
}

// Run queues a and returns once a worker ended it, its claim was lost, or
// it was cancelled before any worker took it. Cancelling ctx asks the
// worker to end it; Run still waits for the worker's result (or the
// claim's lease to end), so that nothing of it runs once Run returns.
func (x *Executor) Run(ctx context.Context, a executor.Attempt) executor.Result {
	start := time.Now()
	failed := func(err error) executor.Result {
		return executor.Result{Outcome: executor.Failed, ExitCode: -1, Error: err.Error(), StartedAt: start, FinishedAt: time.Now()}
	}
	p, err := encode(a, x.Root, x.LogDir)
	if err != nil {
		return failed(err)
	}
	ended, stop := x.wait(a.AttemptID)
	defer stop()
	c := record.Claim{AttemptID: a.AttemptID, RunID: a.RunID, Task: a.Task, Pool: a.Pool, Labels: a.Labels, Payload: p}
	for try := 0; ; try++ {
		err := x.Store.EnqueueClaim(ctx, &c)
		if err == nil || errors.Is(err, store.ErrConflict) {
			break // queued (maybe by the try before, whose answer was lost)
		}
		if ctx.Err() != nil {
			return executor.Result{Outcome: outcomeOfEnd(ctx), ExitCode: -1, Error: "ended before a worker was asked", StartedAt: start, FinishedAt: time.Now()}
		}
		x.log().Warn("queue an attempt for a worker; trying again", "attempt_id", a.AttemptID, "err", err)
		sleep(ctx, backoff(try))
	}
	if a.Started != nil {
		a.Started(0, start)
	}
	res, err := x.await(ctx, a.AttemptID, ended)
	if err != nil {
		return failed(err)
	}
	if res.Outcome == executor.Lost && x.Lost != nil {
		x.Lost()
	}
	return res
}

// Bounds of the wait for a claim's end.
const (
	// queuedWarn is how long a claim may wait for a worker before the
	// wait is reported (no worker runs, or none has the task's labels).
	queuedWarn = 30 * time.Second
	// defaultGiveUp is Executor.GiveUp's default.
	defaultGiveUp = 2 * time.Minute
)

// await follows attempt id's claim to its end.
func (x *Executor) await(ctx context.Context, id int64, ended <-chan struct{}) (executor.Result, error) {
	t := time.NewTicker(x.poll())
	defer t.Stop()
	wctx := context.WithoutCancel(ctx)
	done := ctx.Done()
	asked := false
	var giveUp time.Time // once asked to end
	queuedSince, warned := time.Now(), false
	failures := 0
	upSince := time.Now() // since when the store has answered
	for {
		if !giveUp.IsZero() && time.Now().After(giveUp) {
			return executor.Result{Outcome: executor.Lost, ExitCode: -1, FinishedAt: time.Now(),
				Error: fmt.Sprintf("lost: its worker did not report its end within %s of being asked to stop", x.giveUp())}, nil
		}
		c, err := x.Store.GetClaim(wctx, id)
		if err == nil {
			if failures > 0 {
				upSince = time.Now() // the store answers again
			}
			failures = 0
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			return executor.Result{}, fmt.Errorf("the attempt's claim is gone from the store")
		case err != nil:
			failures++
			if failures == 1 || failures%20 == 0 {
				x.log().Warn("look at an attempt's claim; trying again", "attempt_id", id, "err", err, "tries", failures)
			}
			sleep(wctx, backoff(failures))
		case c.State.Final():
			res := x.result(ctx, c)
			if err := x.Store.DeleteClaim(wctx, id); err != nil {
				x.log().Warn("delete an ended claim", "attempt_id", id, "err", err)
			}
			return res, nil
		case c.State == record.ClaimClaimed && !time.Now().Before(c.MayLoseAt(x.ttl())) && time.Since(upSince) >= x.ttl():
			// Its worker stopped renewing while the store answered: anyone
			// may mark it lost. When is the claim's to say, by the
			// worker's own TTL: a worker started with another one ends
			// its attempt by then.
			if _, err := x.Store.ExpireClaims(wctx, time.Now(), x.ttl()); err != nil {
				x.log().Warn("expire claims", "err", err)
				sleep(wctx, backoff(1))
			}
			continue
		default:
			if c.State == record.ClaimQueued && !warned && time.Since(queuedSince) > queuedWarn {
				warned = true
				x.log().Warn("no worker has claimed the attempt yet: is a gantry worker running, with the task's worker labels?",
					"attempt_id", id, "task", c.Task, "labels", c.Labels, "waiting", time.Since(queuedSince).Round(time.Second))
			}
		}
		if asked || ctx.Err() == nil {
			select {
			case <-done:
			case <-ended:
			case <-t.C:
			}
		}
		if ctx.Err() != nil && !asked {
			if giveUp.IsZero() {
				giveUp = time.Now().Add(x.giveUp())
			}
			why := "cancelled"
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				why = "timed out"
			}
			if _, err := x.Store.CancelClaim(wctx, id, why); err != nil && !errors.Is(err, store.ErrNotFound) {
				x.log().Warn("ask a worker to end an attempt; asking again", "attempt_id", id, "err", err)
				sleep(wctx, backoff(1))
				continue
			}
			asked, done = true, nil
		}
	}
}

// result is what an ended claim says of its attempt.
func (x *Executor) result(ctx context.Context, c record.Claim) executor.Result {
	now := time.Now()
	switch c.State {
	case record.ClaimCancelled:
		return executor.Result{Outcome: outcomeOfEnd(ctx), ExitCode: -1, Error: c.Cancel + " before a worker took it", StartedAt: c.QueuedAt, FinishedAt: now}
	case record.ClaimLost:
		return executor.Result{Outcome: executor.Lost, ExitCode: -1, StartedAt: c.ClaimedAt, FinishedAt: now,
			Error: fmt.Sprintf("lost: worker %s let its claim go (it stopped, or could not renew its lease)", c.Worker)}
	}
	var res executor.Result
	if err := json.Unmarshal(c.Result, &res); err != nil {
		return executor.Result{Outcome: executor.Failed, ExitCode: -1, StartedAt: c.ClaimedAt, FinishedAt: now,
			Error: fmt.Sprintf("worker %s recorded a result that does not decode: %v", c.Worker, err)}
	}
	if res.Outcome == executor.Cancelled && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.Outcome = executor.TimedOut // the run's timeout, which the worker was told as a cancel
	}
	return res
}

// outcomeOfEnd is how an attempt ended by ctx ended.
func outcomeOfEnd(ctx context.Context) executor.Outcome {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return executor.TimedOut
	}
	return executor.Cancelled
}

// Adopt takes over an attempt a process that stopped queued: one still
// queued or claimed is waited for like Run's, and one that ended already
// reports what its worker recorded. None queued is nil.
func (x *Executor) Adopt(ctx context.Context, h executor.Handle) (func(context.Context) executor.Result, error) {
	id := attemptOf(h)
	if id == 0 {
		return nil, nil
	}
	if _, err := x.Store.GetClaim(ctx, id); errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return func(ctx context.Context) executor.Result {
		ended, stop := x.wait(id)
		defer stop()
		res, err := x.await(ctx, id, ended)
		if err != nil {
			return executor.Result{Outcome: executor.Lost, ExitCode: -1, FinishedAt: time.Now(), Error: "lost: " + err.Error()}
		}
		return res
	}, nil
}

// Reap ends what is left of an attempt whose runner stopped: a queued
// claim is cancelled, a claimed one is asked to end and waited for (until
// its worker reports or its lease ends). It reports whether a worker had
// taken it.
func (x *Executor) Reap(ctx context.Context, h executor.Handle) (bool, error) {
	id := attemptOf(h)
	if id == 0 {
		return false, nil
	}
	c, err := x.Store.CancelClaim(ctx, id, "its run was recovered by another process")
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if c.State == record.ClaimCancelled && c.Worker == "" {
		return false, x.Store.DeleteClaim(ctx, id)
	}
	ended, stop := x.wait(id)
	defer stop()
	if _, err := x.await(ctx, id, ended); err != nil {
		return true, err
	}
	return true, ctx.Err()
}

func attemptOf(h executor.Handle) int64 {
	for _, m := range h.Marks {
		if v, ok := strings.CutPrefix(m, "GANTRY_ATTEMPT_ID="); ok {
			id, _ := strconv.ParseInt(v, 10, 64)
			return id
		}
	}
	return 0
}

// backoff is the pause before try+1 of a store call that failed.
func backoff(try int) time.Duration {
	return min(100*time.Millisecond<<min(try, 5), 3*time.Second)
}

// sleep waits d or until ctx ends, and reports whether ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return true
	case <-t.C:
		return false
	}
}
