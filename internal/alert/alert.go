package alert

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// Alert statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Alert is one condition, firing or resolved, as the notifiers see it.
type Alert struct {
	Fingerprint string            // stable id of the condition
	Status      string            // StatusFiring or StatusResolved
	Labels      map[string]string // pipeline, env, owner, severity, alertname, task…
	Summary     string            // one line: what broke
	Details     string            // last error lines, already redacted by the caller
	RunURL      string
	RunbookURL  string
	StartsAt    time.Time
	EndsAt      time.Time
	Test        bool // a test-fire: every channel marks it as such
}

// Resolved reports whether the alert's condition has cleared.
func (a Alert) Resolved() bool { return a.Status == StatusResolved }

// Result is the outcome of one delivery to one channel, retries included.
type Result struct {
	Channel   string // the configured name of the channel
	Type      string // webhook, slack, pagerduty, email, alertmanager
	OK        bool
	Status    int // the last HTTP status, or SMTP reply code; 0 when none came back
	Attempts  int // every attempt made, the failed ones included
	Err       string
	Retryable bool // the last failure was transient: delivering later may succeed
	Duration  time.Duration
}

// Notifier delivers a group of alerts to one channel. Implementations are
// safe for concurrent use and never return before their retries are done or
// ctx is cancelled.
type Notifier interface {
	Notify(ctx context.Context, alerts []Alert) Result
}

// Secret is a credential in a notifier's configuration. Its String, JSON,
// text and log forms are <redacted>; string(s) gives the value.
type Secret string

const redacted = "<redacted>"

func (Secret) String() string                 { return redacted }
func (Secret) GoString() string               { return redacted }
func (Secret) MarshalText() ([]byte, error)   { return []byte(redacted), nil }
func (Secret) LogValue() slog.Value           { return slog.StringValue(redacted) }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Redactor replaces known secret values in text with <redacted>.
type Redactor func(string) string

// NewRedactor returns a Redactor for the given secret values; empty values
// are ignored. Longer values are matched first, so a secret that contains
// another is not left half-revealed.
func NewRedactor(secrets ...string) Redactor {
	var vals []string
	for _, s := range secrets {
		if s != "" && !slices.Contains(vals, s) {
			vals = append(vals, s)
		}
	}
	if len(vals) == 0 {
		return func(s string) string { return s }
	}
	slices.SortFunc(vals, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, redacted)
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}

// Alert returns a copy of a with every free-text field and label value
// redacted. A nil Redactor changes nothing.
func (r Redactor) Alert(a Alert) Alert {
	if r == nil {
		return a
	}
	a.Fingerprint = r(a.Fingerprint)
	a.Summary = r(a.Summary)
	a.Details = r(a.Details)
	a.RunURL = r(a.RunURL)
	a.RunbookURL = r(a.RunbookURL)
	if a.Labels != nil {
		labels := maps.Clone(a.Labels)
		for k, v := range labels {
			labels[k] = r(v)
		}
		a.Labels = labels
	}
	return a
}

// Alerts returns redacted copies of alerts.
func (r Redactor) Alerts(alerts []Alert) []Alert {
	out := make([]Alert, len(alerts))
	for i, a := range alerts {
		out[i] = r.Alert(a)
	}
	return out
}
