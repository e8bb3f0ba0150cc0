package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Reassessor is, on the leader, what moves deployments that wait for the
// readiness gate: a fix (a test-fire that succeeded, a run that met its
// SLA, a limit raised) changes no deployment by itself, so it judges the
// pending ones again every Every, and at once after Kick.
type Reassessor struct {
	Deploy interface {
		ReassessPending(ctx context.Context) (int, error)
	}
	Every  time.Duration // 0: a minute
	Logger *slog.Logger

	once sync.Once
	kick chan struct{}
	run  loop
}

func (r *Reassessor) kicks() chan struct{} {
	r.once.Do(func() { r.kick = make(chan struct{}, 1) })
	return r.kick
}

// Kick asks for a judgement now; it never blocks, and does nothing on a
// process that does not lead (the leader's next round catches up).
func (r *Reassessor) Kick() {
	select {
	case r.kicks() <- struct{}{}:
	default:
	}
}

// Start begins judging; it returns at once.
func (r *Reassessor) Start(ctx context.Context) error {
	r.run.startOnce(ctx, r.loop)
	return nil
}

// Stop ends judging and waits for a round in flight. Idempotent.
func (r *Reassessor) Stop() {
	r.run.stop()
}

func (r *Reassessor) loop(ctx context.Context) {
	every := r.Every
	if every <= 0 {
		every = time.Minute
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kicks():
		}
		n, err := r.Deploy.ReassessPending(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("judge pending deployments again", "err", err)
		}
		if n > 0 {
			log.Info("pending deployments became ready and were activated", "deployments", n)
		}
	}
}
