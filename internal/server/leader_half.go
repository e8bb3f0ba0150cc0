package server

import (
	"context"
	"fmt"
	"sync"
)

// Leader is the server's leader-only half as a Service: the scheduler and
// the dispatcher (which starts queued runs and resumes the runs left
// running). Give it to a Leadership with Config.Elected; without, Start
// starts it.
func (s *Server) Leader() Service { return &s.leader }

// leaderHalf runs the scheduler and the dispatcher between its Start and
// Stop, as often as the process leads.
type leaderHalf struct {
	s *Server

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start reads what the last leader scheduled and what is paused, then
// starts the scheduler and the dispatcher on ctx (which carries the
// leader's fence, so the scheduler's runs are created under it).
func (h *leaderHalf) Start(ctx context.Context) error {
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
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.cancel = cancel
	h.wg.Add(2)
	go func() { defer h.wg.Done(); s.scheduleLoop(ctx) }()
	go func() { defer h.wg.Done(); s.dispatchLoop(ctx) }()
	return nil
}

// Stop stops scheduling and suspends the runs in flight; they resume where
// the dispatcher runs next. Idempotent.
func (h *leaderHalf) Stop() {
	h.mu.Lock()
	cancel := h.cancel
	h.cancel = nil
	h.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	h.wg.Wait()
	h.s.running.Store(0)
}

func (h *leaderHalf) running() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cancel != nil
}
