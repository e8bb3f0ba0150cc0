package readiness

import (
	"time"

	"github.com/gantryhq/gantry/internal/check"
)

// Version is the version of Report's JSON.
const Version = 1

// Verdicts.
const (
	VerdictReady    = "READY"
	VerdictNotReady = "NOT READY"
)

// Criterion ids, in the order a report lists them.
const (
	CritGate      = "gate"
	CritCoverage  = "coverage"
	CritTestFires = "test_fires"
	CritSLA       = "sla"
	CritFreshness = "freshness"
	CritRowCounts = "row_counts"
	CritStaging   = "staging"
	CritRollback  = "rollback"
	CritBackfill  = "backfill"
	CritSizing    = "sizing"
)

// Report is one assessment.
type Report struct {
	Version    int       `json:"version"`
	Pipeline   string    `json:"pipeline"`
	Env        string    `json:"env"`
	Revision   string    `json:"revision,omitempty"` // the subject revision's hash; "" for files not deployed
	Subject    string    `json:"subject"`            // how the revision was chosen, for people
	AssessedAt time.Time `json:"assessed_at"`
	Ready      bool      `json:"ready"`
	Verdict    string    `json:"verdict"` // VerdictReady or VerdictNotReady
	// Reasons are why it is not ready, one per unmet criterion finding,
	// each starting with its criterion id.
	Reasons   []string      `json:"reasons"`
	Criteria  []Criterion   `json:"criteria"`
	Gate      GateSummary   `json:"gate"`
	Coverage  []Coverage    `json:"coverage"`
	Channels  []ChannelTest `json:"channels"`
	SLA       *SLAHistory   `json:"sla,omitempty"`
	Freshness *Freshness    `json:"freshness,omitempty"`
	RowCounts *RowTrend     `json:"row_counts,omitempty"`
	Staging   Staging       `json:"staging"`
	Rollback  RollbackPlan  `json:"rollback"`
	Backfill  Backfill      `json:"backfill"`
	Sizing    *Sizing       `json:"sizing,omitempty"`
}

// Criterion is one criterion's verdict.
type Criterion struct {
	ID      string   `json:"id"`
	OK      bool     `json:"ok"`
	Summary string   `json:"summary"`
	Reasons []string `json:"reasons,omitempty"` // why not met
	Notes   []string `json:"notes,omitempty"`   // said, not held against it
}

// GateSummary is the gate's report for the environment.
type GateSummary struct {
	Errors   int             `json:"errors"`
	Warnings int             `json:"warnings"`
	Findings []check.Finding `json:"findings,omitempty"` // errors and warnings
}

// Coverage is one row of the coverage matrix: a mode, where its alerts go.
type Coverage struct {
	Mode     string   `json:"mode"`
	Alert    string   `json:"alert"`
	Kind     string   `json:"kind"`
	Raised   bool     `json:"raised"`             // the pipeline can raise it
	Routes   []string `json:"routes,omitempty"`   // the routes that take it
	Channels []string `json:"channels,omitempty"` // the channels it reaches
	// Suppressed is the reason alerts.suppress gives for dropping it.
	Suppressed string       `json:"suppressed,omitempty"`
	Silences   []SilenceRef `json:"silences,omitempty"` // silences in force that mute it
	OK         bool         `json:"ok"`
}

// SilenceRef is a silence in force.
type SilenceRef struct {
	ID     int64     `json:"id"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	Ends   time.Time `json:"ends"`
}

// ChannelTest is a channel's last successful test-fire.
type ChannelTest struct {
	Channel string    `json:"channel"`
	LastOK  time.Time `json:"last_ok,omitzero"`
	By      string    `json:"by,omitempty"`
	Route   string    `json:"route,omitempty"`
	Outcome string    `json:"outcome,omitempty"` // the delivery's status or error
	// LastFailed is a later test-fire this channel did not take.
	LastFailed time.Time `json:"last_failed,omitzero"`
	OK         bool      `json:"ok"`
}

// SLAHistory is how the last intervals did against sla.deadline.
type SLAHistory struct {
	Deadline  string        `json:"deadline"`
	Intervals []SLAInterval `json:"intervals"` // newest first
	Met       int           `json:"met"`
	Missed    int           `json:"missed"`
	// FinishP50 and FinishP95 are finish times against the deadline:
	// negative is before it.
	FinishP50 time.Duration `json:"finish_p50_ns"`
	FinishP95 time.Duration `json:"finish_p95_ns"`
}

// SLAInterval is one interval's outcome.
type SLAInterval struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Deadline time.Time `json:"deadline"`
	RunID    int64     `json:"run_id,omitempty"`
	Finished time.Time `json:"finished,omitzero"`
	Met      bool      `json:"met"`
}

// Freshness is the age of the newest succeeded interval.
type Freshness struct {
	Limit   time.Duration `json:"limit_ns"`
	LastEnd time.Time     `json:"last_end,omitzero"`
	Age     time.Duration `json:"age_ns,omitempty"`
	Stale   bool          `json:"stale"`
}

// RowTrend is the watched task's rows over the newest succeeded runs.
type RowTrend struct {
	Task      string     `json:"task"`
	Points    []RowPoint `json:"points"` // newest first
	Anomalies []string   `json:"anomalies,omitempty"`
}

// RowPoint is one run's rows.
type RowPoint struct {
	RunID   int64     `json:"run_id"`
	Start   time.Time `json:"interval_start"`
	Rows    int64     `json:"rows"`
	Anomaly string    `json:"anomaly,omitempty"`
}

// Staging is the subject revision's staging run.
type Staging struct {
	RunID     int64     `json:"run_id,omitempty"`
	State     string    `json:"state,omitempty"`
	Finished  time.Time `json:"finished,omitzero"`
	Tasks     int       `json:"tasks"`     // tasks the run ran
	Expected  int       `json:"expected"`  // tasks of the DAG
	Succeeded int       `json:"succeeded"` // tasks that succeeded
	// Skipped tasks act on a protected environment, which a staging run
	// does not touch, or are approvals guarding only those.
	Skipped int `json:"skipped,omitempty"`
}

// RollbackPlan is how the pipeline goes back.
type RollbackPlan struct {
	Plan     string `json:"plan,omitempty"`     // rollback.on_first_run_failure
	Previous string `json:"previous,omitempty"` // the revision to return to
}

// Backfill is the runbook's backfill procedure and its dry run.
type Backfill struct {
	Runbook   string     `json:"runbook,omitempty"`
	Section   string     `json:"section,omitempty"`
	Command   string     `json:"command,omitempty"`
	Planned   int        `json:"planned"`
	Intervals []Interval `json:"intervals,omitempty"`
}

// Interval is a logical interval [Start, End).
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// criterion returns the report's criterion id, adding it when new.
func (r *Report) criterion(id string) *Criterion {
	for i := range r.Criteria {
		if r.Criteria[i].ID == id {
			return &r.Criteria[i]
		}
	}
	r.Criteria = append(r.Criteria, Criterion{ID: id, OK: true})
	return &r.Criteria[len(r.Criteria)-1]
}

// fail records a reason against criterion id.
func (r *Report) fail(id, reason string) {
	c := r.criterion(id)
	c.OK = false
	c.Reasons = append(c.Reasons, reason)
}

// note records a note on criterion id.
func (r *Report) note(id, note string) {
	c := r.criterion(id)
	c.Notes = append(c.Notes, note)
}

// summarize sets criterion id's summary.
func (r *Report) summarize(id, summary string) { r.criterion(id).Summary = summary }

// conclude sets the verdict and the reasons from the criteria.
func (r *Report) conclude() {
	r.Ready, r.Reasons = true, []string{}
	for _, c := range r.Criteria {
		if c.OK {
			continue
		}
		r.Ready = false
		for _, why := range c.Reasons {
			r.Reasons = append(r.Reasons, c.ID+": "+why)
		}
	}
	r.Verdict = VerdictNotReady
	if r.Ready {
		r.Verdict = VerdictReady
	}
}
