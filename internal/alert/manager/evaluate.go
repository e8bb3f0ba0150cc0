package manager

import (
	"context"
	"errors"
	"fmt"
	"github.com/gantryhq/gantry/internal/alert/routing"
	"maps"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// annResolve marks an alert raised from outside (Raise) with how it
// resolves: "next_success" is the next succeeded run of its pipeline in
// its environment.
const annResolve = "resolve"

// Evaluate runs one pass at now: it evaluates every condition, records
// alerts that started or ended, routes them into groups and delivers the
// groups that are due. It returns when the next pass is needed even if no
// run changes: the earliest group flush, SLA deadline or freshness expiry,
// at most Poll away. The loop calls it; tests call it with their own clock.
func (m *Manager) Evaluate(ctx context.Context, now time.Time) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	project := m.cfg.Project()
	if project == nil {
		return now.Add(m.cfg.Poll), errors.New("no project")
	}
	targets := m.cfg.Targets()
	sec := m.resolveSecrets(project, targets)
	m.secMu.Lock()
	m.sec = sec
	m.secMu.Unlock()

	e := &eval{m: m, ctx: ctx, now: now, project: project, tree: routing.New(project.Alerts),
		alerts: map[string]record.Alert{}, failed: map[string]bool{}, runCache: map[int64]record.Run{}, paused: map[string]bool{}}
	if states, err := m.cfg.Store.ListPipelineStates(ctx); err == nil {
		for _, ps := range states {
			e.paused[ps.Pipeline] = ps.Paused
		}
	}
	var errs []error
	for _, t := range targets {
		if err := e.target(t); err != nil {
			e.failed[t.Pipeline.Name+"\x00"+t.Env] = true
			errs = append(errs, fmt.Errorf("conditions of %s in %s: %w", t.Pipeline.Name, envText(t.Env), err))
		}
	}
	firing, err := m.reconcile(e)
	if err != nil {
		return now.Add(m.cfg.Poll), errors.Join(append(errs, err)...)
	}
	next, err := m.deliver(ctx, e, firing, m.channels(project, sec))
	if err != nil {
		errs = append(errs, err)
	}
	if !e.wake.IsZero() && e.wake.Before(next) {
		next = e.wake
	}
	return next, errors.Join(errs...)
}

// reconcile stores the alerts that started, changed or ended and returns
// every firing alert by fingerprint.
func (m *Manager) reconcile(e *eval) (map[string]record.Alert, error) {
	stored, err := m.cfg.Store.ListAlerts(e.ctx, store.AlertFilter{State: record.AlertFiring, Limit: -1})
	if err != nil {
		return nil, fmt.Errorf("list firing alerts: %w", err)
	}
	firing := map[string]record.Alert{}
	for _, a := range stored {
		firing[a.Fingerprint] = a
	}
	for fp, c := range e.alerts {
		old, ok := firing[fp]
		if ok {
			if maps.Equal(old.Annotations, c.Annotations) && maps.Equal(old.Labels, c.Labels) && old.RunID == c.RunID {
				continue
			}
			c.ID, c.StartsAt = old.ID, old.StartsAt
		} else {
			if isEvent(c.Kind) {
				if _, err := m.cfg.Store.GetAlertByFingerprint(e.ctx, fp); err == nil {
					continue // an event fires once
				} else if !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
			}
			c.StartsAt = e.now
			m.log.Info("alert firing", "alertname", c.Name, "pipeline", c.Pipeline, "env", c.Env, "fingerprint", fp)
		}
		c.UpdatedAt = e.now
		if err := m.cfg.Store.SaveAlert(e.ctx, &c); err != nil {
			return nil, err
		}
		firing[fp] = c
	}
	for fp, a := range firing {
		if _, ok := e.alerts[fp]; ok || isEvent(a.Kind) {
			continue // still holds; events resolve once delivered (deliver)
		}
		if a.Annotations[annResolve] != "" {
			ok, err := m.raisedResolved(e, a)
			if err != nil || !ok {
				continue
			}
		} else if e.failed[a.Pipeline+"\x00"+a.Env] {
			continue // could not evaluate: keep it as it was
		}
		if err := m.resolve(e.ctx, &a, e.now); err != nil {
			return nil, err
		}
		delete(firing, fp)
	}
	return firing, nil
}

func (m *Manager) resolve(ctx context.Context, a *record.Alert, now time.Time) error {
	a.State, a.EndsAt, a.UpdatedAt = record.AlertResolved, now, now
	if err := m.cfg.Store.SaveAlert(ctx, a); err != nil {
		return err
	}
	m.log.Info("alert resolved", "alertname", a.Name, "pipeline", a.Pipeline, "env", a.Env, "fingerprint", a.Fingerprint)
	return nil
}

// raisedResolved reports whether a raised alert is over: a run of its
// pipeline in its environment succeeded after it started.
func (m *Manager) raisedResolved(e *eval, a record.Alert) (bool, error) {
	runs, err := m.cfg.Store.ListRuns(e.ctx, store.RunFilter{Pipeline: a.Pipeline, States: []record.RunState{record.RunSucceeded}, Limit: 20})
	if err != nil {
		return false, err
	}
	for _, r := range runs {
		if r.Env == a.Env && r.FinishedAt.After(a.StartsAt) {
			return true, nil
		}
	}
	return false, nil
}
