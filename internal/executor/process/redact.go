package process

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
// Matching is an Aho–Corasick automaton. States near the root have a full
// row in a dense table over the bytes the patterns use, so each byte of
// ordinary output costs one lookup; deeper states, on the long tails of
// long secrets (a PEM key), keep only their trie edges and follow their
// failure links, so a big secret does not cost a table row per byte.
type redactor struct {
	class  [256]uint32 // byte → column; 0 for bytes no pattern has
	ncols  uint32
	next   []uint32 // next[row+col]: the next state's code, with matchBit when a pattern ends there
	rowIDs []uint32 // by dense row: its state

	// By state.
	edges  [][]edge
	fail   []uint32
	code   []uint32 // row offset in next, or deepBit|state
	depth  []int32  // the length of the prefix the state stands for
	longst []int32  // the longest pattern ending there; 0 for none

	// Bytes that can start a pattern: from the root state, every other
	// byte is skipped without the table's chain of dependent loads.
	starts  [256]bool
	nstarts int
	start1  byte // the only one, when nstarts == 1

	cur   uint32 // the current state's code
	pos   int64  // bytes consumed
	pend  []byte // consumed and not yet released; pend[0] is at pos-len(pend)
	spans []span // occurrences within pend: sorted, disjoint
}

// An edge of the trie.
type edge struct {
	b  byte
	to uint32
}

const (
	matchBit = 1 << 31 // in a transition: a pattern ends in the next state
	deepBit  = 1 << 30 // in a code: a state without a dense row
	// denseDepth is the depth from which states have no dense row.
	denseDepth = 6
)

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
		if !r.starts[p[0]] {
			r.starts[p[0]] = true
			r.nstarts++
			r.start1 = p[0]
		}
	}
	order := r.trie(pats)
	r.dense(order)
	return r
}

// trie builds the trie of pats and its failure links, and returns the
// states in breadth-first order.
func (r *redactor) trie(pats []string) []uint32 {
	add := func(depth int) uint32 {
		r.edges = append(r.edges, nil)
		r.depth = append(r.depth, int32(depth))
		r.longst = append(r.longst, 0)
		return uint32(len(r.depth) - 1)
	}
	add(0)
	for _, p := range pats {
		s := uint32(0)
		for i := 0; i < len(p); i++ {
			u, ok := r.child(s, p[i])
			if !ok {
				u = add(i + 1)
				r.edges[s] = append(r.edges[s], edge{p[i], u})
			}
			s = u
		}
		r.longst[s] = int32(len(p))
	}
	r.fail = make([]uint32, len(r.depth))
	order := make([]uint32, 0, len(r.depth))
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		s := order[i]
		if r.longst[s] == 0 {
			r.longst[s] = r.longst[r.fail[s]]
		}
		for _, e := range r.edges[s] {
			if s != 0 {
				f := r.fail[s]
				for {
					if v, ok := r.child(f, e.b); ok {
						r.fail[e.to] = v
						break
					}
					if f == 0 {
						break
					}
					f = r.fail[f]
				}
			}
			order = append(order, e.to)
		}
	}
	return order
}

func (r *redactor) child(s uint32, b byte) (uint32, bool) {
	for _, e := range r.edges[s] {
		if e.b == b {
			return e.to, true
		}
	}
	return 0, false
}

// dense gives the states near the root, in breadth-first order, their
// full rows of transitions.
func (r *redactor) dense(order []uint32) {
	var colByte [256]byte
	for b := range 256 {
		colByte[r.class[b]] = byte(b)
	}
	r.code = make([]uint32, len(r.depth))
	for _, s := range order {
		if r.depth[s] < denseDepth {
			r.code[s] = uint32(len(r.rowIDs)) * r.ncols
			r.rowIDs = append(r.rowIDs, s)
		} else {
			r.code[s] = deepBit | s
		}
	}
	r.next = make([]uint32, len(r.rowIDs)*int(r.ncols))
	for i, s := range r.rowIDs {
		row := r.next[i*int(r.ncols) : (i+1)*int(r.ncols)]
		for c := 1; c < len(row); c++ {
			if u, ok := r.child(s, colByte[c]); ok {
				row[c] = r.enc(u)
			} else if s != 0 {
				row[c] = r.next[r.code[r.fail[s]]+uint32(c)]
			}
		}
	}
}

// enc is the transition into state s.
func (r *redactor) enc(s uint32) uint32 {
	if r.longst[s] > 0 {
		return r.code[s] | matchBit
	}
	return r.code[s]
}

// state returns the state of a code.
func (r *redactor) state(code uint32) uint32 {
	if code&deepBit != 0 {
		return code &^ deepBit
	}
	return r.rowIDs[code/r.ncols]
}

// deepNext is the transition from deep state s on b.
func (r *redactor) deepNext(s uint32, b byte) uint32 {
	for {
		if u, ok := r.child(s, b); ok {
			return r.enc(u)
		}
		s = r.fail[s]
		if c := r.code[s]; c&deepBit == 0 {
			return r.next[c+r.class[b]]
		}
	}
}

// write consumes p and appends to dst what can no longer be part of a
// secret.
func (r *redactor) write(dst, p []byte) []byte {
	r.pend = append(r.pend, p...)
	cur, next, class := r.cur, r.next, &r.class
	base := r.pos + 1
	for i := 0; i < len(p); i++ {
		if cur == 0 {
			i = r.skip(p, i)
			if i == len(p) {
				break
			}
		}
		var e uint32
		if cur&deepBit == 0 {
			e = next[cur+class[p[i]]]
		} else {
			e = r.deepNext(cur&^deepBit, p[i])
		}
		cur = e &^ matchBit
		if e&matchBit != 0 {
			end := base + int64(i)
			r.mark(end-int64(r.longst[r.state(cur)]), end)
		}
	}
	r.cur = cur
	r.pos += int64(len(p))
	return r.release(dst, r.pos-int64(r.depth[r.state(cur)]))
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
	r.cur = 0
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
