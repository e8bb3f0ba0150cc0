package secrets

import (
	"cmp"
	"slices"
)

// Ranks order overlapping findings from the two rule sets: a provider rule
// (an AWS key) says more than Gantry's, and Gantry's more than gitleaks'
// generic-api-key.
const (
	rankGitleaks = iota
	rankGantry
	rankGeneric
)

// A hit is a Finding with what is needed to drop duplicates: how wide the
// secret is and how specific the rule that found it.
type hit struct {
	Finding
	width int
	rank  int
	// moved is set when the rule's match began on an earlier line than the
	// secret (gitleaks' curl rules span continued lines): a rule that
	// matched on the secret's own line says better what it is.
	moved bool
}

// toFindings sorts hits and keeps one of each group that covers the same
// bytes of a line, the one of best rank.
func toFindings(hits []hit) []Finding {
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.rank, b.rank), compareBool(a.moved, b.moved), cmp.Compare(a.Col, b.Col))
	})
	var out []Finding
	var kept []hit // kept on the current line
	for _, h := range hits {
		if len(kept) > 0 && kept[0].Line != h.Line {
			kept = kept[:0]
		}
		if slices.ContainsFunc(kept, h.overlaps) {
			continue
		}
		kept = append(kept, h)
		out = append(out, h.Finding)
	}
	slices.SortFunc(out, compareFindings)
	return out
}

func (h hit) overlaps(o hit) bool {
	return h.Col < o.Col+o.width && o.Col < h.Col+h.width
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
