package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

func TestFreshnessAndTodaysSLA(t *testing.T) {
	t.Parallel()
	p := &spec.Pipeline{Schedule: &spec.Schedule{Cron: "0 2 * * *", Location: time.UTC},
		SLA: spec.SLA{Deadline: "06:00", Freshness: 26 * time.Hour}}
	day := func(h int) time.Time { return time.Date(2026, 3, 14, h, 0, 0, 0, time.UTC) }
	cases := []struct {
		name            string
		p               *spec.Pipeline
		lastOK, now     time.Time
		fresh, freshTxt string
		sla             string
	}{
		{"today's interval done", p, day(2), day(9), "ok", "fresh: 7h old, SLA 26h", "ok"},
		{"before the deadline, not done", p, day(2).Add(-24 * time.Hour), day(4), "warn", "at risk: 26h old, SLA 26h", "warn"},
		{"past the deadline, not done", p, day(2).Add(-24 * time.Hour), day(7), "bad", "stale: 29h old, SLA 26h", "bad"},
		{"near the freshness SLA", p, day(2).Add(-24 * time.Hour), day(1).Add(30 * time.Minute), "warn", "at risk: 23h old, SLA 26h", "none"},
		{"never succeeded", p, time.Time{}, day(9), "bad", "no data yet", "bad"},
		{"no SLA", &spec.Pipeline{}, day(2), day(9), "none", "7h old", "none"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := freshness(c.p, c.lastOK, c.now)
			if f.Class != c.fresh || f.Text != c.freshTxt {
				t.Errorf("freshness %+v, want %s %q", f, c.fresh, c.freshTxt)
			}
			if s := todaysSLA(c.p, c.lastOK, c.now); s.Class != c.sla {
				t.Errorf("SLA %+v, want %s", s, c.sla)
			}
		})
	}
}

func TestLayers(t *testing.T) {
	t.Parallel()
	nodes := []dagNode{{ID: "load", Needs: []string{"transform", "check"}}, {ID: "extract"},
		{ID: "transform", Needs: []string{"extract"}}, {ID: "check", Needs: []string{"extract"}},
		{ID: "report", Needs: []string{"load", "missing"}}}
	got := layers(nodes)
	want := [][]string{{"extract"}, {"transform", "check"}, {"load"}, {"report"}}
	if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("layers %v, want %v", got, want)
	}
	svg := string(dagSVG(nodes))
	for _, want := range []string{`href="#task-load"`, `>not in run<`, `class="box not_in_run"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("the DAG's SVG lacks %s", want)
		}
	}
	cyclic := []dagNode{{ID: "a", Needs: []string{"b"}}, {ID: "b", Needs: []string{"a"}}}
	if l := layers(cyclic); len(l) == 0 {
		t.Error("a cycle: no layers")
	}
}
