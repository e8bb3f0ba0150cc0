package secrets

import (
	"slices"
	"strings"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
)

const allowSignature = "gitleaks:allow"

// gantryKeywords indexes the keywords of gantryRules: one Aho-Corasick pass
// over a file finds every line a rule must look at, and for the assignment
// rule where on the line each key ends.
var gantryKeywords = buildGantryKeywords()

type keywordIndex struct {
	trie    *ahocorasick.Trie
	rules   []uint64 // keyword number → rules (bit i for gantryRules[i])
	assigns []bool   // keyword number → it ends a secret-named key
}

func buildGantryKeywords() keywordIndex {
	var (
		ix   keywordIndex
		kws  []string
		nums = map[string]int{}
	)
	for ri, r := range gantryRules {
		for _, kw := range r.keywords {
			n, ok := nums[kw]
			if !ok {
				n = len(kws)
				nums[kw] = n
				kws = append(kws, kw)
				ix.rules = append(ix.rules, 0)
				ix.assigns = append(ix.assigns, false)
			}
			ix.rules[n] |= 1 << ri
			ix.assigns[n] = ix.assigns[n] || r.find != nil
		}
	}
	ix.trie = ahocorasick.NewTrieBuilder().AddStrings(kws).Build()
	return ix
}

// A candidate is a line some of Gantry's rules must look at.
type candidate struct {
	line    int    // 0-based
	rules   uint64 // bit i for gantryRules[i]
	keyEnds []int  // offsets in the line where a secret-named key may end
}

// scanGantry runs Gantry's own rules over text, each only on the lines that
// hold one of its keywords, so most lines cost no regular expression at all.
func scanGantry(display string, text, lower []byte, starts []int) []hit {
	var cands []candidate
	line := 0
	gantryKeywords.trie.Walk(lower, func(end, n, pattern int64) bool {
		for line+1 < len(starts) && starts[line+1] <= int(end) {
			line++
		}
		if len(cands) == 0 || cands[len(cands)-1].line != line {
			cands = append(cands, candidate{line: line})
		}
		c := &cands[len(cands)-1]
		c.rules |= gantryKeywords.rules[pattern]
		if gantryKeywords.assigns[pattern] {
			c.keyEnds = append(c.keyEnds, int(end)+1-starts[line])
		}
		return true
	})

	var out []hit
	for _, c := range cands {
		start, end := starts[c.line], len(text)
		if c.line+1 < len(starts) {
			end = starts[c.line+1]
		}
		ln := strings.TrimRight(string(text[start:end]), "\r\n")
		if strings.Contains(ln, allowSignature) {
			continue
		}
		lowerLine := string(lower[start : start+len(ln)])
		for ri := range gantryRules {
			if c.rules&(1<<ri) == 0 {
				continue
			}
			r := &gantryRules[ri]
			var spans []span
			if r.find != nil {
				spans = findAssignments(ln, c.keyEnds)
			} else {
				spans = r.findSpans(ln, lowerLine)
			}
			for _, sp := range spans {
				out = append(out, hit{
					Finding: Finding{
						File:   display,
						Line:   c.line + 1,
						Col:    sp.start + 1,
						Rule:   "gantry." + r.id,
						Desc:   r.desc,
						Masked: mask(ln[sp.start:sp.end]),
					},
					width: sp.end - sp.start,
					rank:  rankGantry,
				})
			}
		}
	}
	return out
}

// keyEndsIn returns where, in line, one of the assignment keywords ends.
// It serves callers that have no keyword index, such as tests.
func keyEndsIn(line string) []int {
	lower := strings.ToLower(line)
	var ends []int
	for _, kw := range assignKeywords {
		for off := 0; ; {
			i := strings.Index(lower[off:], kw)
			if i < 0 {
				break
			}
			ends = append(ends, off+i+len(kw))
			off += i + 1
		}
	}
	slices.Sort(ends)
	return slices.Compact(ends)
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay the same
// as in the original text.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
