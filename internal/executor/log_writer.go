package executor

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// maxLine bounds the bytes held back waiting for a newline; a longer line is
// written in pieces (and a secret straddling a piece boundary is missed).
const maxLine = 64 << 10

// lineWriter receives a task's combined output, redacts it line by line and
// writes it to the log and, prefixed, to a follower. exec.Cmd calls Write
// from one goroutine at a time; Flush is called once that goroutine is done.
type lineWriter struct {
	log      io.Writer
	redactor *strings.Replacer // nil: nothing to redact

	follow   io.Writer // nil: no follower
	followMu *sync.Mutex
	prefix   string

	partial []byte // an unfinished line
	out     []byte // scratch for the redacted chunk
}

func newLineWriter(log io.Writer, a Attempt, followMu *sync.Mutex) *lineWriter {
	w := &lineWriter{log: log, follow: a.Follow, followMu: followMu, prefix: a.Prefix}
	var pairs []string
	for _, s := range a.Redact {
		if s != "" {
			pairs = append(pairs, s, "<redacted>")
		}
	}
	if len(pairs) > 0 {
		w.redactor = strings.NewReplacer(pairs...)
	}
	return w
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	w.out = w.out[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			if len(w.partial) >= maxLine {
				w.line(w.partial, false)
				w.partial = w.partial[:0]
			}
			break
		}
		if len(w.partial) > 0 {
			w.partial = append(w.partial, p[:i]...)
			w.line(w.partial, true)
			w.partial = w.partial[:0]
		} else {
			w.line(p[:i], true)
		}
		p = p[i+1:]
	}
	if len(w.out) > 0 {
		// A log write error must not stall the task: its output is drained
		// regardless, and the attempt's outcome is the task's own.
		_, _ = w.log.Write(w.out)
	}
	return n, nil
}

// Flush writes a trailing line that has no newline.
func (w *lineWriter) Flush() {
	if len(w.partial) == 0 {
		return
	}
	w.out = w.out[:0]
	w.line(w.partial, false)
	w.partial = w.partial[:0]
	_, _ = w.log.Write(w.out)
}

// line appends one redacted line to w.out and sends it to the follower.
func (w *lineWriter) line(b []byte, newline bool) {
	text := string(b)
	if w.redactor != nil {
		text = w.redactor.Replace(text)
	}
	w.out = append(w.out, text...)
	if newline {
		w.out = append(w.out, '\n')
	}
	if w.follow != nil {
		w.toFollower(w.prefix + text + "\n")
	}
}

// toFollower writes one line to the follower. A follower that panics is
// dropped: it runs on exec's copying goroutine, where a panic would take the
// whole process down.
func (w *lineWriter) toFollower(s string) {
	w.followMu.Lock()
	defer w.followMu.Unlock()
	defer func() {
		if recover() != nil {
			w.follow = nil
		}
	}()
	_, _ = io.WriteString(w.follow, s)
}
