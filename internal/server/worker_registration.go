package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// DefaultHeartbeat is how often a worker records that it lives.
const DefaultHeartbeat = 5 * time.Second

// WorkerRegistry is the store's registry of workers.
type WorkerRegistry interface {
	RegisterWorker(ctx context.Context, w record.Worker) error
	HeartbeatWorker(ctx context.Context, id string, running int, at time.Time) error
}

// WorkerRegistration registers a process as a worker at Start, heartbeats
// every Every with the attempts Running says run, and records the worker
// gone at Stop.
type WorkerRegistration struct {
	Store   WorkerRegistry
	Worker  record.Worker // ID and Host required
	Running func() int    // nil: 0
	Every   time.Duration // 0: DefaultHeartbeat
	Logger  *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start registers the worker and begins heartbeating.
func (r *WorkerRegistration) Start(ctx context.Context) error {
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Every <= 0 {
		r.Every = DefaultHeartbeat
	}
	w := r.Worker
	now := time.Now()
	w.StartedAt, w.HeartbeatAt, w.State = now, now, record.WorkerActive
	if err := r.Store.RegisterWorker(ctx, w); err != nil {
		return err
	}
	r.Worker = w
	r.mu.Lock()
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.mu.Unlock()
	r.wg.Go(func() { r.loop(ctx) })
	return nil
}

func (r *WorkerRegistration) running() int {
	if r.Running == nil {
		return 0
	}
	return r.Running()
}

func (r *WorkerRegistration) loop(ctx context.Context) {
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.Store.HeartbeatWorker(ctx, r.Worker.ID, r.running(), time.Now())
		if errors.Is(err, store.ErrNotFound) {
			// Removed under it (a store restored from a backup): again.
			w := r.Worker
			w.Running, w.HeartbeatAt = r.running(), time.Now()
			err = r.Store.RegisterWorker(ctx, w)
		}
		if err != nil && ctx.Err() == nil {
			r.Logger.Warn("worker heartbeat", "err", err)
		}
	}
}

// Stop ends heartbeating and records the worker gone. Idempotent.
func (r *WorkerRegistration) Stop() {
	r.mu.Lock()
	cancel := r.cancel
	r.cancel = nil
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	r.wg.Wait()
	ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	w := r.Worker
	w.Running, w.HeartbeatAt, w.State = 0, time.Now(), record.WorkerGone
	if err := r.Store.RegisterWorker(ctx, w); err != nil {
		r.Logger.Warn("record the worker gone", "err", err)
	}
}
