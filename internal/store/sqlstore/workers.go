package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

const workerColumns = `id, host, labels, slots, running, started_at, heartbeat_at, state`

// RegisterWorker inserts w or overwrites the worker with its ID. A zero
// StartedAt or HeartbeatAt is now, an empty State active.
func (s *Store) RegisterWorker(ctx context.Context, w record.Worker) error {
	if w.ID == "" {
		return fmt.Errorf("register worker: an ID is required")
	}
	now := Now()
	if w.StartedAt.IsZero() {
		w.StartedAt = now
	}
	if w.HeartbeatAt.IsZero() {
		w.HeartbeatAt = now
	}
	if w.State == "" {
		w.State = record.WorkerActive
	}
	labels, err := JSONArg(emptyMap(w.Labels), false)
	if err != nil {
		return fmt.Errorf("register worker %s: %w", w.ID, err)
	}
	_, err = s.db.Exec(ctx, `INSERT INTO workers (`+workerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, labels = excluded.labels, slots = excluded.slots,
		running = excluded.running, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
		state = excluded.state`,
		w.ID, w.Host, labels, w.Slots, w.Running, s.t(w.StartedAt), s.t(w.HeartbeatAt), w.State)
	if err != nil {
		return fmt.Errorf("register worker %s: %w", w.ID, err)
	}
	return nil
}

// HeartbeatWorker records worker id's running attempts at at (now when
// zero), or returns store.ErrNotFound.
func (s *Store) HeartbeatWorker(ctx context.Context, id string, running int, at time.Time) error {
	if at.IsZero() {
		at = Now()
	}
	err := AffectedOne(s.db.Exec(ctx, `UPDATE workers SET running = ?, heartbeat_at = ? WHERE id = ?`,
		running, s.t(at), id))
	if err != nil {
		return fmt.Errorf("heartbeat worker %s: %w", id, err)
	}
	return nil
}

// ListWorkers returns every worker by ID.
func (s *Store) ListWorkers(ctx context.Context) ([]record.Worker, error) {
	return queryAll(ctx, s, "list workers", scanWorker, `SELECT `+workerColumns+` FROM workers ORDER BY id`)
}

func scanWorker(sc Scanner) (record.Worker, error) {
	var w record.Worker
	var labels JSON[map[string]string]
	var started, beat Time
	if err := sc.Scan(&w.ID, &w.Host, &labels, &w.Slots, &w.Running, &started, &beat, &w.State); err != nil {
		return w, err
	}
	w.Labels, w.StartedAt, w.HeartbeatAt = labels.V, started.T, beat.T
	if len(w.Labels) == 0 {
		w.Labels = nil
	}
	return w, nil
}
