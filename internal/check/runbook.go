package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// minFailureModes is how many failure modes a runbook must cover.
const minFailureModes = 3

// FillMarker starts what a generated runbook leaves for a person to
// write (gantry runbook generate); the gate reports each one until it is
// replaced.
const FillMarker = "<!-- gantry:fill -->"

func (r *run) checkRunbook(p *spec.Pipeline) {
	if p.Runbook == "" {
		r.add(r.at(p, RuleRunbookExists, spec.Pos{}, fmt.Sprintf("pipeline %q has no runbook", p.Name), "pipeline"))
		return
	}
	file := runbookFile(p)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		r.add(r.at(p, RuleRunbookExists, spec.Pos{}, fmt.Sprintf("runbook %s does not exist", p.Runbook), "runbook"))
		return
	}
	if err != nil {
		return // an unreadable-file finding says why
	}
	rel := r.rel(file)
	doc := parseMarkdown(string(data))
	if f, ok := coverage(doc); !ok {
		f.File = rel
		r.add(f)
	}
	r.checkAnchors(p, doc, rel)
	r.checkFills(string(data), rel)
	if r.opts.Commands == nil {
		return
	}
	type read struct {
		at    Finding
		shown string
		line  CommandLine
	}
	var lines []read
	for _, c := range doc.code {
		for _, call := range gantryCalls(c.Text) {
			ln, col := c.pos(call.Offset)
			at := Finding{Rule: RuleRunbookCommands, File: rel, Line: ln, Col: col}
			shown := "gantry " + strings.Join(call.Args, " ")
			line, err := r.opts.Commands(call.Args)
			if err != nil {
				at.Message = fmt.Sprintf("runbook names `%s`: %v", shown, err)
				r.add(at)
				continue
			}
			lines = append(lines, read{at, shown, line})
		}
	}
	names := r.namesFor(p, file)
	for _, l := range lines {
		names.mention(l.line)
	}
	for _, l := range lines {
		for _, msg := range names.check(l.line) {
			l.at.Message = fmt.Sprintf("runbook names `%s`: %s", l.shown, msg)
			r.add(l.at)
		}
	}
}

// runbookFile is the path of p's runbook file.
func runbookFile(p *spec.Pipeline) string {
	if filepath.IsAbs(p.Runbook) {
		return p.Runbook
	}
	return filepath.Join(p.ProjectDir(), filepath.FromSlash(p.Runbook))
}

// checkFills reports each part of a generated runbook still left for a
// person to write.
func (r *run) checkFills(text, rel string) {
	for i, line := range strings.Split(text, "\n") {
		col := strings.Index(line, FillMarker)
		if col < 0 {
			continue
		}
		prompt := strings.Trim(strings.TrimSpace(line[col+len(FillMarker):]), "_*")
		r.add(Finding{Rule: RuleRunbookUnfilled, File: rel, Line: i + 1, Col: col + 1,
			Message: fmt.Sprintf("runbook leaves this for a person to write: %s", prompt)})
	}
}

// coverage checks the runbook's failure-mode sections.
func coverage(doc *markdown) (Finding, bool) {
	complete := 0
	var gaps []string
	for _, s := range doc.sections {
		switch {
		case s.diagCmd && s.recCmd:
			complete++
		case s.diag || s.rec:
			var lacks []string
			if !s.diagCmd {
				lacks = append(lacks, "diagnosis")
			}
			if !s.recCmd {
				lacks = append(lacks, "recovery")
			}
			gaps = append(gaps, fmt.Sprintf("%q (line %d) has no %s command", s.title, s.line, strings.Join(lacks, " or ")))
		}
	}
	if complete >= minFailureModes {
		return Finding{}, true
	}
	msg := fmt.Sprintf("runbook covers %d failure mode(s) with diagnosis and recovery commands, want at least %d", complete, minFailureModes)
	if len(gaps) > 0 {
		msg += "; " + strings.Join(gaps, "; ")
	}
	return Finding{Rule: RuleRunbookCoverage, Line: 1, Col: 1, Message: msg}, false
}
