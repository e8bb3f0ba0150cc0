package manager_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// quiet is a project whose route sends nowhere: these tests look at the
// alerts, not at deliveries.
func quiet() *spec.Project {
	return &spec.Project{Alerts: spec.ProjectAlerts{Routes: []spec.Route{{Name: "oncall"}}}}
}

func TestSLAFiresAtDeadlineForARunThatNeverStarted(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline("orders", "oncall")
	p.Schedule = &spec.Schedule{Cron: "0 2 * * *", Timezone: "Europe/Berlin", Location: berlin}
	p.SLA.Deadline = "06:00"
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, berlin)
	h := newHarness(t, quiet(), manager.Target{Pipeline: p, Env: "prod", Since: day.Add(-48 * time.Hour)})
	// The 2026-11-20 deadline was missed; start after it resolved to look at the next day.
	h.run("orders", "prod", record.RunSucceeded, day.Add(2*time.Hour), day.Add(3*time.Hour), att{task: "load", state: record.TaskSucceeded})
	// run() makes the interval [start-24h, start): this run covers the 20th's.

	h.clock.Set(day.Add(24*time.Hour + 5*time.Hour)) // 21st, 05:00: before the deadline
	next := h.eval()
	if slices.Contains(h.firing(), manager.NameSLAMissed) {
		t.Fatal("SLA missed before the deadline")
	}
	// Following the wake-ups the pass asks for lands exactly on the deadline.
	deadline := day.Add(24*time.Hour + 6*time.Hour)
	for next.Before(deadline) {
		h.clock.Set(next)
		next = h.eval()
		if slices.Contains(h.firing(), manager.NameSLAMissed) {
			t.Fatalf("SLA missed at %v, before the deadline", h.clock.Now())
		}
	}
	if !next.Equal(deadline) {
		t.Fatalf("next wake-up %v, want the deadline %v", next, deadline)
	}
	h.clock.Set(next)
	h.eval()
	if !slices.Contains(h.firing(), manager.NameSLAMissed) {
		t.Fatalf("at the deadline firing %v, want SLAMissed", h.firing())
	}
	// The late run succeeds: resolved.
	h.run("orders", "prod", record.RunSucceeded, day.Add(26*time.Hour), deadline.Add(time.Hour), att{task: "load", state: record.TaskSucceeded})
	h.clock.Set(deadline.Add(2 * time.Hour))
	h.eval()
	if slices.Contains(h.firing(), manager.NameSLAMissed) {
		t.Error("SLAMissed still fires after the run succeeded")
	}
}

func TestFreshness(t *testing.T) {
	t.Parallel()
	p := pipeline("orders", "oncall")
	p.SLA.Freshness = 26 * time.Hour
	h := newHarness(t, quiet(), manager.Target{Pipeline: p, Env: "prod"})
	r := h.run("orders", "prod", record.RunSucceeded, t0, t0.Add(time.Minute), att{task: "load", state: record.TaskSucceeded})
	h.clock.Set(r.IntervalEnd.Add(25 * time.Hour))
	next := h.eval()
	if len(h.firing()) != 0 {
		t.Fatalf("firing %v while fresh", h.firing())
	}
	if want := r.IntervalEnd.Add(26 * time.Hour); next.Before(want) || next.After(want.Add(time.Millisecond)) {
		t.Fatalf("next wake-up %v, want when the data turns stale, %v", next, want)
	}
	h.clock.Set(next)
	h.eval()
	if got := h.firing(); !slices.Equal(got, []string{manager.NameDataStale}) {
		t.Fatalf("firing %v, want DataStale", got)
	}
}

func succeededWithRows(h *harness, i int, rows string) {
	h.t.Helper()
	start := t0.Add(time.Duration(i) * 24 * time.Hour)
	h.run("orders", "prod", record.RunSucceeded, start, start.Add(time.Minute), att{task: "load", state: record.TaskSucceeded, rows: rows})
}

func TestRowCounts(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		rows []string
		want []string
	}{
		"normal":              {[]string{"10000", "10100", "9900", "10050"}, nil},
		"dropped vs median":   {[]string{"10000", "10100", "9900", "4000"}, []string{manager.NameRowCountDropped}},
		"below min":           {[]string{"10000", "10100", "9900", "900"}, []string{manager.NameRowCountDropped, manager.NameRowCountLow}},
		"no rows output":      {[]string{"10000", "10100", "9900", ""}, []string{manager.NameRowCountMissing}},
		"too few for median":  {[]string{"10000", "4000"}, nil},
		"recovered next time": {[]string{"10000", "10100", "9900", "4000", "9800"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := pipeline("orders", "oncall")
			p.Monitoring.RowCounts = &spec.RowCounts{Task: "load", Min: 1000, MaxDrop: 0.5}
			h := newHarness(t, quiet(), manager.Target{Pipeline: p, Env: "prod"})
			for i, r := range c.rows {
				succeededWithRows(h, i, r)
			}
			h.at(time.Duration(len(c.rows)) * 24 * time.Hour)
			got := h.firing()
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("firing %v, want %v", got, c.want)
			}
		})
	}
}

func TestDegradationP95(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		last time.Duration
		n    int
		want bool
	}{
		"slow":           {200 * time.Second, 6, true},
		"within factor":  {110 * time.Second, 6, false},
		"too few sample": {200 * time.Second, 4, false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, quiet(), manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
			for i := range c.n {
				start := t0.Add(time.Duration(i) * time.Hour)
				h.run("orders", "prod", record.RunSucceeded, start, start.Add(time.Duration(50+i)*time.Second), att{task: "load", state: record.TaskSucceeded})
			}
			start := t0.Add(time.Duration(c.n) * time.Hour)
			h.run("orders", "prod", record.RunSucceeded, start, start.Add(c.last), att{task: "load", state: record.TaskSucceeded})
			h.at(time.Duration(c.n+1) * time.Hour)
			if got := slices.Contains(h.firing(), manager.NameRunSlow); got != c.want {
				t.Errorf("RunSlow firing = %v, want %v (firing %v)", got, c.want, h.firing())
			}
		})
	}
}

func TestDeadLettersAndRetryRate(t *testing.T) {
	t.Parallel()
	p := pipeline("orders", "oncall")
	p.Monitoring.Degradation.RetryRate = 0.4
	h := newHarness(t, quiet(), manager.Target{Pipeline: p, Env: "prod"}, manager.Target{Pipeline: p, Env: "staging"})
	for i := range 2 {
		failingRun(h, "prod", t0.Add(time.Duration(i)*time.Minute))
	}
	h.at(10 * time.Minute)
	as, err := h.m.ListAlerts(t.Context(), storeFilter("orders", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range as {
		names = append(names, a.Name)
		if a.Name == manager.NameDeadLetters && a.Annotations["count"] != strconv.Itoa(2) {
			t.Errorf("dead letter count %q, want 2", a.Annotations["count"])
		}
	}
	slices.Sort(names)
	// 4 of the 8 attempts in the hour were retries: over 40%.
	if want := []string{manager.NameDeadLetters, manager.NameRetryRateHigh, manager.NameRunFailed}; !slices.Equal(names, want) {
		t.Errorf("prod alerts %v, want %v", names, want)
	}
	staging, err := h.m.ListAlerts(t.Context(), storeFilter("orders", "staging"))
	if err != nil || len(staging) != 0 {
		t.Errorf("staging alerts %v %v: prod's runs must not count", staging, err)
	}
}
