package manager

import (
	"context"
	"fmt"
	"github.com/gantryhq/gantry/internal/alert/routing"
	"slices"
	"sync"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// TestFire sends a test alert, marked as one on every channel, through
// each channel of the named route and of the routes below it, and records
// the outcome: the test-fire (OK when every channel took it) and one
// delivery per channel. Channels that keep incidents open (PagerDuty,
// Alertmanager) are sent the resolve too. An unknown route is ErrInvalid.
func (m *Manager) TestFire(ctx context.Context, route, actor string) (record.TestFire, []record.AlertDelivery, error) {
	return m.TestFireWith(ctx, m.cfg.Project(), route, actor)
}

// TestFireWith is TestFire through the routes and channels of project
// rather than those the manager routes with: the deploy gate proves the
// routes a deployment brings before they page anyone for real.
func (m *Manager) TestFireWith(ctx context.Context, project *spec.Project, route, actor string) (record.TestFire, []record.AlertDelivery, error) {
	if project == nil {
		return record.TestFire{}, nil, fmt.Errorf("test-fire: no project")
	}
	root := routing.New(project.Alerts).Named(route)
	if root == nil {
		return record.TestFire{}, nil, fmt.Errorf("test-fire: %w: unknown route %q", ErrInvalid, route)
	}
	var names []string
	for _, n := range root.All() {
		for _, c := range n.Channels {
			if !slices.Contains(names, c) {
				names = append(names, c)
			}
		}
	}
	sec := m.resolveSecrets(project, m.cfg.Targets())
	chans := m.channels(project, sec)
	now := m.cfg.Now()
	fire := alert.Alert{
		Fingerprint: "test-" + Fingerprint(map[string]string{LabelAlertname: NameTest, LabelRoute: route, LabelRun: now.UTC().Format("20060102T150405.000000")}),
		Status:      alert.StatusFiring,
		Labels: map[string]string{LabelAlertname: NameTest, LabelRoute: route, LabelSeverity: SeverityInfo,
			"test": "true", "actor": actor},
		Summary:  fmt.Sprintf("Test alert for route %s, sent by %s; nothing is broken.", route, actor),
		StartsAt: now, Test: true,
	}
	if m.cfg.BaseURL != "" {
		fire.RunURL = m.cfg.BaseURL + "/alerts"
	}
	tf := record.TestFire{Route: route, Actor: actor, At: now, OK: true, Channels: names}
	ds := make([]*record.AlertDelivery, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds[i] = m.testOne(ctx, chans[name], name, fire, sec.redact)
		}()
	}
	wg.Wait()
	for _, d := range ds {
		if !d.OK {
			tf.OK = false
			tf.Failed = append(tf.Failed, d.Channel)
		}
	}
	if err := m.cfg.Store.CreateTestFire(ctx, &tf, ds); err != nil {
		return record.TestFire{}, nil, fmt.Errorf("test-fire: %w", err)
	}
	out := make([]record.AlertDelivery, len(ds))
	for i, d := range ds {
		out[i] = *d
	}
	m.log.Info("alert test-fire", "route", route, "actor", actor, "ok", tf.OK, "failed", tf.Failed)
	return tf, out, nil
}

func (m *Manager) testOne(ctx context.Context, ch channel, name string, fire alert.Alert, redact alert.Redactor) *record.AlertDelivery {
	sent := record.SentAlert{Fingerprint: fire.Fingerprint, State: record.AlertFiring}
	if ch.n == nil {
		err := ch.err
		if err == nil {
			err = fmt.Errorf("channel %s is not declared in gantry.yaml", name)
		}
		return &record.AlertDelivery{Channel: name, Type: ch.typ, Kind: record.DeliveryTest, Error: err.Error(),
			Alerts: []record.SentAlert{sent}, At: m.cfg.Now()}
	}
	res := ch.n.Notify(ctx, []alert.Alert{fire})
	if res.OK && (ch.typ == "pagerduty" || ch.typ == "alertmanager") {
		resolved := fire
		resolved.Status, resolved.EndsAt = alert.StatusResolved, m.cfg.Now()
		if r2 := ch.n.Notify(ctx, []alert.Alert{resolved}); !r2.OK {
			m.log.Warn("test-fire resolve failed", "channel", name, "err", r2.Err)
		}
	}
	return &record.AlertDelivery{Channel: name, Type: ch.typ, Kind: record.DeliveryTest, Alerts: []record.SentAlert{sent},
		OK: res.OK, Status: res.Status, Attempts: res.Attempts, Error: redact(res.Err), Retryable: res.Retryable,
		At: m.cfg.Now(), Duration: res.Duration}
}
