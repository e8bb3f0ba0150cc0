package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a spec file, compiler style.
type Error struct {
	File      string
	Line, Col int    // 1-based; 0 when unknown
	Path      string // field path: "tasks[2].needs", "schedule.cron"; "" for the file
	Msg       string
	Hint      string // "did you mean \"transform\"?"; "" for none
}

// Error renders the error as one line:
//
//	pipelines/orders.yaml:14:7: tasks[2].needs: unknown task "transfrom" (did you mean "transform"?)
func (e Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		if e.Col > 0 {
			b.WriteString(strconv.Itoa(e.Col))
			b.WriteString(":")
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Errors is every problem found, sorted by file, line and column.
type Errors []Error

// Error renders one error per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es sorted, as an error, or nil when there are none.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	es.Sort()
	return es
}

// Sort orders the errors by file, line and column, keeping the order of
// errors at the same place.
func (es Errors) Sort() {
	slices.SortStableFunc(es, func(a, b Error) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
		)
	})
}

func (es *Errors) add(file string, p Pos, path, hint, format string, args ...any) {
	*es = append(*es, Error{File: file, Line: p.Line, Col: p.Col, Path: path, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// didYouMean returns a hint naming the candidate closest to got, or "" when
// none is close enough to be a plausible typo.
func didYouMean(got string, candidates []string) string {
	if s := closest(got, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// closest returns the candidate with the smallest edit distance to got,
// within a budget that grows with the word's length, or "".
func closest(got string, candidates []string) string {
	best, bestD := "", -1
	lg := strings.ToLower(got)
	for _, c := range candidates {
		if c == got {
			continue
		}
		d := distance(lg, strings.ToLower(c))
		if bestD == -1 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 1
	switch n := len([]rune(got)); {
	case n >= 9:
		limit = 3
	case n >= 5:
		limit = 2
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// distance is the optimal string alignment (restricted Damerau-Levenshtein)
// distance: insertions, deletions, substitutions and swaps of neighbours.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// Long strings are never typos of a key; keep the cost bounded.
		if a == b {
			return 0
		}
		return max(len(ra), len(rb))
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// Closest returns the candidate a mistyped got most likely meant, or ""
// when none is close enough, as spec's own "did you mean" hints judge it.
func Closest(got string, candidates []string) string { return closest(got, candidates) }

// DidYouMean returns a hint such as `did you mean "orders"?` naming the
// candidate closest to got, or "" when none is a plausible typo: the CLI's
// hint for an unknown pipeline name, as validate's for unknown keys.
func DidYouMean(got string, candidates []string) string { return didYouMean(got, candidates) }
