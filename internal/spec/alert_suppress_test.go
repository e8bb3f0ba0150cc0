package spec

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAlertSuppress(t *testing.T) {
	t.Parallel()
	p, err := ParseProject("gantry.yaml", []byte("alerts:\n  suppress:\n    - {mode: oom, reason: \"  tasks are capped by the warehouse  \"}\n    - {mode: rollback, reason: manual rollbacks only}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []AlertSuppress{
		{Mode: "oom", Reason: "tasks are capped by the warehouse", Path: "alerts.suppress[0]"},
		{Mode: "rollback", Reason: "manual rollbacks only", Path: "alerts.suppress[1]"},
	}
	if !reflect.DeepEqual(p.Alerts.Suppress, want) {
		t.Errorf("suppress = %+v, want %+v", p.Alerts.Suppress, want)
	}
	if pos := p.Positions["alerts.suppress[1]"]; pos.Line != 4 || pos.Col != 7 {
		t.Errorf("alerts.suppress[1] at %+v, want 4:7", pos)
	}
	pl, err := ParsePipeline("pipelines/p.yaml", []byte("pipeline: p\ntasks: [{id: a, run: 'true'}]\nalerts:\n  route: r\n  suppress: [{mode: lost, reason: idempotent and cheap to rerun}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Alerts.Suppress) != 1 || pl.Alerts.Suppress[0].Mode != "lost" || pl.Alerts.Route != "r" {
		t.Errorf("pipeline alerts = %+v", pl.Alerts)
	}
}

func TestParseAlertSuppressErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, src, want string }{
		{"unknown mode", "alerts:\n  suppress:\n    - {mode: memory, reason: x}", `gantry.yaml:3:14: alerts.suppress[0].mode: "memory" is not one of failure, timeout, oom, lost`},
		{"near miss", "alerts:\n  suppress: [{mode: ooom, reason: x}]", `did you mean "oom"?`},
		{"no reason", "alerts:\n  suppress:\n    - {mode: oom}", "gantry.yaml:3:7: alerts.suppress[0]: suppressing oom alerts needs a `reason:`"},
		{"blank reason", "alerts:\n  suppress:\n    - {mode: oom, reason: '  '}", "gantry.yaml:3:7: alerts.suppress[0]: suppressing oom alerts needs a `reason:`"},
		{"no mode", "alerts:\n  suppress:\n    - {reason: why}", "gantry.yaml:3:7: alerts.suppress[0]: missing `mode:`"},
		{"twice", "alerts:\n  suppress:\n    - {mode: sla, reason: a}\n    - {mode: sla, reason: b}", "gantry.yaml:4:7: alerts.suppress[1]: sla is suppressed twice"},
		{"unknown key", "alerts:\n  suppress: [{mode: sla, reason: a, until: never}]", `alerts.suppress[0].until: unknown key "until"`},
		{"not a list", "alerts: {suppress: oom}", "alerts.suppress: expected a list"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseProject("gantry.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("accepted: %+v", p.Alerts.Suppress)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
	_, err := ParsePipeline("pipelines/p.yaml", []byte("pipeline: p\ntasks: [{id: a, run: 'true'}]\nalerts:\n  suppress: [{mode: stail, reason: x}]\n"))
	if err == nil || !strings.Contains(err.Error(), "pipelines/p.yaml:4:21: alerts.suppress[0].mode:") || !strings.Contains(err.Error(), `did you mean "stale"?`) {
		t.Errorf("pipeline error = %v", err)
	}
}
