package routing

import (
	"slices"
	"testing"

	"github.com/gantryhq/gantry/internal/spec"
)

func TestRouting(t *testing.T) {
	t.Parallel()
	tr := New(spec.ProjectAlerts{Routes: []spec.Route{{
		Name: "data", Channels: []string{"slack"},
		Routes: []spec.Route{
			{Match: map[string]string{"env": "prod"}, Channels: []string{"pd"}, Continue: true},
			{Match: map[string]string{"env": "prod"}, Channels: []string{"email"}},
			{Match: map[string]string{"severity": "warning"}, Channels: []string{"warn"}},
			{On: []string{"retry"}, Channels: []string{"retries"}},
			{On: []string{"sla"}, Routes: []spec.Route{{Match: map[string]string{"pipeline": "orders"}, Channels: []string{"orders-sla"}}}},
		},
	}, {Name: "quiet", Channels: []string{"log"}, On: []string{"failure"}}}})
	for name, c := range map[string]struct {
		labels map[string]string
		want   []string
	}{
		"continue, then first match":    {map[string]string{"route": "data", "env": "prod", "kind": "failure"}, []string{"data/0", "data/1"}},
		"no child matches: the route":   {map[string]string{"route": "data", "env": "dev", "kind": "failure"}, []string{"data"}},
		"first match wins":              {map[string]string{"route": "data", "env": "dev", "severity": "warning", "kind": "failure"}, []string{"data/2"}},
		"retry only where asked":        {map[string]string{"route": "data", "env": "prod", "kind": "retry"}, []string{"data/3"}},
		"on filters a nested route":     {map[string]string{"route": "data", "pipeline": "orders", "kind": "sla"}, []string{"data/4/0"}},
		"on inherited, no nested match": {map[string]string{"route": "data", "pipeline": "users", "kind": "sla"}, []string{"data/4"}},
		"unknown route":                 {map[string]string{"route": "nope", "kind": "failure"}, nil},
		"top on filter":                 {map[string]string{"route": "quiet", "kind": "sla"}, nil},
		"success never by default":      {map[string]string{"route": "data", "env": "dev", "kind": "success"}, nil},
	} {
		var got []string
		for _, n := range tr.Route(c.labels) {
			got = append(got, n.Path)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: routed to %v, want %v", name, got, c.want)
		}
	}
	// Channels inherit: data/4 has none of its own.
	if n := tr.Find("data/4"); n == nil || !slices.Equal(n.Channels, []string{"slack"}) {
		t.Errorf("data/4 channels %v, want the parent's", n.Channels)
	}
	if !tr.Wants("retry") || tr.Wants("success") {
		t.Error("wants: retry is asked for, success is not")
	}
}

func TestGroupingInherits(t *testing.T) {
	t.Parallel()
	tr := New(spec.ProjectAlerts{
		Grouping: spec.Grouping{GroupWait: 10e9},
		Routes: []spec.Route{{Name: "r", Grouping: spec.Grouping{GroupBy: []string{"pipeline"}},
			Routes: []spec.Route{{Grouping: spec.Grouping{RepeatInterval: 3600e9}}}}},
	})
	n := tr.Find("r/0")
	if !slices.Equal(n.Grouping.By, []string{"pipeline"}) || n.Grouping.Wait != 10e9 || n.Grouping.Interval != DefaultGroupInterval || n.Grouping.Repeat != 3600e9 {
		t.Errorf("grouping %+v", n.Grouping)
	}
	k1, _ := n.GroupKey(map[string]string{"pipeline": "orders", "alertname": "A"})
	k2, _ := n.GroupKey(map[string]string{"pipeline": "orders", "alertname": "B"})
	k3, _ := n.GroupKey(map[string]string{"pipeline": "users", "alertname": "A"})
	if k1 != k2 || k1 == k3 {
		t.Errorf("group keys %q %q %q", k1, k2, k3)
	}
}
