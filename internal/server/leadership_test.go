package server_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// probe is a leader-only service that records its runs and, while it
// runs, tries a fenced write with the context it was started with.
type probe struct {
	st store.Store

	mu      sync.Mutex
	ctx     context.Context
	starts  int
	stopped []time.Time
}

func (p *probe) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctx = ctx
	p.starts++
	return nil
}

func (p *probe) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = append(p.stopped, time.Now())
}

func (p *probe) counts() (starts, stops int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts, len(p.stopped)
}

// write creates a scheduled run under the context the probe was last
// started with, even after it was cancelled: as a process paused while it
// led would, once it resumes.
func (p *probe) write(iv time.Time) error {
	p.mu.Lock()
	ctx := context.WithoutCancel(p.ctx)
	p.mu.Unlock()
	r := record.Run{Pipeline: "p", Trigger: record.TriggerSchedule, IntervalStart: iv, IntervalEnd: iv.Add(time.Second)}
	return p.st.CreateRun(ctx, &r, nil)
}

func leaseStore(t *testing.T) store.Store {
	t.Helper()
	st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func leader(st server.LeaseStore, holder string, ttl time.Duration, p *probe, alive func(context.Context, string) (bool, error)) *server.Leadership {
	return server.NewLeadership(server.LeadershipConfig{Store: st, Holder: holder, TTL: ttl,
		Services: []server.Service{p}, Alive: alive})
}

// Of two processes exactly one leads, its services run under a fence its
// writes pass; stopped, it lets the lease go and the other leads at once,
// while the first's fence refuses writes.
func TestLeadershipOneLeadsAndHandsOver(t *testing.T) {
	t.Parallel()
	st := leaseStore(t)
	pa, pb := &probe{st: st}, &probe{st: st}
	a := leader(st, "a", 3*time.Second, pa, nil)
	b := leader(st, "b", 3*time.Second, pb, nil)
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	if !a.Leading() || b.Leading() {
		t.Fatalf("leading: a %v, b %v; want a only", a.Leading(), b.Leading())
	}
	if s, _ := pb.counts(); s != 0 {
		t.Fatalf("the standby started its leader services")
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := pa.write(t0); err != nil {
		t.Fatalf("the leader's fenced write: %v", err)
	}
	a.Stop()
	if _, stops := pa.counts(); stops != 1 {
		t.Errorf("the stopped leader's services stopped %d times, want 1", stops)
	}
	eventually(t, 5*time.Second, "the standby to lead once the leader let go", b.Leading)
	if err := pa.write(t0.Add(time.Second)); !errors.Is(err, store.ErrFenced) {
		t.Errorf("a write under the old leader's fence: %v, want ErrFenced", err)
	}
	if err := pb.write(t0.Add(time.Second)); err != nil {
		t.Errorf("the new leader's fenced write: %v", err)
	}
	l, err := b.Leader(t.Context())
	if err != nil || l.Holder != "b" || l.Token != 2 {
		t.Errorf("lease after the hand-over: %+v, %v; want b with token 2", l, err)
	}
}

// flakyLeases fails every AcquireLease once told to, as a store that no
// longer answers.
type flakyLeases struct {
	store.Store
	mu   sync.Mutex
	fail bool
}

func (f *flakyLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, at time.Time) (record.Lease, error) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return record.Lease{}, store.ErrUnavailable
	}
	return f.Store.AcquireLease(ctx, name, holder, ttl, at)
}

// A leader that cannot renew stops its services before its lease expires.
func TestLeadershipStepsDownBeforeTheTTL(t *testing.T) {
	t.Parallel()
	st := &flakyLeases{Store: leaseStore(t)}
	p := &probe{st: st}
	const ttl = 900 * time.Millisecond
	l := leader(st, "a", ttl, p, nil)
	if err := l.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer l.Stop()
	lease, err := st.GetLease(t.Context(), server.LeaderLease)
	if err != nil || !l.Leading() {
		t.Fatalf("not leading: %v", err)
	}
	st.mu.Lock()
	st.fail = true
	st.mu.Unlock()
	eventually(t, 5*time.Second, "the leader to step down", func() bool { return !l.Leading() })
	p.mu.Lock()
	stopped := p.stopped[0]
	p.mu.Unlock()
	// The lease was renewed at most once after lease was read, TTL/3
	// later; it expires TTL after that renewal at the latest.
	if expires := lease.ExpiresAt.Add(ttl / 3); !stopped.Before(expires) {
		t.Errorf("services stopped at %s, after the lease expired (%s)", stopped.Format(time.StampMilli), expires.Format(time.StampMilli))
	}
}

// A standby takes over at once from a holder Alive says is gone, and
// waits for the lease to expire while it is there.
func TestLeadershipTakesOverFromAGoneHolder(t *testing.T) {
	t.Parallel()
	for _, gone := range []bool{true, false} {
		st := leaseStore(t)
		if _, err := st.AcquireLease(t.Context(), server.LeaderLease, "ghost", time.Hour, time.Now()); err != nil {
			t.Fatal(err)
		}
		p := &probe{st: st}
		var mu sync.Mutex
		asked := 0
		l := leader(st, "b", 3*time.Second, p, func(_ context.Context, holder string) (bool, error) {
			mu.Lock()
			asked++
			mu.Unlock()
			return !(gone && holder == "ghost"), nil
		})
		if err := l.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if gone && !l.Leading() {
			t.Errorf("the standby did not take over from a holder that is gone")
		}
		if !gone {
			eventually(t, 5*time.Second, "three standby tries", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return asked >= 3
			})
			if l.Leading() {
				t.Errorf("the standby took over from a holder that is there, before its lease expired")
			}
		}
		l.Stop()
	}
}
