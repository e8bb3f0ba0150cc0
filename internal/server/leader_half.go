package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/gantryhq/gantry/internal/store"
)

// Scheduler is the server's scheduler as a leader-only Service: it turns
// cron ticks into runs, under the leader's fence. Give it to a Leadership
// with Config.Elected; without, Start starts it.
func (s *Server) Scheduler() Service { return &s.sched }

// Dispatcher is the server's dispatcher as a leader-only Service: it
// starts queued runs and resumes the runs left running. It rides out a
// store outage (see Leadership): its runs keep going while the lease
// cannot be renewed, and stop only when another process leads.
func (s *Server) Dispatcher() Service { return &s.disp }

// loop is a goroutine a Service runs between its Start and Stop, as often
// as its process leads.
type loop struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// start runs fn on ctx until stop; the caller holds l.mu.
func (l *loop) start(ctx context.Context, fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel = cancel
	l.wg.Go(func() { fn(ctx) })
}

// startOnce starts fn on ctx unless the loop runs already.
func (l *loop) startOnce(ctx context.Context, fn func(ctx context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel == nil {
		l.start(ctx, fn)
	}
}

// stop ends the loop and waits for it; it reports whether it ran.
func (l *loop) stop() bool {
	l.mu.Lock()
	cancel := l.cancel
	l.cancel = nil
	l.mu.Unlock()
	if cancel == nil {
		return false
	}
	cancel()
	l.wg.Wait()
	return true
}

func (l *loop) running() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cancel != nil
}

type schedulerService struct {
	s *Server
	loop
}

// Start reads what the last leader scheduled and what is paused, then
// starts the scheduler on ctx (which carries the leader's fence, so its
// runs are created under it).
func (h *schedulerService) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel != nil {
		return nil
	}
	s := h.s
	// Another process may have led since this one last did: what it
	// scheduled and paused is in the store, not in memory.
	states, err := s.cfg.Store.ListPipelineStates(ctx)
	if err != nil {
		return fmt.Errorf("read pipeline states: %w", err)
	}
	s.mu.Lock()
	for _, ps := range states {
		s.paused[ps.Pipeline] = ps.Paused
	}
	clear(s.cursors)
	s.mu.Unlock()
	if err := s.loadCursors(ctx); err != nil {
		return err
	}
	h.start(ctx, s.scheduleLoop)
	return nil
}

// Stop stops scheduling. Idempotent.
func (h *schedulerService) Stop() { h.stop() }

type dispatcherService struct {
	s *Server
	loop
}

// Start starts the dispatcher, unless it runs already (it rode out an
// outage). Its writes are not fenced: the runs it executes go on whoever
// leads next, until it is stopped.
func (h *dispatcherService) Start(ctx context.Context) error {
	h.startOnce(store.WithFence(ctx, store.Fence{}), h.s.dispatchLoop)
	return nil
}

// Stop stops dispatching and suspends the runs in flight; they resume
// where the dispatcher runs next. Idempotent.
func (h *dispatcherService) Stop() {
	if h.stop() {
		h.s.running.Store(0)
	}
}

// RidesOutages says the dispatcher keeps running while the lease cannot
// be renewed (see Leadership).
func (h *dispatcherService) RidesOutages() bool { return true }
