package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// Cluster is the processes sharing the store, as the API shows them: who
// leads, and the workers registry.
type Cluster interface {
	// Leader returns the holder of the leader lease now ("" when nobody
	// holds it) and whether it is this process.
	Leader(ctx context.Context) (holder string, self bool, err error)
	// Workers lists the registered workers by ID.
	Workers(ctx context.Context) ([]record.Worker, error)
}

// WorkerView is a registered worker.
type WorkerView struct {
	ID          string            `json:"id"`
	Host        string            `json:"host"`
	Labels      map[string]string `json:"labels"`
	Slots       int               `json:"slots"`
	Running     int               `json:"running"`
	State       string            `json:"state"`
	StartedAt   time.Time         `json:"started_at,omitzero"`
	HeartbeatAt time.Time         `json:"heartbeat_at,omitzero"`
	// HeartbeatAge is how long ago the last heartbeat was, in seconds,
	// by this server's clock.
	HeartbeatAge float64 `json:"heartbeat_age_seconds"`
}

// WorkerList is GET /api/v1/workers: the workers, and the leader.
type WorkerList struct {
	Leader  string       `json:"leader"`
	Workers []WorkerView `json:"workers"`
}

func newWorkerView(w record.Worker, now time.Time) WorkerView {
	labels := w.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return WorkerView{ID: w.ID, Host: w.Host, Labels: labels, Slots: w.Slots, Running: w.Running,
		State: w.State, StartedAt: w.StartedAt.UTC(), HeartbeatAt: w.HeartbeatAt.UTC(),
		HeartbeatAge: max(now.Sub(w.HeartbeatAt), 0).Seconds()}
}

func (h *handler) listWorkers(w http.ResponseWriter, r *http.Request) {
	if h.cluster == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "this server keeps no workers registry", "")
		return
	}
	ws, err := h.cluster.Workers(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	leader, _, err := h.cluster.Leader(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now()
	list := WorkerList{Leader: leader, Workers: make([]WorkerView, 0, len(ws))}
	for _, wk := range ws {
		list.Workers = append(list.Workers, newWorkerView(wk, now))
	}
	writeJSON(w, http.StatusOK, list)
}
