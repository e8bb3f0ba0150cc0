package manager

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// channel is a configured channel ready to deliver, or why it cannot.
type channel struct {
	name, typ string
	n         alert.Notifier
	err       error
}

// secrets is what one evaluation resolved: every secret value the project
// and its pipelines name, for redaction, and a lookup for channels.
type secrets struct {
	values map[string]string
	errs   map[string]error
	redact alert.Redactor
	list   []string
}

// resolveSecrets resolves the secrets channels use and those pipelines
// hand their tasks: any of them may turn up in task output, so alert text
// is redacted of all of them before it is stored or sent.
func (m *Manager) resolveSecrets(p *spec.Project, targets []Target) *secrets {
	s := &secrets{values: map[string]string{}, errs: map[string]error{}}
	var names []string
	for _, c := range p.Alerts.Channels {
		names = append(names, c.Secret, c.URLSecret)
	}
	for _, t := range targets {
		for _, task := range t.Pipeline.Tasks {
			for _, ev := range task.Env {
				names = append(names, ev.Secret)
			}
		}
	}
	for _, n := range names {
		if n == "" || s.values[n] != "" || s.errs[n] != nil {
			continue
		}
		if m.cfg.Secrets == nil {
			s.errs[n] = errors.New("no secret resolver")
			continue
		}
		v, err := m.cfg.Secrets(n)
		if err != nil {
			s.errs[n] = err
			continue
		}
		s.values[n] = v
		if v != "" && !slices.Contains(s.list, v) {
			s.list = append(s.list, v)
		}
	}
	s.redact = alert.NewRedactor(s.list...)
	return s
}

func (s *secrets) get(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	if err := s.errs[name]; err != nil {
		// The resolver's message names the secret, never its value.
		return "", fmt.Errorf("secret %q: %w", name, err)
	}
	return s.values[name], nil
}

// channels builds a notifier for every channel of p.
func (m *Manager) channels(p *spec.Project, sec *secrets) map[string]channel {
	out := map[string]channel{}
	for _, c := range p.Alerts.Channels {
		n, err := m.notifier(c, sec)
		if err != nil {
			err = fmt.Errorf("channel %s: %s", c.Name, sec.redact(err.Error()))
		}
		out[c.Name] = channel{name: c.Name, typ: c.Type, n: n, err: err}
	}
	return out
}

// notifier builds c's notifier through the configured factory, with the
// channel's secrets resolved.
func (m *Manager) notifier(c spec.Channel, sec *secrets) (alert.Notifier, error) {
	secret, err := sec.get(c.Secret)
	if err != nil {
		return nil, err
	}
	u := c.URL
	if c.URLSecret != "" {
		if u, err = sec.get(c.URLSecret); err != nil {
			return nil, err
		}
	}
	return m.cfg.Notifiers(Receiver{Channel: c, Secret: secret, URL: u, Redact: sec.list, BaseURL: m.cfg.BaseURL})
}

// redactAlert strips known secret values from an alert's labels and
// annotations before it is stored or sent. The secrets are those of the
// evaluation in progress (see resolveSecrets).
func (m *Manager) redactAlert(a record.Alert) record.Alert {
	r := m.redactor()
	for k, v := range a.Labels {
		a.Labels[k] = r(v)
	}
	for k, v := range a.Annotations {
		a.Annotations[k] = r(v)
	}
	return a
}

// redactor returns the current redactor; identity before any evaluation.
func (m *Manager) redactor() alert.Redactor {
	m.secMu.Lock()
	defer m.secMu.Unlock()
	if m.sec == nil {
		return func(s string) string { return s }
	}
	return m.sec.redact
}

// toAlert is the notifier's view of a stored alert.
func toAlert(a record.Alert, state record.AlertState) alert.Alert {
	status := alert.StatusFiring
	if state == record.AlertResolved {
		status = alert.StatusResolved
	}
	return alert.Alert{
		Fingerprint: a.Fingerprint, Status: status, Labels: a.Labels,
		Summary: a.Annotations[AnnSummary], Details: a.Annotations[AnnDetails],
		RunURL: a.Annotations[AnnRunURL], RunbookURL: a.Annotations[AnnRunbookURL],
		StartsAt: a.StartsAt, EndsAt: a.EndsAt,
	}
}
