package check

import (
	"slices"

	"github.com/gantryhq/gantry/internal/alert/routing"
	"github.com/gantryhq/gantry/internal/spec"
)

// RunbookCoverage is what a pipeline's runbook covers, read as the gate
// reads it, for the readiness report.
type RunbookCoverage struct {
	// Modes are the failure modes (routing.Modes names) the runbook has a
	// section for, the one their alerts link to; Missing those p can
	// raise that it has none for.
	Modes, Missing []string
	// Backfill are the `gantry backfill` commands of the runbook that
	// name p (or a placeholder for it), in order: its backfill procedure.
	Backfill []RunbookCommand
}

// RunbookCommand is one gantry command line written in a runbook.
type RunbookCommand struct {
	Line    int      // 1-based, in the runbook file
	Heading string   // the nearest heading above it ("" before the first)
	Args    []string // the words after gantry, as the shell passes them
}

// HasBackfill reports whether the runbook says how to backfill p.
func (c RunbookCoverage) HasBackfill() bool { return len(c.Backfill) > 0 }

// Covers reports whether the runbook has a section for mode (a
// routing.Modes name: "oom", "sla", ...).
func (c RunbookCoverage) Covers(mode string) bool { return slices.Contains(c.Modes, mode) }

// ReadRunbook reads the Markdown text of p's runbook.
func ReadRunbook(p *spec.Pipeline, text string) RunbookCoverage {
	doc := parseMarkdown(text)
	var cov RunbookCoverage
	for _, m := range routing.Modes {
		if routing.HasAnchor(doc.headings, m.Anchor) {
			cov.Modes = append(cov.Modes, m.Name)
		}
	}
	for _, m := range missingModes(p, doc) {
		cov.Missing = append(cov.Missing, m.Name)
	}
	for _, c := range doc.code {
		for _, call := range gantryCalls(c.Text) {
			if len(call.Args) > 1 && call.Args[0] == "backfill" && (call.Args[1] == p.Name || Placeholder(call.Args[1])) {
				cov.Backfill = append(cov.Backfill, RunbookCommand{Line: codeLine(c, call.Offset), Heading: c.Heading, Args: call.Args})
			}
		}
	}
	return cov
}

func codeLine(c code, offset int) int {
	l, _ := c.pos(offset)
	return l
}
