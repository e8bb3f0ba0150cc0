package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
)

// WorkerConfig is a `gantry worker`.
type WorkerConfig struct {
	ProjectDir string // this machine's copy of the project
	Store      string // a postgres:// URL, or "" for the project's store setting
	Slots      int    // attempts at once; 0: 4
	Labels     map[string]string
	Grace      time.Duration // how long SIGTERM lets running attempts finish; 0: 30s
	LeaseTTL   time.Duration // the claims' lease; 0: the leader lease's default
	Logger     *slog.Logger
}

// DefaultWorkerSlots is a worker's slots when not given.
const DefaultWorkerSlots = 4

// ParseLabels reads k=v,k=v.
func ParseLabels(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Sprintf("--labels %q: want key=value pairs separated by commas", s)}
		}
		if err := record.CheckLabelKey(k); err != nil {
			return nil, usageError{fmt.Sprintf("--labels: %v", err)}
		}
		if _, dup := out[k]; dup {
			return nil, usageError{fmt.Sprintf("--labels: %s is given twice", k)}
		}
		out[k] = v
	}
	return out, nil
}

// Worker claims task attempts from the PostgreSQL store that `gantry
// serve` processes queue them in, and runs them here, until ctx ends; it
// then drains: it claims no more, gives what runs cfg.Grace to end, and
// hands the rest back to be retried elsewhere.
func Worker(ctx context.Context, cfg WorkerConfig) error {
	log := cfg.Logger
	dir, err := filepath.Abs(cfg.ProjectDir)
	if err != nil {
		return err
	}
	project, err := loadProject(dir)
	if err != nil {
		return err
	}
	url := StoreURL(cfg.Store, dir, project)
	if !isPostgres(url) {
		return usageError{errNoWorkerStore.Error() + "; this one is " + Redact(url)}
	}
	if cfg.Slots < 0 {
		return usageError{fmt.Sprintf("--slots %d: want 1 or more", cfg.Slots)}
	}
	slots := cfg.Slots
	if slots == 0 {
		slots = DefaultWorkerSlots
	}
	grace := cfg.Grace
	if grace <= 0 {
		grace = 30 * time.Second
	}
	ttl, err := leaseTTL(Config{LeaseTTL: cfg.LeaseTTL})
	if err != nil {
		return err
	}
	st, err := OpenStore(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	id := processID()
	w, err := newWorker(st, url, id, dir, project, slots, cfg.Labels, ttl, log)
	if err != nil {
		return err
	}
	for _, note := range w.exe.LimitNotes() {
		log.Warn(note)
	}
	host, _ := os.Hostname()
	reg := &server.WorkerRegistration{Store: st, Worker: record.Worker{ID: id, Host: host, Labels: cfg.Labels, Slots: slots},
		Running: w.Running, Logger: log.With("component", "workers")}
	if err := reg.Start(ctx); err != nil {
		w.Stop(0)
		return fmt.Errorf("register as a worker: %w", err)
	}
	defer reg.Stop()
	if err := w.Start(ctx); err != nil {
		w.Stop(0)
		return err
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range cfg.Labels {
			if !yield(k + "=" + cfg.Labels[k]) {
				return
			}
		}
	})
	log.Info("worker started", "id", id, "slots", slots, "labels", strings.Join(keys, ","), "project", dir, "store", Redact(url))
	var died error
	select {
	case <-ctx.Done():
	case <-w.Died():
		log.Error(guardLost)
		died, grace = errors.New(guardLost), 0
	}
	log.Info("draining: claiming no more; running attempts get the grace period, then are handed back", "running", w.Running(), "grace", grace)
	drain := reg.Worker
	drain.State, drain.Running, drain.HeartbeatAt = record.WorkerDraining, w.Running(), time.Now()
	if err := st.RegisterWorker(context.WithoutCancel(ctx), drain); err != nil {
		log.Warn("record the worker as draining", "err", err)
	}
	w.Stop(grace)
	log.Info("worker stopped")
	return died
}
