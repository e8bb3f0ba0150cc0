package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/monitor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/store"
)

// processID names this process among the processes sharing a store, as
// the leader lease's holder and the worker's ID: host, pid and a random
// suffix, so that a restarted process (same pid in a container) is
// another holder.
func processID() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// leaseTTL is cfg's lease TTL, else $GANTRY_LEASE_TTL's, else 0 (the
// default).
func leaseTTL(cfg Config) (time.Duration, error) {
	if cfg.LeaseTTL != 0 {
		return cfg.LeaseTTL, nil
	}
	v := os.Getenv(LeaseTTLEnv)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usageError{fmt.Sprintf("$%s %q: want a positive duration such as 10s", LeaseTTLEnv, v)}
	}
	return d, nil
}

// startCluster registers this server as a worker and starts competing for
// the leader lease, with the scheduler and dispatcher, the alert loop and
// maintenance as the leader-only services.
func (p *parts) startCluster(ctx context.Context, cfg Config) error {
	ttl, err := leaseTTL(cfg)
	if err != nil {
		return err
	}
	if ttl < 0 {
		return usageError{fmt.Sprintf("--lease-ttl %s: want a positive duration", ttl)}
	}
	id := processID()
	if err := p.excl.HoldName(ctx, id); err != nil {
		return err
	}
	host, _ := os.Hostname()
	running := p.srv.Running
	slots := 0
	if p.exe != nil {
		if slots, err = serveSlots(); err != nil {
			return err
		}
		if slots > 0 {
			start := func() (*localWorker, error) {
				w, err := newWorker(p.st, p.url, id, p.dir, p.project, slots, nil, ttl, cfg.Logger)
				if err != nil {
					return nil, err
				}
				w.Claimed = p.claims.Claimed
				if err := w.Start(ctx); err != nil {
					w.Stop(0)
					return nil, err
				}
				return w, nil
			}
			w, err := start()
			if err != nil {
				return err
			}
			sw := &serveWorker{cur: w, start: start, log: cfg.Logger.With("component", "worker"), stopping: make(chan struct{})}
			go sw.watch()
			p.started = append(p.started, stopFunc(func() { sw.Stop(cfg.Grace / 2) }))
			running = sw.Running
		}
	}
	reg := &server.WorkerRegistration{Store: p.st, Worker: record.Worker{ID: id, Host: host, Slots: slots},
		Running: running, Logger: cfg.Logger.With("component", "workers")}
	if err := reg.Start(ctx); err != nil {
		return fmt.Errorf("register as a worker: %w", err)
	}
	p.started = append(p.started, reg)
	p.reassess = &server.Reassessor{Deploy: server.DeployAPI{Service: p.lifecycle, S: p.srv}, Every: deploy.ReassessEvery, Logger: cfg.Logger.With("component", "readiness")}
	p.lead = server.NewLeadership(server.LeadershipConfig{
		Store: p.st, Holder: id, TTL: ttl, Logger: cfg.Logger.With("component", "leadership"),
		Alive: p.excl.Alive(),
		Services: []server.Service{
			p.srv.Scheduler(), p.srv.Dispatcher(), p.alerts,
			&server.Maintenance{Store: p.st, Logger: cfg.Logger.With("component", "maintenance")},
			p.reassess,
		},
	})
	m, err := monitor.RegisterLeadership(p.reg, p.lead)
	if err != nil {
		return err
	}
	p.lead.SetObserver(m)
	if err := p.lead.Start(ctx); err != nil {
		return err
	}
	p.started = append(p.started, p.lead)
	return nil
}

// logSource reads attempts' logs from this machine's files, and from the
// chunks shipped to st for attempts that ran elsewhere.
func logSource(st store.Store) logs.Source {
	return logs.Fallback{First: logs.Files{}, Then: logs.Chunks{Store: st}}
}

// cluster is the API's view of the processes sharing the store.
type cluster struct {
	lead *server.Leadership
	st   store.Store
}

func (c cluster) Leader(ctx context.Context) (string, bool, error) {
	l, err := c.lead.Leader(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	if err != nil || !l.Live(time.Now()) {
		return "", false, nil
	}
	return l.Holder, l.Holder == c.lead.Holder(), nil
}

func (c cluster) Workers(ctx context.Context) ([]record.Worker, error) { return c.st.ListWorkers(ctx) }

// serveWorker is a server's own worker, started again with a new guard
// when its guard dies: its attempts are ended and handed back, and the
// server runs tasks again rather than go on saying it does.
type serveWorker struct {
	start    func() (*localWorker, error)
	log      *slog.Logger
	stopping chan struct{}

	mu      sync.Mutex
	cur     *localWorker
	stopped bool
}

func (sw *serveWorker) watch() {
	for {
		sw.mu.Lock()
		w := sw.cur
		sw.mu.Unlock()
		select {
		case <-sw.stopping:
			return
		case <-w.Died():
		}
		sw.log.Error(guardLost + "; starting it again with a new guard")
		w.Stop(0)
		for try := 0; ; try++ {
			nw, err := sw.start()
			if err == nil {
				sw.mu.Lock()
				if sw.stopped {
					sw.mu.Unlock()
					nw.Stop(0)
					return
				}
				sw.cur = nw
				sw.mu.Unlock()
				sw.log.Info("the worker runs again under a new guard")
				break
			}
			sw.log.Error("start the worker again; trying again", "err", err)
			select {
			case <-sw.stopping:
				return
			case <-time.After(min(time.Duration(try+1)*time.Second, 30*time.Second)):
			}
		}
	}
}

// Running is how many attempts the current worker runs.
func (sw *serveWorker) Running() int {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.cur.Running()
}

// Stop drains the current worker; no other is started after it.
func (sw *serveWorker) Stop(grace time.Duration) {
	sw.mu.Lock()
	if sw.stopped {
		sw.mu.Unlock()
		return
	}
	sw.stopped = true
	close(sw.stopping)
	w := sw.cur
	sw.mu.Unlock()
	w.Stop(grace)
}
