package deploy

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// Diff is what changes when a pipeline goes from one revision to another,
// and how risky that is.
type Diff struct {
	Pipeline string
	From     string // content hash; "" for a new pipeline
	To       string
	// Risk is the widest class of the changes, spec.RiskL1..L4; "" when
	// nothing changed.
	Risk    string
	Changes []Change // widest class first, then in the order found
	// Routes are the alert routes a routing change (RiskRouting) adds or
	// changes: a deployment to production test-fires them first.
	Routes []string
	// Files are the changed files' unified diffs, widest class first.
	Files []FileDiff
}

// Change is one difference and its risk class.
type Change struct {
	Class string // spec.RiskL1..L4, or RiskRouting
	Text  string // "tasks[1].retries.attempts: 3 → 5", "task `x` added"
}

// riskNames say what each class means, for people.
var riskNames = map[string]string{
	spec.RiskL1: "params or env values only",
	spec.RiskL2: "task settings",
	spec.RiskL3: "DAG shape or a new pipeline",
	spec.RiskL4: "several pipelines or shared project settings",
}

// Compare works out the diff between the bundles of one pipeline; from is
// nil for a pipeline never deployed.
func Compare(from, to *Bundle) (*Diff, error) {
	d := &Diff{Pipeline: to.Pipeline, To: to.Hash}
	if from == nil {
		d.add(spec.RiskL3, "new pipeline")
		return d, nil
	}
	d.From = from.Hash
	if from.Hash == to.Hash {
		return d, nil
	}
	oldP, err := spec.ParsePipeline(from.File, from.Files[from.File])
	if err != nil {
		return nil, fmt.Errorf("diff %s: revision %s: %w", to.Pipeline, Short(from.Hash), err)
	}
	newP, err := spec.ParsePipeline(to.File, to.Files[to.File])
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", to.Pipeline, err)
	}
	if from.File != to.File {
		d.add(spec.RiskL2, fmt.Sprintf("pipeline file moved: %s → %s", from.File, to.File))
	}
	comparePipelines(d, oldP, newP)
	if a, b := from.Files[from.File], to.Files[to.File]; from.File != to.File || !bytes.Equal(a, b) {
		d.addFileDiff(to.File, cmp.Or(d.Risk, spec.RiskL1), a, b, true, true)
	}
	compareFiles(d, from, to, newP)
	d.sort()
	d.sortFiles()
	return d, nil
}

func (d *Diff) add(class, text string) {
	d.Changes = append(d.Changes, Change{Class: class, Text: text})
	if class > d.Risk {
		d.Risk = class
	}
}

// widen raises every change to at least class, with why as its first line:
// deploying several pipelines at once is riskier than each of them.
func (d *Diff) widen(class, why string) {
	if d.Risk == "" || d.Risk >= class {
		return
	}
	d.Changes = append([]Change{{Class: class, Text: why}}, d.Changes...)
	d.Risk = class
}

// Routing reports whether the diff changes gantry.yaml's alerting.
func (d *Diff) Routing() bool {
	return slices.ContainsFunc(d.Changes, func(c Change) bool { return c.Class == RiskRouting })
}

func (d *Diff) sort() {
	slices.SortStableFunc(d.Changes, func(a, b Change) int { return cmp.Compare(b.Class, a.Class) })
}

// compareFiles reports the files other than the pipeline file that were
// added, removed or changed: gantry.yaml is L4, the runbook L1, scripts L2.
func compareFiles(d *Diff, from, to *Bundle, p *spec.Pipeline) {
	paths := map[string]bool{}
	for f := range from.Files {
		paths[f] = true
	}
	for f := range to.Files {
		paths[f] = true
	}
	sorted := make([]string, 0, len(paths))
	for f := range paths {
		if f != from.File && f != to.File {
			sorted = append(sorted, f)
		}
	}
	slices.Sort(sorted)
	runbook := ""
	if p.Runbook != "" {
		runbook = path.Clean(p.Runbook)
	}
	for _, f := range sorted {
		class := spec.RiskL2
		switch f {
		case spec.ProjectFile:
			class = spec.RiskL4
		case runbook:
			class = spec.RiskL1
		}
		a, inOld := from.Files[f]
		b, inNew := to.Files[f]
		if f == spec.ProjectFile && !bytes.Equal(a, b) {
			compareRouting(d, a, b)
		}
		if !bytes.Equal(a, b) || inOld != inNew {
			d.addFileDiff(f, class, a, b, inOld, inNew)
		}
		switch {
		case !inOld:
			d.add(class, fmt.Sprintf("%s added (%d lines)", f, len(lines(b))))
		case !inNew:
			d.add(class, f+" removed")
		case !bytes.Equal(a, b):
			plus, minus := lineChanges(a, b)
			d.add(class, fmt.Sprintf("%s changed (+%d −%d lines)", f, plus, minus))
		}
	}
}

// WriteText writes the diff for people: a heading line, then one line per
// change with its class.
func (d *Diff) WriteText(w io.Writer) error {
	from := "new pipeline"
	if d.From != "" {
		from = Short(d.From)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s → %s", d.Pipeline, from, Short(d.To))
	if d.Risk == "" {
		b.WriteString(": no changes\n")
	} else {
		fmt.Fprintf(&b, ", risk %s (%s)", d.Risk, riskNames[d.Risk])
		if d.Routing() {
			b.WriteString(" and " + RiskRouting + " (who is paged)")
		}
		b.WriteString("\n")
	}
	for _, c := range d.Changes {
		fmt.Fprintf(&b, "  %s  %s\n", c.Class, c.Text)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String is the diff as WriteText writes it.
func (d *Diff) String() string {
	var b strings.Builder
	_ = d.WriteText(&b)
	return b.String()
}

func lines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lineChanges counts the lines added and removed from a to b, by their
// longest common subsequence. Very long files are compared as multisets
// of lines, which is close enough for a summary.
func lineChanges(a, b []byte) (plus, minus int) {
	x, y := lines(a), lines(b)
	if len(x)*len(y) > 4_000_000 {
		count := map[string]int{}
		for _, l := range x {
			count[l]++
		}
		common := 0
		for _, l := range y {
			if count[l] > 0 {
				count[l]--
				common++
			}
		}
		return len(y) - common, len(x) - common
	}
	prev, cur := make([]int, len(y)+1), make([]int, len(y)+1)
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			if x[i-1] == y[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	common := prev[len(y)]
	return len(y) - common, len(x) - common
}
