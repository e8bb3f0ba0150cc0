package ui

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/alert/routing"
)

func TestParseRunbook(t *testing.T) {
	t.Parallel()
	text := "# Runbook: orders\n\nLoads orders.\n\n## First look\n\n```sh\ngantry runs\n```\n\n" +
		"## Failure: source unavailable\n\n1. check the source\n2. wait\n\n## Timed out\n\n- kill\n  it\n\n## Stale data or a missed SLA\n\ntext\n## Rollback\n"
	got := parseRunbook(text)
	want := []block{
		{Kind: "h1", ID: "runbook-orders", Text: "Runbook: orders"},
		{Kind: "p", Text: "Loads orders."},
		{Kind: "h2", ID: "first-look", Text: "First look"},
		{Kind: "pre", Text: "gantry runs"},
		{Kind: "h2", ID: "failure-source-unavailable", Aliases: []string{"task-failed"}, Text: "Failure: source unavailable"},
		{Kind: "ol", Items: []string{"check the source", "wait"}},
		{Kind: "h2", ID: "timed-out", Aliases: []string{"timeout"}, Text: "Timed out"},
		{Kind: "ul", Items: []string{"kill it"}},
		{Kind: "h2", ID: "stale-data-or-a-missed-sla", Aliases: []string{"sla-missed", "stale-data"}, Text: "Stale data or a missed SLA"},
		{Kind: "p", Text: "text"},
		{Kind: "h2", ID: "rollback", Text: "Rollback"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseRunbook:\n got %+v\nwant %+v", got, want)
	}
}

// A generated runbook's part markers are not shown, and each failure
// mode's section has the anchor its alerts link to as its own id.
func TestParseGeneratedRunbook(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "data", "runbooks", "orders_daily.md"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, b := range parseRunbook(string(data)) {
		if strings.Contains(b.Text, "<!--") || slices.ContainsFunc(b.Items, func(s string) bool { return strings.Contains(s, "<!--") }) {
			t.Errorf("block shows a marker: %+v", b)
		}
		if b.Kind == "h2" {
			ids[b.ID] = true
		}
	}
	for _, m := range routing.Modes {
		for _, a := range m.Alerts {
			if anchor := routing.Anchor(a); !ids[anchor] {
				t.Errorf("%s alerts link to #%s, which no section of the generated runbook has", a, anchor)
			}
		}
	}
}
