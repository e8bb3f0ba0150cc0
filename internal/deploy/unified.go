package deploy

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// FileDiff is one file's changed lines between two revisions, as a
// unified diff, under the risk class of its change.
type FileDiff struct {
	Path    string
	Class   string // spec.RiskL1..L4
	Unified string // "--- a/path\n+++ b/path\n@@ ... @@\n..."; a note when too large to show
}

// unifiedContext is how many unchanged lines a hunk shows around changes.
const unifiedContext = 3

// maxUnifiedCells bounds the line-by-line comparison (lines of one side
// times lines of the other); a larger file's diff is summarised.
const maxUnifiedCells = 4_000_000

// addFileDiff records path's unified diff from a to b under class; nil a
// is a file added, nil b one removed.
func (d *Diff) addFileDiff(path, class string, a, b []byte, inOld, inNew bool) {
	from, to := "a/"+path, "b/"+path
	if !inOld {
		from = "/dev/null"
	}
	if !inNew {
		to = "/dev/null"
	}
	d.Files = append(d.Files, FileDiff{Path: path, Class: class, Unified: unified(from, to, lines(a), lines(b))})
}

func (d *Diff) sortFiles() {
	slices.SortStableFunc(d.Files, func(a, b FileDiff) int {
		return cmp.Or(cmp.Compare(b.Class, a.Class), cmp.Compare(a.Path, b.Path))
	})
}

// WriteFiles writes each changed file's unified diff under its risk class,
// widest class first: what gantry diff prints after the changes.
func (d *Diff) WriteFiles(w io.Writer) error {
	var b strings.Builder
	class := ""
	for _, f := range d.Files {
		if f.Class != class {
			class = f.Class
			fmt.Fprintf(&b, "\n%s (%s):\n", class, riskNames[class])
		}
		for _, l := range strings.SplitAfter(strings.TrimSuffix(f.Unified, "\n"), "\n") {
			b.WriteString("  " + strings.TrimSuffix(l, "\n") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// op is one line of an edit script: ' ' kept, '-' removed, '+' added.
type op struct {
	kind byte
	text string
	x, y int // 1-based line numbers in the old and new file (of the line, or before it)
}

// unified is the unified diff of x and y, with unifiedContext lines of
// context around each change.
func unified(from, to string, x, y []string) string {
	if len(x)*len(y) > maxUnifiedCells {
		return fmt.Sprintf("--- %s\n+++ %s\n(%d → %d lines: too large to show line by line)\n", from, to, len(x), len(y))
	}
	ops := editScript(x, y)
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", from, to)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-unifiedContext, 0)
		end := i
		// Extend the hunk while the next change is within 2*context.
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
				continue
			}
			if j-end >= 2*unifiedContext {
				break
			}
		}
		end = min(end+unifiedContext, len(ops))
		writeHunk(&b, ops[start:end])
		i = end
	}
	return b.String()
}

func writeHunk(b *strings.Builder, ops []op) {
	var oldN, newN int
	for _, o := range ops {
		if o.kind != '+' {
			oldN++
		}
		if o.kind != '-' {
			newN++
		}
	}
	oldStart, newStart := ops[0].x, ops[0].y
	if oldN == 0 {
		oldStart--
	}
	if newN == 0 {
		newStart--
	}
	fmt.Fprintf(b, "@@ -%s +%s @@\n", hunkRange(oldStart, oldN), hunkRange(newStart, newN))
	for _, o := range ops {
		b.WriteByte(o.kind)
		b.WriteString(o.text)
		b.WriteByte('\n')
	}
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// editScript turns x into y by a longest common subsequence of lines.
func editScript(x, y []string) []op {
	n, m := len(x), len(y)
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i + 1, j + 1})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			// Removed lines come before the lines that replace them.
			ops = append(ops, op{'-', x[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, op{'+', y[j], i + 1, j + 1})
			j++
		}
	}
	return ops
}
