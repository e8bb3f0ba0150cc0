package routing

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// Label names every alert carries, besides route and kind.
const (
	LabelAlertname = "alertname"
	LabelPipeline  = "pipeline"
	LabelEnv       = "env"
	LabelOwner     = "owner"
	LabelSeverity  = "severity"
	LabelTask      = "task"
)

// Alert names, one per condition. Each has a runbook anchor, see Anchor.
const (
	NameRunFailed        = "RunFailed"
	NameRunTimedOut      = "RunTimedOut"
	NameTaskOutOfMemory  = "TaskOutOfMemory"
	NameTaskLost         = "TaskLost"
	NameTaskRetried      = "TaskRetried"
	NameRunSucceeded     = "RunSucceeded"
	NameSLAMissed        = "SLAMissed"
	NameDataStale        = "DataStale"
	NameRowCountLow      = "RowCountLow"
	NameRowCountDropped  = "RowCountDropped"
	NameRowCountMissing  = "RowCountMissing"
	NameRunSlow          = "RunSlow"
	NameRetryRateHigh    = "RetryRateHigh"
	NameDeadLetters      = "DeadLettersPending"
	NameSchedulerLagging = "SchedulerLagging"
	NameRolledBack       = "RolledBack"
	NameRevisionTampered = "RevisionTampered"
	NameTest             = "GantryTestAlert"
)

// anchors are the runbook sections alerts link to: runbook#anchor.
var anchors = map[string]string{
	NameRunFailed: "task-failed", NameRunTimedOut: "timeout", NameTaskOutOfMemory: "out-of-memory",
	NameTaskLost: "lost-attempt", NameTaskRetried: "task-failed", NameSLAMissed: "sla-missed",
	NameDataStale: "stale-data", NameRowCountLow: "row-count", NameRowCountDropped: "row-count",
	NameRowCountMissing: "row-count", NameRunSlow: "slow-run", NameRetryRateHigh: "retries",
	NameDeadLetters: "dead-letters", NameSchedulerLagging: "scheduler-lag", NameRolledBack: "rollback",
}

// Anchor is the runbook anchor alerts of that name link to; "" for none.
func Anchor(alertname string) string { return anchors[alertname] }

// Mode is one way a pipeline fails that Gantry pages about.
type Mode struct {
	Name    string   // as alerts.suppress names it: one of spec.FailureModes
	Kind    string   // the kind routes filter on with on:
	Alerts  []string // the alert names raised for it
	Anchor  string   // the runbook section its alerts link to
	Watched string   // what the pipeline declares that makes it raise this mode; "" = every pipeline
	// task: its alerts carry the task label of the watched task
	task bool
}

// Modes are the failure modes, in the order the gate reports them.
var Modes = []Mode{
	{Name: "failure", Kind: "failure", Alerts: []string{NameRunFailed}, Anchor: "task-failed"},
	{Name: "timeout", Kind: "timeout", Alerts: []string{NameRunTimedOut}, Anchor: "timeout"},
	{Name: "oom", Kind: "memory", Alerts: []string{NameTaskOutOfMemory}, Anchor: "out-of-memory"},
	{Name: "lost", Kind: "lost", Alerts: []string{NameTaskLost}, Anchor: "lost-attempt"},
	{Name: "sla", Kind: "sla", Alerts: []string{NameSLAMissed}, Anchor: "sla-missed", Watched: "sla.deadline"},
	{Name: "stale", Kind: "freshness", Alerts: []string{NameDataStale}, Anchor: "stale-data", Watched: "sla.freshness"},
	{Name: "row_count", Kind: "row_count", Alerts: []string{NameRowCountMissing, NameRowCountLow, NameRowCountDropped},
		Anchor: "row-count", Watched: "monitoring.row_counts", task: true},
	{Name: "dead_letter", Kind: "dead_letter", Alerts: []string{NameDeadLetters}, Anchor: "dead-letters"},
	{Name: "rollback", Kind: "rollback", Alerts: []string{NameRolledBack}, Anchor: "rollback",
		Watched: "rollback.on_first_run_failure"},
}

// Raises reports whether pipeline p can raise alerts of mode m.
func (m Mode) Raises(p *spec.Pipeline) bool {
	switch m.Watched {
	case "sla.deadline":
		return p.SLA.Deadline != ""
	case "sla.freshness":
		return p.SLA.Freshness > 0
	case "monitoring.row_counts":
		return p.Monitoring.RowCounts != nil
	case "rollback.on_first_run_failure":
		return p.Rollback.OnFirstRunFailure == "previous_revision"
	}
	return true
}

// Labels are the labels of alert name of mode m for pipeline p in env, as
// the alert manager raises it.
func (m Mode) Labels(p *spec.Pipeline, env, name string, production bool) map[string]string {
	var extra map[string]string
	if m.task && p.Monitoring.RowCounts != nil {
		extra = map[string]string{LabelTask: p.Monitoring.RowCounts.Task}
	}
	labels := AlertLabels(p, env, name, Severity(m.Kind, production), extra)
	labels[LabelKind] = m.Kind // as routing sees it
	return labels
}

// AlertLabels are the labels an alert is stored with: alertname,
// pipeline, env, owner, severity and route, then extra.
func AlertLabels(p *spec.Pipeline, env, name, severity string, extra map[string]string) map[string]string {
	labels := map[string]string{
		LabelAlertname: name, LabelPipeline: p.Name, LabelEnv: env, LabelOwner: p.Owner,
		LabelSeverity: severity, LabelRoute: p.Alerts.Route,
	}
	maps.Copy(labels, extra)
	return labels
}

// Severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Severity is the severity of an alert of kind in an environment:
// production failures are critical, the same outside production a warning.
func Severity(kind string, production bool) string {
	sev := SeverityCritical
	switch kind {
	case "degradation", "scheduler_lag":
		sev = SeverityWarning
	case "retry", "success":
		return SeverityInfo
	}
	if !production && sev == SeverityCritical {
		sev = SeverityWarning
	}
	return sev
}

// ModeNamed returns the mode alerts.suppress calls name.
func ModeNamed(name string) (Mode, bool) {
	i := slices.IndexFunc(Modes, func(m Mode) bool { return m.Name == name })
	if i < 0 {
		return Mode{}, false
	}
	return Modes[i], true
}

// HeadingAnchor is a runbook anchor and the words that name its mode in
// a heading.
type HeadingAnchor struct {
	Anchor string
	Words  *regexp.Regexp // over the heading in lower case
}

// Anchors are the anchors alerts link to and the words that name each
// mode in a heading, tried in order. A runbook without a heading whose
// Slug is the anchor gets it on the first heading (below the title) whose
// words name the mode.
var Anchors = []HeadingAnchor{
	{"task-failed", regexp.MustCompile(`fail|error`)},
	{"timeout", regexp.MustCompile(`time ?out|timed out|too long`)},
	{"out-of-memory", regexp.MustCompile(`memory|oom`)},
	{"lost-attempt", regexp.MustCompile(`lost|crash|restart`)},
	{"sla-missed", regexp.MustCompile(`\bsla\b|deadline|late`)},
	{"stale-data", regexp.MustCompile(`stale|fresh`)},
	{"row-count", regexp.MustCompile(`\brows?\b|row count|volume`)},
	{"slow-run", regexp.MustCompile(`slow|degrad|duration`)},
	{"retries", regexp.MustCompile(`retr(y|ies)`)},
	{"dead-letters", regexp.MustCompile(`dead.letter|dlq|replay`)},
	{"scheduler-lag", regexp.MustCompile(`lag|schedul`)},
	{"rollback", regexp.MustCompile(`roll ?back|revert`)},
}

// Names reports whether a heading's text names a's mode.
func (a HeadingAnchor) Names(heading string) bool {
	return a.Words.MatchString(strings.ToLower(heading))
}

var slugDrop = regexp.MustCompile(`[^a-z0-9]+`)

// Slug is a heading's anchor: lower case, words joined by "-".
func Slug(s string) string {
	return strings.Trim(slugDrop.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// HasAnchor reports whether a runbook with these headings (below its
// title) links anchor: a heading's slug is the anchor, or a heading names
// its mode.
func HasAnchor(headings []string, anchor string) bool {
	for _, h := range headings {
		if Slug(h) == anchor {
			return true
		}
	}
	i := slices.IndexFunc(Anchors, func(a HeadingAnchor) bool { return a.Anchor == anchor })
	if i < 0 {
		return false
	}
	return slices.ContainsFunc(headings, Anchors[i].Names)
}
