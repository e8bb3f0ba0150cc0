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

func (r *run) checkRunbook(p *spec.Pipeline) {
	if p.Runbook == "" {
		r.add(r.at(p, RuleRunbookExists, spec.Pos{}, fmt.Sprintf("pipeline %q has no runbook", p.Name), "pipeline"))
		return
	}
	file := p.Runbook
	if !filepath.IsAbs(file) {
		file = filepath.Join(p.ProjectDir(), filepath.FromSlash(file))
	}
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
	if r.opts.IsCommand == nil {
		return
	}
	for _, c := range doc.code {
		for _, call := range gantryCalls(c.Text) {
			if r.opts.IsCommand(call.Args) {
				continue
			}
			r.add(Finding{
				Rule: RuleRunbookCommands, File: rel, Line: c.Line, Col: c.Col + call.Offset,
				Message: fmt.Sprintf("runbook names `gantry %s`, which is not a gantry command", strings.Join(call.Args, " ")),
			})
		}
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

// call is one `gantry ...` invocation inside a piece of code.
type call struct {
	Offset int // of "gantry" in the code text
	Args   []string
}

// gantryCalls finds the commands in a line of shell that start with
// gantry: at the start of the text or after ; & | ( ) or a backquote.
// A comment (# after a blank) ends the line.
func gantryCalls(text string) []call {
	if i := strings.Index(text, " #"); i >= 0 {
		text = text[:i]
	}
	var out []call
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && !strings.ContainsRune(";&|()`", rune(text[i])) {
			continue
		}
		words, offs := fields(text[start:i])
		for len(words) > 1 && (words[0] == "$" || words[0] == "sudo" || words[0] == "exec") {
			words, offs = words[1:], offs[1:]
		}
		if len(words) > 1 && words[0] == "gantry" {
			out = append(out, call{Offset: start + offs[0], Args: words[1:]})
		}
		start = i + 1
	}
	return out
}

// fields splits s at blanks and returns the words and their offsets.
func fields(s string) ([]string, []int) {
	var words []string
	var offs []int
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		if j > i {
			words = append(words, s[i:j])
			offs = append(offs, i)
		}
		i = j
	}
	return words, offs
}
