package executor

import (
	"bytes"
	"slices"
	"strings"
)

// redacted is what a secret is replaced with.
const redacted = "<redacted>"

// minSecretLine is the shortest line of a multi-line secret that is
// redacted on its own: a shorter one ("==", "}") would hide common text
// everywhere and reveals next to nothing.
const minSecretLine = 4

// secretPatterns returns every shape in which a secret value may be
// printed: the value itself and, for a multi-line value, the value with LF
// and with CRLF line ends, with and without its final line end, and each of
// its lines alone (a task may print one line of a PEM key).
func secretPatterns(values []string) []string {
	var out []string
	for _, v := range values {
		if v == "" {
			continue
		}
		out = append(out, v)
		if !strings.ContainsAny(v, "\r\n") {
			continue
		}
		lf := strings.ReplaceAll(v, "\r\n", "\n")
		crlf := strings.ReplaceAll(lf, "\n", "\r\n")
		out = append(out, lf, crlf, strings.TrimRight(lf, "\r\n"), strings.TrimRight(crlf, "\r\n"))
		for line := range strings.SplitSeq(lf, "\n") {
			for _, l := range []string{strings.TrimRight(line, "\r"), strings.TrimSpace(line)} {
				if len(l) >= minSecretLine {
					out = append(out, l)
				}
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}

// redactor replaces secrets in a byte stream, whatever the write boundaries:
// it holds back only the bytes that may still be the start of a secret (at
// most the longest pattern's length) and releases the rest, with every byte
// that belongs to any occurrence of any pattern replaced. Overlapping
// occurrences become one <redacted>.
//
// Matching is an Aho–Corasick automaton compiled to a dense table over the
// bytes the patterns use, so each byte of output costs one table lookup.
type redactor struct {
	class  [256]uint32 // byte → column; 0 for bytes no pattern has
	ncols  uint32
	next   []uint32 // next[row+col]: the next row, with matchBit when a pattern ends there
	depth  []int32  // by state: the length of the prefix it stands for
	longst []int32  // by state: the longest pattern ending there; 0 for none

	// Bytes that can start a pattern: from the root state, every other
	// byte is skipped without the table's chain of dependent loads.
	starts  [256]bool
	nstarts int
	start1  byte // the only one, when nstarts == 1

	row   uint32 // current state × ncols
	pos   int64  // bytes consumed
	pend  []byte // consumed and not yet released; pend[0] is at pos-len(pend)
	spans []span // occurrences within pend: sorted, disjoint
}

// matchBit marks a transition into a state where a pattern ends.
const matchBit = 1 << 31

// span is a half-open range of stream offsets to redact.
type span struct{ from, to int64 }

// newRedactor returns a redactor for values, or nil when there is nothing
// to redact.
func newRedactor(values []string) *redactor {
	pats := secretPatterns(values)
	if len(pats) == 0 {
		return nil
	}
	r := &redactor{ncols: 1}
	for _, p := range pats {
		for i := 0; i < len(p); i++ {
			if r.class[p[i]] == 0 {
				r.class[p[i]] = r.ncols
				r.ncols++
			}
		}
	}
	r.build(pats)
	for _, p := range pats {
		if !r.starts[p[0]] {
			r.starts[p[0]] = true
			r.nstarts++
			r.start1 = p[0]
		}
	}
	return r
}

// build makes the trie of pats, then fills every missing transition from
// the failure links, breadth first.
func (r *redactor) build(pats []string) {
	nc := int(r.ncols)
	const none = ^uint32(0)
	addState := func(depth int) uint32 {
		s := len(r.depth)
		r.depth = append(r.depth, int32(depth))
		r.longst = append(r.longst, 0)
		for range nc {
			r.next = append(r.next, none)
		}
		return uint32(s)
	}
	addState(0)
	for _, p := range pats {
		s := uint32(0)
		for i := 0; i < len(p); i++ {
			c := int(s)*nc + int(r.class[p[i]])
			if r.next[c] == none {
				r.next[c] = addState(i + 1)
			}
			s = r.next[c]
		}
		r.longst[s] = int32(len(p))
	}
	fail := make([]uint32, len(r.depth))
	queue := make([]uint32, 0, len(r.depth))
	for c := range nc {
		if u := r.next[c]; u == none {
			r.next[c] = 0
		} else {
			queue = append(queue, u)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if r.longst[s] == 0 {
			r.longst[s] = r.longst[fail[s]]
		}
		for c := range nc {
			i := int(s)*nc + c
			if u := r.next[i]; u == none {
				r.next[i] = r.next[int(fail[s])*nc+c]
			} else {
				fail[u] = r.next[int(fail[s])*nc+c]
				queue = append(queue, u)
			}
		}
	}
	// Rows as offsets, flagged where a pattern ends: the hot loop then
	// neither multiplies nor looks aside.
	for i, u := range r.next {
		v := u * r.ncols
		if r.longst[u] > 0 {
			v |= matchBit
		}
		r.next[i] = v
	}
}

// write consumes p and appends to dst what can no longer be part of a
// secret.
func (r *redactor) write(dst, p []byte) []byte {
	r.pend = append(r.pend, p...)
	row, next, class := r.row, r.next, &r.class
	base := r.pos + 1
	for i := 0; i < len(p); i++ {
		if row == 0 {
			i = r.skip(p, i)
			if i == len(p) {
				break
			}
		}
		e := next[row+class[p[i]]]
		row = e &^ matchBit
		if e&matchBit != 0 {
			end := base + int64(i)
			r.mark(end-int64(r.longst[row/r.ncols]), end)
		}
	}
	r.row = row
	r.pos += int64(len(p))
	return r.release(dst, r.pos-int64(r.depth[row/r.ncols]))
}

// skip returns the index of the first byte from p[i] on that can start a
// pattern, or len(p).
func (r *redactor) skip(p []byte, i int) int {
	if r.nstarts == 1 {
		if j := bytes.IndexByte(p[i:], r.start1); j >= 0 {
			return i + j
		}
		return len(p)
	}
	for i < len(p) && !r.starts[p[i]] {
		i++
	}
	return i
}

// flush appends to dst everything still held back: the stream has ended.
func (r *redactor) flush(dst []byte) []byte {
	dst = r.release(dst, r.pos)
	r.row = 0
	return dst
}

// mark records an occurrence, merged with those it overlaps. Occurrences
// arrive in order of their ends, so those it overlaps are the last ones.
func (r *redactor) mark(from, to int64) {
	n := len(r.spans)
	for ; n > 0 && r.spans[n-1].to > from; n-- {
		from = min(from, r.spans[n-1].from)
	}
	r.spans = append(r.spans[:n], span{from, to})
}

// release appends to dst the held-back bytes before safe, the offset where
// the earliest occurrence still possible may start, and forgets them.
func (r *redactor) release(dst []byte, safe int64) []byte {
	start := r.pos - int64(len(r.pend))
	cur := start
	done := 0
	for _, sp := range r.spans {
		if sp.from >= safe {
			break
		}
		dst = append(dst, r.pend[cur-start:sp.from-start]...)
		cur = sp.from
		if sp.to > safe {
			// A later byte may still lengthen this occurrence.
			safe = cur
			break
		}
		dst = append(dst, redacted...)
		cur = sp.to
		done++
	}
	if cur < safe {
		dst = append(dst, r.pend[cur-start:safe-start]...)
		cur = safe
	}
	r.pend = r.pend[:copy(r.pend, r.pend[cur-start:])]
	r.spans = r.spans[:copy(r.spans, r.spans[done:])]
	return dst
}

// redactBytes returns b with every secret shape of values replaced.
func redactBytes(values []string, b []byte) []byte {
	r := newRedactor(values)
	if r == nil {
		return b
	}
	return r.flush(r.write(nil, b))
}
