package check

import (
	"cmp"
	"slices"
)

// Severity is how much a finding matters. Only errors fail the gate.
type Severity string

// Severities, most serious first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// Finding is one problem the gate found. File is relative to the project
// folder, with forward slashes; Line and Col are 1-based.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"column"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	// commit is set on a finding in the history: the commit that added it.
	commit string
}

// Suppressed is a finding that a suppression with a reason silenced.
type Suppressed struct {
	Finding Finding `json:"finding"`
	Reason  string  `json:"reason"`
	// Source says where the suppression was written:
	// "inline" (a gantry:ignore comment) or ".gantry-ignore.yaml:LINE".
	Source string `json:"source"`
}

// Report is the gate's verdict on one project.
type Report struct {
	Findings   []Finding    // sorted by file, line, column, rule
	Files      []string     // every file scanned, relative, sorted
	Suppressed []Suppressed // sorted like Findings
}

// Passed reports whether the report holds no error-level finding.
func (r *Report) Passed() bool { return r.Count(SeverityError) == 0 }

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Col, b.Col),
		cmp.Compare(a.Severity.rank(), b.Severity.rank()),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Message, b.Message),
	)
}

// sortFindings sorts fs and drops exact duplicates (two pipelines sharing
// one alert route can raise the same finding twice).
func sortFindings(fs []Finding) []Finding {
	slices.SortFunc(fs, compareFindings)
	return slices.Compact(fs)
}
