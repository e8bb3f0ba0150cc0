package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Alerter is the alert manager as the server uses it.
type Alerter interface {
	Wake()
	Raise(ctx context.Context, r manager.Raised) error
}

// SetAlerter makes the server wake a for every finished run and attempt
// and raise automatic rollbacks through it; call it before Start.
func (s *Server) SetAlerter(a Alerter) { s.alerter = a }

func (s *Server) wakeAlerts() {
	if s.alerter != nil {
		s.alerter.Wake()
	}
}

// Project returns the project's gantry.yaml as last loaded (nil when it
// has none): the alert routing tree and channels come from it.
func (s *Server) Project() *spec.Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.project
}

// AlertTargets lists the pipelines the server runs and the environment
// each runs in, for the alert conditions.
func (s *Server) AlertTargets() []manager.Target {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]manager.Target, 0, len(s.pipes))
	for _, p := range s.pipes {
		out = append(out, manager.Target{Pipeline: p.spec, Env: p.env, Since: p.since})
	}
	return out
}

// raiseRollback turns an automatic rollback into an alert.
func (s *Server) raiseRollback(ctx context.Context, run record.Run, what string) {
	s.raiseRolledBack(ctx, run, what, fmt.Sprintf("run %d, the first of revision %s in %s, ended %s: %s", run.ID, short(run.Revision), envName(run.Env), run.State, run.Error))
}

// raiseRolledBack raises RolledBack for run, saying what was rolled back
// and, in details, why.
func (s *Server) raiseRolledBack(ctx context.Context, run record.Run, what, details string) {
	if s.alerter == nil {
		return
	}
	err := s.alerter.Raise(ctx, manager.Raised{
		Pipeline: run.Pipeline, Env: run.Env, RunID: run.ID,
		Summary: fmt.Sprintf("%s rolled back in %s: %s", run.Pipeline, envName(run.Env), what),
		Details: details,
	})
	if err != nil {
		s.log.Error("raise rollback alert", "pipeline", run.Pipeline, "err", err)
	}
}

// raiseTampered alerts that a revision folder no longer holds its
// revision's files, so Gantry refused to load or run it.
func (s *Server) raiseTampered(ctx context.Context, name, env, hash string, runID int64, why error) {
	if s.alerter == nil {
		return
	}
	err := s.alerter.Raise(ctx, manager.Raised{
		Name: manager.NameRevisionTampered, Kind: "failure", Pipeline: name, Env: env, RunID: runID,
		Summary: fmt.Sprintf("%s: revision %s in %s was tampered with; Gantry refuses to run it", name, short(hash), envName(env)),
		Details: why.Error(),
	})
	if err != nil {
		s.log.Error("raise tampered alert", "pipeline", name, "err", err)
	}
}

func envName(env string) string {
	if env == "" {
		return "the working tree"
	}
	return env
}

// AlertAPI serves the alert routes from the manager; every silence and
// test-fire is also written to the audit log.
type AlertAPI struct {
	M     *manager.Manager
	Audit func(ctx context.Context, ev *record.AuditEvent) error // nil: no audit
	// AfterTestFire, when set, is called after every test-fire (a
	// deployment waiting for its readiness may now be ready).
	AfterTestFire func()
}

var _ api.AlertService = (*AlertAPI)(nil)

// alertErr maps the manager's refusals to the API's.
func alertErr(err error) error {
	if errors.Is(err, manager.ErrInvalid) {
		return fmt.Errorf("%w: %v", api.ErrInvalid, err)
	}
	return err
}

func (a *AlertAPI) audit(ctx context.Context, ev record.AuditEvent) {
	if a.Audit != nil {
		_ = a.Audit(ctx, &ev)
	}
}

// ListAlerts implements api.AlertService.
func (a *AlertAPI) ListAlerts(ctx context.Context, f store.AlertFilter) ([]record.Alert, error) {
	return a.M.ListAlerts(ctx, f)
}

// GetAlert implements api.AlertService.
func (a *AlertAPI) GetAlert(ctx context.Context, id int64) (record.Alert, []record.AlertDelivery, int64, error) {
	d, err := a.M.GetAlert(ctx, strconv.FormatInt(id, 10))
	if errors.Is(err, store.ErrNotFound) {
		return record.Alert{}, nil, 0, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
	}
	return d.Alert, d.Deliveries, d.SilencedBy, err
}

// TestFire implements api.AlertService.
func (a *AlertAPI) TestFire(ctx context.Context, route, actor string) (record.TestFire, []record.AlertDelivery, error) {
	tf, ds, err := a.M.TestFire(ctx, route, actor)
	if err != nil {
		return tf, ds, alertErr(err)
	}
	detail := "every channel took it"
	if !tf.OK {
		detail = fmt.Sprintf("failed: %v", tf.Failed)
	}
	a.audit(ctx, record.AuditEvent{Actor: actor, Action: record.AuditTestFire, Reason: "route " + route, Detail: detail})
	if a.AfterTestFire != nil {
		a.AfterTestFire()
	}
	return tf, ds, nil
}

// LastTestFire implements api.AlertService.
func (a *AlertAPI) LastTestFire(ctx context.Context, route string) (time.Time, bool, error) {
	return a.M.LastTestFire(ctx, route)
}

// AddSilence implements api.AlertService.
func (a *AlertAPI) AddSilence(ctx context.Context, s record.Silence) (record.Silence, error) {
	s, err := a.M.AddSilence(ctx, s)
	if err != nil {
		return s, alertErr(err)
	}
	a.audit(ctx, record.AuditEvent{Actor: s.CreatedBy, Action: record.AuditSilence, Reason: s.Reason,
		Detail: fmt.Sprintf("silence %d of %v until %s", s.ID, s.Matchers, s.EndsAt.UTC().Format("2006-01-02 15:04 MST"))})
	return s, nil
}

// ListSilences implements api.AlertService.
func (a *AlertAPI) ListSilences(ctx context.Context, f store.SilenceFilter) ([]record.Silence, error) {
	ss, err := a.M.ListSilences(ctx, !f.ActiveAt.IsZero())
	if f.Limit > 0 && len(ss) > f.Limit {
		ss = ss[:f.Limit]
	}
	return ss, err
}

// ExpireSilence implements api.AlertService.
func (a *AlertAPI) ExpireSilence(ctx context.Context, id int64, actor string) (record.Silence, error) {
	if err := a.M.ExpireSilence(ctx, id, actor); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return record.Silence{}, fmt.Errorf("silence %d: %w", id, err)
		}
		if errors.Is(err, store.ErrConflict) {
			return record.Silence{}, fmt.Errorf("silence %d has already ended: %w", id, err)
		}
		return record.Silence{}, alertErr(err)
	}
	ss, err := a.M.ListSilences(ctx, false)
	if err != nil {
		return record.Silence{}, err
	}
	for _, s := range ss {
		if s.ID == id {
			a.audit(ctx, record.AuditEvent{Actor: actor, Action: record.AuditSilenceExpire, Detail: fmt.Sprintf("silence %d of %v", id, s.Matchers)})
			return s, nil
		}
	}
	return record.Silence{}, fmt.Errorf("silence %d: %w", id, store.ErrNotFound)
}
