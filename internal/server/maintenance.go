package server

import (
	"context"
	"log/slog"
	"time"
)

// DefaultLogRetention is how long shipped log chunks are kept.
const DefaultLogRetention = 30 * 24 * time.Hour

// LogPruner deletes shipped log chunks older than a time.
type LogPruner interface {
	PruneLogChunks(ctx context.Context, before time.Time) (int64, error)
}

// Maintenance is the leader's housekeeping: it prunes shipped log chunks
// older than Retention, at Start and every Every. (Alert history is pruned
// by the alert loop, also on the leader.) Its writes are fenced by the
// context Start is given.
type Maintenance struct {
	Store     LogPruner
	Retention time.Duration // 0: DefaultLogRetention
	Every     time.Duration // 0: an hour
	Logger    *slog.Logger

	run loop
}

// Start begins pruning; it returns at once.
func (m *Maintenance) Start(ctx context.Context) error {
	m.run.startOnce(ctx, m.loop)
	return nil
}

// Stop ends pruning and waits for a prune in flight. Idempotent.
func (m *Maintenance) Stop() {
	m.run.stop()
}

func (m *Maintenance) loop(ctx context.Context) {
	keep, every := m.Retention, m.Every
	if keep <= 0 {
		keep = DefaultLogRetention
	}
	if every <= 0 {
		every = time.Hour
	}
	log := m.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := m.Store.PruneLogChunks(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("prune log chunks", "err", err)
		case n > 0:
			log.Info("pruned shipped log chunks", "chunks", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
