package record

import "time"

// AlertState is whether an alert's condition holds.
type AlertState string

// Alert states.
const (
	AlertFiring   AlertState = "firing"
	AlertResolved AlertState = "resolved"
)

// Alert is one alerting condition, keyed by its fingerprint: the same
// condition firing again reuses the row (StartsAt moves, EndsAt clears).
type Alert struct {
	ID          int64
	Fingerprint string // hex hash of the identity labels; stable across restarts
	Name        string // the alertname label: RunFailed, SLAMissed, …
	Kind        string // the kind routes filter on (spec.AlertKinds)
	Pipeline    string
	Env         string
	Labels      map[string]string // identity labels, alertname and route included
	Annotations map[string]string // summary, details, run_url, runbook_url, …; redacted
	State       AlertState
	StartsAt    time.Time
	EndsAt      time.Time // zero while firing
	UpdatedAt   time.Time
	RunID       int64 // the run that last raised it; 0 when none
}

// SentAlert is one alert as a channel was last told about it.
type SentAlert struct {
	Fingerprint string     `json:"fingerprint"`
	State       AlertState `json:"state"`
}

// ChannelState is what one channel of a group was last sent.
type ChannelState struct {
	Channel        string      `json:"channel"`
	LastNotifiedAt time.Time   `json:"last_notified_at"`
	Sent           []SentAlert `json:"sent"`
}

// AlertGroup is a set of alerts a route batches into one notification per
// channel, keyed by the route and the group_by label values.
type AlertGroup struct {
	Key         string // route path and group labels; unique
	Route       string // the route path, e.g. data-oncall/0
	Labels      map[string]string
	CreatedAt   time.Time
	NextFlushAt time.Time // when the group is next looked at
	Channels    []ChannelState
}

// Delivery kinds.
const (
	DeliveryFiring   = "firing" // the notification held at least one firing alert
	DeliveryResolved = "resolved"
	DeliveryTest     = "test"
)

// AlertDelivery is one notification to one channel, its retries included.
type AlertDelivery struct {
	ID         int64
	GroupKey   string // "" for a test-fire
	TestFireID int64  // 0 unless a test-fire
	Channel    string
	Type       string // webhook, slack, pagerduty, email, alertmanager
	Kind       string // DeliveryFiring, DeliveryResolved or DeliveryTest
	Alerts     []SentAlert
	OK         bool
	Status     int // last HTTP status or SMTP code; 0 when none
	Attempts   int
	Error      string // redacted
	Retryable  bool
	At         time.Time // when it ended
	Duration   time.Duration
}

// Matcher operators.
const (
	MatchEqual    = "="
	MatchNotEqual = "!="
	MatchRegexp   = "=~"
	MatchNotRegex = "!~"
)

// Matcher is one label condition of a silence.
type Matcher struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// Silence mutes the alerts all of its matchers match from StartsAt until
// EndsAt.
type Silence struct {
	ID        int64
	Matchers  []Matcher
	CreatedBy string
	Reason    string
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedAt time.Time
	ExpiredBy string // who ended it early; "" when it ran its course
}

// Active reports whether s mutes alerts at t.
func (s Silence) Active(t time.Time) bool {
	return !t.Before(s.StartsAt) && t.Before(s.EndsAt)
}

// TestFire is one test alert sent through every channel of a route.
type TestFire struct {
	ID       int64
	Route    string
	Actor    string
	At       time.Time
	OK       bool     // every channel took it
	Channels []string // the channels tried
	Failed   []string // those that did not take it
}

// Audit actions of alerting.
const (
	AuditSilence       AuditAction = "silence"        // a silence was added
	AuditSilenceExpire AuditAction = "silence_expire" // a silence was ended early
	AuditTestFire      AuditAction = "test_fire"      // a route was test-fired
)
