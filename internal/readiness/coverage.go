package readiness

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/alert/routing"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Mode is one failure or degradation mode of the coverage matrix.
type Mode struct {
	Name     string // as the matrix shows it
	Alert    string // the alert raised for it
	Kind     string // its routing kind
	Suppress string // its name in alerts.suppress; "" when it has none
	task     bool   // its alert carries the row-count task's label
	raises   func(p *spec.Pipeline) bool
}

func always(*spec.Pipeline) bool { return true }

// Modes are the rows of the coverage matrix, in order.
var Modes = []Mode{
	{Name: "failed", Alert: routing.NameRunFailed, Kind: "failure", Suppress: "failure", raises: always},
	{Name: "timed_out", Alert: routing.NameRunTimedOut, Kind: "timeout", Suppress: "timeout", raises: always},
	{Name: "oom", Alert: routing.NameTaskOutOfMemory, Kind: "memory", Suppress: "oom", raises: always},
	{Name: "lost", Alert: routing.NameTaskLost, Kind: "lost", Suppress: "lost", raises: always},
	{Name: "sla_missed", Alert: routing.NameSLAMissed, Kind: "sla", Suppress: "sla",
		raises: func(p *spec.Pipeline) bool { return p.SLA.Deadline != "" }},
	{Name: "stale", Alert: routing.NameDataStale, Kind: "freshness", Suppress: "stale",
		raises: func(p *spec.Pipeline) bool { return p.SLA.Freshness > 0 }},
	{Name: "rows_low", Alert: routing.NameRowCountLow, Kind: "row_count", Suppress: "row_count", task: true,
		raises: func(p *spec.Pipeline) bool { return p.Monitoring.RowCounts != nil && p.Monitoring.RowCounts.Min > 0 }},
	{Name: "rows_dropped", Alert: routing.NameRowCountDropped, Kind: "row_count", Suppress: "row_count", task: true,
		raises: func(p *spec.Pipeline) bool {
			return p.Monitoring.RowCounts != nil && p.Monitoring.RowCounts.MaxDrop > 0
		}},
	{Name: "slow", Alert: routing.NameRunSlow, Kind: "degradation", Suppress: "degradation", raises: always},
	{Name: "retries", Alert: routing.NameRetryRateHigh, Kind: "degradation", Suppress: "degradation", raises: always},
	{Name: "dead_letters", Alert: routing.NameDeadLetters, Kind: "dead_letter", Suppress: "dead_letter", raises: always},
}

// production reports whether env is a production environment, as the
// alert manager and the gate decide.
func production(proj *spec.Project, env string) bool {
	if e := proj.Environment(env); e != nil && e.Production {
		return true
	}
	return strings.EqualFold(env, "prod") || strings.EqualFold(env, "production")
}

// labels are the labels m's alert carries for p in env.
func (m Mode) labels(p *spec.Pipeline, env string, prod bool) map[string]string {
	var extra map[string]string
	if m.task && p.Monitoring.RowCounts != nil {
		extra = map[string]string{routing.LabelTask: p.Monitoring.RowCounts.Task}
	}
	l := routing.AlertLabels(p, env, m.Alert, routing.Severity(m.Kind, prod), extra)
	l[routing.LabelKind] = m.Kind
	return l
}

func (a *assessment) coverage(ctx context.Context) error {
	p, proj, env := a.in.Pipeline, a.in.Project, a.in.Env
	silences, err := a.st.ListSilences(ctx, store.SilenceFilter{ActiveAt: a.in.Now, Limit: -1})
	if err != nil {
		return err
	}
	tree := routing.New(proj.Alerts)
	prod := production(proj, env)
	raised, reached := 0, 0
	for _, m := range Modes {
		row := Coverage{Mode: m.Name, Alert: m.Alert, Kind: m.Kind, Raised: m.raises(p)}
		if !row.Raised {
			row.OK = true
			a.r.Coverage = append(a.r.Coverage, row)
			continue
		}
		raised++
		labels := m.labels(p, env, prod)
		for _, n := range tree.Route(labels) {
			if len(n.Channels) == 0 {
				continue
			}
			row.Routes = append(row.Routes, n.Path)
			for _, c := range n.Channels {
				if !slices.Contains(row.Channels, c) {
					row.Channels = append(row.Channels, c)
				}
			}
		}
		for _, s := range silences {
			if mutes(s, labels) {
				row.Silences = append(row.Silences, SilenceRef{ID: s.ID, By: s.CreatedBy, Reason: s.Reason, Ends: s.EndsAt.UTC()})
				a.r.note(CritCoverage, fmt.Sprintf("%s (%s) is silenced by silence %d of %s until %s", m.Name, m.Alert, s.ID, s.CreatedBy, when(s.EndsAt)))
			}
		}
		switch reason := suppressed(p, proj, m); {
		case len(row.Channels) > 0:
			row.OK = true
			reached++
		case reason != "":
			row.Suppressed, row.OK = reason, true
			a.r.note(CritCoverage, fmt.Sprintf("%s (%s) reaches no channel, suppressed: %s", m.Name, m.Alert, reason))
		default:
			a.r.fail(CritCoverage, fmt.Sprintf("%s (%s) reaches no channel through route %s in %s: add %s to a route's on:, or suppress %s with a reason",
				m.Name, m.Alert, routeName(p), env, m.Kind, m.Suppress))
		}
		a.r.Coverage = append(a.r.Coverage, row)
	}
	a.r.summarize(CritCoverage, fmt.Sprintf("%d of the %d modes %s raises reach a channel", reached, raised, p.Name))
	return nil
}

func routeName(p *spec.Pipeline) string {
	if p.Alerts.Route == "" {
		return "(none: the pipeline sets no alerts.route)"
	}
	return p.Alerts.Route
}

// suppressed is the reason alerts.suppress gives for dropping m's alerts,
// the pipeline's before gantry.yaml's; "" when none does.
func suppressed(p *spec.Pipeline, proj *spec.Project, m Mode) string {
	if m.Suppress == "" {
		return ""
	}
	for _, list := range [][]spec.AlertSuppress{p.Alerts.Suppress, proj.Alerts.Suppress} {
		for _, s := range list {
			if s.Mode == m.Suppress {
				return s.Reason
			}
		}
	}
	return ""
}

// mutes reports whether silence s mutes an alert with labels, as the
// alert manager matches it (a silence without matchers mutes nothing).
func mutes(s record.Silence, labels map[string]string) bool {
	if len(s.Matchers) == 0 {
		return false
	}
	for _, m := range s.Matchers {
		v := labels[m.Name]
		var ok bool
		switch m.Op {
		case record.MatchEqual:
			ok = v == m.Value
		case record.MatchNotEqual:
			ok = v != m.Value
		case record.MatchRegexp, record.MatchNotRegex:
			re, err := regexp.Compile("^(?:" + m.Value + ")$")
			if err != nil {
				return false
			}
			ok = re.MatchString(v) == (m.Op == record.MatchRegexp)
		}
		if !ok {
			return false
		}
	}
	return true
}

// testFires finds, for every channel the matrix reaches, its newest
// test-fire that it took.
func (a *assessment) testFires(ctx context.Context) error {
	var channels []string
	for _, c := range a.r.Coverage {
		for _, ch := range c.Channels {
			if !slices.Contains(channels, ch) {
				channels = append(channels, ch)
			}
		}
	}
	if len(channels) == 0 {
		a.r.summarize(CritTestFires, "no channel to test")
		return nil
	}
	tfs, err := a.st.ListTestFires(ctx, store.TestFireFilter{Limit: 500})
	if err != nil {
		return err
	}
	ok := 0
	for _, ch := range channels {
		ct := ChannelTest{Channel: ch}
		for _, tf := range tfs { // newest first
			if !slices.Contains(tf.Channels, ch) {
				continue
			}
			if slices.Contains(tf.Failed, ch) {
				if ct.LastFailed.IsZero() {
					ct.LastFailed = tf.At.UTC()
				}
				continue
			}
			ct.LastOK, ct.By, ct.Route = tf.At.UTC(), tf.Actor, tf.Route
			ds, err := a.st.ListAlertDeliveries(ctx, store.AlertDeliveryFilter{TestFireID: tf.ID, Channel: ch, Limit: 1})
			if err != nil {
				return err
			}
			if len(ds) > 0 {
				ct.Outcome = outcome(ds[0])
			}
			break
		}
		age := a.in.Now.Sub(ct.LastOK)
		switch {
		case ct.LastOK.IsZero():
			a.r.fail(CritTestFires, fmt.Sprintf("channel %s never took a test alert: gantry alerts test --route %s", ch, a.in.Pipeline.Alerts.Route))
		case age > TestFireMaxAge:
			a.r.fail(CritTestFires, fmt.Sprintf("channel %s last took a test alert %d days ago (%s, by %s), more than %d: gantry alerts test --route %s",
				ch, int(age.Hours()/24), ct.LastOK.Format("2006-01-02"), ct.By, int(TestFireMaxAge.Hours()/24), a.in.Pipeline.Alerts.Route))
		default:
			ct.OK = true
			ok++
		}
		if !ct.LastFailed.IsZero() && ct.LastFailed.After(ct.LastOK) {
			a.r.note(CritTestFires, fmt.Sprintf("channel %s did not take the newer test alert of %s", ch, when(ct.LastFailed)))
		}
		a.r.Channels = append(a.r.Channels, ct)
	}
	a.r.summarize(CritTestFires, fmt.Sprintf("%d of %d channels took a test alert in the last %d days", ok, len(channels), int(TestFireMaxAge.Hours()/24)))
	return nil
}

func outcome(d record.AlertDelivery) string {
	s := "delivered"
	if !d.OK {
		s = "not delivered"
	}
	if d.Status != 0 {
		s += fmt.Sprintf(" (status %d)", d.Status)
	}
	if d.Error != "" {
		s += ": " + d.Error
	}
	return s
}
