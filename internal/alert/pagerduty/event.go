package pagerduty

import (
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

// maxSummary is PagerDuty's limit on payload.summary.
const maxSummary = 1024

// Event is an Events API v2 request body.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger or resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"` // triggers only
	Links       []Link   `json:"links,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
}

// Payload describes the incident of a trigger event.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// event builds the request for one redacted alert.
func (n *Notifier) event(a alert.Alert) Event {
	e := Event{RoutingKey: string(n.cfg.RoutingKey), DedupKey: a.Fingerprint, Client: "Gantry", ClientURL: n.cfg.ClientURL}
	if a.Resolved() {
		e.EventAction = "resolve"
		return e
	}
	e.EventAction = "trigger"
	source := n.cfg.Source
	if source == "" {
		source = a.Labels["pipeline"]
	}
	if source == "" {
		source = "gantry"
	}
	details := map[string]any{"labels": a.Labels, "test": a.Test}
	if a.Details != "" {
		details["details"] = a.Details
	}
	e.Payload = &Payload{
		Summary:       notify.Truncate(notify.Title(a), maxSummary),
		Source:        source,
		Severity:      Severity(a.Labels["severity"]),
		Component:     a.Labels["task"],
		Group:         a.Labels["env"],
		Class:         a.Labels["alertname"],
		CustomDetails: details,
	}
	if !a.StartsAt.IsZero() {
		e.Payload.Timestamp = a.StartsAt.UTC().Format(time.RFC3339)
	}
	if a.RunURL != "" {
		e.Links = append(e.Links, Link{Href: a.RunURL, Text: "Gantry run"})
	}
	if a.RunbookURL != "" {
		e.Links = append(e.Links, Link{Href: a.RunbookURL, Text: "Runbook"})
	}
	return e
}

// Severity maps a severity label onto PagerDuty's four levels; anything
// unknown is "error", so a mislabelled alert still pages as a failure.
func Severity(label string) string {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "critical", "crit", "fatal", "page", "p1", "sev1":
		return "critical"
	case "warning", "warn", "p3", "sev3":
		return "warning"
	case "info", "informational", "notice", "low", "p4", "p5", "sev4", "none":
		return "info"
	default:
		return "error"
	}
}
