package ui

import (
	"reflect"
	"testing"
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
