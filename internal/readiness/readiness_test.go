package readiness_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/gantryhq/gantry/internal/record"
)

func reasons(r *readiness.Report) string { return strings.Join(r.Reasons, "\n") }

// The fixture's pipeline is READY; each case breaks one criterion and is
// NOT READY with that reason; fixing it makes it READY again — on SQLite
// and on PostgreSQL.
func TestAssessEachReasonAndItsFix(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		leave without // what the history lacks
		brk   func(f *fixture)
		want  string
		want2 string // more of the reason
		fix   func(f *fixture)
		notes string // a note the fixed report keeps
		// nReasons is how many reasons the broken report has; 0 is one.
		nReasons int
	}{
		{
			name:  "untested channel",
			leave: noTestFire,
			brk:   func(*fixture) {},
			want:  "test_fires: channel hook never took a test alert: gantry alerts test --route data-oncall",
			fix:   func(f *fixture) { f.testFire("hook", now.Add(-time.Hour), true) },
		},
		{
			name:  "test-fire too old, a newer one failed",
			leave: noTestFire,
			brk: func(f *fixture) {
				f.testFire("hook", now.Add(-40*24*time.Hour), true)
				f.testFire("hook", now.Add(-2*time.Hour), false)
			},
			want: "test_fires: channel hook last took a test alert 40 days ago (2026-01-29, by sre-sam), more than 30",
			fix:  func(f *fixture) { f.testFire("hook", now.Add(-time.Hour), true) },
		},
		{
			name: "a mode routed nowhere",
			brk: func(f *fixture) {
				f.project = strings.Replace(f.project, "data-oncall: {channels: [hook]}", "data-oncall: {channels: [hook], on: [failure, timeout, memory, lost, sla, freshness, row_count, degradation]}", 1)
			},
			want: "coverage: dead_letters (DeadLettersPending) reaches no channel through route data-oncall in prod",
			fix: func(f *fixture) {
				f.project = strings.Replace(f.project, "on: [failure,", "on: [dead_letter, failure,", 1)
			},
		},
		{
			name: "a degradation routed nowhere",
			brk: func(f *fixture) {
				f.project = strings.Replace(f.project, "data-oncall: {channels: [hook]}", "data-oncall: {channels: [hook], on: [failure, timeout, memory, lost, sla, freshness, row_count, dead_letter]}", 1)
			},
			want:     "coverage: slow (RunSlow) reaches no channel through route data-oncall in prod: add degradation to a route's on:, or suppress degradation with a reason",
			want2:    "coverage: retries (RetryRateHigh) reaches no channel",
			nReasons: 2,
			fix: func(f *fixture) {
				f.project = strings.Replace(f.project, "  routes:", "  suppress:\n    - {mode: degradation, reason: \"the warehouse team watches run times on its own board\"}\n  routes:", 1)
			},
			notes: "slow (RunSlow) reaches no channel, suppressed: the warehouse team watches run times on its own board",
		},
		{
			name: "an OOM in its history",
			brk:  func(f *fixture) { f.oom() },
			want: "sizing: task load was killed for memory 1 time(s) at its 512Mi limit; set resources.memory: 768Mi",
			fix:  func(f *fixture) { f.pipeline = strings.Replace(f.pipeline, "memory: 512Mi", "memory: 768Mi", 1) },
		},
		{
			name:  "a missed SLA",
			brk:   func(f *fixture) { f.nextDay(); f.interval(1, 5*time.Hour, 200<<20, "1000") },
			want:  "sla: the newest interval 2026-03-10T02:00:00Z missed its 06:00 deadline: run ",
			want2: "finished 1h0m0s late",
			fix:   func(f *fixture) { f.nextDay(); f.interval(1, 3*time.Hour, 200<<20, "1000") },
			notes: "1 of the last 5 intervals missed the deadline",
		},
		{
			name:  "no staging run",
			leave: noStaging,
			brk:   func(*fixture) {},
			want:  "staging: revision a1a1a1a1a1a1 has no staging run, nor has any revision of orders before it",
			fix:   func(f *fixture) { f.stage(now.Add(-time.Hour)) },
		},
		{
			name: "rows under the minimum",
			brk:  func(f *fixture) { f.newestRows("7") },
			want: "row_counts: the newest run",
			fix:  func(f *fixture) { f.newestRows("1200") },
		},
		{
			name: "no backfill procedure",
			brk:  func(f *fixture) { f.runbook = []byte("# orders\n\n## Task failed\n\n`gantry logs RUN load`\n") },
			want: "backfill: runbook runbooks/orders.md has no `gantry backfill orders --from ... --to ...` command",
			fix:  func(f *fixture) { f.runbook = []byte(runbookMD) },
		},
		{
			name: "no rollback plan",
			brk: func(f *fixture) {
				f.pipeline = strings.Replace(f.pipeline, "rollback: {on_first_run_failure: previous_revision}\n", "", 1)
			},
			want: "rollback: no rollback plan",
			fix:  func(f *fixture) { f.pipeline += "rollback: {on_first_run_failure: none}\n" },
		},
		{
			name: "a gate error",
			brk: func(f *fixture) {
				f.gate = &check.Report{Findings: []check.Finding{{Rule: "hardcoded-secret", Severity: check.SeverityError, File: "scripts/load.sh", Line: 2, Message: "a password"}}}
			},
			want: "gate: scripts/load.sh:2: hardcoded-secret: a password",
			fix:  func(f *fixture) { f.gate = &check.Report{} },
		},
		{
			name: "stale data",
			brk:  func(f *fixture) { f.pipeline = strings.Replace(f.pipeline, "freshness: 30h", "freshness: 2h", 1) },
			want: "freshness: data is stale: the newest succeeded interval ended 10h0m0s ago, over sla.freshness 2h0m0s",
			fix:  func(f *fixture) { f.pipeline = strings.Replace(f.pipeline, "freshness: 2h", "freshness: 30h", 1) },
		},
	}
	base := newFixture(t).assess()
	if !base.Ready || base.Verdict != readiness.VerdictReady {
		t.Fatalf("the fixture is %s:\n%s", base.Verdict, reasons(base))
	}
	for _, drv := range drivers {
		for _, tc := range cases {
			t.Run(drv.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := newFixtureOn(t, drv.open, tc.leave)
				tc.brk(f)
				r := f.assess()
				if r.Ready || r.Verdict != readiness.VerdictNotReady {
					t.Fatalf("broken: %s, want NOT READY", r.Verdict)
				}
				if !strings.Contains(reasons(r), tc.want) || !strings.Contains(reasons(r), tc.want2) {
					t.Errorf("reasons lack %q, %q:\n%s", tc.want, tc.want2, reasons(r))
				}
				if want := max(tc.nReasons, 1); len(r.Reasons) != want {
					t.Errorf("want %d reason(s), got:\n%s", want, reasons(r))
				}
				tc.fix(f)
				r = f.assess()
				if !r.Ready {
					t.Errorf("fixed: still NOT READY:\n%s", reasons(r))
				}
				if tc.notes != "" && !strings.Contains(strings.Join(allNotes(r), "\n"), tc.notes) {
					t.Errorf("notes lack %q: %q", tc.notes, allNotes(r))
				}
			})
		}
	}
}

func allNotes(r *readiness.Report) []string {
	var out []string
	for _, c := range r.Criteria {
		out = append(out, c.Notes...)
	}
	return out
}

// What the report shows besides the verdict: the coverage matrix with a
// silence in force, the channel's test-fire, the SLA history, the rows,
// the backfill dry run, the staging run; and its JSON names.
func TestReportContents(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.must(f.st.CreateSilence(t.Context(), &record.Silence{Matchers: []record.Matcher{{Name: "pipeline", Op: record.MatchEqual, Value: "orders"},
		{Name: "alertname", Op: record.MatchRegexp, Value: "RunFailed|TaskLost"}}, CreatedBy: "ops-olga", Reason: "vendor outage",
		StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)}))
	r := f.assess()
	if !r.Ready {
		t.Fatalf("NOT READY:\n%s", reasons(r))
	}
	rows := map[string]readiness.Coverage{}
	for _, c := range r.Coverage {
		rows[c.Mode] = c
	}
	if c := rows["failed"]; len(c.Channels) != 1 || c.Channels[0] != "hook" || len(c.Silences) != 1 || c.Silences[0].By != "ops-olga" {
		t.Errorf("failed row: %+v", c)
	}
	if c := rows["timed_out"]; len(c.Silences) != 0 {
		t.Errorf("timed_out is not silenced: %+v", c)
	}
	if c := rows["rows_dropped"]; c.Raised {
		t.Errorf("rows_dropped raised without max_drop: %+v", c)
	}
	if len(r.Channels) != 1 || r.Channels[0].By != "sre-sam" || !strings.Contains(r.Channels[0].Outcome, "delivered (status 200)") {
		t.Errorf("channels: %+v", r.Channels)
	}
	if r.SLA == nil || r.SLA.Met != 3 || r.SLA.Missed != 0 || r.SLA.FinishP50 != -time.Hour {
		t.Errorf("sla: %+v", r.SLA)
	}
	if r.RowCounts == nil || len(r.RowCounts.Points) != 3 || r.RowCounts.Points[0].Rows != 1000 {
		t.Errorf("row counts: %+v", r.RowCounts)
	}
	// The dates are placeholders: a dry run over the last 3 days, 7 to 9
	// March, plans what gantry backfill would: the three daily intervals
	// that start on those days.
	if r.Backfill.Planned != 3 || !strings.HasPrefix(r.Backfill.Command, "gantry backfill orders --from <FROM> --to <TO>") || r.Backfill.Section != "Backfill missed intervals" {
		t.Errorf("backfill: %+v", r.Backfill)
	}
	if r.Staging.State != "succeeded" || r.Staging.Succeeded != 2 || r.Staging.Expected != 2 {
		t.Errorf("staging: %+v", r.Staging)
	}
	data, err := json.Marshal(r)
	f.must(err)
	for _, key := range []string{`"version":1`, `"verdict":"READY"`, `"reasons":[]`, `"coverage":[`, `"mode":"dead_letters"`,
		`"last_ok":"2026-03-09T12:00:00Z"`, `"finish_p95_ns":`, `"memory_bytes":{"p50":`, `"peak_interval":`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s:\n%s", key, data)
		}
	}
	var back readiness.Report
	f.must(json.Unmarshal(data, &back))
	again, _ := json.Marshal(&back)
	if !bytes.Equal(again, data) {
		t.Errorf("JSON does not round-trip:\n%s\n%s", data, again)
	}
	var text, md bytes.Buffer
	r.Text(&text)
	r.Markdown(&md)
	for _, want := range []string{"orders in prod: READY", "failed", "→ data-oncall → hook [silenced by", "hook", "last test-fire 2026-03-09T12:00:00Z by sre-sam"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{"## Readiness: orders in prod — **READY**", "| mode | alert | routes | channels | silences |", "| failed | RunFailed | data-oncall | hook | #", "### Sizing"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}
