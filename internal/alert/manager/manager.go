package manager

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// DefaultPoll is the longest the loop sleeps between evaluations.
const DefaultPoll = 30 * time.Second

// Config wires a Manager. Store, Project, Targets and Notifiers are
// required.
type Config struct {
	Store   store.Store
	Project func() *spec.Project // the current gantry.yaml; read on every evaluation
	Targets func() []Target      // the pipelines and the environments they run in
	// Secrets resolves channel credentials and the secret values alert text
	// is redacted of; nil resolves nothing (channels needing one fail).
	Secrets func(name string) (string, error)
	// Notifiers builds each channel's notifier, at every evaluation.
	Notifiers NotifierFunc
	// BaseURL is where Gantry's UI is reached, e.g. https://gantry.example:
	// alerts link to BaseURL/runs/{id}, and to BaseURL/pipelines/{name}/runbook
	// for a runbook that is a file in the project. "" leaves links out.
	BaseURL string
	Logger  *slog.Logger     // nil: discard
	Now     func() time.Time // nil: time.Now
	Poll    time.Duration    // 0: DefaultPoll
	Logs    logs.Source      // attempts' logs, quoted in failure alerts; nil: logs.Files
}

// Manager evaluates alert conditions in its own loop, routes, groups and
// delivers the alerts, and keeps all of it in the store. It is safe for
// concurrent use.
type Manager struct {
	cfg Config
	mu  sync.Mutex // one evaluation at a time
	log *slog.Logger

	secMu sync.Mutex
	sec   *secrets // resolved at the start of each evaluation

	wake    chan struct{}
	runMu   sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
}

// New checks cfg and returns a Manager; Start runs its loop.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil || cfg.Project == nil || cfg.Targets == nil || cfg.Notifiers == nil {
		return nil, errors.New("alert manager: Store, Project, Targets and Notifiers are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Logs == nil {
		cfg.Logs = logs.Files{}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Manager{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1)}, nil
}

// Start runs the evaluation loop until Stop or ctx ends. It returns at
// once; calling it twice without a Stop between is an error. A stopped
// manager starts again (a server that leads again after losing the
// leader lease).
func (m *Manager) Start(ctx context.Context) error {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	if m.started {
		return errors.New("alert manager: already started")
	}
	m.started = true
	ctx, m.cancel = context.WithCancel(ctx)
	m.done = make(chan struct{})
	go m.loop(ctx)
	return nil
}

// Stop ends the loop and waits for an evaluation in flight, whose
// deliveries are cancelled after their current attempt. It is idempotent.
func (m *Manager) Stop() {
	m.runMu.Lock()
	cancel, done := m.cancel, m.done
	m.runMu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	m.runMu.Lock()
	if m.done == done {
		m.started, m.cancel = false, nil
	}
	m.runMu.Unlock()
}

// Wake asks for an evaluation now: the server calls it whenever a run or
// attempt finishes, so a failure pages within group_wait, not at the next
// poll. It never blocks.
func (m *Manager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) loop(ctx context.Context) {
	defer close(m.done)
	var pruned time.Time
	for {
		now := m.cfg.Now()
		next, err := m.Evaluate(ctx, now)
		if err != nil && ctx.Err() == nil {
			m.log.Error("alert evaluation", "err", err)
		}
		if now.Sub(pruned) >= pruneEvery {
			pruned = now
			if p, err := m.Prune(ctx, now); err != nil && ctx.Err() == nil {
				m.log.Error("alert pruning", "err", err)
			} else if p != (store.Pruned{}) {
				m.log.Info("pruned alert history", "alerts", p.Alerts, "deliveries", p.Deliveries, "silences", p.Silences)
			}
		}
		d := min(max(next.Sub(now), 0), m.cfg.Poll)
		if err != nil {
			d = min(d, 5*time.Second)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-m.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// DefaultRetention is how long ended alert history is kept when
// gantry.yaml's alerts.retention does not say.
const DefaultRetention = 90 * 24 * time.Hour

// pruneEvery is how often the loop prunes.
const pruneEvery = time.Hour

// Prune deletes the resolved alerts, deliveries and silences that ended
// more than the project's retention before now. Firing alerts, groups and
// test-fires (the gate reads them) stay.
func (m *Manager) Prune(ctx context.Context, now time.Time) (store.Pruned, error) {
	keep := DefaultRetention
	if p := m.cfg.Project(); p != nil && p.Alerts.Retention > 0 {
		keep = p.Alerts.Retention
	}
	return m.cfg.Store.PruneAlerts(ctx, now.Add(-keep))
}

func (m *Manager) runURL(id int64) string {
	return m.cfg.BaseURL + "/runs/" + itoa(id)
}

// runbookURL links to the section of p's runbook for a failure mode: the
// runbook itself when it is a URL, else the UI's rendering of the file.
func (m *Manager) runbookURL(p *spec.Pipeline, anchor string) string {
	var u string
	switch {
	case p.Runbook == "":
		return ""
	case strings.HasPrefix(p.Runbook, "http://") || strings.HasPrefix(p.Runbook, "https://"):
		u, _, _ = strings.Cut(p.Runbook, "#")
	case m.cfg.BaseURL != "":
		u = m.cfg.BaseURL + "/pipelines/" + p.Name + "/runbook"
	default:
		return ""
	}
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}
