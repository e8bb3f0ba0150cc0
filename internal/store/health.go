package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// ErrUnavailable marks a failure that says nothing about the data: the
// database is unreachable, restarting, out of disk or busy. The same write
// may succeed when tried again. Drivers wrap such errors with it.
var ErrUnavailable = errors.New("store unavailable")

// Health tracks whether the store's writes are succeeding: one failure
// makes it unhealthy until a write succeeds again. It is safe for
// concurrent use.
type Health struct {
	mu       sync.Mutex
	failing  bool
	since    time.Time // first failure of the current streak
	last     error
	failures uint64 // every failed write since the process started
	now      func() time.Time
}

// Failed records a failed write.
func (h *Health) Failed(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures++
	if !h.failing {
		h.failing = true
		h.since = h.clock()
	}
	h.last = err
}

// OK records a write that succeeded.
func (h *Health) OK() {
	h.mu.Lock()
	h.failing, h.last = false, nil
	h.mu.Unlock()
}

// Err says why the store is unhealthy, or nil when its last write
// succeeded.
func (h *Health) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.failing {
		return nil
	}
	return fmt.Errorf("store writes failing since %s: %w", h.since.UTC().Format(time.RFC3339), h.last)
}

// Failures counts the failed writes since the process started.
func (h *Health) Failures() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failures
}

func (h *Health) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// WithHealth returns s with the outcome of every write that moves runs
// forward (Apply, CreateRun, CreateBackfill, SetBackfillState, SetPaused)
// recorded in h.
func WithHealth(s Store, h *Health) Store { return &healthStore{Store: s, h: h} }

type healthStore struct {
	Store
	h *Health
}

func (s *healthStore) note(err error) error {
	switch {
	case err == nil:
		s.h.OK()
	case errors.Is(err, context.Canceled), errors.Is(err, ErrConflict), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrFenced):
		// The caller gave up, or the store answered: it works.
		s.h.OK()
	default:
		s.h.Failed(err)
	}
	return err
}

func (s *healthStore) Apply(ctx context.Context, b *Batch) error {
	return s.note(s.Store.Apply(ctx, b))
}

func (s *healthStore) CreateRun(ctx context.Context, r *record.Run, tasks []string) error {
	return s.note(s.Store.CreateRun(ctx, r, tasks))
}

func (s *healthStore) CreateBackfill(ctx context.Context, b *record.Backfill, runs []*record.Run, tasks []string) error {
	return s.note(s.Store.CreateBackfill(ctx, b, runs, tasks))
}

func (s *healthStore) SetBackfillState(ctx context.Context, id int64, st record.BackfillState) error {
	return s.note(s.Store.SetBackfillState(ctx, id, st))
}

func (s *healthStore) SetPaused(ctx context.Context, pipeline string, paused bool, by string, at time.Time) error {
	return s.note(s.Store.SetPaused(ctx, pipeline, paused, by, at))
}
