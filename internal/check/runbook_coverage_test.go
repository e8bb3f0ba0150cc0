package check_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/spec"
)

func TestReadRunbook(t *testing.T) {
	t.Parallel()
	p, err := spec.ParsePipeline("orders.yaml", []byte(`pipeline: orders
tasks:
  - {id: load, run: ./load.sh}
sla: {deadline: "06:00"}
`))
	if err != nil {
		t.Fatal(err)
	}
	text := "# Runbook\n\n## Task failed\n\ntext\n\n## Out of memory\n\n## Backfill\n\n```sh\n" +
		"gantry backfill orders --from 2026-01-01 --to 2026-01-02 --dry-run\n" +
		"gantry backfill other --from A --to B\n```\n\nOr `gantry backfill PIPELINE --from D --to D`.\n"
	cov := check.ReadRunbook(p, text)
	if !slices.Equal(cov.Modes, []string{"failure", "oom"}) {
		t.Errorf("Modes = %q, want failure and oom", cov.Modes)
	}
	if !slices.Equal(cov.Missing, []string{"timeout", "lost", "sla", "dead_letter"}) {
		t.Errorf("Missing = %q", cov.Missing)
	}
	if !cov.Covers("oom") || cov.Covers("sla") {
		t.Errorf("Covers: oom %v, sla %v", cov.Covers("oom"), cov.Covers("sla"))
	}
	if !cov.HasBackfill() || len(cov.Backfill) != 2 || cov.Backfill[0].Line != 12 ||
		strings.Join(cov.Backfill[0].Args, " ") != "backfill orders --from 2026-01-01 --to 2026-01-02 --dry-run" ||
		cov.Backfill[1].Args[1] != "PIPELINE" {
		t.Errorf("Backfill = %+v, want the orders and the placeholder commands", cov.Backfill)
	}
	if check.ReadRunbook(p, "# Runbook\n\n## Failure\n").HasBackfill() {
		t.Errorf("a runbook without a gantry backfill command has a backfill procedure")
	}
}
