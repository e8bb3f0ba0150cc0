package secrets

import (
	"slices"
	"strings"
)

const allowSignature = "gitleaks:allow"

// A candidate is a line some of Gantry's rules must look at.
type candidate struct {
	line    int    // 0-based
	rules   uint64 // bit i for gantryRules[i]
	keyEnds []int  // offsets in the line where a secret-named key may end
}

// gantryHits runs Gantry's own rules over the candidate lines the keyword
// pass found, so most lines cost no regular expression at all.
func gantryHits(display string, text, lower []byte, starts []int, cands []candidate) []hit {
	if len(cands) == 0 {
		return nil
	}
	// One copy of the file as strings rather than one per line.
	ts, ls := string(text), string(lower)
	var out []hit
	for _, c := range cands {
		start, end := starts[c.line], len(ts)
		if c.line+1 < len(starts) {
			end = starts[c.line+1]
		}
		ln := strings.TrimRight(ts[start:end], "\r\n")
		if strings.Contains(ln, allowSignature) {
			continue
		}
		lowerLine := ls[start : start+len(ln)]
		for ri := range gantryRules {
			if c.rules&(1<<ri) == 0 {
				continue
			}
			r := &gantryRules[ri]
			var spans []span
			at, atLine := ln, c.line
			if r.find != nil {
				spans = findAssignments(ln, c.keyEnds)
				if len(spans) == 0 && c.line+1 < len(starts) {
					at, atLine = nextLine(ts, starts, c.line+1), c.line+1
					spans = continuedValue(ln, at, c.keyEnds)
				}
			} else {
				spans = r.findSpans(ln, lowerLine)
			}
			for _, sp := range spans {
				out = append(out, hit{
					Finding: Finding{
						File:   display,
						Line:   atLine + 1,
						Col:    sp.start + 1,
						Rule:   "gantry." + r.id,
						Desc:   r.desc,
						Masked: mask(at[sp.start:sp.end]),
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

// nextLine returns line l of ts without its line break.
func nextLine(ts string, starts []int, l int) string {
	end := len(ts)
	if l+1 < len(starts) {
		end = starts[l+1]
	}
	return strings.TrimRight(ts[starts[l]:end], "\r\n")
}

// continuedValue returns the secret on next when line assigns a
// secret-named key a value that starts on the line after: a YAML block
// scalar (token: >- or |), an open parenthesis (Python's API_KEY = (), or
// a shell line continuation (PASSWORD=\). next must hold that value alone,
// indented, perhaps quoted; a bare word on it must look like a secret.
func continuedValue(line, next string, keyEnds []int) []span {
	for _, end := range keyEnds {
		start := keyStart(line, end)
		v, ok := afterKey(line, start, end)
		if !ok || inFlowMapping(line, start) {
			continue
		}
		switch strings.TrimRight(line[v:], " \t") {
		case "|", "|-", "|+", ">", ">-", ">+", "(", "\\":
		default:
			continue
		}
		body := strings.TrimLeft(next, " \t")
		if len(body) == len(next) {
			return nil // not indented: the value is empty
		}
		i := len(next) - len(body)
		body = strings.TrimRight(strings.TrimSuffix(strings.TrimRight(body, " \t"), "\\"), " \t")
		sp, ok := valueAt(next[:i+len(body)], i)
		if !ok || sp.end-sp.start != len(strings.Trim(body, "\"'`)")) || gantryReference(line[start:end], next[sp.start:sp.end]) {
			continue // more than one word: prose or code, not a value
		}
		if isLiteralSecret(next[sp.start:sp.end], sp.quoted) {
			return []span{sp}
		}
	}
	return nil
}
