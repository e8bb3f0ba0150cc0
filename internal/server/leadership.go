package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// LeaderLease is the name of the lease whose holder leads.
const LeaderLease = "leader"

// DefaultLeaseTTL is how long the leader lease lasts unless renewed.
const DefaultLeaseTTL = 10 * time.Second

// Service is a long-lived part of a process, started with Start (which
// returns once it runs) and stopped with an idempotent Stop. A leader-only
// service may be started again after a Stop, when its process leads again.
type Service interface {
	Start(ctx context.Context) error
	Stop()
}

// LeaseStore is what leadership needs of the store.
type LeaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, at time.Time) (record.Lease, error)
	ReleaseLease(ctx context.Context, name, holder string, token int64) error
	GetLease(ctx context.Context, name string) (record.Lease, error)
}

// LeadershipObserver hears about leadership: the metrics implement it.
type LeadershipObserver interface {
	LeaderChanged(leading bool, holder string)
	LeaseRenewFailed()
}

// LeadershipConfig wires a Leadership. Store and Holder are required.
type LeadershipConfig struct {
	Store  LeaseStore
	Holder string        // this process, unique among the store's processes
	TTL    time.Duration // 0: DefaultLeaseTTL
	// Services run only while this process leads, started in order with
	// a context carrying the lease's fence (store.WithFence) and stopped
	// in reverse.
	Services []Service
	Logger   *slog.Logger
	Observer LeadershipObserver // nil: none
	// Alive, when set, tells whether the process named holder is still
	// there (on PostgreSQL: whether its session's advisory lock is held).
	// A standby that finds the lease held by a process that is gone
	// releases the lease and takes it at once, instead of waiting for it
	// to expire. nil: a holder counts as there until its lease expires.
	Alive func(ctx context.Context, holder string) (bool, error)
}

// standbyEvery bounds how often a process that does not lead tries to:
// a cheap read, and the delay of a takeover after the leader is gone.
const standbyEvery = time.Second

// Leadership competes for the leader lease, renews it every TTL/3 while
// it holds it, and runs the leader-only services while it leads. A holder
// that cannot renew stops leading at TTL*4/5 after its last successful
// renewal, before the lease can pass to another process; a holder that
// finds another process holds the lease stops at once. A process that
// does not lead tries every second (or TTL/3 if shorter), and takes over
// at once from a holder that Alive says is gone.
type Leadership struct {
	cfg     LeadershipConfig
	log     *slog.Logger
	leading atomic.Bool

	mu     sync.Mutex
	fence  store.Fence
	cancel context.CancelFunc // of the services' context while leading
	riding bool               // services that ride out outages run, though it does not lead

	stop     context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

// NewLeadership returns a Leadership; Start begins competing.
func NewLeadership(cfg LeadershipConfig) *Leadership {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Leadership{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
}

// Start begins competing for the lease; it returns after the first try,
// having started the leader-only services if this process took it.
func (l *Leadership) Start(ctx context.Context) error {
	ctx, l.stop = context.WithCancel(context.WithoutCancel(ctx))
	deadline := l.try(ctx, time.Time{})
	go l.loop(ctx, deadline)
	return nil
}

// Stop stops the leader-only services and lets the lease go, so another
// process leads at once. Idempotent.
func (l *Leadership) Stop() {
	l.stopOnce.Do(func() {
		if l.stop == nil {
			return
		}
		l.stop()
		<-l.done
		l.stepDown("stopping", false)
		l.stopRiders()
	})
}

// Leading reports whether this process leads now.
func (l *Leadership) Leading() bool { return l.leading.Load() }

// Holder is this process's name as a lease holder.
func (l *Leadership) Holder() string { return l.cfg.Holder }

// Leader returns the leader lease as the store has it.
func (l *Leadership) Leader(ctx context.Context) (record.Lease, error) {
	return l.cfg.Store.GetLease(ctx, LeaderLease)
}

func (l *Leadership) loop(ctx context.Context, deadline time.Time) {
	defer close(l.done)
	every := l.cfg.TTL / 3
	for {
		wait := min(every, standbyEvery)
		if l.Leading() {
			wait = min(every, time.Until(deadline))
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if l.Leading() && !time.Now().Before(deadline) {
			l.stepDown("could not renew the leader lease in time", true)
		}
		deadline = l.try(ctx, deadline)
	}
}

// try takes or renews the lease once and returns the time by which this
// process must have renewed it again or stop leading.
func (l *Leadership) try(ctx context.Context, deadline time.Time) time.Time {
	start := time.Now() // monotonic: the lease counts from before the request
	leading := l.Leading()
	rctx, cancel := context.WithTimeout(ctx, l.cfg.TTL/3)
	if leading {
		rctx, cancel = context.WithDeadline(ctx, deadline)
	}
	lease, err := l.cfg.Store.AcquireLease(rctx, LeaderLease, l.cfg.Holder, l.cfg.TTL, start)
	cancel()
	switch {
	case err == nil:
		deadline = start.Add(l.cfg.TTL * 4 / 5)
		if !leading {
			l.lead(ctx, lease)
		}
	case errors.Is(err, store.ErrConflict):
		if leading {
			l.stepDown("another process holds the leader lease: "+lease.Holder, false)
		}
		l.stopRiders()
		if !leading && l.takeOver(ctx, lease) {
			return l.try(ctx, deadline)
		}
	case ctx.Err() != nil:
	default:
		if leading {
			if l.cfg.Observer != nil {
				l.cfg.Observer.LeaseRenewFailed()
			}
			l.log.Warn("renew the leader lease", "err", err, "stops_leading_at", deadline.Format(time.RFC3339Nano))
		} else {
			l.log.Warn("take the leader lease", "err", err)
		}
	}
	return deadline
}

// takeOver releases lease when Alive says its holder is gone, and reports
// whether it did. The release names the holder and token read, so it does
// nothing if the lease changed hands meanwhile.
func (l *Leadership) takeOver(ctx context.Context, lease record.Lease) bool {
	if l.cfg.Alive == nil || lease.Holder == "" {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, l.cfg.TTL/3)
	defer cancel()
	alive, err := l.cfg.Alive(cctx, lease.Holder)
	if err != nil || alive {
		return false
	}
	if err := l.cfg.Store.ReleaseLease(cctx, LeaderLease, lease.Holder, lease.Token); err != nil {
		return false
	}
	l.log.Warn("the leader is gone; taking over before its lease expires", "leader", lease.Holder, "token", lease.Token)
	return true
}

// lead starts the leader-only services under lease's fence.
func (l *Leadership) lead(ctx context.Context, lease record.Lease) {
	f := store.Fence{Lease: LeaderLease, Holder: l.cfg.Holder, Token: lease.Token}
	sctx, cancel := context.WithCancel(store.WithFence(ctx, f))
	l.mu.Lock()
	l.fence, l.cancel, l.riding = f, cancel, false
	l.mu.Unlock()
	l.leading.Store(true)
	l.log.Info("leading", "holder", l.cfg.Holder, "token", lease.Token)
	if l.cfg.Observer != nil {
		l.cfg.Observer.LeaderChanged(true, l.cfg.Holder)
	}
	for i, s := range l.cfg.Services {
		if err := s.Start(sctx); err != nil {
			l.log.Error("start a leader service; stepping down", "err", err)
			for _, s := range l.cfg.Services[:i] {
				s.Stop()
			}
			l.leading.Store(false)
			cancel()
			l.release(f)
			return
		}
	}
}

// outageRider is a leader-only service that keeps running when its
// process steps down because it cannot renew the lease (the store does
// not answer: a PostgreSQL restart), and stops only once another process
// holds the lease, or this one stops. The dispatcher is one: its runs go
// on through an outage instead of being killed and retried.
type outageRider interface{ RidesOutages() bool }

func rides(s Service) bool {
	r, ok := s.(outageRider)
	return ok && r.RidesOutages()
}

// stopRiders stops the services that rode out an outage, if any.
func (l *Leadership) stopRiders() {
	l.mu.Lock()
	riding := l.riding
	l.riding = false
	l.mu.Unlock()
	if !riding {
		return
	}
	l.log.Warn("another process leads: stopping what this one kept running through the outage")
	for i := len(l.cfg.Services) - 1; i >= 0; i-- {
		if rides(l.cfg.Services[i]) {
			l.cfg.Services[i].Stop()
		}
	}
}

// stepDown stops the leader-only services (their context first, so they
// stop writing at once, then each in reverse) and lets the lease go. With
// outage, the services that ride out outages keep running.
func (l *Leadership) stepDown(why string, outage bool) {
	if !l.leading.Swap(false) {
		return
	}
	l.mu.Lock()
	f, cancel := l.fence, l.cancel
	l.cancel = nil
	if outage {
		l.riding = true
	}
	l.mu.Unlock()
	cancel() // riders run on a context of their own, not cancelled by it
	level := slog.LevelWarn
	if why == "stopping" {
		level = slog.LevelInfo
	}
	l.log.Log(context.Background(), level, "stopped leading", "why", why, "token", f.Token)
	if l.cfg.Observer != nil {
		l.cfg.Observer.LeaderChanged(false, l.cfg.Holder)
	}
	for i := len(l.cfg.Services) - 1; i >= 0; i-- {
		if !outage || !rides(l.cfg.Services[i]) {
			l.cfg.Services[i].Stop()
		}
	}
	l.release(f)
}

// release lets the lease go if this process still holds it with f's
// token (a no-op otherwise), so another process need not wait out the TTL.
func (l *Leadership) release(f store.Fence) {
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.TTL/3)
	defer cancel()
	if err := l.cfg.Store.ReleaseLease(ctx, LeaderLease, f.Holder, f.Token); err != nil {
		l.log.Warn("release the leader lease", "err", err)
	}
}

// SetObserver sets the observer; call it before Start.
func (l *Leadership) SetObserver(o LeadershipObserver) { l.cfg.Observer = o }
